/**
 * `npm run bench -- sweep`: a 12-model sweep_embeddings job (output_dimension 3, 8 × learning_rate 1e-3,
 * 3e-3 × seeds 0, 1, 2) on the built-in recording (builtin:allen-like defaults: 300 cells, 900 frames ×
 * 10 repeats), once per backend in `--runs`, each in a fresh workspace, in order:
 * - `cN`: the embedded job backend with jobConcurrency N (fits N at a time in worker threads of this process);
 * - `wN`: the Redis backend: a redis-server on a free loopback port and N `cebra-mcp worker` child processes
 *   (concurrency 1 each) on the workspace; the sweep runs from the control queue and its fits are training
 *   jobs the workers share (what `serve --queue` does; this process is the server side).
 * Default: `--concurrency 1,2` (c1,c2), plus `--workers N` appends wN. Reports wall time, speed-up over the
 * first run, the chosen setting and its validation and test scores (the same in every run: the fits are
 * seeded). Writes bench/sweep-results.json (or `--json`).
 * Options: --steps N (training steps per model, default 300), --runs LIST (e.g. c1,w2,w2,c1), --cells N.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { startSweepJob, type SweepResult } from "../src/app/sweep.js";
import { fmt, machineInfo, textTable } from "../src/cli/benchmark.js";
import { generateAllenLike } from "../src/data/builtin/index.js";
import { jobKinds } from "../src/app/jobs.js";
import { JobRegistry, type JobBackend } from "../src/store/jobs.js";
import { RedisJobs } from "../src/store/queue-redis.js";
import { RecordingStore } from "../src/store/recordings.js";
import { Workspace } from "../src/store/workspace.js";

interface Run {
  /** "embedded, concurrency N" or "redis, N workers". */
  backend: string;
  wall_s: number;
  speed_up: number;
  models: number;
  chosen: SweepResult["chosen"];
  rows: SweepResult["rows"];
}

const MAIN_JS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/cli/main.js");

/** A redis-server on a free loopback port (no persistence), and `n` workers on `workspace`; `stop` ends them all. */
async function startQueue(workspace: string, n: number): Promise<{ url: string; stop(): Promise<void> }> {
  if (spawnSync("redis-server", ["--version"]).status !== 0) throw new Error("--workers needs redis-server (apt-get install -y redis-server)");
  const port = await new Promise<number>((resolve, reject) => {
    const srv = createServer().once("error", reject).listen(0, "127.0.0.1", () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  const procs: ChildProcess[] = [];
  const ready = (p: ChildProcess, stream: "stdout" | "stderr", re: RegExp) => new Promise<void>((resolve, reject) => {
    let out = "";
    p[stream]!.on("data", (c: Buffer) => {
      out += c.toString();
      if (re.test(out)) resolve();
    });
    p.once("exit", (code) => reject(new Error(`exited (${code}) before it was ready: ${out}`)));
  });
  const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "ignore"] });
  procs.push(redis);
  await ready(redis, "stdout", /Ready to accept connections/);
  const url = `redis://127.0.0.1:${port}/0`;
  const workers = Array.from({ length: n }, () => spawn(process.execPath, [MAIN_JS, "worker", "--queue", url, "--workspace", workspace, "--device", "cpu"], { stdio: ["ignore", "ignore", "pipe"] }));
  procs.unshift(...workers);
  await Promise.all(workers.map((w) => ready(w, "stderr", /serving queue/)));
  return {
    url,
    stop: async () => {
      for (const p of procs) {
        if (p.exitCode !== null || p.signalCode !== null) continue;
        const exited = new Promise((r) => p.once("exit", r));
        p.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
      }
    },
  };
}

async function sweepOnce(mode: string, steps: number, cells: number): Promise<Omit<Run, "speed_up">> {
  const m = /^([cw])(\d+)$/.exec(mode);
  if (!m) throw new Error(`--runs: "${mode}" is not cN (embedded, concurrency N) or wN (Redis, N workers)`);
  const n = Number(m[2]);
  const concurrency = m[1] === "c" ? n : 1;
  const backend = m[1] === "c" ? `embedded, concurrency ${n}` : `redis, ${n} workers`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cebra-sweep-bench-"));
  let queue: Awaited<ReturnType<typeof startQueue>> | undefined;
  let jobs: JobBackend | undefined;
  try {
    const workspace = await Workspace.open(dir);
    const recordings = new RecordingStore(workspace);
    if (m[1] === "w") queue = await startQueue(dir, n);
    jobs = queue ? RedisJobs.open(workspace, queue.url, jobKinds({ workspace, recordings })) : await JobRegistry.open(workspace, { concurrency, kinds: jobKinds({ workspace, recordings, concurrency }) });
    const recordingId = await recordings.saveRecording(generateAllenLike({ n_cells: cells }));
    const settings = [{
      recording_id: [recordingId], output_dimension: [3, 8], learning_rate: [1e-3, 3e-3], seed: [0, 1, 2],
      max_iterations: [steps], batch_size: [256], device: ["cpu"],
    }];
    const t0 = performance.now();
    const job = await startSweepJob({ workspace, jobs, recordings, concurrency }, { settings });
    let last = "";
    jobs.onProgress(job.id, (r) => {
      const k = /^\d+ of \d+ models done/.exec(r.progress?.message ?? "")?.[0] ?? "";
      if (k && k !== last) process.stderr.write(`${backend}: ${(last = k)} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
    });
    let record = await jobs.wait(job.id, 3600);
    while (record.status === "queued" || record.status === "running") record = await jobs.wait(job.id, 3600);
    const wall_s = (performance.now() - t0) / 1000;
    if (record.status !== "succeeded") throw new Error(`sweep ${record.status}: ${JSON.stringify(record.error)}`);
    const r = record.result as SweepResult;
    return { backend, wall_s, models: r.models_done, chosen: r.chosen, rows: r.rows };
  } finally {
    await jobs?.shutdown();
    await queue?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function sweepBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { steps: { type: "string", default: "300" }, concurrency: { type: "string", default: "1,2" }, workers: { type: "string" }, runs: { type: "string" }, cells: { type: "string", default: "300" }, json: { type: "string", default: "bench/sweep-results.json" } } });
  const steps = Number(values.steps);
  const cells = Number(values.cells);
  const machine = machineInfo();
  const runs: Run[] = [];
  const modes = values.runs?.split(",") ?? [...values.concurrency.split(",").map((c) => `c${c}`), ...(values.workers ? [`w${values.workers}`] : [])];
  for (const mode of modes) {
    const r = await sweepOnce(mode, steps, cells);
    runs.push({ ...r, speed_up: runs.length ? runs[0]!.wall_s / r.wall_s : 1 });
  }
  const command = `npm run bench -- sweep ${argv.join(" ")}`.trim();
  const report = { created_at: new Date().toISOString(), command, machine, machine_load_after: machineInfo().loadavg, steps, cells, runs };
  fs.mkdirSync(path.dirname(values.json), { recursive: true });
  fs.writeFileSync(values.json, JSON.stringify(report, null, 2));
  const set = (s: Record<string, unknown> | undefined) => Object.entries(s ?? {}).filter(([k]) => k === "output_dimension" || k === "learning_rate").map(([k, v]) => `${k}=${v}`).join(" ");
  const table = textTable(["backend", "models", "wall s", "s/model", "speed-up", "chosen", "validation", "test"], runs.map((r) => [
    r.backend, String(r.models), fmt(r.wall_s, 1), fmt(r.wall_s / r.models, 1), `${fmt(r.speed_up, 2)}×`,
    set(r.chosen?.setting), fmt(r.chosen?.models[0]?.validation, 3), fmt(r.chosen?.models[0]?.test, 3),
  ]));
  process.stdout.write([
    `machine: ${machine.cpu_model}, ${machine.nproc} cores; load before ${machine.loadavg.join(" ")}, after ${report.machine_load_after.join(" ")}; node ${machine.versions.node}`,
    `command: ${command}  (12 models: output_dimension 3,8 × learning_rate 1e-3,3e-3 × seeds 0,1,2; ${steps} steps, batch 256; builtin:allen-like ${cells} cells)`,
    "", table, "", `results written to ${values.json}`, "",
  ].join("\n"));
}
