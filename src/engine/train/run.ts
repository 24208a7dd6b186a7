/**
 * Public training API: `trainModel` runs the training loop (trainer.ts) in a worker thread so the
 * caller's event loop (the MCP server) stays responsive while ONNX Runtime computes.
 *
 * Data transfer: the sessions are passed as workerData, i.e. structured-cloned (copied) once; arrays
 * whose buffer is a SharedArrayBuffer are shared without a copy. Cancellation via `signal` sets a
 * shared flag the worker checks between steps, so it stops within one step and resolves with the model
 * trained so far (`cancelled: true`).
 */
import { Worker } from "node:worker_threads";
import { CancelledError, rebuildError } from "../../util/errors.js";
import type { CheckpointPolicy, FrozenParams } from "./trainer.js";
import type { WorkerJob, WorkerMessage } from "./worker.js";
import type { SessionData, TrainConfig, TrainedModel, TrainProgress } from "../types.js";

interface TrainModelOptions {
  /** Progress at least every second (every `progressIntervalMs`, default 500 ms) and after the last step. */
  onProgress?: (p: TrainProgress) => void;
  /** Abort to stop training between steps; the promise then resolves with `cancelled: true`. */
  signal?: AbortSignal;
  /** Continue this model (same configuration; `cfg.max_iterations` counts all steps, saved ones included). */
  resumeFrom?: TrainedModel;
  progressIntervalMs?: number;
  /** Called with the state so far every `checkpointEvery` steps or seconds (trainer.ts `onCheckpoint`). */
  onCheckpoint?: (snapshot: TrainedModel) => void;
  checkpointEvery?: CheckpointPolicy;
  /** Parameters training keeps fixed (trainer.ts `frozen`). */
  frozen?: FrozenParams;
}

const WORKER_URL = new URL("./worker.js", import.meta.url);

/**
 * Train a CEBRA model on `sessions` with `cfg` in a worker thread.
 * Rejects with CancelledError if `signal` is already aborted, with a UserError for bad input or an
 * unavailable device, and with an Error if the worker dies.
 */
export function trainModel(sessions: SessionData[], cfg: TrainConfig, opts: TrainModelOptions = {}): Promise<TrainedModel> {
  if (opts.signal?.aborted) return Promise.reject(new CancelledError("training cancelled before it started"));
  const cancelFlag = new Int32Array(new SharedArrayBuffer(4));
  const job: WorkerJob = { sessions, cfg, resumeFrom: opts.resumeFrom, cancelFlag, progressIntervalMs: opts.progressIntervalMs, checkpointEvery: opts.onCheckpoint ? opts.checkpointEvery : undefined, frozen: opts.frozen };
  const worker = new Worker(WORKER_URL, { workerData: job, stdout: true });
  // On stdio, the process's stdout is the MCP channel: whatever onnxruntime or a library prints in the
  // training thread goes to stderr instead (forwarded chunk by chunk, adding no listener to stderr).
  worker.stdout.on("data", (chunk: Buffer) => process.stderr.write(chunk));
  const cancel = () => Atomics.store(cancelFlag, 0, 1);
  opts.signal?.addEventListener("abort", cancel, { once: true });

  return new Promise<TrainedModel>((resolve, reject) => {
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener("abort", cancel);
      f();
    };
    worker.on("message", (m: WorkerMessage) => {
      if (m.type === "progress") opts.onProgress?.(m.progress);
      else if (m.type === "checkpoint") opts.onCheckpoint?.(m.model);
      else if (m.type === "done") finish(() => resolve(m.model));
      else finish(() => reject(rebuildError(m.error)));
    });
    worker.on("error", (e) => finish(() => reject(e)));
    worker.on("exit", (code) => finish(() => reject(new Error(`Training worker exited (code ${code}) without a result.`))));
  });
}

