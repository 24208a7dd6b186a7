/**
 * Contracts between the parts of the engine (graph builders, sampling, runtime) and the layers above.
 * Changing a field here means updating every user; keep it small and documented.
 */
import { z } from "zod";
import { DEVICES } from "./runtime/devices.js";

/**
 * Hyperparameters of one training run (CEBRA sklearn names, snake_case), as ONE zod schema: the engine's
 * `TrainConfig` type, the train_embedding tool's input (src/app/train.ts picks the user-facing fields)
 * and the job and model records are all derived from it. Descriptions are written for a model reading
 * the tool schema. Defaults are the engine's (the tool overrides max_iterations).
 */
export const TRAIN_CONFIG_SCHEMA = z.object({
  model_architecture: z.string().min(1).max(64).default("offset10-model").describe("CEBRA model (offsetN: N-sample window)."),
  output_dimension: z.number().int().min(2).max(128).default(8).describe("Embedding dimensions."),
  num_hidden_units: z.number().int().min(4).max(512).default(32).describe("Channels per hidden layer."),
  batch_size: z.number().int().min(16).max(4096).default(512).describe("Samples (and negatives) per step."),
  max_iterations: z.number().int().min(1).max(100_000).default(1000).describe("Training steps (paper: 10000)."),
  learning_rate: z.number().positive().max(1).default(3e-4).describe("Adam learning rate."),
  temperature: z.number().positive().max(100).default(1).describe("InfoNCE temperature (initial if auto)."),
  temperature_mode: z.enum(["constant", "auto"]).default("constant").describe("auto: learnable, ≥ min_temperature."),
  min_temperature: z.number().positive().max(10).default(0.1).describe("Floor of the learnable temperature."),
  distance: z.enum(["cosine", "euclidean"]).default("cosine").describe("cosine (unit sphere) or negative squared euclidean."),
  /** How positives are chosen (set from the training mode and labels, not by users directly). */
  conditional: z.enum(["time", "time_delta", "delta", "discrete", "mixed"]).default("time_delta"),
  /** Hybrid training: behaviour objective on the first 3 output dims + time objective on all. */
  hybrid: z.boolean().default(false),
  time_offsets: z.number().int().min(1).max(1000).default(1).describe("Time-positive offset in samples (also label deltas)."),
  /** σ of the `delta` (normal) conditional. */
  delta: z.number().positive().optional(),
  /** Discrete prior: "empirical" (uniform over time) or "uniform" (class-balanced). */
  discrete_prior: z.enum(["empirical", "uniform"]).default("empirical"),
  /**
   * Which occurrence of an exactly repeated nearest label is the positive: "first" (lowest sample index,
   * CEBRA's torch.argmin) or "random" (uniform over the occurrences). docs/FAITHFULNESS.md.
   */
  positive_ties: z.enum(["random", "first"]).default("random"),
  /** CEBRA's full-batch mode (batch_size None): every sample is a reference each step; batch_size is set from the data. */
  full_batch: z.boolean().default(false),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(0).describe("Random seed (reproducible)."),
  device: z.enum(DEVICES).default("auto").describe("auto: CUDA, WebGPU, else CPU."),
  threads: z.number().int().min(1).max(64).optional().describe("CPU threads (default: half the cores, 1–4)."),
  /** Adam betas and epsilon (PyTorch defaults). */
  beta1: z.number().default(0.9),
  beta2: z.number().default(0.999),
  eps: z.number().default(1e-8),
});

export type TrainConfig = z.output<typeof TRAIN_CONFIG_SCHEMA>;
export type Distance = TrainConfig["distance"];
export type TemperatureMode = TrainConfig["temperature_mode"];
export type Conditional = TrainConfig["conditional"];
export type PositiveTies = TrainConfig["positive_ties"];

export const DEFAULT_TRAIN_CONFIG: TrainConfig = TRAIN_CONFIG_SCHEMA.parse({});

/** One session's training data (neural plus the labels its conditional needs). */
export interface SessionData {
  /** `[T, N]` float32 time-major. */
  neural: Float32Array;
  n_samples: number;
  n_neurons: number;
  /** `[T, dim]` continuous labels (behaviour / frame features). */
  continuous?: { data: Float32Array; dim: number };
  /** `[T]` discrete labels. */
  discrete?: Int32Array;
}

/** Static facts about an architecture (from `models/`). */
export interface ArchitectureInfo {
  name: string;
  /** Window [i - left, i + right) around sample i. */
  left: number;
  right: number;
  /** left + right = samples the model sees per output. */
  receptive_field: number;
  /** Output is L2-normalised (cosine geometry). */
  normalize: boolean;
  /** Time subsampling factor of the output (4 for the Neuropixels model), else 1. */
  resample_factor: number;
  description: string;
}

/** Per-step log, one entry per step (CEBRA's `solver.log`). */
export interface TrainLog {
  total: number[];
  align: number[];
  uniform: number[];
  temperature: number[];
}

export interface TrainProgress {
  step: number;
  total_steps: number;
  loss: number;
  align: number;
  uniform: number;
  temperature: number;
  steps_per_s: number;
  eta_s: number;
  elapsed_s: number;
}

/** Adam state, resumable. */
interface OptimizerState {
  step: number;
  m: Float32Array;
  v: Float32Array;
}

/** A trained model as the runtime hands it back. */
export interface TrainedModel {
  config: TrainConfig;
  architecture: ArchitectureInfo;
  /** Input neurons per session. */
  n_neurons: number[];
  /** Flat parameter vector per session encoder (plus the learnable temperature as the last element when temperature_mode = auto). */
  params: Float32Array[];
  optimizer: OptimizerState[];
  log: TrainLog;
  device_used: "cpu" | "cuda" | "webgpu";
  /** Why other devices were skipped (for `auto`), or notes about the chosen one. */
  device_notes: string[];
  wall_time_s: number;
  steps_done: number;
  /** True if training stopped early because it was cancelled (the model is still usable). */
  cancelled: boolean;
}

/** Fields later models record; a stored model without them was trained with these values. */
const BEFORE_FAITHFULNESS_OPTIONS = { positive_ties: "random", full_batch: false } as const;

/**
 * A TrainConfig read back from a stored model; models saved before `time_offsets` took CEBRA's name stored
 * `time_offset`, and models saved before the faithfulness options lack `positive_ties` and `full_batch`.
 */
export function storedTrainConfig(
  stored: OldTrainConfig | (Omit<OldTrainConfig, "time_offsets"> & { time_offset: number }),
): TrainConfig {
  const filled = { ...BEFORE_FAITHFULNESS_OPTIONS, ...stored };
  if (!("time_offset" in filled)) return filled;
  const { time_offset, ...rest } = filled;
  return { ...rest, time_offsets: time_offset };
}

type OldTrainConfig = Omit<TrainConfig, keyof typeof BEFORE_FAITHFULNESS_OPTIONS> & Partial<Pick<TrainConfig, keyof typeof BEFORE_FAITHFULNESS_OPTIONS>>;
