/**
 * The tool wrapper: every failure a handler can produce becomes an isError result and the server keeps
 * serving; progress is forwarded only when asked for and only while it increases. Uses test-only tools
 * registered through the same createServer path, over the SDK's in-memory transport.
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { InMemoryTransport } from "@modelcontextprotocol/server";
import { Client, type CallToolResult } from "@modelcontextprotocol/client";
import { z } from "zod";
import { openApp, closeApp, type AppState } from "../../src/app/context.js";
import { defaultConfig } from "../../src/app/config.js";
import { createServer } from "../../src/server/server.js";
import { defineTool, structuredResult, textResult } from "../../tools/kit/define.js";
import { CancelledError, UserError } from "../../src/util/errors.js";
import { textOf } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";

const failing = defineTool({
  name: "fail",
  title: "Fail",
  description: "Fails in the requested way (test tool).",
  inputSchema: z.object({ how: z.enum(["user", "bug", "cancel", "ok"]) }),
  outputSchema: z.object({ fine: z.boolean() }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler({ how }) {
    if (how === "user") throw new UserError("Frame range 0–900 exceeds the recording's 600 frames.", "Call load_recording to see n_frames.");
    if (how === "bug") throw new TypeError("cannot read properties of undefined (reading 'length')");
    if (how === "cancel") throw new CancelledError("stopped by test");
    return structuredResult("fine", { fine: true });
  },
});

const progressing = defineTool({
  name: "progress",
  title: "Progress",
  description: "Reports progress 1, 2, 2, 1, 3 (test tool).",
  inputSchema: z.object({}),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(_args, ctx) {
    for (const p of [1, 2, 2, 1, 3]) await ctx.progress(p, 3, `at ${p}`);
    return textResult(`wantsProgress=${ctx.wantsProgress}`);
  },
});

const tmp = tempDir();
let app: AppState;
let client: Client;
const logged: string[] = [];
const realWrite = process.stderr.write.bind(process.stderr);

before(async () => {
  const config = defaultConfig({}, tmp.dir);
  config.workspaceDir = path.join(tmp.dir, "ws");
  app = await openApp(config);
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  await createServer(app, { tools: [failing, progressing], prompts: [], resources: [] }).connect(serverSide);
  client = new Client({ name: "t", version: "0" });
  await client.connect(clientSide);
  await client.listTools();
  process.stderr.write = ((chunk: string | Uint8Array) => {
    logged.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
});
after(async () => {
  process.stderr.write = realWrite;
  await client.close();
  await closeApp(app);
  tmp.cleanup();
});

async function call(name: string, args: Record<string, unknown>, opts = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args }, opts)) as CallToolResult;
}

test("a UserError becomes an isError result with the problem and the fix", async () => {
  const r = await call("fail", { how: "user" });
  assert.equal(r.isError, true);
  assert.equal(textOf(r), "Frame range 0–900 exceeds the recording's 600 frames.\nFix: Call load_recording to see n_frames.");
});

test("an unexpected error becomes a short isError result; the stack goes to stderr; the server keeps serving", async () => {
  const r = await call("fail", { how: "bug" });
  assert.equal(r.isError, true);
  assert.match(textOf(r), /^Internal error in fail: cannot read properties/);
  assert.doesNotMatch(textOf(r), /at .*\.js:\d+/, "no stack trace in the result");
  assert.ok(logged.some((l) => /unexpected error in fail: TypeError/.test(l) && /\.js:\d+/.test(l)), "stack logged to stderr");
  const ok = await call("fail", { how: "ok" });
  assert.deepEqual(ok.structuredContent, { fine: true });
});

test("a cancellation is reported as such", async () => {
  const r = await call("fail", { how: "cancel" });
  assert.equal(r.isError, true);
  assert.equal(textOf(r), "Cancelled: stopped by test.");
});

test("progress is sent only when the client asks, and only while it increases", async () => {
  const seen: number[] = [];
  const r = await call("progress", {}, { onprogress: (p: { progress: number }) => seen.push(p.progress) });
  assert.equal(textOf(r), "wantsProgress=true");
  assert.deepEqual(seen, [1, 2, 3]);
  const quiet = await call("progress", {});
  assert.equal(textOf(quiet), "wantsProgress=false");
});
