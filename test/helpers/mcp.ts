/**
 * MCP test harness: real SDK clients talking to a real cebra-mcp server, either a subprocess over
 * stdio (`node dist/src/cli/main.js serve`) or the HTTP transport started in-process on an ephemeral
 * loopback port. Plus small helpers to call tools and read results.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client, StreamableHTTPClientTransport, type CallToolResult } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { openApp, closeApp, type AppState } from "../../src/app/context.js";
import { DEFAULT_MAX_BODY_BYTES, defaultConfig, type HttpConfig } from "../../src/app/config.js";
import { startHttpServer, type HttpServerHandle } from "../../src/server/http.js";
import { CATALOG } from "../../src/cli/catalog.js";

/** The built CLI entry (tests run from dist/test/...). */
export const MAIN_JS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src/cli/main.js");

export type Era = "legacy" | "auto";

/**
 * Connects a client and lists the tools once. (The catalog's tools advertise no outputSchema; the
 * server checks every structuredContent against the tool's zod output schema, tools/kit/define.ts,
 * so a mismatch fails the call and the test.)
 */
async function connectClient(transport: Parameters<Client["connect"]>[0], era: Era = "legacy"): Promise<Client> {
  const client = new Client({ name: "cebra-mcp-test", version: "0.0.0" }, { versionNegotiation: { mode: era } });
  await client.connect(transport);
  await client.listTools();
  return client;
}

/** A stdio connection to a spawned server, with its collected stderr. */
export interface StdioConnection {
  client: Client;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** Closes the client: ends the server's stdin and waits (≤ 2 s, then SIGTERM) for it to exit. */
  close(): Promise<void>;
}

/** Spawns `cebra-mcp serve --workspace <workspace> ...args` and connects a client over stdio. */
export async function connectStdio(opts: { workspace: string; args?: string[]; cwd?: string; env?: Record<string, string>; era?: Era }): Promise<StdioConnection> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [MAIN_JS, "serve", "--workspace", opts.workspace, ...(opts.args ?? [])],
    cwd: opts.cwd ?? path.dirname(opts.workspace),
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...opts.env },
    stderr: "pipe",
  });
  let log = "";
  transport.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  const client = await connectClient(transport, opts.era);
  return { client, stderr: () => log, close: () => client.close() };
}

/** An in-process HTTP server over a fresh app state. */
export interface HttpTestServer {
  app: AppState;
  handle: HttpServerHandle;
  url: URL;
  close(): Promise<void>;
}

/** Opens an app on `workspace` and starts the HTTP transport on 127.0.0.1 with an ephemeral port. */
export async function startTestHttpServer(opts: { workspace: string; http?: Partial<HttpConfig>; allowRoots?: string[]; cwd?: string }): Promise<HttpTestServer> {
  const config = defaultConfig({}, opts.cwd ?? path.dirname(opts.workspace));
  config.workspaceDir = opts.workspace;
  config.allowRoots = opts.allowRoots ?? [];
  config.shutdownGraceMs = 2000;
  config.http = { port: 0, host: "127.0.0.1", allowedHosts: [], maxBodyBytes: DEFAULT_MAX_BODY_BYTES, ...opts.http };
  const app = await openApp(config);
  const handle = await startHttpServer(app, CATALOG, config.http);
  return {
    app,
    handle,
    url: handle.url,
    close: async () => {
      await handle.close();
      await closeApp(app);
    },
  };
}

/** Connects a client to an HTTP server (optionally with a bearer token). */
export async function connectHttp(url: URL, opts: { token?: string; era?: Era } = {}): Promise<Client> {
  const token = opts.token;
  const transport = new StreamableHTTPClientTransport(url, token ? { authProvider: { token: async () => token } } : {});
  return connectClient(transport, opts.era);
}

/** Concatenated text blocks of a tool result. */
export function textOf(result: CallToolResult): string {
  return result.content.filter((c): c is { type: "text"; text: string } => c.type === "text").map((c) => c.text).join("\n");
}

/** Calls a tool, asserts it succeeded, and returns its structured content and text. */
export async function callOk<T = Record<string, unknown>>(client: Client, name: string, args: Record<string, unknown>, opts: Parameters<Client["callTool"]>[1] = {}): Promise<{ data: T; text: string; result: CallToolResult }> {
  const result = (await client.callTool({ name, arguments: args }, opts)) as CallToolResult;
  assert.notEqual(result.isError, true, `${name} failed: ${textOf(result)}`);
  return { data: result.structuredContent as T, text: textOf(result), result };
}

/** Calls a tool, asserts it returned `isError`, and returns the error text. */
export async function callError(client: Client, name: string, args: Record<string, unknown>): Promise<string> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  assert.equal(result.isError, true, `${name} should have failed but returned: ${textOf(result).slice(0, 500)}`);
  return textOf(result);
}

/** Small, fast parameters for builtin:allen-like in tests. */
export const SMALL_BUILTIN = { n_cells: 12, n_frames: 20, n_repeats: 2, frame_height: 16, frame_width: 32, feature_dim: 4, n_occluders: 0, seed: 3 };
