/**
 * The Streamable HTTP transport: concurrency across client sessions, bearer tokens, Host/Origin
 * checks (raw http.request, since fetch rewrites Host), body size limit, startup refusals, 2025-era
 * sessions (ids, 404/400, DELETE, cap, idle expiry), and a clean shutdown on SIGTERM.
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { once } from "node:events";
import type { Client } from "@modelcontextprotocol/client";
import { assertSafeBinding, allowedHostnames, startHttpServer } from "../../src/server/http.js";
import { LegacySessions } from "../../src/server/http-sessions.js";
import { createServer } from "../../src/server/server.js";
import { UserError } from "../../src/util/errors.js";
import { MAIN_JS, SMALL_BUILTIN, callOk, connectHttp, startTestHttpServer, type HttpTestServer } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";
import { CATALOG } from "../../src/cli/catalog.js";

const tmp = tempDir();
let open: HttpTestServer;
let secured: HttpTestServer;
const TOKEN = "s3cret-token";

before(async () => {
  open = await startTestHttpServer({ workspace: path.join(tmp.dir, "open") });
  secured = await startTestHttpServer({ workspace: path.join(tmp.dir, "secured"), http: { token: TOKEN } });
});
after(async () => {
  await open.close();
  await secured.close();
  tmp.cleanup();
});

const TOOLS_LIST = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} });
const INITIALIZE = JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "0" } } });
const MCP_HEADERS = { "Content-Type": "application/json", Accept: "application/json, text/event-stream" };

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw HTTP request to the endpoint with arbitrary headers (fetch would rewrite Host). */
function rawRequest(url: URL, method: string, headers: Record<string, string>, body?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method, headers: { ...MCP_HEADERS, ...headers } }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A raw POST (an MCP tools/list request unless another body is given). */
function rawPost(url: URL, headers: Record<string, string>, body = TOOLS_LIST): Promise<RawResponse> {
  return rawRequest(url, "POST", headers, body);
}

/** Opens a 2025-era session with a raw initialize POST and returns its Mcp-Session-Id. */
async function rawInitialize(url: URL): Promise<string> {
  const res = await rawPost(url, { Host: url.host }, INITIALIZE);
  assert.equal(res.status, 200, res.body);
  const id = res.headers["mcp-session-id"];
  assert.equal(typeof id, "string", "the initialize response carries Mcp-Session-Id");
  return id as string;
}

/** tools/list on a session; returns the HTTP status. */
async function listToolsStatus(url: URL, sessionId: string): Promise<number> {
  return (await rawPost(url, { Host: url.host, "Mcp-Session-Id": sessionId, "MCP-Protocol-Version": "2025-11-25" })).status;
}

/** Opens a session's GET event stream and resolves once its headers arrived; `close` ends it. */
function openEventStream(url: URL, sessionId: string): Promise<{ status: number; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: "GET", headers: { Host: url.host, Accept: "text/event-stream", "Mcp-Session-Id": sessionId } }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, close: () => req.destroy() });
    });
    req.on("error", (e) => (req.destroyed ? undefined : reject(e)));
    req.end();
  });
}

test("20 concurrent tool calls across 4 client sessions all succeed", async () => {
  const clients: Client[] = await Promise.all([0, 1, 2, 3].map(() => connectHttp(open.url)));
  try {
    const calls = Array.from({ length: 20 }, (_, i) => {
      const client = clients[i % 4]!;
      return i % 2 === 0
        ? callOk<{ recording_id: string }>(client, "load_recording", { source: "builtin:allen-like", builtin: { ...SMALL_BUILTIN, seed: 100 + i } })
        : callOk<{ total: number }>(client, "list_artifacts", { limit: 5 });
    });
    const results = await Promise.all(calls);
    const ids = results.filter((_, i) => i % 2 === 0).map((r) => (r.data as { recording_id: string }).recording_id);
    assert.equal(new Set(ids).size, 10, "every load created its own recording");
    const listed = await callOk<{ total: number }>(clients[3]!, "list_artifacts", { kind: "recording" });
    assert.equal(listed.data.total, 10, "all sessions share one workspace");
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
});

test("both protocol eras are served", async () => {
  const modern = await connectHttp(open.url, { era: "auto" });
  try {
    const { tools } = await modern.listTools();
    assert.ok(tools.some((t) => t.name === "load_recording"));
    await callOk(modern, "list_artifacts", {});
  } finally {
    await modern.close();
  }
});

test("a token-protected server answers 401 without the right bearer token", async () => {
  const missing = await rawPost(secured.url, { Host: secured.url.host });
  assert.equal(missing.status, 401);
  assert.match(String(missing.headers["www-authenticate"]), /Bearer/);
  assert.match(missing.body, /bearer token/i);
  const wrong = await rawPost(secured.url, { Host: secured.url.host, Authorization: "Bearer nope" });
  assert.equal(wrong.status, 401);
  await assert.rejects(connectHttp(secured.url, { token: "wrong" }));
  const client = await connectHttp(secured.url, { token: TOKEN });
  try {
    await callOk(client, "list_artifacts", {});
  } finally {
    await client.close();
  }
});

test("a foreign Host or Origin is refused with 403 (DNS-rebinding guard)", async () => {
  const host = await rawPost(open.url, { Host: "evil.example:80" });
  assert.equal(host.status, 403);
  const origin = await rawPost(open.url, { Host: open.url.host, Origin: "http://evil.example" });
  assert.equal(origin.status, 403);
  const local = await rawPost(open.url, { Host: `localhost:${open.url.port}`, Origin: `http://localhost:${open.url.port}` });
  assert.notEqual(local.status, 403);
  assert.deepEqual(allowedHostnames({ port: 1, host: "10.0.0.5", allowedHosts: ["mybox.lan", "fe80::1"], maxBodyBytes: 1 }), ["localhost", "127.0.0.1", "[::1]", "mybox.lan", "[fe80::1]", "10.0.0.5"]);
});

test("an oversized body is refused with 413; other paths with 404", async () => {
  const big = "x".repeat(5 * 1024 * 1024);
  const res = await rawPost(open.url, { Host: open.url.host }, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { pad: big } }));
  assert.equal(res.status, 413);
  const other = await rawPost(new URL("/other", open.url), { Host: open.url.host });
  assert.equal(other.status, 404);
  assert.match(other.body, /\/mcp/);
});

test("a 2025-era client gets a session: its id is issued, unknown ids get 404, missing ids 400, DELETE ends it", async () => {
  const before = open.handle.legacySessions.size;
  const id = await rawInitialize(open.url);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "a random UUID");
  assert.equal(open.handle.legacySessions.size, before + 1);
  const listed = await rawPost(open.url, { Host: open.url.host, "Mcp-Session-Id": id, "MCP-Protocol-Version": "2025-11-25" });
  assert.equal(listed.status, 200);
  assert.match(listed.body, /load_recording/);

  const unknown = await rawPost(open.url, { Host: open.url.host, "Mcp-Session-Id": "not-a-session" });
  assert.equal(unknown.status, 404);
  assert.match(unknown.body, /initialize/);
  const missing = await rawPost(open.url, { Host: open.url.host });
  assert.equal(missing.status, 400);
  assert.match(missing.body, /Mcp-Session-Id/);

  const deleted = await rawRequest(open.url, "DELETE", { Host: open.url.host, "Mcp-Session-Id": id });
  assert.equal(deleted.status, 200);
  assert.equal(await listToolsStatus(open.url, id), 404, "a deleted session is gone");
  assert.equal(open.handle.legacySessions.size, before);
});

test("legacy sessions are capped: a new one replaces the longest-idle one; when all are busy it is refused with 503", async () => {
  const capped = await startHttpServer(open.app, CATALOG, { port: 0, host: "127.0.0.1", allowedHosts: [], maxBodyBytes: 1024 * 1024 }, { maxSessions: 2 });
  const streams: { close(): void }[] = [];
  try {
    const first = await rawInitialize(capped.url);
    const second = await rawInitialize(capped.url);
    const third = await rawInitialize(capped.url);
    assert.equal(capped.legacySessions.size, 2);
    assert.equal(await listToolsStatus(capped.url, first), 404, "the longest-idle session made room");
    assert.equal(await listToolsStatus(capped.url, second), 200);
    assert.equal(await listToolsStatus(capped.url, third), 200);

    for (const id of [second, third]) {
      const stream = await openEventStream(capped.url, id);
      streams.push(stream);
      assert.equal(stream.status, 200);
    }
    const refused = await rawPost(capped.url, { Host: capped.url.host }, INITIALIZE);
    assert.equal(refused.status, 503, "both sessions have an open stream, so neither is evicted");
    assert.match(refused.body, /Too many open sessions/);
    assert.equal(await listToolsStatus(capped.url, second), 200);
  } finally {
    streams.forEach((s) => s.close());
    await capped.close();
  }
  assert.equal(capped.legacySessions.size, 0, "closing the transport ends every session");
});

test("a legacy session with no open exchange expires after idleMs; one with an open stream does not", async () => {
  let clock = 0;
  const sessions = new LegacySessions(() => createServer(open.app, CATALOG), { maxSessions: 4, idleMs: 1000, maxRequestBodySize: 1024 * 1024, now: () => clock });
  const post = (body: string, sessionId?: string) =>
    sessions.fetch(new Request("http://localhost/mcp", { method: "POST", headers: { ...MCP_HEADERS, ...(sessionId ? { "Mcp-Session-Id": sessionId } : {}) }, body }));
  try {
    const init = await post(INITIALIZE);
    const idle = init.headers.get("mcp-session-id")!;
    await init.text();
    const busyInit = await post(INITIALIZE);
    const busy = busyInit.headers.get("mcp-session-id")!;
    await busyInit.text();
    const stream = await sessions.fetch(new Request("http://localhost/mcp", { method: "GET", headers: { Accept: "text/event-stream", "Mcp-Session-Id": busy } }));
    assert.equal(stream.status, 200);

    clock += 999;
    assert.equal(await sessions.sweep(), 0, "not idle long enough yet");
    clock += 1;
    assert.equal(await sessions.sweep(), 1, "the idle session expires; the streaming one stays");
    assert.equal((await post(TOOLS_LIST, idle)).status, 404);
    clock += 10_000;
    assert.equal(await sessions.sweep(), 0, "an open stream keeps its session alive");

    await stream.body!.cancel();
    clock += 1000;
    assert.equal(await sessions.sweep(), 1, "once its stream ended, it expires too");
    assert.equal(sessions.size, 0);
  } finally {
    await sessions.close();
  }
});

test("binding to a non-loopback address without a token is refused", async () => {
  assert.throws(() => assertSafeBinding({ port: 0, host: "0.0.0.0", allowedHosts: [], maxBodyBytes: 1 }), (e: unknown) => e instanceof UserError && /--token/.test(e.fix));
  assert.doesNotThrow(() => assertSafeBinding({ port: 0, host: "0.0.0.0", token: "t", allowedHosts: [], maxBodyBytes: 1 }));
  assert.doesNotThrow(() => assertSafeBinding({ port: 0, host: "::1", allowedHosts: [], maxBodyBytes: 1 }));
  await assert.rejects(startHttpServer(open.app, CATALOG, { port: 0, host: "0.0.0.0", allowedHosts: [], maxBodyBytes: 1 }), UserError);
});

test("the CLI refuses a non-loopback bind without a token, naming the fix", async () => {
  const child = spawn(process.execPath, [MAIN_JS, "serve", "--http", "0", "--host", "0.0.0.0", "--workspace", path.join(tmp.dir, "cli")], { env: { PATH: process.env.PATH ?? "", HOME: tmp.dir } });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const [code] = await once(child, "exit");
  assert.equal(code, 2);
  assert.match(stderr, /Refusing to listen on 0\.0\.0\.0/);
  assert.match(stderr, /CEBRA_MCP_TOKEN/);
});

test("an HTTP server subprocess shuts down cleanly on SIGTERM", async () => {
  const child = spawn(process.execPath, [MAIN_JS, "serve", "--http", "0", "--workspace", path.join(tmp.dir, "sig")], { env: { PATH: process.env.PATH ?? "", HOME: tmp.dir } });
  let stderr = "";
  const listening = new Promise<URL>((resolve) => {
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
      const m = /serving on HTTP at (\S+);/.exec(stderr);
      if (m) resolve(new URL(m[1]!));
    });
  });
  const url = await listening;
  const client = await connectHttp(url);
  await callOk(client, "list_artifacts", {});
  await client.close();
  child.kill("SIGTERM");
  const [code] = await once(child, "exit");
  assert.equal(code, 0);
  assert.match(stderr, /shutting down \(SIGTERM\)/);
  assert.match(stderr, /stopped/);
});
