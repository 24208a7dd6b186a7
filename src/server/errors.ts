/**
 * Turning failures into tool results. A tool call never crashes the server: a UserError becomes an
 * `isError` result stating the problem and the fix; a cancellation says so; anything else is reported
 * briefly to the client with its full stack written to stderr.
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import { CancelledError, UserError } from "../util/errors.js";

/** Writes one log line to stderr (never stdout: that is the stdio MCP channel). */
export function logLine(message: string): void {
  process.stderr.write(`cebra-mcp: ${message}\n`);
}

/** The `isError` result for a failure inside tool `tool`. */
export function toolErrorResult(e: unknown, tool: string): CallToolResult {
  return { isError: true, content: [{ type: "text", text: describeError(e, tool) }] };
}

/** The text shown to the client for a failure; unexpected errors are also logged with their stack. */
function describeError(e: unknown, where: string): string {
  if (e instanceof UserError) return e.fix ? `${e.problem}\nFix: ${e.fix}` : e.problem;
  if (e instanceof CancelledError) return `Cancelled: ${e.message}.`;
  if (isAbortError(e)) return "Cancelled: the request was aborted.";
  const err = e instanceof Error ? e : new Error(String(e));
  logLine(`unexpected error in ${where}: ${err.stack ?? err.message}`);
  return `Internal error in ${where}: ${err.message || "unknown error"}. The server is still running; the stack trace is in its log (stderr). Retrying with different inputs may help; if it repeats, report it with that log.`;
}

function isAbortError(e: unknown): boolean {
  return e instanceof Error && e.name === "AbortError";
}
