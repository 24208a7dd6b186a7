/**
 * worker_threads entry for loading a recording (started by `loadRecordingInWorker` in loading.ts).
 *
 * The loaders block their thread (the built-in simulator computes for seconds; h5wasm reads HDF5/NWB
 * synchronously), so a load runs here to keep the server's event loop free for other clients. The
 * parent sends one job as workerData; this thread rebuilds the path check from the allowed roots,
 * runs `loadRecording` once and posts the Recording back with its array buffers transferred (moved,
 * not copied). Cancellation is the parent terminating this thread. Messages back:
 * `{type: "done", recording}` or `{type: "error", error}`.
 */
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { loadRecording, type IntakeLimits, type LoadOptions } from "../data/load.js";
import type { Recording } from "../data/recording.js";
import { UserError, serializeError, type SerializedError } from "../util/errors.js";
import { AllowedRoots } from "../store/roots.js";
import { watchNativeCalls } from "../data/formats/hdf5-watch.js";

/** Where a worker load may read from and how it may download: the plain-data form of a LoadContext. */
export interface LoadLimits extends IntakeLimits {
  /** Allowed root directories (absolute, or relative to `cwd`). */
  roots: string[];
  /** Base for relative roots. */
  cwd: string;
  /** Workspace directory; downloads are cached under `<cacheDir>/downloads/`. */
  cacheDir: string;
}

/** What loading.ts passes to the worker. */
export interface LoadJob {
  source: string;
  opts: LoadOptions;
  limits: LoadLimits;
  /**
   * One float64 shared with the server thread: when the current call into the HDF5 library began
   * (Date.now()), 0 while none runs. The server stops this worker when a call stalls.
   */
  nativeCallStarted: SharedArrayBuffer;
  /** One float64 shared with the server thread: bytes fetched over the network so far (for progress). */
  fetchedBytes?: SharedArrayBuffer;
}

export type LoadWorkerMessage = { type: "done"; recording: Recording } | { type: "error"; error: SerializedError };

/** The distinct ArrayBuffers behind the recording's typed arrays (views may share one buffer; each is listed once). */
export function recordingBuffers(rec: Recording): ArrayBuffer[] {
  const views = [rec.neural, rec.timestamps, rec.continuous?.data, rec.discrete?.data, rec.frame, rec.repeat, rec.movie?.frames, rec.frame_features?.data];
  const buffers = new Set<ArrayBuffer>();
  for (const view of views) if (view && view.buffer instanceof ArrayBuffer) buffers.add(view.buffer);
  return [...buffers];
}

/**
 * Posts the recording with its buffers transferred. Newer Node versions refuse to transfer some
 * buffers (e.g. Node's pooled Buffer memory) with a DataCloneError; the recording is then copied.
 */
function postRecording(port: MessagePort, recording: Recording): void {
  const message: LoadWorkerMessage = { type: "done", recording };
  try {
    port.postMessage(message, recordingBuffers(recording));
  } catch (e) {
    if (!(e instanceof Error && e.name === "DataCloneError")) throw e;
    port.postMessage(message);
  }
}

async function main(port: MessagePort, job: LoadJob): Promise<void> {
  const started = new Float64Array(job.nativeCallStarted);
  watchNativeCalls((ms) => (started[0] = ms));
  let recording: Recording;
  try {
    const { roots, cwd, cacheDir, ...intake } = job.limits;
    const ctx = AllowedRoots.create(roots, cwd).loadContext(cacheDir, intake);
    if (job.fetchedBytes) ctx.fetchedBytes = new Float64Array(job.fetchedBytes);
    recording = await loadRecording(job.source, job.opts, ctx);
  } catch (e) {
    port.postMessage({ type: "error", error: serializeError(allocationFailure(e, job.source) ?? e) } satisfies LoadWorkerMessage);
    return;
  }
  // The buffers are detached here after the transfer: nothing in this thread touches them again.
  postRecording(port, recording);
}

/**
 * A UserError for an array that could not be allocated (array data live outside the V8 heap, so this
 * is a RangeError, not a dead worker), or undefined for any other error.
 */
export function allocationFailure(e: unknown, source: string): UserError | undefined {
  if (!(e instanceof RangeError) || !/allocation failed|Invalid (typed )?array (buffer )?length|Array buffer allocation/i.test(e.message)) return undefined;
  return new UserError(
    `Loading ${source} needs a larger array than this machine can allocate now (${e.message}).`,
    "Load a part of it (time_range, select_units, or a smaller file), free memory, or lower --max-load-bytes (env CEBRA_MCP_MAX_LOAD_BYTES) so such files are refused up front.",
    "limit_exceeded",
  );
}

if (parentPort) void main(parentPort, workerData as LoadJob);
