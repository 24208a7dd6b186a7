/**
 * Errors a user (or an AI assistant) can act on. Every failure that comes from input
 * (a bad file, a wrong shape, an unknown id, a path outside the allowed roots) is thrown as a
 * UserError: `problem` says what is wrong and names the item; `fix` says what to do instead.
 * The MCP layer turns these into tool results with `isError: true`; they never crash the server.
 */
export class UserError extends Error {
  readonly problem: string;
  readonly fix: string;
  readonly code: string;
  constructor(problem: string, fix: string, code = "bad_input") {
    super(fix ? `${problem} Fix: ${fix}` : problem);
    this.name = "UserError";
    this.problem = problem;
    this.fix = fix;
    this.code = code;
  }
}

/** Raised when an operation was cancelled (by a client, `cancel_job`, or shutdown). */
export class CancelledError extends Error {
  constructor(message = "cancelled") {
    super(message);
    this.name = "CancelledError";
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}

/** An error as it crosses a worker_threads boundary (structured-clone safe). */
export interface SerializedError {
  name: string;
  message: string;
  problem?: string;
  fix?: string;
  code?: string;
  stack?: string;
}

/** Flattens an error for postMessage; a UserError keeps its problem, fix and code. */
export function serializeError(e: unknown): SerializedError {
  if (isUserError(e)) return { name: e.name, message: e.message, problem: e.problem, fix: e.fix, code: e.code, stack: e.stack };
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: "Error", message: String(e) };
}

/** Rebuilds an error posted by a worker: a UserError stays a UserError (problem, fix, code). */
export function rebuildError(e: SerializedError): Error {
  const err = e.problem !== undefined ? new UserError(e.problem, e.fix ?? "", e.code) : new Error(e.message);
  if (e.problem === undefined) err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return err;
}
