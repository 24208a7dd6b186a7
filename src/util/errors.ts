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
