/**
 * Strict tool inputs: an argument a tool does not have (at the top level or inside a nested option
 * object, a list of objects or one branch of a union) is refused with an isError result that names it,
 * the nearest valid name and every valid one, instead of being silently dropped. Test-only tools over
 * the SDK's in-memory transport (the same createServer path), then the real catalog over stdio.
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
import { defineTool, textResult } from "../../tools/kit/define.js";
import { SMALL_BUILTIN, callError, callOk, connectStdio, textOf, type StdioConnection } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";

const annotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

const nested = defineTool({
  name: "nested",
  title: "Nested",
  description: "Echoes its arguments (test tool with nested objects, lists, unions and a record).",
  inputSchema: z.object({
    colour_by: z.union([z.enum(["frame", "time"]), z.object({ column: z.string() })]).default("frame"),
    movie: z.object({ path: z.string(), frame_rate_hz: z.number().optional() }).optional(),
    segments: z.array(z.object({ start: z.number(), end: z.number() })).optional(),
    keys: z.record(z.string(), z.string()).optional(),
    free: z.looseObject({ a: z.number().optional() }).optional(),
  }),
  annotations,
  async handler(args) {
    return textResult(JSON.stringify(args));
  },
});

const other = defineTool({
  name: "other",
  title: "Other",
  description: "Takes a bins argument (test tool).",
  inputSchema: z.object({ bins: z.number().int().min(1).max(10).optional() }),
  annotations,
  async handler() {
    return textResult("ok");
  },
});

const tmp = tempDir();
let app: AppState;
let client: Client;

before(async () => {
  const config = defaultConfig({}, tmp.dir);
  config.workspaceDir = path.join(tmp.dir, "ws");
  app = await openApp(config);
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  await createServer(app, { tools: [nested, other], prompts: [], resources: [] }).connect(serverSide);
  client = new Client({ name: "t", version: "0" });
  await client.connect(clientSide);
});
after(async () => {
  await client.close();
  await closeApp(app);
  tmp.cleanup();
});

async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

test("an unknown top-level argument is refused, with the nearest valid name and the full list", { timeout: 120_000 }, async () => {
  const r = await call("nested", { color_by: "time" });
  assert.equal(r.isError, true);
  const text = textOf(r);
  assert.match(text, /Unknown argument 'color_by' for tool nested/);
  assert.match(text, /Did you mean 'colour_by'\?/);
  assert.match(text, /Valid arguments: colour_by, free, keys, movie, segments\./);
});

test("an argument that belongs to another tool says which", { timeout: 120_000 }, async () => {
  const text = textOf(await call("nested", { bins: 3 }));
  assert.match(text, /Unknown argument 'bins'/);
  assert.match(text, /'bins' is an argument of other\./);
});

test("unknown fields inside nested objects, lists of objects and union branches are refused with their path", { timeout: 120_000 }, async () => {
  const movie = textOf(await call("nested", { movie: { path: "m.npy", fps: 30 } }));
  assert.match(movie, /movie\.fps/);
  assert.match(movie, /Unknown field 'fps' for 'movie' of tool nested\. Valid fields: frame_rate_hz, path\./);
  const listed = textOf(await call("nested", { segments: [{ start: 0, end: 1 }, { start: 2, stop: 3 }] }));
  assert.match(listed, /Unknown field 'stop' for 'segments\.1'/);
  const branch = textOf(await call("nested", { colour_by: { column: "x", columns: ["y"] } }));
  assert.match(branch, /Unknown field 'columns' for 'colour_by'.*Did you mean 'column'\?/);
});

test("several unknown arguments are all named", { timeout: 120_000 }, async () => {
  const text = textOf(await call("nested", { a1: 1, movie: { path: "p", zz: 1 } }));
  assert.match(text, /'a1'/);
  assert.match(text, /'zz'/);
});

test("records and open objects keep accepting any key; valid calls still pass and keep their defaults", { timeout: 120_000 }, async () => {
  const r = await call("nested", { keys: { neural: "X", anything: "Y" }, free: { a: 1, b: 2 }, segments: [{ start: 0, end: 1 }] });
  assert.notEqual(r.isError, true, textOf(r));
  const echoed = JSON.parse(textOf(r));
  assert.deepEqual(echoed.keys, { neural: "X", anything: "Y" });
  assert.equal(echoed.colour_by, "frame");
  assert.notEqual((await call("other", {})).isError, true);
});

test("the advertised schemas close every fixed-property object and leave records open", { timeout: 120_000 }, async () => {
  const { tools } = await client.listTools();
  const schema = tools.find((t) => t.name === "nested")!.inputSchema as Record<string, any>;
  assert.equal(schema.additionalProperties, false);
  assert.equal(schema.properties.movie.additionalProperties, false);
  assert.equal(schema.properties.segments.items.additionalProperties, false);
  assert.equal(schema.properties.colour_by.anyOf[1].additionalProperties, false);
  assert.deepEqual(schema.properties.keys.additionalProperties, { type: "string" });
  assert.notEqual(schema.properties.free.additionalProperties, false);
});

test("the real catalog over stdio: color_by and misplaced options are refused, every tool schema is closed", { timeout: 120_000 }, async (t) => {
  const conn: StdioConnection = await connectStdio({ workspace: path.join(tmp.dir, "stdio-ws") });
  t.after(() => conn.close());
  const { tools } = await conn.client.listTools();
  for (const tool of tools) assert.equal(tool.inputSchema.additionalProperties, false, `${tool.name} inputSchema is closed`);
  const plot = await callError(conn.client, "plot_embedding", { model_id: "mdl_000000000000", color_by: "time" });
  assert.match(plot, /Unknown argument 'color_by' for tool plot_embedding\. Did you mean 'colour_by'\?/);
  const wrongTool = await callError(conn.client, "list_artifacts", { colour_by: "time" });
  assert.match(wrongTool, /'colour_by' is an argument of plot_embedding\. Valid arguments: kind, limit\./);
  const nestedLoad = await callError(conn.client, "load_recording", { source: "x.npz", movie: { path: "m.npy", fps: 30 } });
  assert.match(nestedLoad, /Unknown field 'fps' for 'movie' of tool load_recording/);
  const training = await callError(conn.client, "train_embedding", { recording_id: "rec_000000000000", max_iters: 10 });
  assert.match(training, /Did you mean 'max_iterations'\?/);
  await callOk(conn.client, "load_recording", { source: "builtin:allen-like", builtin: SMALL_BUILTIN });
});
