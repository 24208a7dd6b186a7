/**
 * A fuzz runner process (forked by harness.ts; recycled every few hundred cases). It builds each case
 * from (run seed, index), writes it under the root, loads it — in-process through
 * loadRecordingInWorker with the server's limits, or through MCP `load_recording` of a stdio server
 * it keeps running (cwd = the root) — and reports the outcome, the time and the peak RSS of the
 * process that did the load. Peak RSS is per case: VmHWM is reset (/proc/<pid>/clear_refs ← 5)
 * before each case, so one case's memory cannot hide another's.
 *
 * Messages: parent → {type: "case", index, mcp}; child → {type: "server", pid} (so the parent can
 * watch the server's memory too) and {type: "result", result}.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Client, type CallToolResult } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { loadRecordingInWorker } from "../../src/app/load.js";
import { DEFAULT_INTAKE_LIMITS, loadRecording } from "../../src/data/load.js";
import { AllowedRoots } from "../../src/store/roots.js";
import type { Recording } from "../../src/data/recording.js";
import { MAIN_JS } from "../helpers/mcp.js";
import { classifyError, classifyToolResult, FAILURES, leaksSecret, type Classified } from "./classify.js";
import { makeCase } from "./mutators.js";
import { FIXTURE_SECRET, SECRET, type Seed } from "./seeds.js";

/**
 * How a case is loaded: "direct" = loadRecording in the runner's own thread with the LoadContext the
 * loading worker builds (AllowedRoots over the root, DEFAULT_INTAKE_LIMITS); "worker" =
 * loadRecordingInWorker (the server's path: a worker thread per load); "mcp" = load_recording of a
 * real stdio server.
 */
export type Route = "direct" | "worker" | "mcp";

export interface ChildInit {
  runSeed: number;
  base: string;
  root: string;
  seeds: Seed[];
  hangMs: number;
}

export interface CaseResult extends Classified {
  id: string;
  index: number;
  loader: string;
  seed: string;
  mutations: string[];
  via: Route;
  ms: number;
  /** Peak RSS (MB) of the process that did the load during this case. */
  peak_rss_mb: number;
  /** Where the failing case's file was kept. */
  kept?: string;
}

/** What a case is, sent before it runs (so a hang or a crash can still be described). */
export type CaseInfo = Pick<CaseResult, "id" | "index" | "loader" | "seed" | "mutations" | "via">;

export type ChildMessage = { type: "server"; pid: number } | { type: "start"; info: CaseInfo } | { type: "result"; result: CaseResult } | { type: "ready" };
export type ParentMessage = { type: "case"; index: number; via: Route };

/** VmHWM (peak RSS) and VmRSS of a process, in MB. */
export function memoryOf(pid: number | "self"): { hwm: number; rss: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? 0);
    return { hwm: kb("VmHWM") / 1024, rss: kb("VmRSS") / 1024 };
  } catch {
    return { hwm: 0, rss: 0 };
  }
}

/**
 * The workspace of a runner and its MCP server (recordings that load are saved there): one per runner
 * process, removed when the runner ends (by the driver when it kills one), so a long run does not fill
 * the disk.
 */
export function runnerWorkspace(root: string, pid: number): string {
  return path.join(root, `.workspace-${pid}`);
}

function resetPeak(pid: number | "self"): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
  } catch {
    // Not Linux or not allowed: peaks then accumulate (still an upper bound).
  }
}

class McpServer {
  client!: Client;
  pid = 0;
  static async start(root: string): Promise<McpServer> {
    const s = new McpServer();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [MAIN_JS, "serve", "--workspace", runnerWorkspace(root, process.pid)],
      cwd: root,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
      stderr: "ignore",
    });
    s.client = new Client({ name: "cebra-mcp-fuzz", version: "0.0.0" });
    await s.client.connect(transport);
    s.pid = transport.pid ?? 0;
    return s;
  }
  async close(): Promise<void> {
    await this.client.close().catch(() => undefined);
  }
}

function hasSecret(rec: Recording): boolean {
  // Outside files hold SECRET (timestamps SECRET + t): exact integers a mutation does not produce by chance.
  const outside = (v: number) => (Number.isInteger(v) && v >= SECRET && v < SECRET + 1000) || v === FIXTURE_SECRET;
  for (const a of [rec.neural, rec.timestamps, rec.frame]) if (a && Array.prototype.some.call(a, outside)) return true;
  return false;
}

async function runInProcess(file: string, opts: object, init: ChildInit, worker: boolean, hostile: boolean): Promise<Classified> {
  const limits = { ...DEFAULT_INTAKE_LIMITS, roots: [init.root], cwd: init.root, cacheDir: runnerWorkspace(init.root, process.pid) };
  const signal = AbortSignal.timeout(init.hangMs);
  try {
    const { roots, cwd, cacheDir, ...intake } = limits;
    const rec = worker
      ? await loadRecordingInWorker(file, opts, limits, signal)
      : await loadRecording(file, opts, AllowedRoots.create(roots, cwd).loadContext(cacheDir, intake));
    if (!hostile) return { outcome: "ok", message: "" };
    if (hasSecret(rec)) return { outcome: "escape", message: "the recording holds values read from outside the root", why: "escape" };
    const warnings = rec.warnings.join("\n");
    if (leaksSecret(warnings)) return { outcome: "escape", message: warnings, why: "a warning shows a value from outside the root" };
    return { outcome: "ok", message: "" };
  } catch (e) {
    return classifyError(e, signal.aborted, hostile);
  }
}

let server: McpServer | null = null;

async function runViaMcp(file: string, opts: object, init: ChildInit, hostile: boolean): Promise<Classified> {
  if (!server) {
    server = await McpServer.start(init.root);
    process.send?.({ type: "server", pid: server.pid } satisfies ChildMessage);
  }
  resetPeak(server.pid);
  try {
    const r = (await server.client.callTool({ name: "load_recording", arguments: { source: file, ...opts } }, { timeout: init.hangMs })) as CallToolResult;
    const text = r.content.filter((c): c is { type: "text"; text: string } => c.type === "text").map((c) => c.text).join("\n");
    return classifyToolResult(r.isError === true, text, hostile);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const dead = server;
    server = null;
    await dead.close();
    if (/timed? ?out/i.test(message)) return { outcome: "hang", message: `no answer within ${init.hangMs} ms` };
    return { outcome: "crash", message, why: "the MCP connection failed (server died?)" };
  }
}

async function runCase(init: ChildInit, index: number, route: Route): Promise<CaseResult> {
  const c = makeCase(init.runSeed, index, init.seeds);
  // HDF5 reads run synchronously inside WebAssembly: a reader that loops on a corrupted file can only
  // be stopped by the thread that started the load (the server's stall watchdog, src/data/formats/
  // hdf5-watch.ts). So HDF5 cases never take the direct route; they take the server's worker path.
  const via: Route = route === "direct" && c.loader === "hdf5" ? "worker" : route;
  const mcp = via === "mcp";
  const dir = path.join(init.root, "cases");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${c.id.replace(":", "-")}${c.ext}`);
  writeFileSync(file, c.bytes);
  const info: CaseInfo = { id: c.id, index, loader: c.loader, seed: c.seed, mutations: c.mutations, via };
  process.send?.({ type: "start", info } satisfies ChildMessage);
  resetPeak("self");
  const t0 = performance.now();
  const r = mcp ? await runViaMcp(file, c.opts, init, c.hostile) : await runInProcess(file, c.opts, init, via === "worker", c.hostile);
  const ms = Math.round(performance.now() - t0);
  const peak = mcp ? (server ? memoryOf(server.pid).hwm : 0) : memoryOf("self").hwm;
  const result: CaseResult = { ...info, ms, peak_rss_mb: Math.round(peak), ...r };
  if (FAILURES.includes(r.outcome)) {
    const keep = path.join(init.base, "failures", path.basename(file));
    mkdirSync(path.dirname(keep), { recursive: true });
    renameSync(file, keep);
    result.kept = keep;
  } else if (existsSync(file)) rmSync(file, { force: true });
  return result;
}

async function main(): Promise<void> {
  const init = JSON.parse(process.env.CEBRA_FUZZ_INIT ?? "{}") as ChildInit;
  process.on("message", (m: ParentMessage) => {
    if (m.type !== "case") return;
    runCase(init, m.index, m.via).then(
      (result) => process.send?.({ type: "result", result } satisfies ChildMessage),
      (e) => {
        process.stderr.write(`fuzz child: case ${init.runSeed}:${m.index} failed in the harness: ${(e as Error).stack}\n`);
        process.exit(70);
      },
    );
  });
  process.on("disconnect", () => {
    void (server?.close() ?? Promise.resolve()).finally(() => {
      rmSync(runnerWorkspace(init.root, process.pid), { recursive: true, force: true });
      process.exit(0);
    });
  });
  process.send?.({ type: "ready" } satisfies ChildMessage);
}

if (process.send) void main();
