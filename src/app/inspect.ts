/**
 * Inspecting a source before loading it (the inspect_source tool, `cebra-mcp inspect`): the source is
 * resolved as a load resolves it (resolveSource: working directory, `~`; URLs through the download
 * guard) and inspected in a worker thread (inspect-worker.ts) that is stopped when it runs past the
 * load timeout, when one HDF5 call stalls (a corrupted file), or when the caller cancels.
 */
import { redactUrl } from "../data/fetch.js";
import type { SourceInspection } from "../data/inspect.js";
import { CancelledError, UserError, rebuildError } from "../util/errors.js";
import type { InspectJob, InspectWorkerMessage } from "./inspect-worker.js";
import { resolveSource, type LoadLimits } from "./load.js";
import { runGuardedWorker } from "./guarded-worker.js";

export type { SourceInspection } from "../data/inspect.js";

/** What inspecting uses from its caller (a tool's context has all of it). */
interface InspectDeps {
  readonly config: { readonly cwd: string };
  readonly signal?: AbortSignal;
  loadLimits(): LoadLimits;
}

const WORKER_URL = new URL("./inspect-worker.js", import.meta.url);

/** What `source` holds (metadata only), with the load_recording arguments for each candidate. */
export function inspectSourceFile(deps: InspectDeps, source: string): Promise<SourceInspection> {
  const resolved = resolveSource(source, deps.config.cwd);
  const limits = deps.loadLimits();
  const signal = deps.signal;
  if (signal?.aborted) return Promise.reject(new CancelledError("inspection cancelled"));
  const shown = redactUrl(resolved);
  const job: InspectJob = { source: resolved, limits, nativeCallStarted: new SharedArrayBuffer(8) };
  const stopped = (why: string) => new UserError(`Inspecting ${shown} was stopped: ${why}.`, "Check the file (re-save or re-download it).", "limit_exceeded");
  return runGuardedWorker<InspectWorkerMessage, SourceInspection>({
    url: WORKER_URL,
    workerData: job,
    resourceLimits: { maxOldGenerationSizeMb: limits.loadWorkerHeapMb },
    signal,
    nativeCallStarted: job.nativeCallStarted,
    timeoutMs: limits.loadTimeoutMs,
    stallMs: limits.nativeStallMs,
    result: (m) => {
      if (m.type === "done") return m.inspection;
      throw rebuildError(m.error);
    },
    cancelled: () => new CancelledError("inspection cancelled"),
    timedOut: () => stopped(`it took longer than ${Math.round(limits.loadTimeoutMs / 1000)} s`),
    stalled: () => stopped(`the HDF5 library spent more than ${Math.round(limits.nativeStallMs / 1000)} s in one call (a corrupted file)`),
    crashed: (e) => stopped(`the inspecting thread failed (${e.message.split("\n")[0].slice(0, 200)})`),
    exited: (code) => stopped(`the inspecting thread exited (code ${code}) without a result`),
  });
}
