/**
 * worker_threads entry for reading a CEBRA checkpoint (started by `importCebraFileInWorker` in
 * import-checkpoint.ts): the zip and pickle are read off the server's event loop, under a V8 heap cap, so a
 * hostile file that builds millions of objects or huge strings ends this thread, not the server.
 * Messages back: `{type: "done", imported}` or `{type: "error", error}`.
 */
import path from "node:path";
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { writeFileAtomic } from "../store/atomic.js";
import { serializeError, type SerializedError } from "../util/errors.js";
import { AllowedRoots } from "../store/roots.js";
import { importCebraFile, stagedCheckpointName, type ImportedModel } from "./cebra-import.js";

export interface ImportJob {
  /** Absolute path of the checkpoint. */
  path: string;
  /** The allowed roots the path (after symlinks) must lie in. */
  roots: string[];
  /** Where to write the bytes read, as `<sha256>.pt`, once they import (the workspace's imports/ folder). */
  stage_dir?: string;
}

export type ImportWorkerMessage = { type: "done"; imported: ImportedModel } | { type: "error"; error: SerializedError };

async function main(port: MessagePort, job: ImportJob): Promise<void> {
  try {
    const roots = AllowedRoots.create(job.roots);
    const keep = job.stage_dir ? (bytes: Uint8Array, sha256: string) => writeFileAtomic(path.join(job.stage_dir!, stagedCheckpointName(sha256)), bytes) : undefined;
    port.postMessage({ type: "done", imported: await importCebraFile(job.path, (p) => roots.check(p), keep) } satisfies ImportWorkerMessage);
  } catch (e) {
    port.postMessage({ type: "error", error: serializeError(e) } satisfies ImportWorkerMessage);
  }
}

if (parentPort) void main(parentPort, workerData as ImportJob);
