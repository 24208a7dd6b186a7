/**
 * Connecting the eval's MCP client to a server under test. The real connectors spawn the built CLI
 * (`node dist/src/cli/main.js serve --workspace <tmp>`) in the scenario's working directory and talk
 * to it over stdio (StdioClientTransport) or over Streamable HTTP on 127.0.0.1 (`serve --http 0`,
 * the URL read from the server's startup log line). Tests may pass their own Connector (e.g. an
 * in-process server over InMemoryTransport).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { VERSION } from "../version.js";
import type { TransportName } from "./scenario.js";

/** Directories of one scenario run. */
export interface EvalEnvironment {
  /** Temp directory holding everything below (removed after the run unless kept). */
  root: string;
  /** The server's working directory: an allowed root; fixtures go here. */
  dir: string;
  /** The server's workspace (inside `dir`). */
  workspace: string;
  /** A directory the server may NOT read (sibling of `dir`), for path-outside-roots scenarios. */
  outside: string;
}

/** A connected client and the server process behind it. */
export interface ServerConnection {
  client: Client;
  transport: TransportName;
  /** The server's log so far (stderr), truncated to the last 64 kB. */
  stderr(): string;
  /** Closes the client and stops the server. */
  close(): Promise<void>;
}

/** Starts a server for a scenario's environment and connects a client to it. */
export type Connector = (env: EvalEnvironment) => Promise<ServerConnection>;

/** Protocol era the client negotiates: "legacy" (2025-era initialize, what most clients speak today) or "auto" (2026-07-28 when offered). */
export type ClientEra = "legacy" | "auto";

interface SpawnOptions {
  era: ClientEra;
  /** The CLI entry to run (default: dist/src/cli/main.js next to this build). */
  mainJs?: string;
  /** Extra `serve` flags. */
  serverArgs?: string[];
  /** Extra environment variables for the server (e.g. CEBRA_MCP_ENABLE_FAULTS for broken variants). */
  env?: Record<string, string>;
  /** How long the HTTP server may take to print its URL. */
  startTimeoutMs?: number;
}

/** The built CLI entry point. */
const DEFAULT_MAIN_JS = fileURLToPath(new URL("../cli/main.js", import.meta.url));

const LOG_LIMIT = 64 * 1024;
const STOP_GRACE_MS = 15_000;

/** A Connector that spawns the server with the given transport. */
export function spawnConnector(transport: TransportName, opts: SpawnOptions): Connector {
  return transport === "stdio" ? (env) => connectStdio(env, opts) : (env) => connectHttp(env, opts);
}

/** A fresh SDK client as the eval uses it. */
export function evalClient(era: ClientEra): Client {
  return new Client({ name: "cebra-mcp-eval", version: VERSION }, { versionNegotiation: { mode: era } });
}

async function connectStdio(env: EvalEnvironment, opts: SpawnOptions): Promise<ServerConnection> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [opts.mainJs ?? DEFAULT_MAIN_JS, "serve", "--workspace", env.workspace, ...(opts.serverArgs ?? [])],
    cwd: env.dir,
    env: { ...serverEnv(), ...opts.env },
    stderr: "pipe",
  });
  const log = new LogTail();
  transport.stderr?.on("data", (chunk: Buffer) => log.add(chunk));
  const client = evalClient(opts.era);
  try {
    await client.connect(transport);
  } catch (e) {
    await transport.close().catch(() => undefined);
    throw new Error(`could not connect over stdio: ${(e as Error).message}\nserver log:\n${log.text()}`);
  }
  return { client, transport: "stdio", stderr: () => log.text(), close: () => client.close() };
}

async function connectHttp(env: EvalEnvironment, opts: SpawnOptions): Promise<ServerConnection> {
  const child = spawn(process.execPath, [opts.mainJs ?? DEFAULT_MAIN_JS, "serve", "--http", "0", "--workspace", env.workspace, ...(opts.serverArgs ?? [])], {
    cwd: env.dir,
    env: { ...serverEnv(), ...opts.env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const log = new LogTail();
  child.stderr!.on("data", (chunk: Buffer) => log.add(chunk));
  try {
    const url = await waitForUrl(child, log, opts.startTimeoutMs ?? 30_000);
    const client = evalClient(opts.era);
    await client.connect(new StreamableHTTPClientTransport(url));
    return {
      client,
      transport: "http",
      stderr: () => log.text(),
      close: async () => {
        await client.close().catch(() => undefined);
        await stopChild(child);
      },
    };
  } catch (e) {
    await stopChild(child);
    throw new Error(`could not connect over HTTP: ${(e as Error).message}\nserver log:\n${log.text()}`);
  }
}

/** Resolves with the MCP URL once the server logs `serving on HTTP at <url>`. */
function waitForUrl(child: ChildProcess, log: LogTail, timeoutMs: number): Promise<URL> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no "serving on HTTP at <url>" line within ${timeoutMs} ms`)), timeoutMs);
    const onData = () => {
      const m = /serving on HTTP at (http:\/\/[^\s;]+)/.exec(log.text());
      if (m) done(undefined, new URL(m[1]!));
    };
    const onExit = (code: number | null) => done(new Error(`server exited (code ${code}) before listening`));
    function done(err?: Error, url?: URL): void {
      clearTimeout(timer);
      child.stderr!.off("data", onData);
      child.off("exit", onExit);
      if (err) reject(err);
      else resolve(url!);
    }
    child.stderr!.on("data", onData);
    child.once("exit", onExit);
  });
}

/** SIGTERM (the server cancels jobs and saves them), then SIGKILL after a grace period. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * The server's environment: ours, minus the variables that would change what is under test
 * (extra readable roots, a token, a different workspace).
 */
function serverEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !["CEBRA_MCP_ROOTS", "CEBRA_MCP_TOKEN", "CEBRA_MCP_WORKSPACE"].includes(k)) env[k] = v;
  }
  return env;
}

/** The last LOG_LIMIT characters of a stream. */
class LogTail {
  private buf = "";
  add(chunk: Buffer | string): void {
    this.buf += chunk.toString();
    if (this.buf.length > 2 * LOG_LIMIT) this.buf = this.buf.slice(-LOG_LIMIT);
  }
  text(): string {
    return this.buf.length > LOG_LIMIT ? this.buf.slice(-LOG_LIMIT) : this.buf;
  }
}
