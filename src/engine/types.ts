/**
 * Contracts between the parts of the engine (graph builders, sampling, runtime) and the layers above.
 * Changing a field here means updating every user; keep it small and documented.
 */
import type { Device } from "./runtime/devices.js";

export type Distance = "cosine" | "euclidean";
export type TemperatureMode = "constant" | "auto";
export type Conditional = "time" | "time_delta" | "delta" | "discrete" | "mixed";

/** Hyperparameters of one training run (CEBRA sklearn names, snake_case). */
export interface TrainConfig {
  model_architecture: string;
  output_dimension: number;
  num_hidden_units: number;
  batch_size: number;
  max_iterations: number;
  learning_rate: number;
  temperature: number;
  temperature_mode: TemperatureMode;
  /** Lower bound of the learnable temperature (CEBRA default 0.1). */
  min_temperature: number;
  distance: Distance;
  /** How positives are chosen. */
  conditional: Conditional;
  /** Hybrid training: behaviour objective on the first 3 output dims + time objective on all. */
  hybrid: boolean;
  /** Δ (samples) for `time` / `time_delta`. */
  time_offset: number;
  /** σ of the `delta` (normal) conditional. */
  delta?: number;
  /** Discrete prior: "empirical" (uniform over time) or "uniform" (class-balanced). */
  discrete_prior: "empirical" | "uniform";
  seed: number;
  device: Device;
  /** ORT intra-op threads (default 1 on small machines). */
  threads?: number;
  /** Adam betas and epsilon (PyTorch defaults). */
  beta1: number;
  beta2: number;
  eps: number;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  model_architecture: "offset10-model",
  output_dimension: 8,
  num_hidden_units: 32,
  batch_size: 512,
  max_iterations: 1000,
  learning_rate: 3e-4,
  temperature: 1,
  temperature_mode: "constant",
  min_temperature: 0.1,
  distance: "cosine",
  conditional: "time_delta",
  hybrid: false,
  time_offset: 1,
  discrete_prior: "empirical",
  seed: 0,
  device: "auto",
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
};

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
export interface OptimizerState {
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
