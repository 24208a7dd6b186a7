/**
 * `npm run bench`: training-step and transform speed of the engine on synthetic data (see docs/BENCHMARKS.md).
 *
 * Cases (offset10-model, batch 512, 32 hidden units, output 8, T = 10,000, one ORT thread, CPU):
 * `time` conditional with N = 100 (target ≤ 20 ms/step), `time_delta` with a 3-d continuous label
 * (≤ 25 ms), `time` with N = 1,000 (≤ 60 ms). Each case runs `--rounds` times, interleaved with the other
 * cases (the machine may be shared and noisy); per round the median over `--steps` steps after
 * `--warmup` steps; `--inputs auto,windows` also times every case with the step graph's window input
 * form forced (auto = the trainer's choice, `chooseStepInput`), interleaved, to compare the forms; reported: the median of the round medians, p10/p90 over all steps, and the split
 * between sampling + window assembly and session.run. Then transform throughput for N = 100 and 1,000
 * (a model's first call, and the calls after it, which reuse its cached encoder session),
 * and the process's peak RSS. Prints a table and writes bench/results.json (or `--json`).
 * `--reference DIR` (or CEBRA_REFERENCE_ENV: a folder with env.sh, as ../shared/reference/speed/setup.sh
 * builds it) runs the reference CEBRA 0.6.1 in the same rounds, each engine case followed by the
 * reference's (ref_step.py, bench/ref_cpu.py, bench/ref_transform.py; bench/reference.ts), and reports
 * reference ÷ engine per round and the median of those ratios, in wall and CPU time. `--cases` picks
 * step cases (time, time_delta, time1000, hybrid, hybrid1000, or none; the hybrid ones without the reference), `--no-transform` skips the transform, `--k K` times K steps
 * per session.run (the K-step Loop graph; a list, e.g. `--k 1,10`, times each in the same rounds);
 * `--threads 1,2` times each case with 1 and with 2 ORT intra-op threads in the same rounds (`2s`: 2
 * threads with ORT's spinning on; default off), the reference staying at one thread.
 * `npm run bench -- sweep` runs bench/sweep.ts instead (a 12-model sweep: embedded backend at concurrency N (`cN`) and N queue workers on a local redis-server (`wN`)).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { benchmarkData, fmt, machineInfo, percentile, percentiles, standardConfig, textTable, type Percentiles } from "../src/cli/benchmark.js";
import { chooseStepInput } from "../src/engine/cebra/cost.js";
import type { StepInput } from "../src/engine/cebra/step.js";
import { profileStepsLoop } from "../src/engine/train/k-steps.js";
import { setIntraOpSpinning } from "../src/engine/runtime/sessions.js";
import { profileSteps, runTrainingLoop } from "../src/engine/train/trainer.js";
import { clearEncoderSessions, transformRecording } from "../src/engine/train/transform.js";
import type { Conditional, SessionData } from "../src/engine/types.js";
import { findReference, referenceStep, referenceTransform, type Reference } from "./reference.js";

interface StepCase {
  name: string;
  N: number;
  conditional: Conditional;
  target_ms: number;
  /** CEBRA's hybrid objective (time contrast plus behaviour; no reference figures). */
  hybrid?: boolean;
}

const STEP_CASES: (StepCase & { key: string })[] = [
  { key: "time", name: "time, N=100", N: 100, conditional: "time", target_ms: 20 },
  { key: "time_delta", name: "time_delta 3-d label, N=100", N: 100, conditional: "time_delta", target_ms: 25 },
  { key: "time1000", name: "time, N=1000", N: 1000, conditional: "time", target_ms: 60 },
  // Hybrid (time_delta behaviour term): only to compare input forms; its targets are time_delta's.
  { key: "hybrid", name: "hybrid time_delta, N=100", N: 100, conditional: "time_delta", target_ms: 25, hybrid: true },
  { key: "hybrid1000", name: "hybrid time_delta, N=1000", N: 1000, conditional: "time_delta", target_ms: 60, hybrid: true },
];

const TRANSFORM_NEURONS = [100, 1000];

/** A step case timed with one window input form ("auto": the trainer's own choice). */
interface StepRun {
  c: StepCase;
  input: InputChoice;
  data: SessionData;
  /** Training steps per session.run. */
  k: number;
  t: ThreadChoice;
}

/** ORT intra-op threads for a step run, and whether its threads spin (`--threads 2s`). */
interface ThreadChoice {
  threads: number;
  spin: boolean;
}

const threadLabel = (t: ThreadChoice): string => `${t.threads}${t.spin ? " (spinning)" : ""}`;

type InputChoice = "auto" | StepInput;

interface StepCaseResult {
  name: string;
  /** The window input form asked for, and the one the step graph used. */
  input: InputChoice;
  input_used: StepInput;
  /** Training steps per session.run. */
  k: number;
  /** ORT intra-op threads (the reference always runs on one). */
  threads: number;
  spinning: boolean;
  N: number;
  conditional: Conditional;
  target_ms: number;
  /** Median over rounds of each round's median step time; p10/p90 over all timed steps. */
  step_ms: Percentiles;
  assemble_ms: number;
  run_ms: number;
  /** Median process CPU time per step (all threads). */
  cpu_ms: number;
  round_medians_ms: number[];
  meets_target: boolean;
  steps_per_round: number;
  /** The reference in the same rounds (timed once per case and round; every input form, K and thread count of the case is compared with it), or null. */
  reference: ReferenceSide | null;
}

/** The reference's figures per round and engine/reference ratios (reference ÷ engine: > 1 = engine faster). */
interface ReferenceSide {
  round_ms: number[];
  round_cpu_ms: number[];
  median_ms: number;
  median_cpu_ms: number;
  round_ratios: number[];
  median_ratio: number;
  round_cpu_ratios: number[];
  median_cpu_ratio: number;
}

interface TransformResult {
  N: number;
  T: number;
  /** Cached session (every call after a model's first in a process). */
  samples_per_s: number;
  round_samples_per_s: number[];
  /** A model's first call (builds the graph, creates the session): per round and median. */
  round_first_call_samples_per_s: number[];
  first_call_samples_per_s: number;
  /** Reference samples/s per round and engine ÷ reference per round (> 1 = engine faster), or null. */
  reference: { round_samples_per_s: number[]; samples_per_s: number; round_ratios: number[]; median_ratio: number } | null;
}

interface BenchOptions {
  rounds: number;
  steps: number;
  warmup: number;
  T: number;
  json: string;
  inputs: InputChoice[];
  reference: string | undefined;
  reference_step: string | undefined;
  /** Step cases to time (keys of STEP_CASES). */
  cases: string[];
  /** Training steps per session.run, each timed as its own run (1: the one-step graph; > 1: the K-step Loop, engine/train/k-steps.ts). */
  k: number[];
  /** ORT intra-op threads per step run, each timed in the same rounds. */
  threads: ThreadChoice[];
  transform: boolean;
}

function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: "string", default: "3" },
      steps: { type: "string", default: "200" },
      warmup: { type: "string", default: "20" },
      T: { type: "string", default: "10000" },
      json: { type: "string", default: "bench/results.json" },
      inputs: { type: "string", default: "auto" },
      reference: { type: "string" },
      "reference-step": { type: "string" },
      cases: { type: "string", default: STEP_CASES.map((c) => c.key).join(",") },
      k: { type: "string", default: "1" },
      threads: { type: "string", default: "1" },
      "no-transform": { type: "boolean", default: false },
    },
  });
  const inputs = values.inputs.split(",").map((x) => x.trim());
  for (const x of inputs) if (!["auto", "windows", "recording", "touched", "positions"].includes(x)) throw new Error(`--inputs: "${x}" is not auto, windows, recording, touched or positions`);
  const cases = values.cases === "none" ? [] : values.cases.split(",").map((x) => x.trim());
  for (const c of cases) if (!STEP_CASES.some((x) => x.key === c)) throw new Error(`--cases: "${c}" is not one of ${STEP_CASES.map((x) => x.key).join(", ")}`);
  const k = values.k.split(",").map(Number);
  if (!k.every((x) => Number.isInteger(x) && x >= 1)) throw new Error(`--k must list positive integers, got ${values.k}`);
  const threads = values.threads.split(",").map((x) => {
    const m = /^(\d+)(s?)$/.exec(x.trim());
    if (!m || Number(m[1]) < 1) throw new Error(`--threads must list positive integers, each optionally followed by "s" (spinning on), got ${values.threads}`);
    return { threads: Number(m[1]), spin: m[2] === "s" };
  });
  return { cases, k, threads, transform: !values["no-transform"], rounds: Number(values.rounds), steps: Number(values.steps), warmup: Number(values.warmup), T: Number(values.T), json: values.json, inputs: inputs as InputChoice[], reference: values.reference, reference_step: values["reference-step"] };
}

const median = (xs: number[]) => percentile(xs, 0.5);

interface StepSamples {
  totals: number[];
  assemble: number[];
  run: number[];
  cpu: number[];
  roundMedians: number[];
  roundCpu: number[];
}

async function timeStepRound({ c, input, data, k, t }: StepRun, o: BenchOptions, acc: StepSamples): Promise<void> {
  const cfg = standardConfig({ conditional: c.conditional, threads: t.threads, hybrid: c.hybrid ?? false });
  const form = input === "auto" ? undefined : input;
  setIntraOpSpinning(t.spin);
  const p = k === 1 ? await profileSteps([data], cfg, o.warmup + o.steps, form) : await profileStepsLoop(data, cfg, o.warmup + o.steps, k, form);
  setIntraOpSpinning(false);
  const assemble = p.assemble_ms.slice(o.warmup);
  const run = p.run_ms.slice(o.warmup);
  const totals = run.map((r, i) => r + assemble[i]);
  acc.totals.push(...totals);
  acc.assemble.push(...assemble);
  acc.run.push(...run);
  acc.cpu.push(...p.cpu_ms.slice(o.warmup));
  acc.roundMedians.push(median(totals));
  acc.roundCpu.push(median(p.cpu_ms.slice(o.warmup)));
}

/** The window input form a step run used (auto: the trainer's choice for the standard configuration). */
function inputUsed(input: InputChoice, data: SessionData, hybrid: boolean): StepInput {
  if (input !== "auto") return input;
  const cfg = standardConfig({ hybrid });
  const shape = { architecture: cfg.model_architecture, n_neurons: data.n_neurons, num_hidden_units: cfg.num_hidden_units, output_dimension: cfg.output_dimension, batch_size: cfg.batch_size, hybrid: cfg.hybrid };
  return chooseStepInput(shape, data.n_samples);
}

/**
 * Samples/s of `transformRecording` over the whole recording, as bench/ref_transform.py times the
 * reference's fitted model: one warm-up call, then the median of three. The warm-up is a first call
 * (encoder sessions cleared before it: it builds the graph and creates the session), timed on its own;
 * the three after it use the cached session, as any later transform of the same model in a process does.
 */
async function timeTransform(N: number, data: SessionData, model: Awaited<ReturnType<typeof runTrainingLoop>>): Promise<{ cached: number; first: number }> {
  await clearEncoderSessions();
  const rates: number[] = [];
  for (let i = 0; i < 4; i++) {
    const t0 = performance.now();
    await transformRecording(model, data.neural, data.n_samples, N, { device: "cpu", threads: 1 });
    rates.push(data.n_samples / ((performance.now() - t0) / 1000));
  }
  return { first: rates[0], cached: median(rates.slice(1)) };
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const command = `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim();
  const machine = machineInfo();
  const runs: StepRun[] = STEP_CASES.filter((c) => o.cases.includes(c.key)).flatMap((c) => {
    const data = benchmarkData(c.N, c.conditional, o.T);
    return o.inputs.flatMap((input) => o.k.flatMap((k) => o.threads.map((t) => ({ c, input, data, k, t }))));
  });
  const stepAcc: StepSamples[] = runs.map(() => ({ totals: [], assemble: [], run: [], cpu: [], roundMedians: [], roundCpu: [] }));
  const transformNeurons = o.transform ? TRANSFORM_NEURONS : [];
  const transformData = transformNeurons.map((N) => benchmarkData(N, "time", o.T));
  const transformModels = await Promise.all(transformData.map((d) => runTrainingLoop([d], standardConfig({ max_iterations: 0 }))));
  const transformRounds: number[][] = transformNeurons.map(() => []);
  const transformFirst: number[][] = transformNeurons.map(() => []);
  const found = findReference(o.reference, o.reference_step);
  const ref: Reference | null = typeof found === "string" ? null : found;
  const referenceNote = typeof found === "string" ? `reference: not run: ${found}` : `reference: CEBRA 0.6.1 from ${found.env_dir} (${found.step_script}), same rounds, each engine case followed by the reference's`;
  process.stderr.write(referenceNote + "\n");
  // The reference's step figures per case (timed once per case and round, after the case's first run).
  const refSteps = new Map<string, { wall: number[]; cpu: number[] }>();
  const refTransforms: number[][] = transformNeurons.map(() => []);

  for (let r = 0; r < o.rounds; r++) {
    for (let i = 0; i < runs.length; i++) {
      await timeStepRound(runs[i], o, stepAcc[i]);
      process.stderr.write(`round ${r + 1}/${o.rounds}: ${runs[i].c.name} (${runs[i].input}, K=${runs[i].k}, threads ${threadLabel(runs[i].t)}): ${fmt(stepAcc[i].roundMedians[r], 2)} ms/step\n`);
      if (ref && !runs[i].c.hybrid && runs[i].input === o.inputs[0] && runs[i].k === o.k[0] && runs[i].t === o.threads[0]) {
        const x = referenceStep(ref, runs[i].c.conditional, runs[i].c.N);
        const rs = refSteps.get(runs[i].c.name) ?? { wall: [], cpu: [] };
        rs.wall.push(x.wall_ms);
        rs.cpu.push(x.cpu_ms);
        refSteps.set(runs[i].c.name, rs);
        process.stderr.write(`round ${r + 1}/${o.rounds}: ${runs[i].c.name} reference: ${fmt(x.wall_ms, 2)} ms/step (CPU ${fmt(x.cpu_ms, 2)})\n`);
      }
    }
    for (let i = 0; i < transformNeurons.length; i++) {
      const x = await timeTransform(transformNeurons[i], transformData[i], transformModels[i]);
      transformRounds[i].push(x.cached);
      transformFirst[i].push(x.first);
      if (ref) refTransforms[i].push(referenceTransform(ref, transformNeurons[i], o.T));
    }
  }

  const steps: StepCaseResult[] = runs.map(({ c, input, data, k, t }, i) => {
    const a = stepAcc[i];
    const all = percentiles(a.totals);
    const step_ms = { ...all, median: median(a.roundMedians) };
    const rs = refSteps.get(c.name);
    const reference = rs?.wall.length ? referenceSide(rs.wall, rs.cpu, a.roundMedians, a.roundCpu) : null;
    return { ...c, k, threads: t.threads, spinning: t.spin, input, input_used: inputUsed(input, data, c.hybrid ?? false), step_ms, assemble_ms: median(a.assemble), run_ms: median(a.run), cpu_ms: median(a.cpu), round_medians_ms: a.roundMedians, meets_target: step_ms.median <= c.target_ms, steps_per_round: o.steps, reference };
  });
  const transforms: TransformResult[] = transformNeurons.map((N, i) => {
    const rt = refTransforms[i];
    const ratios = rt.map((x, r) => transformRounds[i][r] / x);
    const reference = rt.length ? { round_samples_per_s: rt, samples_per_s: median(rt), round_ratios: ratios, median_ratio: median(ratios) } : null;
    return { N, T: o.T, samples_per_s: median(transformRounds[i]), round_samples_per_s: transformRounds[i], round_first_call_samples_per_s: transformFirst[i], first_call_samples_per_s: median(transformFirst[i]), reference };
  });
  const peakRssMb = (process.resourceUsage().maxRSS * 1024) / 2 ** 20;

  const report = { created_at: new Date().toISOString(), command, machine, reference: referenceNote, machine_load_after: machineInfo().loadavg, options: o, config: standardConfig({ max_iterations: 0 }), steps, transforms, peak_rss_mb: peakRssMb };
  fs.mkdirSync(path.dirname(o.json), { recursive: true });
  fs.writeFileSync(o.json, JSON.stringify(report, null, 2));
  process.stdout.write(formatReport(report));
}

/** Reference ÷ engine per round (wall and CPU) and their medians. */
function referenceSide(wall: number[], cpu: number[], engine: number[], engineCpu: number[]): ReferenceSide {
  const ratios = wall.map((x, r) => x / engine[r]);
  const cpuRatios = cpu.map((x, r) => x / engineCpu[r]);
  return { round_ms: wall, round_cpu_ms: cpu, median_ms: median(wall), median_cpu_ms: median(cpu), round_ratios: ratios, median_ratio: median(ratios), round_cpu_ratios: cpuRatios, median_cpu_ratio: median(cpuRatios) };
}

function formatReport(r: { command: string; reference: string; machine: ReturnType<typeof machineInfo>; machine_load_after: number[]; options: BenchOptions; steps: StepCaseResult[]; transforms: TransformResult[]; peak_rss_mb: number }): string {
  const stepTable = textTable(
    ["case", "input", "K", "threads", "median ms/step", "p10", "p90", "sample+windows", "session.run", "CPU ms/step", "target", "ok"],
    r.steps.map((s) => [s.name, s.input === "auto" ? `auto: ${s.input_used}` : s.input, String(s.k), threadLabel({ threads: s.threads, spin: s.spinning }), fmt(s.step_ms.median, 2), fmt(s.step_ms.p10, 2), fmt(s.step_ms.p90, 2), fmt(s.assemble_ms, 2), fmt(s.run_ms, 2), fmt(s.cpu_ms, 2), `≤ ${s.target_ms}`, s.meets_target ? "yes" : "no"]),
  );
  const transformTable = textTable(
    ["transform", "samples/s (median)", "rounds", "first call: samples/s (rounds)", "reference samples/s", "rounds", "engine ÷ reference (median of rounds)", "per round"],
    r.transforms.map((t) => [`T=${t.T}, N=${t.N}`, fmt(t.samples_per_s, 0), t.round_samples_per_s.map((x) => fmt(x, 0)).join(" "), t.round_first_call_samples_per_s.map((x) => fmt(x, 0)).join(" "), fmt(t.reference?.samples_per_s, 0), t.reference?.round_samples_per_s.map((x) => fmt(x, 0)).join(" ") ?? "—", fmt(t.reference?.median_ratio, 2), t.reference?.round_ratios.map((x) => fmt(x, 2)).join(" ") ?? "—"]),
  );
  const withRef = r.steps.filter((s) => s.reference);
  const refTable = textTable(
    ["case", "input", "K", "engine threads", "engine ms/step", "reference ms/step (1 thread)", "reference ÷ engine (median of rounds)", "per round", "CPU: engine", "reference", "ratio (median)"],
    withRef.map((s) => { const x = s.reference as ReferenceSide; return [s.name, s.input, String(s.k), threadLabel({ threads: s.threads, spin: s.spinning }), s.round_medians_ms.map((v) => fmt(v, 1)).join(" "), x.round_ms.map((v) => fmt(v, 1)).join(" "), fmt(x.median_ratio, 2), x.round_ratios.map((v) => fmt(v, 2)).join(" "), fmt(s.cpu_ms, 2), fmt(x.median_cpu_ms, 2), fmt(x.median_cpu_ratio, 2)]; }),
  );
  const m = r.machine;
  return [
    `machine: ${m.cpu_model}, ${m.nproc} cores, ${m.total_memory_gb} GB; load before ${m.loadavg.join(" ")}, after ${r.machine_load_after.join(" ")}`,
    `versions: cebra-mcp ${m.versions.cebra_mcp}, onnxruntime-node ${m.versions.onnxruntime_node}, node ${m.versions.node}`,
    `command: ${r.command}  (rounds ${r.options.rounds}, ${r.options.steps} steps after ${r.options.warmup} warm-up, T = ${r.options.T}, K = ${r.options.k.join(", ")} step(s) per session.run, ORT threads ${r.options.threads.map(threadLabel).join(", ")}; the reference runs on one thread)`,
    "",
    stepTable,
    "",
    r.reference,
    ...(withRef.length ? [refTable, ""] : []),
    transformTable,
    "",
    `peak RSS: ${fmt(r.peak_rss_mb, 0)} MB`,
    `results written to ${r.options.json}`,
    "",
  ].join("\n");
}

// `npm run bench -- sweep …` times a sweep_embeddings job instead (bench/sweep.ts).
if (process.argv[2] === "sweep") await (await import("./sweep.js")).sweepBench(process.argv.slice(3));
else await main();
