/**
 * `npm run bench -- sweep`: a 12-model sweep_embeddings job (output_dimension 3, 8 × learning_rate 1e-3,
 * 3e-3 × seeds 0, 1, 2) on the built-in recording (builtin:allen-like defaults: 300 cells, 900 frames ×
 * 10 repeats) with the embedded job backend, once per `--concurrency` value (default "1,2": fits one at a
 * time, or two at a time in two worker threads), each in a fresh workspace, in order. Reports wall time,
 * speed-up over the first concurrency, the chosen setting and its validation and test scores (the same
 * for every concurrency: the fits are seeded). Writes bench/sweep-results.json (or `--json`).
 * Options: --steps N (training steps per model, default 300), --concurrency LIST, --cells N.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { startSweepJob, type SweepResult } from "../src/app/sweep.js";
import { fmt, machineInfo, textTable } from "../src/cli/benchmark.js";
import { generateAllenLike } from "../src/data/builtin/index.js";
import { JobRegistry } from "../src/store/jobs.js";
import { RecordingStore } from "../src/store/recordings.js";
import { Workspace } from "../src/store/workspace.js";

interface Run {
  concurrency: number;
  wall_s: number;
  speed_up: number;
  models: number;
  chosen: SweepResult["chosen"];
  rows: SweepResult["rows"];
}

async function sweepOnce(concurrency: number, steps: number, cells: number): Promise<Omit<Run, "speed_up">> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cebra-sweep-bench-"));
  try {
    const workspace = await Workspace.open(dir);
    const recordings = new RecordingStore(workspace);
    const jobs = await JobRegistry.open(workspace, { concurrency });
    const recordingId = await recordings.saveRecording(generateAllenLike({ n_cells: cells }));
    const settings = [{
      recording_id: [recordingId], output_dimension: [3, 8], learning_rate: [1e-3, 3e-3], seed: [0, 1, 2],
      max_iterations: [steps], batch_size: [256], device: ["cpu"],
    }];
    const t0 = performance.now();
    const job = await startSweepJob({ workspace, jobs, recordings, concurrency }, { settings });
    let last = "";
    jobs.onProgress(job.id, (r) => {
      const m = /^\d+ of \d+ models done/.exec(r.progress?.message ?? "")?.[0] ?? "";
      if (m && m !== last) process.stderr.write(`concurrency ${concurrency}: ${(last = m)} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
    });
    const record = await jobs.wait(job.id, 3600);
    const wall_s = (performance.now() - t0) / 1000;
    if (record.status !== "succeeded") throw new Error(`sweep ${record.status}: ${JSON.stringify(record.error)}`);
    const r = record.result as SweepResult;
    return { concurrency, wall_s, models: r.models_done, chosen: r.chosen, rows: r.rows };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function sweepBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { steps: { type: "string", default: "300" }, concurrency: { type: "string", default: "1,2" }, cells: { type: "string", default: "300" }, json: { type: "string", default: "bench/sweep-results.json" } } });
  const steps = Number(values.steps);
  const cells = Number(values.cells);
  const machine = machineInfo();
  const runs: Run[] = [];
  for (const c of values.concurrency.split(",").map(Number)) {
    const r = await sweepOnce(c, steps, cells);
    runs.push({ ...r, speed_up: runs.length ? runs[0]!.wall_s / r.wall_s : 1 });
  }
  const command = `npm run bench -- sweep ${argv.join(" ")}`.trim();
  const report = { created_at: new Date().toISOString(), command, machine, machine_load_after: machineInfo().loadavg, steps, cells, runs };
  fs.mkdirSync(path.dirname(values.json), { recursive: true });
  fs.writeFileSync(values.json, JSON.stringify(report, null, 2));
  const set = (s: Record<string, unknown> | undefined) => Object.entries(s ?? {}).filter(([k]) => k === "output_dimension" || k === "learning_rate").map(([k, v]) => `${k}=${v}`).join(" ");
  const table = textTable(["backend", "models", "wall s", "s/model", "speed-up", "chosen", "validation", "test"], runs.map((r) => [
    `embedded, concurrency ${r.concurrency}`, String(r.models), fmt(r.wall_s, 1), fmt(r.wall_s / r.models, 1), `${fmt(r.speed_up, 2)}×`,
    set(r.chosen?.setting), fmt(r.chosen?.models[0]?.validation, 3), fmt(r.chosen?.models[0]?.test, 3),
  ]));
  process.stdout.write([
    `machine: ${machine.cpu_model}, ${machine.nproc} cores; load before ${machine.loadavg.join(" ")}, after ${report.machine_load_after.join(" ")}; node ${machine.versions.node}`,
    `command: ${command}  (12 models: output_dimension 3,8 × learning_rate 1e-3,3e-3 × seeds 0,1,2; ${steps} steps, batch 256; builtin:allen-like ${cells} cells)`,
    "", table, "", `results written to ${values.json}`, "",
  ].join("\n"));
}
