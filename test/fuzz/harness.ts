/**
 * The fuzz driver: builds the seeds in a fresh temp folder (`<base>/root` is the only allowed root,
 * `<base>/outside` holds the files the escapes point at), hands case indices to `jobs` forked runner
 * processes (child.ts), watches each case's time and the memory of the processes doing loads, and
 * collects a report.
 *
 * Limits per case: a result within `hangMs` (the runner aborts the load at hangMs; the driver kills
 * the runner at hangMs + 15 s if it does not answer: "hang"), and the RSS of the runner and of its MCP
 * server, polled every 100 ms and read as VmHWM after each case, under `memLimitMb` (the driver
 * kills both at the limit: "memory"). A runner that dies mid-case is a "crash". Runners are recycled
 * every `recycle` cases (a fresh process and MCP server) so slow leaks cannot pile up, and at once after
 * a failing case or when its RSS stays above a quarter of the limit (h5wasm's heap never shrinks), so
 * one case's leftovers cannot be blamed on the next.
 */
import { fork, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FAILURES, OUTCOMES, type Outcome } from "./classify.js";
import { memoryOf, runnerWorkspace, type CaseInfo, type CaseResult, type ChildInit, type ChildMessage, type ParentMessage, type Route } from "./child.js";
import { caseRng } from "./rng.js";
import { buildSeeds } from "./seeds.js";

export interface FuzzOptions {
  seed: number;
  cases: number;
  /** Run only these case indices (replay). */
  only?: number[];
  /** Share of cases driven through MCP load_recording. */
  mcpFraction: number;
  /** Share of cases loaded through loadRecordingInWorker (the rest: loadRecording in the runner). */
  workerFraction: number;
  /** Force every case through one route (replay). */
  via?: Route;
  jobs: number;
  hangMs: number;
  memLimitMb: number;
  recycle: number;
  /** Keep the temp folder (seeds, failing cases) after the run. */
  keep?: boolean;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export const DEFAULT_SEED = 20261207;

export const DEFAULT_OPTIONS: FuzzOptions = { seed: DEFAULT_SEED, cases: 10_000, mcpFraction: 0.05, workerFraction: 0.05, jobs: 1, hangMs: 20_000, memLimitMb: 2048, recycle: 500 };

export interface FuzzReport {
  seed: number;
  cases: number;
  started: string;
  wall_s: number;
  machine: { cpus: number; cpu_model: string; mem_gb: number; node: string; platform: string };
  options: Omit<FuzzOptions, "log" | "only">;
  counts: Record<Outcome, number>;
  per_loader: Record<string, Record<Outcome, number>>;
  per_route: Record<string, Record<Outcome, number>>;
  failures: number;
  /** Runner processes started (first start, recycling and restarts after crash/hang/memory). */
  runner_starts: number;
  /** Mean time from fork to a runner being ready (the price of recycling/isolation), in ms. */
  runner_start_ms: number;
  mean_case_ms: number;
  slowest: Pick<CaseResult, "id" | "loader" | "seed" | "via" | "ms" | "outcome" | "mutations">[];
  peak_rss_mb: { max: number; id: string; runner_max: number; mcp_server_max: number };
  /** Failing cases grouped by loader, outcome and message shape, one reproducing id each. */
  failure_groups: { loader: string; outcome: Outcome; count: number; example: string; via: string; message: string; replay: string }[];
  failing_cases: CaseResult[];
  base: string;
}

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "child.js");

/** The route of case `index` of run `seed` (fixed per case, so a replay takes the same route). */
export function routeOf(seed: number, index: number, o: Pick<FuzzOptions, "mcpFraction" | "workerFraction">): Route {
  const x = caseRng(seed ^ 0x5bd1e995, index).next();
  return x < o.mcpFraction ? "mcp" : x < o.mcpFraction + o.workerFraction ? "worker" : "direct";
}

function zero(): Record<Outcome, number> {
  return Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
}

/** Runs the fuzz campaign and returns its report. */
export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const started = new Date();
  const t0 = performance.now();
  const base = mkdtempSync(path.join(os.tmpdir(), "cebra-fuzz-"));
  const root = path.join(base, "root");
  const seeds = await buildSeeds(root, path.join(base, "outside"));
  const init: ChildInit = { runSeed: o.seed, base, root, seeds, hangMs: o.hangMs };
  const indices = o.only ?? Array.from({ length: o.cases }, (_, i) => i);
  const results: CaseResult[] = [];
  let next = 0;
  let starts = 0;
  let startMs = 0;
  const log = o.log ?? (() => undefined);
  let lastLog = performance.now();

  const runner = async (): Promise<void> => {
    let child: ChildProcess | null = null;
    let serverPid = 0;
    let done = 0;
    const start = async () => {
      starts++;
      const ts = performance.now();
      serverPid = 0;
      done = 0;
      const c = fork(CHILD, [], { env: { ...process.env, CEBRA_FUZZ_INIT: JSON.stringify(init) }, stdio: ["ignore", "ignore", "inherit", "ipc"] });
      c.on("message", (m: ChildMessage) => {
        if (m.type === "server") serverPid = m.pid;
      });
      await new Promise<void>((resolve, reject) => {
        c.once("message", () => resolve());
        c.once("exit", (code) => reject(new Error(`fuzz runner exited (code ${code}) before it was ready`)));
      });
      child = c;
      startMs += performance.now() - ts;
    };
    /** Kills a runner (and its MCP server) mid-case; its case file goes to failures/, its workspace away. */
    const stop = (c: ChildProcess | null, info: CaseInfo) => {
      if (!c) return;
      if (serverPid) try { process.kill(serverPid, "SIGKILL"); } catch { /* gone */ }
      c.kill("SIGKILL");
      const stem = info.id.replace(":", "-");
      for (const name of existsSync(path.join(root, "cases")) ? readdirSync(path.join(root, "cases")) : []) {
        if (name.startsWith(`${stem}.`)) {
          mkdirSync(path.join(base, "failures"), { recursive: true });
          renameSync(path.join(root, "cases", name), path.join(base, "failures", name));
        }
      }
      if (c.pid) rmSync(runnerWorkspace(root, c.pid), { recursive: true, force: true });
    };
    while (next < indices.length) {
      const index = indices[next++];
      if (!child || done >= o.recycle) {
        if (child) {
          (child as ChildProcess).disconnect();
          child = null;
        }
        await start();
      }
      const c = child as unknown as ChildProcess;
      const via = o.via ?? routeOf(o.seed, index, o);
      const r = await new Promise<CaseResult>((resolve) => {
        let info: CaseInfo = { id: `${o.seed}:${index}`, index, loader: "?", seed: "?", mutations: [], via };
        const fail = (outcome: Outcome, message: string, peak = 0) => {
          cleanup();
          stop(c, info);
          child = null;
          resolve({ ...info, ms: Math.round(performance.now() - t1), peak_rss_mb: Math.round(peak), outcome, message });
        };
        const onMessage = (m: ChildMessage) => {
          if (m.type === "start") info = m.info;
          if (m.type !== "result") return;
          cleanup();
          resolve(m.result);
        };
        const onExit = (code: number | null, signal: string | null) => fail("crash", `the fuzz runner died (code ${code}, signal ${signal})`);
        const timer = setTimeout(() => fail("hang", `no result within ${o.hangMs + 15_000} ms (runner killed)`), o.hangMs + 15_000);
        const poll = setInterval(() => {
          const rss = Math.max(memoryOf(c.pid ?? 0).rss, serverPid ? memoryOf(serverPid).rss : 0);
          if (rss > o.memLimitMb) fail("memory", `RSS ${Math.round(rss)} MB over the ${o.memLimitMb} MB limit (killed)`, rss);
        }, 100);
        const cleanup = () => {
          clearTimeout(timer);
          clearInterval(poll);
          c.off("message", onMessage);
          c.off("exit", onExit);
        };
        const t1 = performance.now();
        c.on("message", onMessage);
        c.on("exit", onExit);
        c.send({ type: "case", index, via } satisfies ParentMessage);
      });
      if (r.outcome !== "memory" && r.peak_rss_mb > o.memLimitMb) {
        r.message = `peak RSS ${r.peak_rss_mb} MB over the ${o.memLimitMb} MB limit${r.message ? `; outcome was ${r.outcome}: ${r.message}` : ""}`;
        r.outcome = "memory";
      }
      if (r.outcome !== "memory" && r.ms > o.hangMs && r.outcome !== "hang") {
        r.message = `took ${r.ms} ms (limit ${o.hangMs})${r.message ? `; ${r.outcome}: ${r.message}` : ""}`;
        r.outcome = "hang";
      }
      results.push(r);
      done++;
      // A runner that kept memory (h5wasm's heap never shrinks) or saw a failure (a wasm abort can leave
      // h5wasm unusable) is replaced, so the next case starts as a server's fresh loading worker does.
      if (child && (FAILURES.includes(r.outcome) || memoryOf((child as ChildProcess).pid ?? 0).rss > o.memLimitMb / 4)) {
        (child as ChildProcess).disconnect();
        child = null;
      }
      if (FAILURES.includes(r.outcome)) log(`FAIL ${r.outcome} ${r.id} [${r.loader}/${r.seed}/${r.via}] ${r.mutations.join(" ")}: ${oneLine(r.message).slice(0, 300)}`);
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        log(`${results.length}/${indices.length} cases, ${results.filter((x) => FAILURES.includes(x.outcome)).length} failures, ${Math.round((performance.now() - t0) / 1000)} s`);
      }
    }
    if (child) (child as ChildProcess).disconnect();
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, o.jobs) }, () => runner()));
  } finally {
    if (!o.keep) rmSync(base, { recursive: true, force: true });
  }
  return report(o, results, started, (performance.now() - t0) / 1000, { starts, ms: starts ? startMs / starts : 0 }, base);
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

/** The message with numbers and paths blanked, for grouping similar failures. */
function shape(message: string): string {
  return oneLine(message).replace(/\/[^\s:'"),]+/g, "<path>").replace(/\d+(\.\d+)?/g, "N").slice(0, 160);
}

function report(o: FuzzOptions, results: CaseResult[], started: Date, wall: number, runners: { starts: number; ms: number }, base: string): FuzzReport {
  const counts = zero();
  const perLoader: Record<string, Record<Outcome, number>> = {};
  const perRoute: Record<string, Record<Outcome, number>> = {};
  for (const r of results) {
    counts[r.outcome]++;
    (perLoader[r.loader] ??= zero())[r.outcome]++;
    (perRoute[r.via] ??= zero())[r.outcome]++;
  }
  const failing = results.filter((r) => FAILURES.includes(r.outcome));
  const groups = new Map<string, FuzzReport["failure_groups"][number]>();
  for (const r of failing) {
    const key = `${r.loader}|${r.outcome}|${shape(r.message)}`;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { loader: r.loader, outcome: r.outcome, count: 1, example: r.id, via: r.via, message: oneLine(r.message).slice(0, 400), replay: replayCommand(r) });
  }
  const byPeak = [...results].sort((a, b) => b.peak_rss_mb - a.peak_rss_mb);
  const { log: _log, only: _only, ...options } = o;
  return {
    seed: o.seed,
    cases: results.length,
    started: started.toISOString(),
    wall_s: Math.round(wall * 10) / 10,
    machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? "?", mem_gb: Math.round(os.totalmem() / 1024 ** 3), node: process.version, platform: `${os.platform()} ${os.release()}` },
    options,
    counts,
    per_loader: perLoader,
    per_route: perRoute,
    failures: failing.length,
    runner_starts: runners.starts,
    runner_start_ms: Math.round(runners.ms),
    mean_case_ms: results.length ? Math.round(results.reduce((s, r) => s + r.ms, 0) / results.length) : 0,
    slowest: [...results].sort((a, b) => b.ms - a.ms).slice(0, 10).map(({ id, loader, seed, via, ms, outcome, mutations }) => ({ id, loader, seed, via, ms, outcome, mutations })),
    peak_rss_mb: {
      max: byPeak[0]?.peak_rss_mb ?? 0,
      id: byPeak[0]?.id ?? "",
      runner_max: Math.max(0, ...results.filter((r) => r.via !== "mcp").map((r) => r.peak_rss_mb)),
      mcp_server_max: Math.max(0, ...results.filter((r) => r.via === "mcp").map((r) => r.peak_rss_mb)),
    },
    failure_groups: [...groups.values()].sort((a, b) => a.loader.localeCompare(b.loader) || b.count - a.count),
    failing_cases: failing,
    base,
  };
}

/** The command that replays one case. */
export function replayCommand(r: Pick<CaseResult, "id" | "via">): string {
  return `npm run fuzz -- --case ${r.id} --via ${r.via}`;
}
