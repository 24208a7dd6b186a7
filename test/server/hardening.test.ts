/**
 * Protocol hardening, with messages the SDK client would never send: raw JSON-RPC lines to a spawned
 * stdio server and raw HTTP requests to the in-process HTTP transport.
 *  - stdio: requests before initialize are refused (ping allowed) and a later initialize works; a line
 *    over the 10 MiB limit gets a JSON-RPC error, is discarded without being buffered, and the server
 *    keeps serving; invalid JSON and non-JSON-RPC lines get errors instead of silence.
 *  - HTTP: a missing, empty or repeated Host header → 400 with a JSON error body; a tools/call before
 *    initialize → a JSON-RPC error, and the server keeps serving.
 *  - load: 40 concurrent tool calls (loads, listings, training jobs) over one connection raise no
 *    MaxListenersExceededWarning, over stdio and over HTTP.
 */
import test, { after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/client";
import { MAIN_JS, SMALL_BUILTIN, connectHttp, connectStdio, startTestHttpServer, textOf } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";

const tmp = tempDir();
after(tmp.cleanup);

const MiB = 1024 * 1024;
const INITIALIZE = { jsonrpc: "2.0", id: "init", method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "0" } } };

interface RpcMessage {
  jsonrpc: "2.0";
  id?: string | number | null;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

/** A spawned stdio server spoken to in raw lines. */
class RawStdio {
  readonly child: ChildProcessWithoutNullStreams;
  readonly received: RpcMessage[] = [];
  stderr = "";
  private pending = "";
  private waiters: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor(workspace: string) {
    this.child = spawn(process.execPath, [MAIN_JS, "serve", "--workspace", workspace], { cwd: path.dirname(workspace), env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" } });
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
    this.child.stderr.on("data", (c: Buffer) => (this.stderr += c.toString()));
    this.child.stdout.on("data", (c: Buffer) => {
      this.pending += c.toString();
      let nl: number;
      while ((nl = this.pending.indexOf("\n")) >= 0) {
        const line = this.pending.slice(0, nl);
        this.pending = this.pending.slice(nl + 1);
        if (line.trim()) this.received.push(JSON.parse(line) as RpcMessage);
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }

  write(text: string): void {
    this.child.stdin.write(text);
  }

  send(message: object): void {
    this.write(JSON.stringify(message) + "\n");
  }

  /** The first received message matching `pick` (waits up to `ms`). */
  async next(pick: (m: RpcMessage) => boolean, ms = 15_000): Promise<RpcMessage> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.received.findIndex(pick);
      if (i >= 0) return this.received.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      assert.ok(left > 0, `no matching message within ${ms} ms; received ${JSON.stringify(this.received).slice(0, 500)}; stderr ${this.stderr.slice(-500)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends a request and waits for the answer with its id. */
  async request(message: { id: string | number; [key: string]: unknown }): Promise<RpcMessage> {
    this.send(message);
    return this.next((m) => m.id === message.id);
  }

  /** Peak resident memory of the server (kB), where /proc is available. */
  peakRssKb(): number | undefined {
    const file = `/proc/${this.child.pid}/status`;
    if (!existsSync(file)) return undefined;
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(file, "utf8"));
    return m ? Number(m[1]) : undefined;
  }

  async close(): Promise<number | null> {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

test("stdio: requests before initialize are refused with a JSON-RPC error, ping is served, a later initialize works", { timeout: 120_000 }, async (t) => {
  const raw = new RawStdio(path.join(tmp.dir, "ws-init"));
  t.after(() => raw.close());
  const list = await raw.request({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} });
  assert.equal(list.error?.code, -32600);
  assert.match(list.error!.message, /Server not initialized: 'tools\/list' arrived before initialize\. Send an initialize request first/);
  const call = await raw.request({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "list_artifacts", arguments: {} } });
  assert.equal(call.error?.code, -32600);
  assert.equal(call.result, undefined, "the tool did not run");
  const ping = await raw.request({ jsonrpc: "2.0", id: 3, method: "ping" });
  assert.deepEqual(ping.result, {});
  const init = await raw.request(INITIALIZE);
  assert.equal((init.result as { serverInfo: { name: string } }).serverInfo.name, "cebra-mcp");
  raw.send({ jsonrpc: "2.0", method: "notifications/initialized" });
  const listed = await raw.request({ jsonrpc: "2.0", id: 4, method: "tools/list", params: {} });
  assert.ok((listed.result as { tools: unknown[] }).tools.length > 5);
});

test("stdio: an oversized line gets a JSON-RPC error, is discarded as it streams, and the server keeps serving", { timeout: 120_000 }, async (t) => {
  const raw = new RawStdio(path.join(tmp.dir, "ws-big"));
  t.after(() => raw.close());
  await raw.request(INITIALIZE);
  raw.send({ jsonrpc: "2.0", method: "notifications/initialized" });
  const before = raw.peakRssKb();

  // 160 MiB in 1 MiB pieces, then the newline: 16 times the limit, never whole in memory.
  raw.write('{"jsonrpc":"2.0","id":"big","method":"tools/call","params":{"name":"list_artifacts","arguments":{"pad":"');
  const piece = "x".repeat(MiB);
  for (let i = 0; i < 160; i++) if (!raw.child.stdin.write(piece)) await new Promise((r) => raw.child.stdin.once("drain", r));
  raw.write('"}}}\n');
  const refusal = await raw.next((m) => m.id === null);
  assert.equal(refusal.error?.code, -32600);
  assert.match(refusal.error!.message, /exceeded the limit of 10 MiB \(10485760 bytes\) and was discarded; the server keeps serving\. Fix: /);

  const ping = await raw.request({ jsonrpc: "2.0", id: "after", method: "ping" });
  assert.deepEqual(ping.result, {});
  assert.equal(raw.received.filter((m) => m.id === null).length, 0, "one error for one oversized line");
  const peak = raw.peakRssKb();
  if (before !== undefined && peak !== undefined) t.diagnostic(`peak RSS ${Math.round(before / 1024)} → ${Math.round(peak / 1024)} MiB across a 160 MiB line`);
  if (before !== undefined && peak !== undefined) assert.ok(peak - before < 64 * 1024, `peak RSS grew by ${Math.round((peak - before) / 1024)} MiB for a 160 MiB line`);

  // A line just under the limit is still read.
  const nearLimit = await raw.request({ jsonrpc: "2.0", id: "near", method: "ping", params: { _meta: { pad: "y".repeat(10 * MiB - 200) } } });
  assert.deepEqual(nearLimit.result, {});
  assert.match(raw.stderr, /discarded a message longer than 10 MiB/);
});

test("stdio: invalid JSON and non-JSON-RPC lines are answered with errors; the server keeps serving and exits 0 when stdin ends", { timeout: 120_000 }, async () => {
  const raw = new RawStdio(path.join(tmp.dir, "ws-junk"));
  raw.write("{not json\n");
  const parse = await raw.next((m) => m.error?.code === -32700);
  assert.equal(parse.id, null);
  raw.write('{"hello":"world","id":7}\n');
  const invalid = await raw.next((m) => m.error?.code === -32600);
  assert.equal(invalid.id, 7);
  raw.write("\n\r\n");
  const init = await raw.request(INITIALIZE);
  assert.ok(init.result);
  assert.equal(await raw.close(), 0);
});

test("stdio: 40 responses written while the client is not reading all arrive whole once it reads, with no listener build-up", { timeout: 120_000 }, async (t) => {
  const raw = new RawStdio(path.join(tmp.dir, "ws-backpressure"));
  t.after(() => raw.close());
  await raw.request(INITIALIZE);
  raw.send({ jsonrpc: "2.0", method: "notifications/initialized" });
  raw.child.stdout.pause();
  // Each tools/list answer is tens of kB: 40 of them overflow the pipe, so writes wait for drain.
  for (let i = 0; i < 40; i++) raw.send({ jsonrpc: "2.0", id: `list-${i}`, method: "tools/list", params: {} });
  await new Promise((r) => setTimeout(r, 1500));
  raw.child.stdout.resume();
  for (let i = 0; i < 40; i++) {
    const answer = await raw.next((m) => m.id === `list-${i}`);
    assert.ok((answer.result as { tools: unknown[] }).tools.length > 5);
  }
  assert.doesNotMatch(raw.stderr, /MaxListenersExceeded|memory leak detected/);
});

/** A raw HTTP/1.1 exchange over a socket (so Host can be missing, empty or repeated). */
function rawHttp(port: number, head: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.end(`${head}Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`));
    let text = "";
    socket.on("data", (c: Buffer) => (text += c.toString()));
    socket.on("error", reject);
    socket.on("close", () => {
      const split = text.indexOf("\r\n\r\n");
      const [head, rest] = [text.slice(0, split), text.slice(split + 4)];
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0), body: /^transfer-encoding:\s*chunked/im.test(head) ? dechunk(rest) : rest });
    });
  });
}

/** The payload of a chunked HTTP/1.1 body. */
function dechunk(body: string): string {
  let out = "";
  let at = 0;
  for (;;) {
    const eol = body.indexOf("\r\n", at);
    const size = parseInt(body.slice(at, eol), 16);
    if (!(size > 0)) return out;
    out += body.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

test("HTTP: a missing, empty, repeated or malformed Host header is refused with 400 and a JSON error naming the problem", { timeout: 120_000 }, async (t) => {
  const server = await startTestHttpServer({ workspace: path.join(tmp.dir, "ws-http") });
  t.after(() => server.close());
  const ping = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" });
  const cases: [string, RegExp][] = [
    ["POST /mcp HTTP/1.1\r\n", /missing Host header/],
    ["POST /mcp HTTP/1.1\r\nHost: \r\n", /empty Host header/],
    ["POST /mcp HTTP/1.1\r\nHost:\r\n", /empty Host header/],
    ["POST /mcp HTTP/1.0\r\n", /missing Host header/],
    [`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${server.handle.port}\r\nHost: evil.example\r\n`, /2 Host headers/],
    [`POST /mcp HTTP/1.1\r\nHost: localhost/evil\r\n`, /malformed Host header/],
  ];
  for (const [head, problem] of cases) {
    const res = await rawHttp(server.handle.port, head, ping);
    assert.equal(res.status, 400, head);
    const body = JSON.parse(res.body) as RpcMessage;
    assert.equal(body.jsonrpc, "2.0");
    assert.match(body.error!.message, problem);
    assert.match(body.error!.message, /Send exactly one Host header/);
  }
  const good = await rawHttp(server.handle.port, `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${server.handle.port}\r\n`, JSON.stringify(INITIALIZE));
  assert.equal(good.status, 200);
});

test("HTTP: a tools/call before initialize is a JSON-RPC error and the server keeps serving", { timeout: 120_000 }, async (t) => {
  const server = await startTestHttpServer({ workspace: path.join(tmp.dir, "ws-http-init") });
  t.after(() => server.close());
  const host = `Host: 127.0.0.1:${server.handle.port}\r\n`;
  const early = await rawHttp(server.handle.port, `POST /mcp HTTP/1.1\r\n${host}`, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "list_artifacts", arguments: {} } }));
  assert.equal(early.status, 400);
  const body = JSON.parse(early.body) as RpcMessage;
  assert.match(body.error!.message, /only an initialize request may come without/);
  const client = await connectHttp(server.url);
  t.after(() => client.close());
  const r = (await client.callTool({ name: "list_artifacts", arguments: {} })) as CallToolResult;
  assert.notEqual(r.isError, true, textOf(r));
});

/** 40 concurrent calls over one client: 12 loads, 25 listings and 3 short training jobs (after one load). */
async function concurrentLoad(client: import("@modelcontextprotocol/client").Client): Promise<void> {
  const first = (await client.callTool({ name: "load_recording", arguments: { source: "builtin:allen-like", builtin: SMALL_BUILTIN } })) as CallToolResult;
  assert.notEqual(first.isError, true, textOf(first));
  const recordingId = (first.structuredContent as { recording_id: string }).recording_id;
  const calls: Promise<unknown>[] = [];
  for (let i = 0; i < 40; i++) {
    if (i % 13 === 0) calls.push(client.callTool({ name: "train_embedding", arguments: { recording_id: recordingId, max_iterations: 10, batch_size: 32, output_dimension: 3, num_hidden_units: 8, device: "cpu", seed: i, wait_seconds: 30 } }));
    else if (i % 3 === 0) calls.push(client.callTool({ name: "load_recording", arguments: { source: "builtin:allen-like", builtin: { ...SMALL_BUILTIN, seed: 100 + i } } }));
    else calls.push(client.callTool({ name: "list_artifacts", arguments: { limit: 5 } }));
  }
  const results = (await Promise.all(calls)) as CallToolResult[];
  const failed = results.filter((r) => r.isError);
  assert.equal(failed.length, 0, failed.map(textOf).join("\n"));
}

test("40 concurrent calls (loads, listings, training jobs) over one stdio connection raise no MaxListenersExceededWarning", { timeout: 120_000 }, async (t) => {
  const conn = await connectStdio({ workspace: path.join(tmp.dir, "ws-load-stdio") });
  t.after(() => conn.close());
  await concurrentLoad(conn.client);
  await new Promise((r) => setTimeout(r, 200));
  assert.doesNotMatch(conn.stderr(), /MaxListenersExceeded|memory leak detected/);
});

test("the same load over one HTTP connection raises no MaxListenersExceededWarning in the server process", { timeout: 120_000 }, async (t) => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on("warning", onWarning);
  t.after(() => process.off("warning", onWarning));
  const server = await startTestHttpServer({ workspace: path.join(tmp.dir, "ws-load-http") });
  t.after(() => server.close());
  const client = await connectHttp(server.url);
  t.after(() => client.close());
  await concurrentLoad(client);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(warnings.filter((w) => /MaxListeners/.test(w)), []);
});
