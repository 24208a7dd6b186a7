/**
 * The CEBRA training loop on ONNX Runtime.
 *
 * Each step: the sampler draws reference / positive / negative sample indices → their windows are copied
 * into preallocated inputs, or only their recording rows are written where the graph reads the
 * recording itself (batches.ts; one per session) → the step graph computes the InfoNCE loss, its
 * gradient and an Adam update in one `session.run` → the new parameters and moments are fed back.
 * One session trains one encoder; several sessions train one encoder each with positives searched
 * across sessions (CEBRA's multi-session training).
 * Adam's bias corrections are computed on the host (step_size = lr/(1−β1^t), bc2_sqrt = √(1−β2^t)).
 *
 * `trainModel` (run.ts) runs this loop in a worker thread; cancellation is a callback checked between
 * steps, progress is reported at least every `progressIntervalMs`.
 *
 * Resume is exact: parameters, Adam moments and the step counter continue, and the sampler and the
 * dropout masks (both seeded by `cfg.seed`, both drawn by `nextBatch`) are fast-forwarded past the saved
 * steps (`skipBatches`), so N steps + resume M steps draws the same batches and masks and gives the same
 * model as N+M steps.
 */
import type * as ort from "onnxruntime-node";
import { UserError } from "../../util/errors.js";
import { createTrainingProblem, type TrainingProblem } from "./batches.js";
import { getArchitecture, isSupervised } from "../cebra/lookup.js";
import { supervisedLabelNum, supervisedProblem, supervisedTargets } from "./supervised.js";
import type { StepInput } from "../cebra/step.js";
import type { ResolvedDevice } from "../runtime/devices.js";
import { createSession, f32, outputData, scalar } from "../runtime/sessions.js";
import type { ArchitectureInfo, SessionData, TrainConfig, TrainedModel, TrainLog, TrainProgress } from "../types.js";

/** Losses of one step, as the step graph reports them. */
interface StepLosses {
  loss: number;
  align: number;
  uniform: number;
  temperature: number;
}

/** The trainable state as the step graph sees it: flat parameters (all encoders, then θ), Adam moments, steps taken. */
export interface OptimState {
  params: Float32Array;
  m: Float32Array;
  v: Float32Array;
  step: number;
}

interface TrainerOptions {
  /** Continue from this model's parameters, Adam moments, step count and log. */
  resumeFrom?: TrainedModel;
  /** Called at least every `progressIntervalMs` and after the last step. */
  onProgress?: (p: TrainProgress) => void;
  /** Checked before every step; returning true stops training (the model so far is returned, cancelled = true). */
  shouldStop?: () => boolean;
  /** Milliseconds clock (default `performance.now`); injectable so progress cadence is testable. */
  now?: () => number;
  /** Default 500 ms. */
  progressIntervalMs?: number;
  /**
   * Called with the state so far (a model, `cancelled: false`, that `resumeFrom` continues exactly) every
   * `checkpointEvery.steps` steps or `.seconds` seconds, whichever comes first; not after the last step.
   */
  onCheckpoint?: (snapshot: TrainedModel) => void;
  checkpointEvery?: CheckpointPolicy;
  /** Parameters kept fixed: after every step the flat vector's `values.length` entries from `offset` are set back (CEBRA adapt's frozen layers). */
  frozen?: FrozenParams;
}

/** A slice of the flat parameter vector that training does not change. */
export interface FrozenParams {
  offset: number;
  values: Float32Array;
}

/** How often training hands out a checkpoint (whichever limit is reached first). */
export interface CheckpointPolicy {
  steps: number;
  seconds: number;
}

/** Runs the Adam step graph and feeds its outputs back into an OptimState. */
export class AdamStepRunner {
  constructor(
    private readonly session: ort.InferenceSession,
    private readonly cfg: Pick<TrainConfig, "learning_rate" | "beta1" | "beta2">,
  ) {}

  /** One optimisation step on a batch's inputs; advances `state` in place and returns the step's losses. */
  async step(batch: Record<string, ort.Tensor>, state: OptimState): Promise<StepLosses> {
    const t = state.step + 1;
    const P = state.params.length;
    const out = await this.session.run({
      ...batch,
      params: f32(state.params, [P]),
      m: f32(state.m, [P]),
      v: f32(state.v, [P]),
      step_size: scalar(this.cfg.learning_rate / (1 - this.cfg.beta1 ** t)),
      bc2_sqrt: scalar(Math.sqrt(1 - this.cfg.beta2 ** t)),
    });
    state.params = outputData(out, "new_params");
    state.m = outputData(out, "new_m");
    state.v = outputData(out, "new_v");
    state.step = t;
    return readLosses(out);
  }
}

/** The scalar loss outputs shared by the "step" and "loss" graphs. */
export function readLosses(out: ort.InferenceSession.OnnxValueMapType): StepLosses {
  return {
    loss: outputData(out, "loss")[0],
    align: outputData(out, "align")[0],
    uniform: outputData(out, "uniform")[0],
    temperature: outputData(out, "temperature")[0],
  };
}

/**
 * Fast-forward a freshly seeded problem past the batches of `steps` already-taken steps, so a resumed run
 * draws exactly what an uninterrupted run would (costs sampling and window copies, no graph runs).
 */
function skipBatches(problem: TrainingProblem, steps: number): void {
  for (let i = 0; i < steps; i++) problem.nextBatch();
}

/** Throttles progress reports and computes the rate and ETA from the steps of this run. */
class ProgressMeter {
  private readonly start: number;
  private lastReport = -Infinity;

  constructor(
    private readonly now: () => number,
    private readonly intervalMs: number,
    private readonly firstStep: number,
    private readonly totalSteps: number,
    private readonly priorElapsedS: number,
  ) {
    this.start = now();
  }

  /** The progress record for `step`, or null if the last report is more recent than the interval. */
  maybeReport(step: number, losses: StepLosses, force: boolean): TrainProgress | null {
    const t = this.now();
    if (!force && t - this.lastReport < this.intervalMs) return null;
    this.lastReport = t;
    const runS = (t - this.start) / 1000;
    const stepsPerS = runS > 0 ? (step - this.firstStep) / runS : 0;
    return {
      step,
      total_steps: this.totalSteps,
      loss: losses.loss,
      align: losses.align,
      uniform: losses.uniform,
      temperature: losses.temperature,
      steps_per_s: stepsPerS,
      eta_s: stepsPerS > 0 ? (this.totalSteps - step) / stepsPerS : Infinity,
      elapsed_s: this.priorElapsedS + runS,
    };
  }

  elapsedS(): number {
    return this.priorElapsedS + (this.now() - this.start) / 1000;
  }
}

/** Check the data against the model before any graph is built; every problem is a UserError. */
function validateTrainingInput(sessions: SessionData[], cfg: TrainConfig, arch: ArchitectureInfo): void {
  if (sessions.length < 1) throw new UserError("Training got no sessions.", "Pass at least one session's data.");
  if (!Number.isInteger(cfg.max_iterations) || cfg.max_iterations < 0) {
    throw new UserError(`max_iterations must be a non-negative integer, got ${cfg.max_iterations}.`, "Pass e.g. max_iterations = 5000.");
  }
  sessions.forEach((s, i) => validateSession(s, i, arch));
}

function validateSession(s: SessionData, i: number, arch: ArchitectureInfo): void {
  const name = `session ${i}`;
  if (s.neural.length !== s.n_samples * s.n_neurons) {
    throw new Error(`${name}: neural has ${s.neural.length} values, expected T·N = ${s.n_samples}·${s.n_neurons}.`);
  }
  if (s.n_samples < arch.receptive_field) {
    throw new UserError(
      `${name} has ${s.n_samples} samples, fewer than the ${arch.receptive_field}-sample receptive field of ${arch.name}.`,
      "Use more samples or a model with a smaller receptive field (e.g. offset1-model).",
    );
  }
  const bad = s.neural.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) {
    throw new UserError(
      `${name}: neural data has a non-finite value (${s.neural[bad]}) at sample ${Math.floor(bad / s.n_neurons)}, unit ${bad % s.n_neurons}.`,
      "Remove or impute NaN/Inf values before training (e.g. a NaN policy when loading).",
    );
  }
}

/** The TrainConfig fields a resumed run may change (everything else defines the trajectory). */
const RESUMABLE_CHANGES: ReadonlySet<keyof TrainConfig> = new Set(["max_iterations", "device", "threads"]);

function checkResumeCompatible(prev: TrainedModel, cfg: TrainConfig, sessions: SessionData[]): void {
  const keys = new Set([...Object.keys(prev.config), ...Object.keys(cfg)]) as Set<keyof TrainConfig>;
  const changed = [...keys].filter((k) => !RESUMABLE_CHANGES.has(k) && prev.config[k] !== cfg[k]);
  if (changed.length) {
    throw new UserError(
      `Cannot resume: the configuration differs from the saved model in ${changed.map((k) => `${k} (${prev.config[k]} → ${cfg[k]})`).join(", ")}.`,
      "Resume with the saved model's configuration; only max_iterations, device and threads may change.",
    );
  }
  const neurons = sessions.map((s) => s.n_neurons);
  if (neurons.join() !== prev.n_neurons.join()) {
    throw new UserError(`Cannot resume: the data has ${neurons.join("/")} neurons, the model was trained on ${prev.n_neurons.join("/")}.`, "Resume on the same recording (same units).");
  }
  if (isSupervised(cfg.model_architecture)) {
    const [had, has] = [supervisedLabelNum(prev), supervisedTargets(sessions[0]).label_num];
    if (had !== has) {
      throw new UserError(
        `Cannot resume: the model's classifier head has ${had} outputs, the labels give ${has} (label dimensions or classes).`,
        "Resume with the labels the model was trained on (same columns; for discrete labels the same classes).",
      );
    }
  }
  if (prev.steps_done > cfg.max_iterations) {
    throw new UserError(`Cannot resume: the model already has ${prev.steps_done} steps, more than max_iterations = ${cfg.max_iterations}.`, `Set max_iterations above ${prev.steps_done} (it counts all steps, including the saved ones).`);
  }
}

function initialState(problem: TrainingProblem, resume?: TrainedModel): OptimState {
  if (resume) {
    const join = (parts: Float32Array[]) => problem.join(parts.map((p) => p.slice()));
    return { params: join(resume.params), m: join(resume.optimizer.map((o) => o.m)), v: join(resume.optimizer.map((o) => o.v)), step: resume.optimizer[0].step };
  }
  const params = problem.initParams();
  return { params, m: new Float32Array(params.length), v: new Float32Array(params.length), step: 0 };
}

function copyLog(log?: TrainLog): TrainLog {
  return { total: [...(log?.total ?? [])], align: [...(log?.align ?? [])], uniform: [...(log?.uniform ?? [])], temperature: [...(log?.temperature ?? [])] };
}

function appendLog(log: TrainLog, l: StepLosses): void {
  log.total.push(l.loss);
  log.align.push(l.align);
  log.uniform.push(l.uniform);
  log.temperature.push(l.temperature);
}

/** Everything one training run needs, built once: the problem (graph, sampler, inputs) and its session. */
interface TrainingSetup {
  arch: ArchitectureInfo;
  problem: TrainingProblem;
  session: ort.InferenceSession;
  device_used: ResolvedDevice;
  device_notes: string[];
  runner: AdamStepRunner;
}

/**
 * Build the training problem and start its step-graph session on the configured device. `input` forces
 * the single-session window input form (default: the cheaper one, `chooseStepInput`).
 */
async function setupTraining(sessions: SessionData[], cfg: TrainConfig, input?: StepInput): Promise<TrainingSetup> {
  const arch = getArchitecture(cfg.model_architecture);
  validateTrainingInput(sessions, cfg, arch);
  const problem = isSupervised(arch.name) ? supervisedProblem(sessions, cfg, arch) : createTrainingProblem(sessions, cfg, arch, input);
  const { session, device_used, notes } = await createSession(problem.onnx, { device: cfg.device, threads: cfg.threads });
  return { arch, problem, session, device_used, device_notes: notes, runner: new AdamStepRunner(session, cfg) };
}

/**
 * Train for `cfg.max_iterations` steps in total (a resumed model's steps count towards it): one session
 * trains one encoder, several sessions one encoder each (multi-session). Runs on the calling thread; use
 * `trainModel` (run.ts) to run it in a worker. `wall_time_s` accumulates over resumed runs.
 */
export async function runTrainingLoop(sessions: SessionData[], cfg: TrainConfig, opts: TrainerOptions = {}): Promise<TrainedModel> {
  if (opts.resumeFrom) checkResumeCompatible(opts.resumeFrom, cfg, sessions);
  const setup = await setupTraining(sessions, cfg);
  try {
    const { problem } = setup;
    const state = initialState(problem, opts.resumeFrom);
    if (state.params.length !== problem.param_count) {
      throw new Error(`Parameter vector has ${state.params.length} values; the step graph expects ${problem.param_count}.`);
    }
    skipBatches(problem, state.step);
    const log = copyLog(opts.resumeFrom?.log);
    const now = opts.now ?? (() => performance.now());
    const meter = new ProgressMeter(now, opts.progressIntervalMs ?? 500, state.step, cfg.max_iterations, opts.resumeFrom?.wall_time_s ?? 0);
    let cancelled = false;
    const every = opts.checkpointEvery;
    let lastCheckpoint = { step: state.step, t: opts.onCheckpoint ? now() : 0 };
    while (state.step < cfg.max_iterations) {
      if (opts.shouldStop?.()) {
        cancelled = true;
        break;
      }
      const losses = await setup.runner.step(problem.nextBatch(), state);
      if (opts.frozen) state.params.set(opts.frozen.values, opts.frozen.offset);
      checkFinite(losses, state.step);
      appendLog(log, losses);
      const p = meter.maybeReport(state.step, losses, state.step === cfg.max_iterations);
      if (p) opts.onProgress?.(p);
      if (opts.onCheckpoint && every && state.step < cfg.max_iterations
        && (state.step - lastCheckpoint.step >= every.steps || now() - lastCheckpoint.t >= every.seconds * 1000)) {
        const copy = { params: state.params.slice(), m: state.m.slice(), v: state.v.slice(), step: state.step };
        opts.onCheckpoint(modelOf(setup, sessions, cfg, copy, copyLog(log), meter.elapsedS(), false));
        lastCheckpoint = { step: state.step, t: now() };
      }
    }
    return modelOf(setup, sessions, cfg, state, log, meter.elapsedS(), cancelled);
  } finally {
    await setup.session.release();
  }
}

/** The model of a training state (its arrays are the state's own: copy a state that will change). */
function modelOf(setup: TrainingSetup, sessions: SessionData[], cfg: TrainConfig, state: OptimState, log: TrainLog, wallTimeS: number, cancelled: boolean): TrainedModel {
  const { problem } = setup;
  const m = problem.split(state.m);
  const v = problem.split(state.v);
  return {
    config: { ...cfg },
    architecture: setup.arch,
    n_neurons: sessions.map((s) => s.n_neurons),
    params: problem.split(state.params),
    optimizer: m.map((ms, s) => ({ step: state.step, m: ms, v: v[s] })),
    log,
    device_used: setup.device_used,
    device_notes: setup.device_notes,
    wall_time_s: wallTimeS,
    steps_done: state.step,
    cancelled,
  };
}

function checkFinite(l: StepLosses, step: number): void {
  if (!Number.isFinite(l.loss)) {
    throw new UserError(
      `Training diverged: the loss is ${l.loss} at step ${step}.`,
      "Lower learning_rate, z-score the neural data, or drop units that are constant (a zero window cannot be normalised).",
    );
  }
}

/** Per-step timings and results of a short training run (benchmarks and the GPU check). */
export interface StepProfile {
  /** Milliseconds per step spent sampling and copying windows into X (or writing their row indices). */
  assemble_ms: number[];
  /** Milliseconds per step inside `session.run` (graph execution plus input/output copies). */
  run_ms: number[];
  /** Process CPU milliseconds (user + system, all threads) per step: less sensitive to a loaded machine than wall time. */
  cpu_ms: number[];
  losses: StepLosses[];
  /** Parameters after the last step. */
  params: Float32Array;
  device_used: ResolvedDevice;
  device_notes: string[];
}

/**
 * Run `steps` training steps from the initialisation, timing the two halves of every step.
 * Same setup, batches and updates as `runTrainingLoop`, so trajectories are comparable across devices;
 * `input` forces a window input form (see `setupTraining`).
 */
export async function profileSteps(sessions: SessionData[], cfg: TrainConfig, steps: number, input?: StepInput): Promise<StepProfile> {
  const setup = await setupTraining(sessions, cfg, input);
  try {
    const state = initialState(setup.problem);
    const profile: StepProfile = { assemble_ms: [], run_ms: [], cpu_ms: [], losses: [], params: state.params, device_used: setup.device_used, device_notes: setup.device_notes };
    for (let i = 0; i < steps; i++) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const batch = setup.problem.nextBatch();
      const t1 = performance.now();
      profile.losses.push(await setup.runner.step(batch, state));
      profile.assemble_ms.push(t1 - t0);
      profile.run_ms.push(performance.now() - t1);
      const cpu = process.cpuUsage(cpu0);
      profile.cpu_ms.push((cpu.user + cpu.system) / 1000);
    }
    profile.params = state.params;
    return profile;
  } finally {
    await setup.session.release();
  }
}
