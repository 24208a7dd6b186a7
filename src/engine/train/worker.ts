/**
 * worker_threads entry for training (started by run.ts).
 *
 * onnxruntime-node's `run` blocks its thread, so training runs here to keep the server responsive.
 * The parent sends the job as workerData; cancellation is a shared Int32 flag the parent sets
 * (checked between steps, independent of this thread's event loop). Messages back:
 * `{type: "progress"}`, `{type: "checkpoint", model}`, `{type: "done", model}`, `{type: "error", error}`.
 */
import { parentPort, workerData } from "node:worker_threads";
import { serializeError, type SerializedError } from "../../util/errors.js";
import { runTrainingLoop } from "./trainer.js";
import type { CheckpointPolicy, FrozenParams } from "./trainer.js";
import type { SessionData, TrainConfig, TrainedModel, TrainProgress } from "../types.js";

/** What run.ts passes to the worker. */
export interface WorkerJob {
  sessions: SessionData[];
  cfg: TrainConfig;
  resumeFrom?: TrainedModel;
  /** Int32Array over a SharedArrayBuffer; element 0 becomes 1 to cancel. */
  cancelFlag: Int32Array;
  progressIntervalMs?: number;
  /** Post `{type: "checkpoint"}` messages this often. */
  checkpointEvery?: CheckpointPolicy;
  frozen?: FrozenParams;
}

/** A serialisable error (UserError fields kept so the parent can rebuild it). */
export type WorkerMessage =
  | { type: "progress"; progress: TrainProgress }
  | { type: "checkpoint"; model: TrainedModel }
  | { type: "done"; model: TrainedModel }
  | { type: "error"; error: SerializedError };

async function main(port: NonNullable<typeof parentPort>, job: WorkerJob): Promise<void> {
  const post = (m: WorkerMessage) => port.postMessage(m);
  try {
    const model = await runTrainingLoop(job.sessions, job.cfg, {
      resumeFrom: job.resumeFrom,
      progressIntervalMs: job.progressIntervalMs,
      onProgress: (progress) => post({ type: "progress", progress }),
      shouldStop: () => Atomics.load(job.cancelFlag, 0) !== 0,
      checkpointEvery: job.checkpointEvery,
      frozen: job.frozen,
      onCheckpoint: job.checkpointEvery ? (model) => post({ type: "checkpoint", model }) : undefined,
    });
    post({ type: "done", model });
  } catch (e) {
    post({ type: "error", error: serializeError(e) });
  }
}

if (parentPort) void main(parentPort, workerData as WorkerJob);
