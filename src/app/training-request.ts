/** What a training job runs from (train.ts builds it, multisession.ts reads it): a module of its own so neither imports the other for it. */
import type { LabelSource, TrainingMode } from "../engine/train/prepare.js";
import type { TrainConfig } from "../engine/types.js";
import type { ImportedFrom } from "./cebra-import.js";

/** A training request as the job runs it (and records it in the job's params): TrainingArgs with the full TrainConfig. */
export interface TrainingRequest {
  /** The recording (multi-session: the first of `recording_ids`). */
  recording_id: string;
  /** Multi-session training (src/app/multisession.ts): the recordings, one encoder each, in this order. */
  recording_ids?: string[];
  /** Start from this model's trained encoder (session 0's) with a new first layer (CEBRA's adapt); `adapt_frozen`: only that layer trains. */
  adapt_from?: string;
  adapt_frozen?: boolean;
  mode: TrainingMode;
  labels?: LabelSource;
  config: TrainConfig;
  train_repeats?: number[];
  train_fraction?: number;
  /** Also train the shuffled-label control (doubles the cost). */
  shuffled_control: boolean;
  /**
   * Continue a stored model for `config.max_iterations` more steps from its saved Adam state. Its recording,
   * mode, labels, split and hyperparameters are reused (only the step count and device may change); the
   * result is a new model artifact, the old one stays.
   */
  resume_from?: string;
  /** resume_from is a CEBRA checkpoint (app/cebra-import.ts): what was checked at submission (its copy in the workspace's imports/ folder is named by the sha256). */
  imported?: ImportedFrom;
}
