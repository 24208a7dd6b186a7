/**
 * `npm run gpu-check`: which execution providers start on this machine (CUDA, WebGPU, CPU) and why the
 * others do not; the standard configuration trained for a few hundred steps on each one that starts
 * (same seed, so the same batches); the GPU loss trajectories compared with the CPU one step by step.
 * Each device runs with K = 1 step per session.run and, with `--k` (or `--quick`: 300 steps, K = 1 and
 * 10), with K steps per run (an ONNX Loop keeping the parameters on the device, engine/train/k-steps.ts).
 * Then the transform (the inference encoder, ONNX Conv for the convolutional models) over the same
 * recording on each device that starts: samples/s and the largest embedding difference from the CPU's.
 * Prints a table and writes the full report as JSON. Also runnable from a carried bundle
 * (`node dist/bench/gpu-check.js`, see docs/GPU.md and bench/make-gpu-bundle.sh).
 */
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { isUserError, UserError } from "../util/errors.js";
import { benchmarkData, fmt, machineInfo, percentiles, standardConfig, textTable, type MachineInfo, type Percentiles } from "./benchmark.js";
import { buildStepGraph } from "../engine/cebra/step.js";
import type { ResolvedDevice } from "../engine/runtime/devices.js";
import { AUTO_DEVICE_ORDER, createSession } from "../engine/runtime/sessions.js";
import { stepGraphOptions } from "../engine/train/batches.js";
import { profileStepsLoop } from "../engine/train/k-steps.js";
import { profileSteps, runTrainingLoop } from "../engine/train/trainer.js";
import { transformRecording } from "../engine/train/transform.js";
import type { Conditional, SessionData, TrainConfig } from "../engine/types.js";

interface GpuCheckOptions {
  steps: number;
  devices: ResolvedDevice[];
  T: number;
  N: number;
  batch_size: number;
  conditional: Conditional;
  threads?: number;
  json: string;
  /** Steps per session.run to time on every device (1 = the plain step graph). */
  k: number[];
  quick: boolean;
}

interface DeviceProbe {
  device: ResolvedDevice;
  started: boolean;
  reason: string | null;
  fix: string | null;
}

interface DeviceRun {
  device: ResolvedDevice;
  /** Steps per session.run (absent = 1). */
  k?: number;
  steps: number;
  /** Whole step, sampling + window assembly, and session.run, in ms (after 10 % warm-up steps). */
  step_ms: Percentiles | null;
  assemble_ms: Percentiles | null;
  run_ms: Percentiles | null;
  losses: number[];
  error: string | null;
  /** 1000 / median step ms. */
  steps_per_s?: number | null;
}

/** A run plus its final parameters (compared, not written to the report). */
export interface RunResult {
  run: DeviceRun;
  params: Float32Array;
}

interface TrajectoryComparison {
  device: ResolvedDevice;
  k: number;
  reference: "cpu";
  steps: number;
  first_step_abs_diff: number;
  first10_max_abs_diff: number;
  max_abs_diff: number;
  max_rel_diff: number;
  final_abs_diff: number;
  /** max |Δparam| after the last step. */
  param_max_abs_diff: number;
  /** CPU median step time / this device's median step time. */
  speedup_vs_cpu: number | null;
  agrees: boolean;
}

/** The inference encoder (transform) over the check's recording on one device. */
interface TransformRun {
  device: ResolvedDevice;
  /** Median of 3 calls after one warm-up call (which builds the session). */
  samples_per_s: number | null;
  /** max |Δz| against the CPU's embedding (0 for the CPU itself). */
  max_abs_diff_vs_cpu: number | null;
  error: string | null;
}

export interface GpuCheckReport {
  created_at: string;
  machine: MachineInfo;
  options: GpuCheckOptions;
  config: TrainConfig;
  env: Record<string, string | null>;
  probes: DeviceProbe[];
  runs: DeviceRun[];
  comparisons: TrajectoryComparison[];
  transforms: TransformRun[];
  verdict: string[];
}

/**
 * First-step loss difference under which a device "agrees" with the CPU. Loose enough for the CUDA
 * provider's default TF32 GEMMs (10-bit mantissa); a wrong kernel or graph gives differences of 0.1 or more.
 * With NVIDIA_TF32_OVERRIDE=0 expect float32 rounding only (≈ 1e-5).
 */
const AGREEMENT_TOLERANCE = 1e-2;

const USAGE = `usage: gpu-check [--quick] [--steps 200] [--k 1,10] [--devices ${AUTO_DEVICE_ORDER.join(",")}] [--T 10000] [--N 100] [--batch 512] [--conditional time] [--threads n] [--json gpu-check.json]`;

/** Parse the command-line options of `gpu-check`. */
export function parseGpuCheckArgs(argv: string[]): GpuCheckOptions {
  const { values } = parseArgsOrExplain(argv);
  const int = (name: string, v: string | undefined) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UserError(`gpu-check: --${name} must be a positive integer, got "${v}".`, USAGE, "bad_flag");
    return n;
  };
  const devices = values.devices.split(",").map((d) => d.trim()) as ResolvedDevice[];
  const unknown = devices.filter((d) => !AUTO_DEVICE_ORDER.includes(d));
  if (unknown.length) throw new UserError(`gpu-check: unknown device(s) ${unknown.join(", ")}.`, USAGE, "bad_flag");
  if (!devices.includes("cpu")) devices.push("cpu");
  return {
    steps: int("steps", values.steps ?? (values.quick ? "300" : "200")),
    devices,
    T: int("T", values.T),
    N: int("N", values.N),
    batch_size: int("batch", values.batch),
    conditional: values.conditional as Conditional,
    threads: values.threads === undefined ? undefined : int("threads", values.threads),
    json: values.json,
    k: (values.k ?? (values.quick ? "1,10" : "1")).split(",").map((x) => int("k", x.trim())),
    quick: values.quick,
  };
}

function parseArgsOrExplain(argv: string[]) {
  try {
    return parseOptions(argv);
  } catch (e) {
    throw new UserError(`gpu-check: ${(e as Error).message}`, USAGE, "bad_flag");
  }
}

function parseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      steps: { type: "string" },
      k: { type: "string" },
      quick: { type: "boolean", default: false },
      devices: { type: "string", default: AUTO_DEVICE_ORDER.join(",") },
      T: { type: "string", default: "10000" },
      N: { type: "string", default: "100" },
      batch: { type: "string", default: "512" },
      conditional: { type: "string", default: "time" },
      threads: { type: "string" },
      json: { type: "string", default: "gpu-check.json" },
    },
  });
}

async function probe(device: ResolvedDevice, onnx: Uint8Array, threads?: number): Promise<DeviceProbe> {
  try {
    const { session } = await createSession(onnx, { device, threads });
    await session.release();
    return { device, started: true, reason: null, fix: null };
  } catch (e) {
    if (isUserError(e)) return { device, started: false, reason: e.problem, fix: e.fix };
    return { device, started: false, reason: e instanceof Error ? e.message : String(e), fix: null };
  }
}

async function runOn(device: ResolvedDevice, cfg: TrainConfig, data: SessionData, opts: GpuCheckOptions, k: number): Promise<RunResult> {
  try {
    const p = k === 1 ? await profileSteps([data], { ...cfg, device }, opts.steps) : await profileStepsLoop(data, { ...cfg, device }, opts.steps, k);
    const warm = Math.ceil(opts.steps / 10);
    const total = p.run_ms.map((r, i) => r + p.assemble_ms[i]).slice(warm);
    const step_ms = percentiles(total);
    const run: DeviceRun = {
      device,
      k,
      steps: opts.steps,
      steps_per_s: 1000 / step_ms.median,
      step_ms,
      assemble_ms: percentiles(p.assemble_ms.slice(warm)),
      run_ms: percentiles(p.run_ms.slice(warm)),
      losses: p.losses.map((l) => l.loss),
      error: null,
    };
    return { run, params: p.params };
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    return { run: { device, k, steps: 0, step_ms: null, assemble_ms: null, run_ms: null, losses: [], error }, params: new Float32Array(0) };
  }
}

/** Compare a device's loss trajectory and final parameters with the CPU run. */
export function compareTrajectories({ run, params }: RunResult, cpu: RunResult): TrajectoryComparison {
  const ref = cpu.run.losses;
  const n = Math.min(run.losses.length, ref.length);
  const abs = Array.from({ length: n }, (_, i) => Math.abs(run.losses[i] - ref[i]));
  const rel = abs.map((d, i) => d / Math.max(Math.abs(ref[i]), 1e-12));
  const paramDiff = params.reduce((m, p, i) => Math.max(m, Math.abs(p - cpu.params[i])), 0);
  const speedup = run.step_ms && cpu.run.step_ms ? cpu.run.step_ms.median / run.step_ms.median : null;
  return {
    device: run.device,
    k: run.k ?? 1,
    reference: "cpu",
    steps: n,
    first_step_abs_diff: abs[0] ?? NaN,
    first10_max_abs_diff: Math.max(...abs.slice(0, 10)),
    max_abs_diff: Math.max(...abs),
    max_rel_diff: Math.max(...rel),
    final_abs_diff: abs[n - 1] ?? NaN,
    param_max_abs_diff: paramDiff,
    speedup_vs_cpu: speedup,
    agrees: n > 0 && abs[0] < AGREEMENT_TOLERANCE,
  };
}

/**
 * The standard configuration's encoder at its initialisation (the cost and the agreement do not depend on
 * the weights) over `data` on each device; CPU first, as the reference.
 */
async function checkTransforms(devices: ResolvedDevice[], cfg: TrainConfig, data: SessionData, threads?: number): Promise<TransformRun[]> {
  const model = await runTrainingLoop([data], { ...cfg, max_iterations: 0 });
  const order = [...devices].sort((a, b) => Number(b === "cpu") - Number(a === "cpu"));
  let cpuZ: Float32Array | null = null;
  const runs: TransformRun[] = [];
  for (const device of order) {
    try {
      const call = () => transformRecording(model, data.neural, data.n_samples, data.n_neurons, { device, threads });
      const z = await call();
      const ms: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        await call();
        ms.push(performance.now() - t0);
      }
      if (device === "cpu") cpuZ = z;
      const diff = cpuZ ? z.reduce((m, v, i) => Math.max(m, Math.abs(v - cpuZ![i])), 0) : null;
      runs.push({ device, samples_per_s: data.n_samples / (percentiles(ms).median / 1000), max_abs_diff_vs_cpu: diff, error: null });
    } catch (e) {
      runs.push({ device, samples_per_s: null, max_abs_diff_vs_cpu: null, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return runs;
}

/** Embedding differences above this mean a wrong kernel, not TF32 or float32 rounding (unit-norm rows). */
const TRANSFORM_TOLERANCE = 1e-2;

export function verdictLines(runs: DeviceRun[], comparisons: TrajectoryComparison[], transforms: TransformRun[] = []): string[] {
  const lines: string[] = [];
  for (const r of runs.filter((r) => r.error)) lines.push(`${r.device} K=${r.k ?? 1}: started but training failed: ${r.error}`);
  for (const c of comparisons) {
    const who = `${c.device} K=${c.k}`;
    lines.push(
      c.agrees
        ? `${who}: agrees with cpu K=1 (first-step |Δloss| ${c.first_step_abs_diff.toExponential(1)}, max over ${c.steps} steps ${c.max_abs_diff.toExponential(1)}); ${fmt(c.speedup_vs_cpu, 2)}× its speed`
        : `${who}: DIFFERS from cpu K=1 (first-step |Δloss| ${c.first_step_abs_diff.toExponential(1)} ≥ ${AGREEMENT_TOLERANCE})`,
    );
  }
  for (const t of transforms.filter((t) => t.device !== "cpu")) {
    lines.push(
      t.error
        ? `${t.device} transform: failed: ${t.error}`
        : t.max_abs_diff_vs_cpu !== null && t.max_abs_diff_vs_cpu < TRANSFORM_TOLERANCE
          ? `${t.device} transform: agrees with cpu (max |Δz| ${t.max_abs_diff_vs_cpu.toExponential(1)})`
          : `${t.device} transform: DIFFERS from cpu (max |Δz| ${t.max_abs_diff_vs_cpu?.toExponential(1) ?? "—"} ≥ ${TRANSFORM_TOLERANCE})`,
    );
  }
  if (!runs.some((r) => r.device !== "cpu" && !r.error)) lines.push("No GPU execution provider ran; nothing to compare with the CPU but the CPU's own K > 1 runs.");
  return lines;
}

/** Probe every requested device, train the standard configuration on each that starts, compare with CPU. */
async function checkDevices(opts: GpuCheckOptions): Promise<GpuCheckReport> {
  const cfg = standardConfig({ batch_size: opts.batch_size, conditional: opts.conditional, max_iterations: opts.steps, ...(opts.threads ? { threads: opts.threads } : {}) });
  const { onnx } = buildStepGraph(stepGraphOptions(cfg, opts.N, "step"));
  const probes: DeviceProbe[] = [];
  for (const d of opts.devices) probes.push(await probe(d, onnx, opts.threads));
  const data = benchmarkData(opts.N, opts.conditional, opts.T);
  const results: RunResult[] = [];
  for (const p of probes.filter((p) => p.started)) for (const k of opts.k) results.push(await runOn(p.device, cfg, data, opts, k));
  const ok = results.filter((r) => !r.run.error);
  const cpu = ok.find((r) => r.run.device === "cpu" && (r.run.k ?? 1) === opts.k[0]);
  const comparisons = cpu ? ok.filter((r) => r !== cpu).map((r) => compareTrajectories(r, cpu)) : [];
  const runs = results.map((r) => r.run);
  const transforms = await checkTransforms(probes.filter((p) => p.started).map((p) => p.device), cfg, data, opts.threads);
  return {
    created_at: new Date().toISOString(),
    machine: machineInfo(),
    options: opts,
    config: cfg,
    env: Object.fromEntries(["NVIDIA_TF32_OVERRIDE", "CUDA_VISIBLE_DEVICES", "LD_LIBRARY_PATH"].map((k) => [k, process.env[k] ?? null])),
    probes,
    runs,
    comparisons,
    transforms,
    verdict: verdictLines(runs, comparisons, transforms),
  };
}

/** The report as plain-text tables. */
function formatGpuCheck(r: GpuCheckReport): string {
  const o = r.options;
  const probeLines = r.probes.flatMap((p) =>
    p.started ? [`${p.device.padEnd(7)} starts`] : [`${p.device.padEnd(7)} does not start: ${p.reason}`, `        fix: ${p.fix ?? "—"}`],
  );
  const runTable = textTable(
    ["device", "K", "steps", "steps/s", "step ms (median)", "p10", "p90", "sample+windows ms", "session.run ms", "first loss", "last loss"],
    r.runs.map((x) => [x.device, String(x.k ?? 1), String(x.steps), fmt(x.steps_per_s, 1), fmt(x.step_ms?.median, 2), fmt(x.step_ms?.p10, 2), fmt(x.step_ms?.p90, 2), fmt(x.assemble_ms?.median, 2), fmt(x.run_ms?.median, 2), fmt(x.losses[0], 5), fmt(x.losses[x.losses.length - 1], 5)]),
  );
  const cmpTable = textTable(
    [`device vs cpu K=${o.k[0]}`, "K", "|Δloss| step 1", "max steps 1-10", "max all", "max rel", "final", "max |Δparam|", "speed-up"],
    r.comparisons.map((c) => [c.device, String(c.k), c.first_step_abs_diff.toExponential(2), c.first10_max_abs_diff.toExponential(2), c.max_abs_diff.toExponential(2), c.max_rel_diff.toExponential(2), c.final_abs_diff.toExponential(2), c.param_max_abs_diff.toExponential(2), fmt(c.speedup_vs_cpu, 2)]),
  );
  const transformTable = textTable(
    ["transform (encoder) on", "samples/s", "max |Δz| vs cpu", "error"],
    r.transforms.map((t) => [t.device, fmt(t.samples_per_s, 0), t.max_abs_diff_vs_cpu === null ? "—" : t.max_abs_diff_vs_cpu.toExponential(2), t.error ?? ""]),
  );
  return [
    `gpu-check: ${r.config.model_architecture}, batch ${o.batch_size}, T ${o.T}, N ${o.N}, ${o.conditional} conditional, ${o.steps} steps`,
    `machine: ${r.machine.cpu_model}, ${r.machine.nproc} cores, load ${r.machine.loadavg.join(" ")}; GPUs: ${r.machine.gpus.join("; ") || "none listed by nvidia-smi"}`,
    "",
    ...probeLines,
    "",
    runTable,
    "",
    r.comparisons.length ? cmpTable : "(no GPU run to compare)",
    "",
    transformTable,
    "",
    ...r.verdict,
    "",
  ].join("\n");
}

/**
 * CLI entry: parse `argv`, run the check, write the table to `out` and the JSON report to `--json`.
 * Returns the exit code: 0 when the CPU reference ran, 1 otherwise.
 */
export async function runGpuCheck(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const opts = parseGpuCheckArgs(argv);
  const report = await checkDevices(opts);
  fs.writeFileSync(opts.json, JSON.stringify(report, null, 2));
  out.write(formatGpuCheck(report));
  out.write(`report written to ${opts.json}\n`);
  return report.runs.some((r) => r.device === "cpu" && !r.error) ? 0 : 1;
}
