/**
 * Inspecting a source before loading it (the inspect_source tool, `cebra-mcp inspect`): the source is
 * resolved as a load resolves it (resolveSource: working directory, `~`; URLs through the download
 * guard) and inspected in a worker thread (inspect-worker.ts) that is stopped when it runs past the
 * load timeout, when one HDF5 call stalls (a corrupted file), or when the caller cancels.
 */
import { Worker } from "node:worker_threads";
import { redactUrl } from "../data/fetch.js";
import type { SourceInspection } from "../data/inspect.js";
import { CancelledError, UserError, rebuildError } from "../util/errors.js";
import type { InspectJob, InspectWorkerMessage } from "./inspect-worker.js";
import { resolveSource, type LoadLimits } from "./load.js";

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
  const worker = new Worker(WORKER_URL, { workerData: job, stdout: true, resourceLimits: { maxOldGenerationSizeMb: limits.loadWorkerHeapMb } });
  worker.stdout.on("data", (chunk: Buffer) => process.stderr.write(chunk));
  return new Promise<SourceInspection>((resolve, reject) => {
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", cancel);
      clearTimeout(timer);
      clearInterval(stallCheck);
      void worker.terminate();
      f();
    };
    const stopped = (why: string) => finish(() => reject(new UserError(`Inspecting ${shown} was stopped: ${why}.`, "Check the file (re-save or re-download it).", "limit_exceeded")));
    const cancel = () => finish(() => reject(new CancelledError("inspection cancelled")));
    signal?.addEventListener("abort", cancel, { once: true });
    const timer = setTimeout(() => stopped(`it took longer than ${Math.round(limits.loadTimeoutMs / 1000)} s`), limits.loadTimeoutMs);
    const callStarted = new Float64Array(job.nativeCallStarted);
    const stallCheck = setInterval(() => {
      const t = callStarted[0]!;
      if (t > 0 && Date.now() - t > limits.nativeStallMs) stopped(`the HDF5 library spent more than ${Math.round(limits.nativeStallMs / 1000)} s in one call (a corrupted file)`);
    }, Math.min(1000, limits.nativeStallMs / 4));
    worker.on("message", (m: InspectWorkerMessage) => finish(() => (m.type === "done" ? resolve(m.inspection) : reject(rebuildError(m.error)))));
    worker.on("error", (e) => stopped(`the inspecting thread failed (${e.message.split("\n")[0].slice(0, 200)})`));
    worker.on("exit", (code) => stopped(`the inspecting thread exited (code ${code}) without a result`));
  });
}
