/**
 * stdio transport (the default): one MCP connection over this process's stdin/stdout. stdout carries
 * only protocol messages; all logging goes to stderr. `closed` resolves when the client closes stdin.
 * The wire is our own BoundedStdioTransport (bounded lines, answers to malformed input, the
 * initialize gate); `serveStdio` above it picks the protocol era per connection.
 */
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import type { AppState } from "../app/context.js";
import type { Catalog } from "../../tools/kit/catalog.js";
import { logLine } from "./errors.js";
import { createServer } from "./server.js";
import { BoundedStdioTransport } from "./stdio-transport.js";

export interface StdioServerHandle {
  /** Resolves when the client closes our stdin (the connection is over). */
  closed: Promise<void>;
  close(): Promise<void>;
}

/** Serves MCP on stdin/stdout. */
export function startStdioServer(app: AppState, catalog: Catalog): StdioServerHandle {
  const transport = new BoundedStdioTransport(process.stdin, process.stdout, { log: logLine });
  const handle = serveStdio(() => createServer(app, catalog), { transport, onerror: (e) => logLine(`stdio: ${e.message}`) });
  const closed = new Promise<void>((resolve) => {
    process.stdin.once("end", resolve);
    process.stdin.once("close", resolve);
  });
  return { closed, close: () => handle.close() };
}
