/**
 * `loadRecordingInWorker`: `loadRecording` in a worker thread (load-worker.ts), so a load (seconds of
 * simulator computation, synchronous h5wasm reads) does not block the server's event loop and every
 * other client with it. The worker gets plain data (source, options, allowed roots, download limits),
 * rebuilds the path check with `AllowedRoots`, and hands the Recording back with its array buffers
 * transferred, not copied. One worker per load; it ends with the load.
 */
import { Worker } from "node:worker_threads";
import type { LoadOptions } from "../data/load.js";
import type { Recording } from "../data/recording.js";
import { CancelledError, rebuildError } from "../util/errors.js";
import type { LoadJob, LoadLimits, LoadWorkerMessage } from "./load-worker.js";

export type { LoadLimits } from "./load-worker.js";

const WORKER_URL = new URL("./load-worker.js", import.meta.url);

/**
 * Loads `source` with `opts` (exactly as `loadRecording` does) in a worker thread, reading local files
 * only inside `limits.roots`. Rejects with the loader's UserError (problem, fix and code kept), with
 * CancelledError when `signal` aborts (the worker is terminated at once), and with an Error if the
 * worker crashes or exits without a result.
 */
export function loadRecordingInWorker(source: string, opts: LoadOptions, limits: LoadLimits, signal?: AbortSignal): Promise<Recording> {
  if (signal?.aborted) return Promise.reject(new CancelledError("load cancelled"));
  const job: LoadJob = { source, opts, limits };
  const worker = new Worker(WORKER_URL, { workerData: job, stdout: true });
  // stdout is the MCP stdio channel: anything a library prints in the worker goes to stderr instead.
  worker.stdout.pipe(process.stderr, { end: false });

  return new Promise<Recording>((resolve, reject) => {
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", cancel);
      void worker.terminate();
      f();
    };
    const cancel = () => finish(() => reject(new CancelledError("load cancelled")));
    signal?.addEventListener("abort", cancel, { once: true });
    worker.on("message", (m: LoadWorkerMessage) => {
      if (m.type === "done") finish(() => resolve(m.recording));
      else finish(() => reject(rebuildError(m.error)));
    });
    worker.on("error", (e) => finish(() => reject(new Error(`The loading worker crashed while loading ${source}: ${e.message}`))));
    worker.on("exit", (code) => finish(() => reject(new Error(`The loading worker exited (code ${code}) without a result for ${source}.`))));
  });
}

