/**
 * What the demo's plain run and its `--full` curve share: training a model (and its shuffled-label twin)
 * through the job registry, as the train_embedding tool does, and waiting for it; and the tool's own
 * training defaults, so the demo can state where its settings differ.
 */
import { startTrainingJob, TRAINING_ARGS_SCHEMA, type TrainingResult } from "../app/train.js";
import type { PositiveTies, TrainConfig } from "../engine/types.js";
import type { JobRegistry } from "../store/jobs.js";
import type { RecordingStore } from "../store/recordings.js";
import type { Workspace } from "../store/workspace.js";
import { UserError } from "../util/errors.js";

export interface DemoDeps {
  workspace: Workspace;
  recordings: RecordingStore;
  jobs: JobRegistry;
}

/** Demo training settings: the paper's 2P model and defaults, with fewer steps so the demo fits in 2 minutes on 2 cores. */
export const DEMO_TRAINING_DEFAULTS = {
  steps: 800,
  learning_rate: 1e-3,
  seed: 0,
  /**
   * The demo's figures and the built-in experiment's tables (docs/BUILTIN.md) were measured with `random`;
   * at the demo's 800 steps the two rules are within the spread of training seeds (docs/FAITHFULNESS.md).
   */
  positive_ties: "random" as PositiveTies,
};

/** train_embedding's defaults for the settings the demo changes. */
export const TOOL_DEFAULTS = {
  steps: TRAINING_ARGS_SCHEMA.shape.max_iterations.parse(undefined) as number,
  learning_rate: TRAINING_ARGS_SCHEMA.shape.learning_rate.parse(undefined) as number,
  positive_ties: TRAINING_ARGS_SCHEMA.shape.positive_ties.parse(undefined) as PositiveTies,
};

/** Trains a CEBRA-Behavior model on a stored recording (with its shuffled twin if asked) and waits for it. */
export async function trainAndWait(
  deps: DemoDeps, req: { recording_id: string; config: TrainConfig; shuffled: boolean },
  onProgress?: (step: number, total: number, message: string) => void,
): Promise<TrainingResult> {
  const { jobs } = deps;
  const job = await startTrainingJob(deps, { recording_id: req.recording_id, mode: "behavior", config: req.config, shuffled_control: req.shuffled });
  const unsubscribe = jobs.onProgress(job.id, (r) => {
    const p = r.progress;
    if (p && onProgress) onProgress(p.step, p.total, `${p.message ?? ""}${p.eta_s !== undefined ? ` · ETA ${Math.round(p.eta_s)} s` : ""}`);
  });
  const onSignal = () => void jobs.cancel(job.id, "interrupted from the terminal");
  process.once("SIGINT", onSignal);
  try {
    await jobs.wait(job.id, 24 * 3600);
  } finally {
    unsubscribe();
    process.off("SIGINT", onSignal);
  }
  const record = await jobs.get(job.id);
  if (record.status !== "succeeded") {
    throw new UserError(`Training ${record.status}${record.error ? `: ${record.error.message}` : ""}.`, record.error?.fix ?? "See the message above.", "demo_failed");
  }
  return record.result as TrainingResult;
}
