/**
 * A watchdog hook on every call into the HDF5 library (h5wasm's native functions).
 *
 * A corrupted HDF5 file can send the library into a loop that never returns (the fuzz harness found
 * one: a damaged variable-length string heap). Such a loop runs inside WebAssembly, synchronously, so
 * nothing on the same thread can stop it. What can: the thread that started the load. The loading
 * worker (src/app/load-worker.ts) installs a clock with `watchNativeCalls`, which records when the
 * outermost native call began (0 while none runs) in memory shared with the server thread, and the
 * server stops the worker when one call runs longer than `IntakeLimits.nativeStallMs`
 * (src/app/load.ts). Reads are sliced (at most 64 MiB per call) so that an honest call stays far
 * below that limit.
 */

/** Told the start time (Date.now()) of each outermost native call, and 0 when it returns. */
export type NativeCallClock = (startedMs: number) => void;

let clock: NativeCallClock | null = null;
let depth = 0;

/** Installs the clock (one per thread: the loading worker's). */
export function watchNativeCalls(c: NativeCallClock | null): void {
  clock = c;
}

/**
 * Called by a read that waits on the network inside a native call (a remote file, src/data/remote/):
 * bytes arrived, so the call is making progress, not looping; its clock restarts.
 */
export function nativeCallAlive(): void {
  if (depth > 0) clock?.(Date.now());
}

/** h5wasm helpers that do not call into HDF5, or that must not be wrapped. */
const NOT_NATIVE = new Set(["ccall", "cwrap", "activate_throwing_error_handler", "deactivate_throwing_error_handler"]);

/** Wraps every embind function of the h5wasm module (snake_case names) to report to the clock. Call once, after ready. */
export function wrapNativeCalls(module: Record<string, unknown>): void {
  for (const name of Object.keys(module)) {
    const fn = module[name];
    if (typeof fn !== "function" || !/^[a-z][a-z0-9_]*$/.test(name) || NOT_NATIVE.has(name)) continue;
    module[name] = function (this: unknown, ...args: unknown[]) {
      if (depth++ === 0) clock?.(Date.now());
      try {
        return (fn as (...a: unknown[]) => unknown).apply(this, args);
      } finally {
        if (--depth === 0) clock?.(0);
      }
    };
  }
}
