/**
 * A real Redis and real `cebra-mcp worker` processes for the queue tests: `redis-server` (the Debian
 * package; .ci/run installs it) on a free loopback port with its own temp directory, stopped (saving its
 * data, so a restart brings the queue back) and restarted on the same port; workers spawned as
 * `node dist/src/cli/main.js worker`. Tests skip only when redis-server is missing AND CI is not set.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { MAIN_JS } from "../helpers/mcp.js";

/** Why the Redis tests cannot run here, or null. Under CI a missing redis-server fails instead. */
export function redisMissing(): string | null {
  if (spawnSync("redis-server", ["--version"]).status === 0) return null;
  if (process.env.CI) throw new Error("redis-server is not installed, and CI is set: .ci/run must install it (apt-get install -y redis-server).");
  return "redis-server is not installed (apt-get install -y redis-server); the queue tests need a real Redis";
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Waits until `text` appears in what `get()` returns (or throws after `ms`). */
export async function waitFor(what: string, get: () => boolean | Promise<boolean>, ms = 30_000, stepMs = 100): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await get()) return;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

export interface TestRedis {
  port: number;
  url: string;
  /** Saves the data and stops the server (clients see connection refused). */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory (the saved queue comes back). */
  start(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), "cebra-redis-"));
  let proc: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const p = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdio: ["ignore", "pipe", "pipe"] });
    proc = p;
    let out = "";
    p.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    await waitFor("redis-server to accept connections", () => /Ready to accept connections/.test(out), 10_000, 50);
  };
  const stop = async (): Promise<void> => {
    const p = proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once("exit", r));
    spawnSync("redis-cli", ["-p", String(port), "shutdown", "save"]);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (p.exitCode === null) p.kill("SIGKILL");
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}/0`, stop, start };
}

export interface TestWorker {
  proc: ChildProcess;
  /** What the worker logged so far. */
  log(): string;
  /** Its name in get_job (`host:pid`) ends with this. */
  readonly pidTag: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Spawns `cebra-mcp worker` on `url` and `workspace`; resolves once it serves its queue. Locks last 3 s, so a killed worker's job moves on within ~6 s. */
export async function startWorker(url: string, workspace: string, device = "cpu"): Promise<TestWorker> {
  const proc = spawn(process.execPath, [MAIN_JS, "worker", "--queue", url, "--workspace", workspace, "--device", device], {
    // Short locks (a killed worker is seen stalled in seconds) and frequent checkpoints (a taken-over job has one to resume from).
    env: { ...process.env, CEBRA_MCP_QUEUE_LOCK_S: "3", CEBRA_MCP_CHECKPOINT_STEPS: "200" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  proc.stderr!.on("data", (c: Buffer) => (log += c.toString()));
  await waitFor("the worker to start", () => /serving queue/.test(log) || proc.exitCode !== null, 20_000);
  if (proc.exitCode !== null) throw new Error(`worker exited: ${log}`);
  return {
    proc,
    log: () => log,
    pidTag: `:${proc.pid}`,
    stop: async (signal: NodeJS.Signals = "SIGTERM") => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill(signal);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    },
  };
}

/** Environment for a spawned server: the harness's own plus the test's (NODE_PATH etc. pass through). */
export function serverEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ["NODE_PATH", "TMPDIR"]) if (process.env[k]) env[k] = process.env[k]!;
  return { ...env, ...extra };
}
