/**
 * `serve`: opens the app state, starts the configured transport (stdio or HTTP), and shuts down
 * cleanly on SIGINT/SIGTERM or when the stdio client disconnects: running jobs are cancelled and
 * given `shutdownGraceMs` to save partial results, job manifests are flushed, then the process exits.
 */
import { closeApp, openApp, type AppState } from "../app/context.js";
import type { ServerConfig } from "../app/config.js";
import type { Catalog } from "../../tools/kit/catalog.js";
import { logLine } from "./errors.js";
import { startHttpServer, type HttpServerHandle } from "./http.js";
import { startStdioServer, type StdioServerHandle } from "./stdio.js";

/** Runs the server until a shutdown signal (or stdin end for stdio); resolves after a clean shutdown. */
export async function serve(config: ServerConfig, catalog: Catalog): Promise<void> {
  keepRunningOnStrayErrors();
  const app = await openApp(config);
  const transport = config.http ? await startHttpServer(app, catalog, config.http) : startStdioServer(app, catalog);
  logLine(describeStartup(app, transport));
  const stop = waitForStop(transport);
  const reason = await stop.reason;
  logLine(`shutting down (${reason})${app.jobs.activeCount ? `, cancelling ${app.jobs.activeCount} job(s)` : ""}`);
  stop.onSecondSignal(() => {
    logLine("second signal: exiting without waiting for jobs");
    process.exit(1);
  });
  await transport.close().catch((e: Error) => logLine(`closing transport: ${e.message}`));
  await closeApp(app);
  logLine("stopped");
}

/**
 * A stray error outside any request (a failed background write, a bug in a listener) is logged with
 * its stack instead of killing the server and every client's work with it.
 */
function keepRunningOnStrayErrors(): void {
  process.on("unhandledRejection", (reason) => logLine(`unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}`));
  process.on("uncaughtException", (e) => logLine(`uncaught exception: ${e.stack ?? e.message}`));
}

function describeStartup(app: AppState, t: HttpServerHandle | StdioServerHandle): string {
  const where = "url" in t ? `HTTP at ${t.url.href}` : "stdio";
  return `serving on ${where}; workspace ${app.workspace.root}; readable roots ${app.roots.dirs.join(", ")}`;
}

/** Resolves `reason` on the first SIGINT/SIGTERM (or stdin end for stdio). */
function waitForStop(t: HttpServerHandle | StdioServerHandle): { reason: Promise<string>; onSecondSignal(fn: () => void): void } {
  let signals = 0;
  let second: (() => void) | undefined;
  const reason = new Promise<string>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      if (signals === 1) resolve(sig);
      else second?.();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    if ("closed" in t) void t.closed.then(() => resolve("client closed stdin"));
  });
  return { reason, onSecondSignal: (fn) => (second = fn) };
}
