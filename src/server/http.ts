/**
 * Streamable HTTP transport (`cebra-mcp serve --http PORT`) behind a plain node:http server at `/mcp`.
 * Requests are routed by protocol era with the SDK's `isLegacyRequest`: 2026-07-28 traffic goes to
 * `createMcpHandler` (a fresh McpServer per request over the shared app state; `legacy: 'reject'`),
 * 2025-era traffic to stateful `Mcp-Session-Id` sessions (src/server/http-sessions.ts), so that a
 * legacy client's `notifications/cancelled` reaches the call it cancels.
 *
 * Safety, checked in this order for every request:
 *  1. only `/mcp` is served (404 otherwise);
 *  2. exactly one Host header, non-empty and a bare `host[:port]`, else 400 (RFC 9112 §3.2; node's own
 *     check answers a missing Host with an empty body and does not see an empty or repeated one);
 *  3. Host and Origin must name an allowed host (localhost names, the bound host, `--allowed-host`),
 *     else 403 — the DNS-rebinding guard;
 *  4. with a token configured, `Authorization: Bearer <token>` must match (constant time), else 401;
 *  5. request bodies over `maxBodyBytes` are refused with 413.
 * Binding to a non-loopback address without a token is refused at startup.
 */
import http from "node:http";
import { timingSafeEqual, createHash } from "node:crypto";
import type { AddressInfo } from "node:net";
import { createMcpHandler, isLegacyRequest } from "@modelcontextprotocol/server";
import { hostHeaderValidation, originValidation, toNodeHandler } from "@modelcontextprotocol/node";
import { UserError } from "../util/errors.js";
import type { AppState } from "../app/context.js";
import type { Catalog } from "../../tools/kit/catalog.js";
import { isLoopbackHost, type HttpConfig } from "../app/config.js";
import { logLine } from "./errors.js";
import { createServer } from "./server.js";
import { DEFAULT_SESSION_LIMITS, LegacySessions, type SessionLimits } from "./http-sessions.js";

const MCP_PATH = "/mcp";
const LOCAL_HOSTNAMES = ["localhost", "127.0.0.1", "[::1]"];

/** A running HTTP transport. */
export interface HttpServerHandle {
  /** The MCP endpoint, e.g. `http://127.0.0.1:3100/mcp`. */
  url: URL;
  port: number;
  host: string;
  /** Open 2025-era sessions (each holds one McpServer). */
  readonly legacySessions: LegacySessions;
  /** Stops accepting requests, ends all sessions, aborts in-flight exchanges and closes connections. */
  close(): Promise<void>;
}

/** Throws a UserError if the bind address needs a token that was not given. */
export function assertSafeBinding(cfg: HttpConfig): void {
  if (isLoopbackHost(cfg.host) || cfg.token) return;
  throw new UserError(
    `Refusing to listen on ${cfg.host} without a bearer token: anyone who can reach this address could run tools and read files the server can read.`,
    "Pass --token <secret> (or set CEBRA_MCP_TOKEN); clients then send 'Authorization: Bearer <secret>'. Or bind to 127.0.0.1 (the default).",
    "insecure_binding",
  );
}

/** Hostnames accepted in Host/Origin headers. */
export function allowedHostnames(cfg: HttpConfig): string[] {
  const extra = [...cfg.allowedHosts];
  if (!isWildcard(cfg.host)) extra.push(cfg.host);
  const names = [...LOCAL_HOSTNAMES, ...extra.map(bracketIpv6)];
  return [...new Set(names.map((n) => n.toLowerCase()))];
}

/**
 * Starts the HTTP transport and resolves once it is listening. `limits` bounds the 2025-era
 * sessions (defaults: DEFAULT_SESSION_LIMITS).
 */
export async function startHttpServer(app: AppState, catalog: Catalog, cfg: HttpConfig, limits: Partial<SessionLimits> = {}): Promise<HttpServerHandle> {
  assertSafeBinding(cfg);
  const onerror = (e: Error) => logLine(`http: ${e.message}`);
  const maxRequestBodySize = cfg.maxBodyBytes;
  const modern = createMcpHandler(() => createServer(app, catalog), { legacy: "reject", onerror, maxRequestBodySize });
  const legacy = new LegacySessions(() => createServer(app, catalog), { ...DEFAULT_SESSION_LIMITS, ...limits, maxRequestBodySize, onerror });
  const handle = toNodeHandler(
    {
      fetch: async (request, options) =>
        (await isLegacyRequest(request, undefined, { maxRequestBodySize })) ? legacy.fetch(request) : modern.fetch(request, options),
    },
    { onerror, maxRequestBodySize },
  );
  const hostnames = allowedHostnames(cfg);
  const checkHost = hostHeaderValidation(hostnames);
  const checkOrigin = originValidation(hostnames);
  const tokenDigest = cfg.token ? sha256(cfg.token) : undefined;

  // requireHostHeader: false lets the check below answer a missing Host with a JSON body.
  const server = http.createServer({ requireHostHeader: false }, (req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path !== MCP_PATH) return sendJsonError(res, 404, `Not found. The MCP endpoint is ${MCP_PATH}.`);
    const badHost = hostHeaderProblem(req);
    if (badHost) return sendJsonError(res, 400, badHost);
    if (!checkHost(req, res) || !checkOrigin(req, res)) return;
    if (tokenDigest && !bearerMatches(req, tokenDigest)) {
      res.setHeader("WWW-Authenticate", 'Bearer realm="cebra-mcp"');
      return sendJsonError(res, 401, "Missing or wrong bearer token. Send 'Authorization: Bearer <token>' with the server's --token / CEBRA_MCP_TOKEN value.");
    }
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > cfg.maxBodyBytes) {
      res.setHeader("Connection", "close");
      return sendJsonError(res, 413, `Request body of ${declared} bytes exceeds the limit of ${cfg.maxBodyBytes} bytes.`);
    }
    handle(req, res).catch((e: Error) => {
      onerror(e);
      if (!res.headersSent) sendJsonError(res, 500, "Internal server error.");
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(cfg.port, cfg.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const urlHost = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    url: new URL(`http://${urlHost}:${addr.port}${MCP_PATH}`),
    port: addr.port,
    host: addr.address,
    legacySessions: legacy,
    close: async () => {
      await legacy.close();
      await modern.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** A JSON-RPC-shaped error body (what MCP clients expect to parse) with an HTTP status. */
function sendJsonError(res: http.ServerResponse, status: number, message: string): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
}

/** A bare `host[:port]`: a DNS name or IPv4 address, or a bracketed IPv6 address. */
const HOST_VALUE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::\d{1,5})?$/;

/** Why the request's Host header is unusable (missing, empty, repeated, malformed), or undefined. */
function hostHeaderProblem(req: http.IncomingMessage): string | undefined {
  const values: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === "host") values.push(req.rawHeaders[i + 1]!.trim());
  const fix = "Send exactly one Host header naming this server, e.g. 'Host: 127.0.0.1:3100'.";
  if (values.length === 0) return `Bad Request: missing Host header. ${fix}`;
  if (values.length > 1) return `Bad Request: ${values.length} Host headers. ${fix}`;
  if (values[0] === "") return `Bad Request: empty Host header. ${fix}`;
  if (!HOST_VALUE.test(values[0]!)) return `Bad Request: malformed Host header (not a bare host[:port]). ${fix}`;
  return undefined;
}

function bearerMatches(req: http.IncomingMessage, tokenDigest: Buffer): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "");
  return m !== null && timingSafeEqual(sha256(m[1]!.trim()), tokenDigest);
}

/** Hashing both sides gives equal-length buffers for timingSafeEqual, whatever the token lengths. */
function sha256(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "[::]";
}

function bracketIpv6(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}
