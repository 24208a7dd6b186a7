/**
 * worker_threads entry for inspecting a source (started by `inspectSourceInWorker` in inspect.ts): the
 * HDF5 walk is synchronous h5wasm work, so it runs off the server's event loop, under the same path
 * check, limits and native-call watchdog as a load (load-worker.ts). Messages back:
 * `{type: "done", inspection}` or `{type: "error", error}`.
 */
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { inspectSource, type SourceInspection } from "../data/inspect.js";
import { serializeError, type SerializedError } from "../util/errors.js";
import { AllowedRoots } from "../store/roots.js";
import { watchNativeCalls } from "../data/formats/hdf5-watch.js";
import type { LoadLimits } from "./load-worker.js";

export interface InspectJob {
  source: string;
  limits: LoadLimits;
  /** When the current HDF5 call began (Date.now()), 0 while none runs (load-worker.ts). */
  nativeCallStarted: SharedArrayBuffer;
}

export type InspectWorkerMessage = { type: "done"; inspection: SourceInspection } | { type: "error"; error: SerializedError };

async function main(port: MessagePort, job: InspectJob): Promise<void> {
  const started = new Float64Array(job.nativeCallStarted);
  watchNativeCalls((ms) => (started[0] = ms));
  try {
    const { roots, cwd, cacheDir, ...intake } = job.limits;
    const ctx = AllowedRoots.create(roots, cwd).loadContext(cacheDir, intake);
    port.postMessage({ type: "done", inspection: await inspectSource(job.source, ctx) } satisfies InspectWorkerMessage);
  } catch (e) {
    port.postMessage({ type: "error", error: serializeError(e) } satisfies InspectWorkerMessage);
  }
}

if (parentPort) void main(parentPort, workerData as InspectJob);
