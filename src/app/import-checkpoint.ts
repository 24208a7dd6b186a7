/**
 * Reading a CEBRA checkpoint for train_embedding's `resume_from: <path>` off the server's event loop:
 * `importCebraFile` (cebra-import.ts) runs in a worker thread (import-worker.ts) under the guards that
 * recording loads have (guarded-worker.ts): a capped V8 heap, a time limit, cancellation.
 */
import path from "node:path";
import type { Workspace } from "../store/workspace.js";
import { CancelledError, UserError, rebuildError } from "../util/errors.js";
import { stagedCheckpointName, type ImportedModel } from "./cebra-import.js";
import { runGuardedWorker } from "./guarded-worker.js";
import type { ImportJob, ImportWorkerMessage } from "./import-worker.js";

const WORKER_URL = new URL("./import-worker.js", import.meta.url);

/** V8 heap of the reading thread: a CEBRA checkpoint's objects take a few MB; a hostile pickle ends the thread here. */
const IMPORT_WORKER_HEAP_MB = 512;

/** Longest a checkpoint read may take (a legitimate one takes well under a second). */
const IMPORT_TIMEOUT_MS = 2 * 60 * 1000;

/**
 * `importCebraFile` in a worker thread (import-worker.ts) with a capped heap and a time limit, so a hostile
 * file cannot exhaust the server's memory or block its event loop: what train_embedding calls.
 */
export function importCebraFileInWorker(absPath: string, roots: readonly string[], signal?: AbortSignal, stageDir?: string): Promise<ImportedModel> {
  const job: ImportJob = { path: absPath, roots: [...roots], ...(stageDir ? { stage_dir: stageDir } : {}) };
  const stopped = (why: string) => new UserError(`Reading the CEBRA checkpoint ${absPath} was stopped: ${why}.`, "Pass the file CEBRA's save wrote for one model; a file that needs more is not one the server reads.", "limit_exceeded");
  return runGuardedWorker<ImportWorkerMessage, ImportedModel>({
    url: WORKER_URL,
    workerData: job,
    resourceLimits: { maxOldGenerationSizeMb: IMPORT_WORKER_HEAP_MB },
    signal,
    nativeCallStarted: new SharedArrayBuffer(8), // no native (HDF5) calls here: stays 0
    timeoutMs: IMPORT_TIMEOUT_MS,
    stallMs: IMPORT_TIMEOUT_MS,
    result: (m) => {
      if (m.type === "done") return m.imported;
      throw rebuildError(m.error);
    },
    cancelled: () => new CancelledError("reading the CEBRA checkpoint was cancelled"),
    timedOut: () => stopped(`it took longer than ${IMPORT_TIMEOUT_MS / 1000} s`),
    stalled: () => stopped("it stalled"),
    crashed: (e) => stopped(`the reading thread failed (${e.message.split("\n")[0].slice(0, 200)}; a heap of ${IMPORT_WORKER_HEAP_MB} MB is the limit)`),
    exited: (code) => stopped(`the reading thread exited (code ${code}) without a result`),
  });
}

/**
 * Reads and imports the checkpoint at `absPath` (inside `roots`) in the worker and keeps the bytes it read
 * in the workspace (`imports/<sha256>.pt`, written atomically): the training job reads that copy, never the
 * user's path again, so a queue worker that shares only the workspace can run it (`importStagedCheckpoint`).
 */
export function importAndStage(ws: Workspace, absPath: string, roots: readonly string[]): Promise<ImportedModel> {
  return importCebraFileInWorker(absPath, roots, undefined, ws.importsDir);
}

/** The copy `importAndStage` kept of the checkpoint with this sha256, read in the worker through the imports folder as its only root. */
export function importStagedCheckpoint(ws: Workspace, sha256: string, signal?: AbortSignal): Promise<ImportedModel> {
  return importCebraFileInWorker(path.join(ws.importsDir, stagedCheckpointName(sha256)), [ws.importsDir], signal);
}
