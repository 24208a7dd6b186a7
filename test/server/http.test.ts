/**
 * The Streamable HTTP transport: concurrency across client sessions, bearer tokens, Host/Origin
 * checks (raw http.request, since fetch rewrites Host), body size limit, startup refusals, and a
 * clean shutdown on SIGTERM.
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { once } from "node:events";
import type { Client } from "@modelcontextprotocol/client";
import { assertSafeBinding, allowedHostnames, startHttpServer } from "../../src/server/http.js";
import { UserError } from "../../src/util/errors.js";
import { MAIN_JS, SMALL_BUILTIN, callOk, connectHttp, startTestHttpServer, type HttpTestServer } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";

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

/** A raw POST of an MCP tools/list request with arbitrary headers. */
function rawPost(url: URL, headers: Record<string, string>, body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} })): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream", ...headers } },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
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

test("binding to a non-loopback address without a token is refused", async () => {
  assert.throws(() => assertSafeBinding({ port: 0, host: "0.0.0.0", allowedHosts: [], maxBodyBytes: 1 }), (e: unknown) => e instanceof UserError && /--token/.test(e.fix));
  assert.doesNotThrow(() => assertSafeBinding({ port: 0, host: "0.0.0.0", token: "t", allowedHosts: [], maxBodyBytes: 1 }));
  assert.doesNotThrow(() => assertSafeBinding({ port: 0, host: "::1", allowedHosts: [], maxBodyBytes: 1 }));
  await assert.rejects(startHttpServer(open.app, { port: 0, host: "0.0.0.0", allowedHosts: [], maxBodyBytes: 1 }), UserError);
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
