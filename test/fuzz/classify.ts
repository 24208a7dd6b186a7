/**
 * What a fuzz case's outcome counts as. Failures are everything but `ok` and `user_error`.
 *
 * - ok: the recording loaded (and holds nothing read from outside the root);
 * - user_error: a UserError (or an MCP tool error) whose text is a clear message;
 * - internal_error: anything else that came back as an error: "Internal error", a raw stack, HDF5-DIAG
 *   or libhdf5 build paths, JS engine error text (TypeError, RangeError, …), a plain Error;
 * - crash: the loading worker, the MCP server or the harness process died;
 * - hang: no answer within the per-case limit (20 s by default);
 * - memory: the process doing the load went over the memory limit (2 GiB by default);
 * - escape: data from a file outside the allowed root came back (as values or inside a message).
 */
import { CancelledError, UserError } from "../../src/util/errors.js";
import { FIXTURE_SECRET, SECRET } from "./seeds.js";

export const OUTCOMES = ["ok", "user_error", "internal_error", "crash", "hang", "memory", "escape"] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const FAILURES: readonly Outcome[] = ["internal_error", "crash", "hang", "memory", "escape"];

/** Text that a clear, user-facing message never contains. */
const INTERNAL_MARKERS: [RegExp, string][] = [
  [/HDF5-DIAG/, "HDF5-DIAG"],
  [/\/__w\//, "libhdf5 build path"],
  [/#\d{3}: /, "HDF5 error stack"],
  [/^\s*at .+(:\d+:\d+\)?|\(native\)|<anonymous>)$/m, "JS stack trace"],
  [/\b(TypeError|RangeError|ReferenceError|SyntaxError|EvalError|RuntimeError|DataCloneError)\b/, "engine error"],
  [/Internal error in/, "Internal error"],
  [/Cannot read propert|is not a function|is not iterable|undefined is not|of undefined|of null\b/, "engine error"],
  [/Invalid (typed )?array length|Array buffer allocation failed|Maximum call stack|out of bounds|memory access/i, "engine error"],
  [/Aborted\(|abort\(|emscripten|wasm/i, "wasm abort"],
  [/\bERR_[A-Z_]{4,}\b/, "Node error code"],
];

/** Why `text` is not a clear message, or null if it is. */
export function internalMarker(text: string): string | null {
  for (const [re, why] of INTERNAL_MARKERS) if (re.test(text)) return why;
  return null;
}

/** True if `text` shows the sentinel value of the files outside the root. */
export function leaksSecret(text: string): boolean {
  return text.includes(String(SECRET)) || text.includes(String(FIXTURE_SECRET));
}

export interface Classified {
  outcome: Outcome;
  message: string;
  /** Why it is not a user_error, when it is a failure. */
  why?: string;
}

/**
 * An in-process rejection of a load. `timedOut`: the harness aborted it at the per-case limit;
 * `hostile`: the case's seed points outside the root (only those can leak the sentinel).
 */
export function classifyError(e: unknown, timedOut: boolean, hostile: boolean): Classified {
  const message = e instanceof Error ? e.message : String(e);
  if (timedOut && e instanceof CancelledError) return { outcome: "hang", message: "no result within the per-case limit" };
  if (hostile && leaksSecret(message)) return { outcome: "escape", message, why: "message shows a value from outside the root" };
  if (/loading worker (crashed|exited)/.test(message)) return { outcome: "crash", message, why: "the loading worker died" };
  if (!(e instanceof UserError)) return { outcome: "internal_error", message, why: `${e instanceof Error ? e.name : typeof e} (not a UserError)` };
  const marker = internalMarker(message);
  if (marker) return { outcome: "internal_error", message, why: `UserError text carries ${marker}` };
  return { outcome: "user_error", message };
}

/** An MCP `load_recording` tool result (text, isError). */
export function classifyToolResult(isError: boolean, text: string, hostile: boolean): Classified {
  if (hostile && leaksSecret(text)) return { outcome: "escape", message: text, why: "result shows a value from outside the root" };
  if (!isError) return { outcome: "ok", message: "" };
  if (/loading worker (crashed|exited)/.test(text)) return { outcome: "crash", message: text, why: "the loading worker died" };
  const marker = internalMarker(text);
  if (marker) return { outcome: "internal_error", message: text, why: marker };
  return { outcome: "user_error", message: text };
}
