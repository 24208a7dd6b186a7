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
import type { CheckpointPolicy } from "./train/trainer.js";
import { transformRecording } from "./train/transform.js";
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
  /** What the training data checks warned about (constant units, constant labels). */
  warnings: string[];
}

export async function fitEmbedding(rec: Recording, opts: FitOptions): Promise<FitResult> {
  const prepared = prepareTraining(rec, opts);
  const config: TrainConfig = trainingConfig(prepared, opts.config);
  const warnings = checkTrainingData(rec, prepared, config);
  if (warnings.length) opts.onWarnings?.(warnings);
  const model = await trainModel([prepared.session], config, {
    onProgress: opts.onProgress, signal: opts.signal, resumeFrom: opts.resumeFrom, onCheckpoint: opts.onCheckpoint, checkpointEvery: opts.checkpointEvery,
  });
  const embedding = await transformRecording(model, rec.neural, rec.n_samples, rec.n_neurons);
  const dim = config.output_dimension;
  const batches = opts.evaluate_batches ?? 50;
  let heldout: InfoNCEResult | null = null;
  if (batches > 0 && prepared.heldout && !opts.signal?.aborted && prepared.heldout.n_samples > model.architecture.receptive_field + config.time_offsets) {
    heldout = await evaluateInfoNCE(model, prepared.heldout, { num_batches: batches });
  }
  return { model, prepared, embedding, embedding_rows: embedding.length / dim, dim, heldout, warnings };
}
