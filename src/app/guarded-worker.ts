/**
 * Running a loader's worker thread under the server's guards, shared by loading (load.ts) and
 * inspecting (inspect.ts): the worker's stdout goes to stderr (stdout is the MCP stdio channel), and the
 * worker is terminated when the caller cancels, when it runs past its time limit, or when one call into
 * the HDF5 library stalls (a corrupted file can make it loop; src/data/formats/hdf5-watch.ts). Every way
 * it ends settles the promise once, with the error the caller words for it.
 */
import { Worker, type ResourceLimits } from "node:worker_threads";

export interface GuardedWorker<M, T> {
  url: URL;
  workerData: unknown;
  resourceLimits: ResourceLimits;
  signal?: AbortSignal;
  /** When the current HDF5 call began (Date.now()), 0 while none runs, as the worker writes it. */
  nativeCallStarted: SharedArrayBuffer;
  timeoutMs: number;
  stallMs: number;
  /** Called at every stall check (e.g. to report bytes fetched). */
  onTick?: () => void;
  /** The result of the worker's message, or throws its error. */
  result(message: M): T;
  cancelled(): Error;
  timedOut(): Error;
  stalled(): Error;
  crashed(e: Error & { code?: string }): Error;
  exited(code: number): Error;
}

export function runGuardedWorker<M, T>(o: GuardedWorker<M, T>): Promise<T> {
  const worker = new Worker(o.url, { workerData: o.workerData, stdout: true, resourceLimits: o.resourceLimits });
  // (Forwarded chunk by chunk, not piped: each pipe adds listeners to the shared process.stderr, and
  // more than ten concurrent loads triggered MaxListenersExceededWarning.)
  worker.stdout.on("data", (chunk: Buffer) => process.stderr.write(chunk));
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      o.signal?.removeEventListener("abort", cancel);
      clearTimeout(timer);
      clearInterval(stallCheck);
      void worker.terminate();
      f();
    };
    const fail = (error: () => Error) => finish(() => reject(error()));
    const cancel = () => fail(o.cancelled);
    o.signal?.addEventListener("abort", cancel, { once: true });
    const timer = setTimeout(() => fail(o.timedOut), o.timeoutMs);
    const callStarted = new Float64Array(o.nativeCallStarted);
    const stallCheck = setInterval(() => {
      o.onTick?.();
      const t = callStarted[0]!;
      if (t > 0 && Date.now() - t > o.stallMs) fail(o.stalled);
    }, Math.min(1000, o.stallMs / 4));
    worker.on("message", (m: M) =>
      finish(() => {
        try {
          resolve(o.result(m));
        } catch (e) {
          reject(e);
        }
      }),
    );
    worker.on("error", (e) => fail(() => o.crashed(e)));
    worker.on("exit", (code) => fail(() => o.exited(code)));
  });
}
