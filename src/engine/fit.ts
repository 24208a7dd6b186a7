/**
 * One CEBRA fit of a recording, end to end: choose the training samples and labels (prepare.ts), check
 * them against the model (checks.ts: refuse data that can only train to chance, warn about the rest), train
 * in a worker (train/run.ts), embed the WHOLE recording (transform.ts, one row per sample, so decoders can
 * use any split), and score the model on the held-out samples (evaluate.ts). The shuffled-label control
 * is the same call with `shuffle_labels: true`: same samples, configuration, seed and steps.
 */
import type { Recording } from "../data/recording.js";
import { checkTrainingData } from "./train/checks.js";
import { evaluateInfoNCE, type InfoNCEResult } from "./train/evaluate.js";
import { prepareTraining, trainingConfig, type PrepareOptions, type PreparedTraining } from "./train/prepare.js";
import { trainModel } from "./train/run.js";
import type { CheckpointPolicy, FrozenParams } from "./train/trainer.js";
import { transformRecording } from "./train/transform.js";
import { resolveModel } from "./cebra/architectures.js";
import { configInitParams } from "./cebra/init.js";
import { checkModel, isSupervised } from "./cebra/lookup.js";
import { checkSupervisedRequest, evaluateSupervisedLoss } from "./train/supervised.js";
import { UserError } from "../util/errors.js";
import type { TrainConfig, TrainedModel, TrainProgress } from "./types.js";

export interface FitOptions extends PrepareOptions {
  /** Hyperparameters; `conditional` and `hybrid` are set from the labels (and `delta`), `batch_size` from the data for `full_batch`. */
  config: TrainConfig;
  /** Continue this model (same recording, labels, split and configuration; config.max_iterations counts all steps). */
  resumeFrom?: TrainedModel;
  /** Batches for the held-out InfoNCE (0 skips it). Default 50. */
  evaluate_batches?: number;
  onProgress?: (p: TrainProgress) => void;
  /** Called with the warnings about the training data (checks.ts) before training starts. */
  onWarnings?: (warnings: string[]) => void;
  signal?: AbortSignal;
  /** Checkpoints of the training state (train/trainer.ts `onCheckpoint`), every `checkpointEvery`. */
  onCheckpoint?: (snapshot: TrainedModel) => void;
  checkpointEvery?: CheckpointPolicy;
  /** Start from `source`'s trained encoder (session `session`'s) with a new first layer: CEBRA's adapt (`adaptedStart`). */
  adapt?: { source: TrainedModel; session: number; freeze: boolean };
}

export interface FitResult {
  model: TrainedModel;
  prepared: PreparedTraining;
  /** `[T, D]` for every sample of the recording (rows ≈ T / resample_factor for resample models). */
  embedding: Float32Array;
  embedding_rows: number;
  dim: number;
  /** InfoNCE and goodness of fit on the held-out samples, or null when nothing is held out / skipped. */
  heldout: InfoNCEResult | null;
  /** Supervised models: the mean MSE or cross-entropy on the held-out samples (null when nothing is held out, or a held-out class was not trained). */
  heldout_supervised_loss?: number | null;
  /** What the training data checks warned about (constant units, constant labels). */
  warnings: string[];
}

export async function fitEmbedding(rec: Recording, opts: FitOptions): Promise<FitResult> {
  const prepared = prepareTraining(rec, opts);
  const config: TrainConfig = trainingConfig(prepared, opts.config);
  const warnings = checkTrainingData(rec, prepared, config);
  if (warnings.length) opts.onWarnings?.(warnings);
  // A checkpoint of an adapt run resumes as any run does; the frozen layers stay frozen.
  checkSupervisedRequest({ architecture: config.model_architecture, mode: opts.mode, sessions: 1, adapt: opts.adapt !== undefined, config });
  const adapt = opts.adapt ? adaptedStart(opts.adapt.source, opts.adapt.session, config, rec.n_neurons, opts.adapt.freeze) : null;
  const model = await trainModel([prepared.session], config, {
    onProgress: opts.onProgress, signal: opts.signal, resumeFrom: opts.resumeFrom ?? adapt?.start, onCheckpoint: opts.onCheckpoint, checkpointEvery: opts.checkpointEvery, frozen: adapt?.frozen,
  });
  const embedding = await transformRecording(model, rec.neural, rec.n_samples, rec.n_neurons);
  const dim = config.output_dimension;
  const batches = opts.evaluate_batches ?? 50;
  let heldout: InfoNCEResult | null = null;
  // Supervised models have no InfoNCE to score (their held-out loss: evaluateSupervisedLoss).
  if (batches > 0 && prepared.heldout && !opts.signal?.aborted && !isSupervised(config.model_architecture) && prepared.heldout.n_samples > model.architecture.receptive_field + config.time_offsets) {
    heldout = await evaluateInfoNCE(model, prepared.heldout, { num_batches: batches });
  }
  const supervised = isSupervised(config.model_architecture) ? { heldout_supervised_loss: await heldoutSupervisedLoss(model, prepared, batches, warnings, opts.signal) } : {};
  return { model, prepared, embedding, embedding_rows: embedding.length / dim, dim, heldout, ...supervised, warnings };
}

/**
 * A supervised model's held-out loss over `batches` batches, or null when nothing (long enough) is held
 * out or the held-out labels have a class the training samples lack (then a warning says so).
 */
async function heldoutSupervisedLoss(model: TrainedModel, prepared: PreparedTraining, batches: number, warnings: string[], signal?: AbortSignal): Promise<number | null> {
  const h = prepared.heldout;
  if (batches <= 0 || !h || signal?.aborted || h.n_samples < model.architecture.receptive_field) return null;
  try {
    return await evaluateSupervisedLoss(model, h, batches);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    warnings.push(`No held-out loss: ${e.problem}`);
    return null;
  }
}

/** One multi-session fit: per session (in the order of the recordings) what `FitResult` holds for one. */
export interface MultiFitResult {
  model: TrainedModel;
  prepared: PreparedTraining[];
  embeddings: { data: Float32Array; rows: number }[];
  dim: number;
  heldout: (InfoNCEResult | null)[];
  warnings: string[];
}

/**
 * CEBRA's multi-session fit (algorithm §3.4): one encoder per recording into one embedding space,
 * positives searched across sessions by label. Each recording is prepared (split, labels, optional
 * shuffle) exactly as a single-session fit prepares it; the labels must be continuous of one dimension
 * (or discrete) in every session, mode behavior. Each session is embedded and scored with its own encoder.
 */
export async function fitSessions(recs: Recording[], opts: FitOptions & { names?: string[] }): Promise<MultiFitResult> {
  const names = opts.names ?? recs.map((_, i) => `session ${i}`);
  if (opts.mode !== "behavior") {
    throw new UserError(`Multi-session training aligns sessions by their labels, so it needs mode 'behavior', not '${opts.mode}' (CEBRA has no time-only or hybrid multi-session training).`, "Pass mode: 'behavior' with labels every session has, or train each recording separately.");
  }
  // A recording that lacks the labels (or a split) fails naming which one.
  const prepared = recs.map((r, i) => {
    try {
      return prepareTraining(r, opts);
    } catch (e) {
      throw e instanceof UserError ? new UserError(`${names[i]}: ${e.problem}`, e.fix, e.code) : e;
    }
  });
  prepared.forEach((p, i) => {
    const a = prepared[0];
    const dim = (q: PreparedTraining) => q.session.continuous?.dim ?? 1;
    if (p.label_kind !== a.label_kind || dim(p) !== dim(a)) {
      throw new UserError(
        `The sessions' labels do not match: ${names[i]} has ${p.label_description}, ${names[0]} has ${a.label_description}; positives are matched across sessions by label, so every session needs the same labels of the same dimension.`,
        "Pass labels every recording has with the same dimension (frame_features of the same movie, or the same column names), or train the recordings separately.",
      );
    }
  });
  const warnings: string[] = [];
  prepared.forEach((p, i) => checkTrainingData(recs[i], p, opts.config).forEach((w) => warnings.push(`${names[i]}: ${w}`)));
  if (warnings.length) opts.onWarnings?.(warnings);
  if (opts.config.delta !== undefined) {
    throw new UserError(
      "delta positives are single-session only: multi-session training finds each positive across sessions by time_delta, as CEBRA's multi-session sampler does.",
      "Leave delta unset for recording_ids, or train one recording with delta.",
    );
  }
  const config: TrainConfig = { ...opts.config, conditional: prepared[0].conditional, hybrid: false };
  const model = await trainModel(prepared.map((p) => p.session), config, {
    onProgress: opts.onProgress, signal: opts.signal, resumeFrom: opts.resumeFrom, onCheckpoint: opts.onCheckpoint, checkpointEvery: opts.checkpointEvery,
  });
  const dim = config.output_dimension;
  const embeddings: MultiFitResult["embeddings"] = [];
  const heldout: (InfoNCEResult | null)[] = [];
  const batches = opts.evaluate_batches ?? 50;
  for (let s = 0; s < recs.length; s++) {
    const r = recs[s];
    const data = await transformRecording(model, r.neural, r.n_samples, r.n_neurons, { session_id: s });
    embeddings.push({ data, rows: data.length / dim });
    const h = prepared[s].heldout;
    heldout.push(batches > 0 && h && !opts.signal?.aborted && h.n_samples > model.architecture.receptive_field + config.time_offsets
      ? await evaluateInfoNCE(model, h, { num_batches: batches, session_id: s }) : null);
  }
  return { model, prepared, embeddings, dim, heldout, warnings };
}

/**
 * CEBRA's `fit(..., adapt=True)` for a new recording with `nNeurons` units: the trained encoder's layers
 * after the first (weight and bias) are copied from `source` (its session `session` encoder), the first
 * layer and the temperature start as a fresh model of `cfg` starts; Adam starts from zero. Returned as a
 * step-0 model to start training from (`resumeFrom`), and, when `freeze`, the copied layers as
 * `frozen` (CEBRA freezes them; with `freeze` false every layer trains).
 */
export function adaptedStart(source: TrainedModel, session: number, cfg: TrainConfig, nNeurons: number, freeze: boolean): { start: TrainedModel; frozen?: FrozenParams } {
  const sc = source.config;
  const shape = { architecture: sc.model_architecture, num_hidden_units: sc.num_hidden_units, output_dimension: sc.output_dimension };
  const infos = (n: number) => { const { spec, dims } = checkModel({ ...shape, n_neurons: n }); return resolveModel(spec, dims).params; };
  const oldInfos = infos(source.n_neurons[session]);
  const newInfos = infos(nNeurons);
  const oldBody = oldInfos[2].offset;
  const newBody = newInfos[2].offset;
  const bodyLength = oldInfos[oldInfos.length - 1].offset + oldInfos[oldInfos.length - 1].size - oldBody;
  const params = configInitParams(cfg, nNeurons);
  const body = source.params[session].slice(oldBody, oldBody + bodyLength);
  params.set(body, newBody);
  const zeros = new Float32Array(params.length);
  const start: TrainedModel = {
    config: { ...cfg }, architecture: source.architecture, n_neurons: [nNeurons], params: [params],
    optimizer: [{ step: 0, m: zeros, v: zeros.slice() }], log: { total: [], align: [], uniform: [], temperature: [] },
    device_used: source.device_used, device_notes: [], wall_time_s: 0, steps_done: 0, cancelled: false,
  };
  return { start, ...(freeze ? { frozen: { offset: newBody, values: body } } : {}) };
}
