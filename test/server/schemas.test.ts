/**
 * Schemas a model reads right: what `tools/list` shows a real client over stdio. Every parameter at
 * every depth is described; the whole list stays within its budget (20,000 characters); schemas use
 * only portable spellings (what the Inspector's --strict check warns about: `type` arrays, schemas
 * with no validation keyword); annotations say what each tool does; model_id/embedding_id exclusivity
 * is in the descriptions and the error. Then, over the in-memory transport with test tools: how
 * zod's non-portable output is rewritten, and that output schemas, which are not advertised, are
 * still enforced on every result.
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { InMemoryTransport, type ToolAnnotations } from "@modelcontextprotocol/server";
import { Client, type CallToolResult, type Tool as ListedTool } from "@modelcontextprotocol/client";
import { z } from "zod";
import { openApp, closeApp } from "../../src/app/context.js";
import { defaultConfig } from "../../src/app/config.js";
import { createServer } from "../../src/server/server.js";
import { defineTool, structuredResult } from "../../tools/kit/define.js";
import { connectStdio, textOf, type StdioConnection } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";

type JsonSchema = Record<string, unknown>;

/** The `tools/list` budget of the issue "Results an assistant can hold" (docs/SERVER.md). */
const TOOLS_LIST_BUDGET = 20_000;

/** What each tool does to its environment (the workspace, the jobs, the network). */
const ANNOTATIONS: Record<string, Omit<ToolAnnotations, "title">> = {
  // Writes a recording artifact; a URL is downloaded.
  load_recording: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  // Starts a job that writes a model and an embedding (a new one per call).
  train_embedding: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  get_job: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  // Stops running work (it cannot be resumed); a second cancel changes nothing.
  cancel_job: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  // Each call stores a new decoding / render artifact.
  decode_video_frames: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  decode_labels: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  render_reconstruction: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  plot_embedding: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  compare_embeddings: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  list_artifacts: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  // Reads a file's metadata (a URL is downloaded as for a load); stores nothing.
  inspect_source: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  // Starts a job that writes a model per setting, seed and recording, and a plot.
  sweep_embeddings: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
};

/** Every parameter (a property of an object schema, at any depth) as `tool.a.b` with its schema. */
function parameters(schema: JsonSchema, where: string): Array<[string, JsonSchema]> {
  const out: Array<[string, JsonSchema]> = [];
  const visit = (node: unknown, at: string): void => {
    if (!isSchema(node)) return;
    if (isSchema(node.properties)) {
      for (const [name, child] of Object.entries(node.properties)) {
        if (isSchema(child)) out.push([`${at}.${name}`, child]);
        visit(child, `${at}.${name}`);
      }
    }
    for (const k of ["anyOf", "oneOf", "allOf"]) if (Array.isArray(node[k])) for (const b of node[k] as unknown[]) visit(b, at);
    for (const k of ["items", "additionalProperties"]) visit(node[k], `${at}[]`);
  };
  visit(schema, where);
  return out;
}

/** Every subschema of a schema (for the portability checks). */
function subschemas(node: unknown, out: JsonSchema[] = []): JsonSchema[] {
  if (Array.isArray(node)) for (const x of node) subschemas(x, out);
  else if (isSchema(node)) {
    out.push(node);
    for (const [k, v] of Object.entries(node)) if (k !== "default" && k !== "const" && k !== "enum") subschemas(v, out);
  }
  return out;
}

const VALIDATION_FREE = new Set(["description", "title", "default", "examples"]);

function isSchema(v: unknown): v is JsonSchema {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

const tmp = tempDir();
let conn: StdioConnection;
let tools: ListedTool[];
let listChars: number;

before(async () => {
  conn = await connectStdio({ workspace: path.join(tmp.dir, "ws") });
  const listed = await conn.client.listTools();
  tools = listed.tools;
  listChars = JSON.stringify(listed).length;
});
after(async () => {
  await conn.close();
  tmp.cleanup();
});

test(`tools/list stays within ${TOOLS_LIST_BUDGET} characters`, () => {
  const sizes = tools.map((t) => `${t.name} ${JSON.stringify(t).length}`).join(", ");
  assert.ok(listChars <= TOOLS_LIST_BUDGET, `tools/list is ${listChars} characters (${sizes})`);
});

test("every parameter at every depth has a description", () => {
  const missing = tools.flatMap((t) => parameters(t.inputSchema as JsonSchema, t.name)).filter(([, s]) => typeof s.description !== "string" || s.description.length < 8);
  assert.deepEqual(missing.map(([name]) => name), []);
});

test("a tool description is one or two sentences: what comes back, what to call next", () => {
  for (const t of tools) {
    const sentences = (t.description ?? "").split(/(?<=[.!?])\s+(?=[A-Z])/).length;
    assert.ok(sentences <= 3 && (t.description ?? "").length <= 300, `${t.name}: ${sentences} sentences, ${t.description?.length} characters`);
    assert.match(t.description ?? "", /Returns|Lists|returns/, `${t.name} says what comes back`);
  }
});

test("schemas use portable spellings only (Inspector --strict)", () => {
  for (const t of tools) {
    assert.equal((t.inputSchema as JsonSchema).$schema, undefined, `${t.name}: no $schema`);
    assert.equal(t.outputSchema, undefined, `${t.name}: output schemas are enforced by the server, not advertised`);
    for (const s of subschemas(t.inputSchema).slice(1)) {
      assert.ok(!Array.isArray(s.type), `${t.name}: type as an array ${JSON.stringify(s)}`);
      const isProperties = Object.values(s).every(isSchema) && !("type" in s);
      if (!isProperties) assert.ok(!Object.keys(s).every((k) => VALIDATION_FREE.has(k)), `${t.name}: schema without a validation keyword ${JSON.stringify(s)}`);
    }
  }
});

test("annotations say what each tool does", () => {
  assert.deepEqual(tools.map((t) => t.name).sort(), Object.keys(ANNOTATIONS).sort());
  for (const t of tools) {
    const { title: _title, ...hints } = t.annotations ?? {};
    // Hints equal to the spec's defaults are not listed (readOnly false, destructive true, idempotent false,
    // openWorld true), nor destructive/idempotent on a read-only tool; what a client reads with the defaults applied:
    const read = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true, ...hints };
    const expected = ANNOTATIONS[t.name]!;
    const meaningful = expected.readOnlyHint ? { readOnlyHint: true, openWorldHint: expected.openWorldHint } : expected;
    assert.deepEqual(expected.readOnlyHint ? { readOnlyHint: read.readOnlyHint, openWorldHint: read.openWorldHint } : read, meaningful, t.name);
    const defaults: Record<string, unknown> = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true };
    for (const [k, v] of Object.entries(hints)) assert.notEqual(v, defaults[k], `${t.name}: ${k} is listed although it equals the spec's default`);
  }
});

test("model_id / embedding_id: exclusive in the descriptions, refused with a fix when neither is given", async () => {
  for (const name of ["decode_video_frames", "decode_labels", "plot_embedding"]) {
    const props = (tools.find((t) => t.name === name)!.inputSchema as JsonSchema).properties as Record<string, JsonSchema>;
    assert.match(String(props.model_id!.description), /embedding_id/);
    assert.match(String(props.embedding_id!.description), /model_id/);
    const r = (await conn.client.callTool({ name, arguments: {} })) as CallToolResult;
    assert.equal(r.isError, true, name);
    assert.match(textOf(r), /Neither model_id nor embedding_id was given\.[\s\S]*Fix: Pass the model_id \(or embedding_id\)/, name);
  }
});

test("zod's non-portable spellings are rewritten; output schemas are enforced on every result", async () => {
  const annotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
  const nullable = defineTool({
    name: "nullable",
    title: "Nullable",
    description: "Echoes a nullable number (test tool). Returns it.",
    inputSchema: z.object({
      n: z.number().min(0).nullable().describe("A number or null."),
      pick: z.union([z.number(), z.string()]).optional().describe("A number or a string."),
      free: z.record(z.string(), z.unknown()).optional().describe("Anything."),
    }),
    outputSchema: z.object({ n: z.number().nullable() }),
    annotations,
    async handler({ n }) {
      // A negative echo breaks the declared output (a stand-in for a server bug).
      return structuredResult(String(n), { n: n === 0 ? ("zero" as unknown as number) : n });
    },
  });
  const config = defaultConfig({}, tmp.dir);
  config.workspaceDir = path.join(tmp.dir, "ws-mem");
  const app = await openApp(config);
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  await createServer(app, { tools: [nullable], prompts: [], resources: [] }).connect(serverSide);
  const client = new Client({ name: "t", version: "0" });
  await client.connect(clientSide);
  try {
    const [tool] = (await client.listTools()).tools;
    const props = (tool!.inputSchema as JsonSchema).properties as Record<string, JsonSchema>;
    assert.deepEqual(props.n, { description: "A number or null.", anyOf: [{ type: "number", minimum: 0 }, { type: "null" }] });
    assert.deepEqual(props.pick, { description: "A number or a string.", anyOf: [{ type: "number" }, { type: "string" }] });
    assert.deepEqual(props.free, { description: "Anything.", type: "object", additionalProperties: { anyOf: ["string", "number", "boolean", "object", "array", "null"].map((type) => ({ type })) } });
    assert.equal(tool!.outputSchema, undefined);

    const ok = (await client.callTool({ name: "nullable", arguments: { n: null } })) as CallToolResult;
    assert.equal(ok.isError, undefined);
    assert.deepEqual(ok.structuredContent, { n: null });
    const bad = (await client.callTool({ name: "nullable", arguments: { n: 0 } })) as CallToolResult;
    assert.equal(bad.isError, true);
    assert.match(textOf(bad), /Internal error in nullable: nullable returned structuredContent that does not match its output schema \(n: /);
  } finally {
    await client.close();
    await closeApp(app);
  }
});
