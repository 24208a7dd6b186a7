/**
 * Loading a recording into the workspace: `loadAndStoreRecording` resolves the source (local paths
 * against the server's working directory and `~`), loads it in a worker and saves it to the
 * recording store.
 *
 * `loadRecordingInWorker`: `loadRecording` in a worker thread (load-worker.ts), so a load (seconds of
 * simulator computation, synchronous h5wasm reads) does not block the server's event loop and every
 * other client with it. The worker gets plain data (source, options, allowed roots, download limits),
 * rebuilds the path check with `AllowedRoots`, and hands the Recording back with its array buffers
 * transferred, not copied. One worker per load; it ends with the load.
 */
import os from "node:os";
import path from "node:path";
import { redactUrl } from "../data/fetch.js";
import type { LoadOptions } from "../data/load.js";
import type { Recording } from "../data/recording.js";
import { summarizeRecording, type RecordingStore, type RecordingSummary } from "../store/recordings.js";
import { CancelledError, UserError, rebuildError } from "../util/errors.js";
import type { LoadJob, LoadLimits, LoadWorkerMessage } from "./load-worker.js";
import { runGuardedWorker } from "./guarded-worker.js";

export type { LoadLimits } from "./load-worker.js";

/** What `loadAndStoreRecording` uses from its caller (a tool's context has all of it). */
interface LoadDeps {
  readonly config: { readonly cwd: string };
  readonly recordings: RecordingStore;
  readonly signal?: AbortSignal;
  /** What the load may read and download (allowed roots, download cache and limits). */
  loadLimits(): LoadLimits;
  /** Reports progress: step `progress` of `total`, with a message. */
  progress(progress: number, total?: number, message?: string): Promise<void>;
}

/** A source (local path, http(s) URL or "builtin:allen-like") and the options to load it with. */
type LoadRequest = LoadOptions & { source: string };

/**
 * Loads `req.source` with the other fields of `req` as options (in a worker), saves the recording to
 * the store and returns its id with its summary. Progress: 0/2 loading, 1/2 saving, 2/2 saved.
 */
export async function loadAndStoreRecording(deps: LoadDeps, req: LoadRequest): Promise<{ recording_id: string; summary: RecordingSummary }> {
  const { source, ...opts } = req;
  const resolved = resolveSource(source, deps.config.cwd);
  await deps.progress(0, 2, `loading ${redactUrl(resolved)}`);
  // Network transfers (downloads, range reads) report as progress below 1 of 2, increasing with the bytes.
  const onFetched = (bytes: number) => void deps.progress(bytes / (bytes + FETCH_PROGRESS_SCALE), 2, `loading ${redactUrl(resolved)}: ${(bytes / 1024 ** 2).toFixed(1)} MiB fetched`).catch(() => {});
  const rec = await loadRecordingInWorker(resolved, opts, deps.loadLimits(), deps.signal, onFetched);
  await deps.progress(1, 2, "saving to workspace");
  const id = await deps.recordings.saveRecording(rec);
  await deps.progress(2, 2, `saved ${id}`);
  return { recording_id: id, summary: summarizeRecording(rec) };
}

/** Local paths are resolved against the server's working directory (and `~`); URLs and builtin: pass through. */
export function resolveSource(source: string, cwd: string): string {
  if (/^(https?:|builtin:|dandi:)/i.test(source)) return source;
  if (source === "~" || source.startsWith("~/")) return path.join(os.homedir(), source.slice(1));
  return path.resolve(cwd, source);
}

const WORKER_URL = new URL("./load-worker.js", import.meta.url);

/** Bytes at which the loading step's progress reaches one half of its share (progress stays below 1 however much is fetched). */
const FETCH_PROGRESS_SCALE = 64 * 1024 ** 2;

/**
 * Loads `source` with `opts` (exactly as `loadRecording` does) in a worker thread, reading local files
 * only inside `limits.roots`. The worker's V8 heap is capped at `limits.loadWorkerHeapMb` (array data
 * live outside that heap and are held to `maxLoadBytes` by the loaders). Rejects with the loader's
 * UserError (problem, fix and code kept), with CancelledError when `signal` aborts (the worker is
 * terminated at once), and with a UserError when the worker runs out of its memory budget, crashes or
 * exits without a result; the server itself keeps serving.
 */
export function loadRecordingInWorker(source: string, opts: LoadOptions, limits: LoadLimits, signal?: AbortSignal, onFetched?: (bytes: number) => void): Promise<Recording> {
  if (signal?.aborted) return Promise.reject(new CancelledError("load cancelled"));
  const nativeCallStarted = new SharedArrayBuffer(8);
  const fetchedBytes = new SharedArrayBuffer(8);
  const job: LoadJob = { source, opts, limits, nativeCallStarted, fetchedBytes };
  // What messages may show of the source: a URL without its credentials.
  const shown = redactUrl(source);
  const fetched = new Float64Array(fetchedBytes);
  let reported = 0;
  return runGuardedWorker<LoadWorkerMessage, Recording>({
    url: WORKER_URL,
    workerData: job,
    resourceLimits: { maxOldGenerationSizeMb: limits.loadWorkerHeapMb, maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB, stackSizeMb: WORKER_STACK_MB },
    signal,
    nativeCallStarted,
    // A corrupted file can send a reader into a loop that never returns (seen once in 10,000 fuzz
    // cases): the thread is stopped after loadTimeoutMs instead of holding a core forever.
    timeoutMs: limits.loadTimeoutMs,
    // One call into the HDF5 library that runs past nativeStallMs is a loop on a corrupted file
    // (src/data/formats/hdf5-watch.ts): nothing in the worker can interrupt it, so it is stopped here.
    stallMs: limits.nativeStallMs,
    onTick: () => {
      if (onFetched && fetched[0]! > reported) onFetched((reported = fetched[0]!));
    },
    result: (m) => {
      if (m.type === "done") return m.recording;
      throw rebuildError(m.error);
    },
    cancelled: () => new CancelledError("load cancelled"),
    timedOut: () =>
      new UserError(
        `Loading ${shown} took longer than ${formatMs(limits.loadTimeoutMs)} and was stopped; a corrupted file can make a reader loop.`,
        "Check the file (re-save or re-download it); if it is genuine and just very large, load a part of it (time_range, select_units) or raise the limit with CEBRA_MCP_LOAD_TIMEOUT_S.",
        "limit_exceeded",
      ),
    stalled: () =>
      new UserError(
        `Loading ${shown} was stopped: the HDF5 library spent more than ${formatMs(limits.nativeStallMs)} in one call, which an intact file never needs (reads are sliced to 64 MiB); the file is most likely corrupted and made the library loop.`,
        "Check the file (h5dump -H, or re-download / re-export it). If it is genuine and on a very slow disk, raise the limit with CEBRA_MCP_HDF5_STALL_S.",
        "limit_exceeded",
      ),
    crashed: (e) => workerFailure(e, shown, limits),
    exited: (code) => new UserError(`Loading ${shown} stopped: the loading thread exited (code ${code}) without a result.`, LOAD_RETRY_FIX, "load_failed"),
  });
}

/** "15 s", "200 ms". */
function formatMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}

/** Young-generation and stack sizes of the loading worker (MB); the old generation is `loadWorkerHeapMb`. */
const WORKER_YOUNG_GENERATION_MB = 64;
const WORKER_STACK_MB = 8;
const LOAD_RETRY_FIX = "Check that the file is a valid recording (re-save or re-download it) and try again; the server is still running.";

/** The UserError for a loading worker that died: out of its memory budget, or crashed. */
function workerFailure(e: Error & { code?: string }, source: string, limits: LoadLimits): UserError {
  if (e.code === "ERR_WORKER_OUT_OF_MEMORY") {
    return new UserError(
      `Loading ${source} ran out of its memory budget (a ${limits.loadWorkerHeapMb} MB heap for the loading thread) and was stopped; the file holds more structure than the budget allows, or is hostile.`,
      "Load a part of it (time_range, select_units, or a smaller file), or raise the budget with the environment variable CEBRA_MCP_LOAD_HEAP_MB (heap) or --max-load-bytes SIZE / CEBRA_MCP_MAX_LOAD_BYTES (array data) on a machine with enough memory.",
      "limit_exceeded",
    );
  }
  return new UserError(`Loading ${source} failed: the loading thread crashed (${e.message.split("\n")[0].slice(0, 300)}).`, LOAD_RETRY_FIX, "load_failed");
}

