/**
 * Prompts through a real MCP client: listing, getting (texts name the tools and the user's ids), the
 * explain prompt's embedded lineage, argument completion from the workspace, and errors for bad ids.
 * The server is the project's own (createServer over an app state, which registers the prompts), served
 * by the SDK's createMcpHandler in process, and reached by both the legacy and the 2026-07-28 client.
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { createMcpHandler } from "@modelcontextprotocol/server";
import { closeApp, openApp, type AppState } from "../../src/app/context.js";
import { defaultConfig } from "../../src/app/config.js";
import { createServer } from "../../src/server/server.js";
import { tempDir } from "../helpers/tmp.js";
import { CATALOG } from "../../src/cli/catalog.js";

const tmp = tempDir("cebra-prompts-");
let app: AppState;
let handler: ReturnType<typeof createMcpHandler>;
const ids = { recording: "", model: "", decoding: "", bigRecording: "" };

before(async () => {
  const config = defaultConfig({}, tmp.dir);
  config.workspaceDir = path.join(tmp.dir, "ws");
  app = await openApp(config);
  const ws = app.workspace;
  const rec = await ws.create("recording", { summary: "builtin:allen-like calcium dff: 60 units × 360 samples", meta: { n_neurons: 60, provenance: { source: "builtin:allen-like", sha256: "ab".repeat(32), preprocessing: [{ op: "zscore", params: {} }] } } });
  const big = await ws.create("recording", { summary: "a recording with huge metadata", meta: { blob: "x".repeat(20_000) } });
  const model = await ws.create("model", { summary: "offset10-model, behavior on frame_features, 400 steps, seed 1", parents: [rec.id], meta: { config: { seed: 1, max_iterations: 400 } } });
  const dec = await ws.create("decoding", { summary: "frames: accuracy 0.62 (window 5) vs chance 0.11, test repeat 3", parents: [model.id, big.id], meta: { scores: { accuracy: 0.62 }, chance: { accuracy: 0.11 }, test_repeat: 3 } });
  Object.assign(ids, { recording: rec.id, model: model.id, decoding: dec.id, bigRecording: big.id });
  handler = createMcpHandler(() => createServer(app, CATALOG));
});

after(async () => {
  await handler?.close();
  if (app) await closeApp(app);
  tmp.cleanup();
});

async function connect(era: "legacy" | "auto"): Promise<Client> {
  const client = new Client({ name: "prompts-test", version: "0" }, { versionNegotiation: { mode: era } });
  await client.connect(new StreamableHTTPClientTransport(new URL("http://localhost/mcp"), { fetch: (url, init) => handler.fetch(new Request(url, init)) }));
  return client;
}

function textOf(result: Awaited<ReturnType<Client["getPrompt"]>>, i = 0): string {
  const c = result.messages[i]!.content;
  assert.equal(c.type, "text");
  return (c as { text: string }).text;
}

for (const era of ["legacy", "auto"] as const) {
  test(`prompts are listed with their arguments (${era} client)`, async (t) => {
    const client = await connect(era);
    t.after(() => client.close());
    if (era === "auto") assert.equal(client.getNegotiatedProtocolVersion(), "2026-07-28");
    const { prompts } = await client.listPrompts();
    assert.deepEqual(prompts.map((p) => p.name), ["movie_decoding_analysis", "hypothesis_testing", "explain_decoding"]);
    const args = Object.fromEntries(prompts.map((p) => [p.name, (p.arguments ?? []).map((a) => `${a.name}${a.required ? "*" : ""}`)]));
    assert.deepEqual(args, { movie_decoding_analysis: ["recording", "test_repeat"], hypothesis_testing: ["recording_id*", "hypotheses", "seeds"], explain_decoding: ["decoding_id*", "audience"] });
    for (const p of prompts) assert.ok(p.title && p.description && p.description.length > 60, `${p.name} is described`);
    assert.ok(client.getServerCapabilities()?.completions, "completions capability advertised");
  });
}

test("movie_decoding_analysis: defaults to the built-in recording; uses a given id or source", async (t) => {
  const client = await connect("legacy");
  t.after(() => client.close());
  const plain = textOf(await client.getPrompt({ name: "movie_decoding_analysis" }));
  for (const word of ['load_recording with source "builtin:allen-like"', "train_embedding", "get_job", "decode_video_frames", "shuffled_control true", "render_reconstruction", "RETRIEVED", "the last repeat"]) {
    assert.ok(plain.includes(word), `mentions ${word}`);
  }
  const withId = textOf(await client.getPrompt({ name: "movie_decoding_analysis", arguments: { recording: ids.recording, test_repeat: "3" } }));
  assert.match(withId, new RegExp(`Use recording ${ids.recording}, which is already loaded`));
  assert.match(withId, /every repeat except repeat 3/);
  assert.match(withId, /test_repeat = 3/);
  const withPath = textOf(await client.getPrompt({ name: "movie_decoding_analysis", arguments: { recording: "data/session.nwb" } }));
  assert.match(withPath, /load_recording with source "data\/session\.nwb"\./);
  await assert.rejects(client.getPrompt({ name: "movie_decoding_analysis", arguments: { test_repeat: "last" } }), /test_repeat/);
  // Unknown arguments are refused by name, not silently dropped (as for tools).
  await assert.rejects(client.getPrompt({ name: "movie_decoding_analysis", arguments: { recording_id: ids.recording } }), /Unrecognized key: "recording_id"/);
});

test("hypothesis_testing: names each hypothesis, the seeds and the controls", async (t) => {
  const client = await connect("legacy");
  t.after(() => client.close());
  const text = textOf(await client.getPrompt({ name: "hypothesis_testing", arguments: { recording_id: ids.recording, hypotheses: "frame_features, time, shuffled", seeds: "2" } }));
  assert.match(text, new RegExp(`recording ${ids.recording}`));
  assert.match(text, /frame_features \(the movie frame on screen; mode "behavior"\); time \(no labels, time-contrastive; mode "time"\); shuffled/);
  assert.match(text, /with 2 seeds \(seed 1…2\)/);
  assert.match(text, /beats chance AND its shuffled-label control/);
  const defaults = textOf(await client.getPrompt({ name: "hypothesis_testing", arguments: { recording_id: ids.recording } }));
  assert.match(defaults, /with 3 seeds/);
  await assert.rejects(client.getPrompt({ name: "hypothesis_testing", arguments: {} }), /recording_id/);
});

test("explain_decoding embeds the decoding's lineage from the workspace", async (t) => {
  const client = await connect("auto");
  t.after(() => client.close());
  const result = await client.getPrompt({ name: "explain_decoding", arguments: { decoding_id: ids.decoding, audience: "student" } });
  assert.match(textOf(result), new RegExp(`Explain decoding ${ids.decoding} to an undergraduate`));
  const block = result.messages[1]!.content as { type: string; resource: { uri: string; text: string } };
  assert.equal(block.type, "resource");
  assert.equal(block.resource.uri, `decoding://${ids.decoding}`);
  const { lineage } = JSON.parse(block.resource.text) as { lineage: { id: string; kind: string; meta: Record<string, unknown>; summary: string }[] };
  assert.deepEqual(lineage.map((e) => e.id), [ids.decoding, ids.model, ids.bigRecording, ids.recording]);
  assert.deepEqual(lineage.map((e) => e.kind), ["decoding", "model", "recording", "recording"]);
  assert.deepEqual(lineage[0]!.meta, { scores: { accuracy: 0.62 }, chance: { accuracy: 0.11 }, test_repeat: 3 });
  assert.equal((lineage[3]!.meta.provenance as { sha256: string }).sha256, "ab".repeat(32));
  assert.deepEqual(lineage[2]!.meta, { truncated: true, chars: 20_011, read: `recording://${ids.bigRecording}` });
});

test("explain_decoding refuses unknown and malformed ids with the way to find a valid one", async (t) => {
  const client = await connect("legacy");
  t.after(() => client.close());
  await assert.rejects(client.getPrompt({ name: "explain_decoding", arguments: { decoding_id: "dec_zzzzzzzzzzzz" } }), /No decoding with id dec_zzzzzzzzzzzz\. Existing decoding ids \(newest first\): dec_.*list_artifacts/s);
  await assert.rejects(client.getPrompt({ name: "explain_decoding", arguments: { decoding_id: ids.model } }), /is a model id, but a decoding id/);
});

test("arguments complete from the workspace and from fixed choices", async (t) => {
  const client = await connect("legacy");
  t.after(() => client.close());
  const complete = async (prompt: string, argument: string, value: string) =>
    (await client.complete({ ref: { type: "ref/prompt", name: prompt }, argument: { name: argument, value } })).completion.values;
  assert.deepEqual(await complete("movie_decoding_analysis", "recording", ""), [ids.bigRecording, ids.recording, "builtin:allen-like"]);
  assert.deepEqual(await complete("movie_decoding_analysis", "recording", "bu"), ["builtin:allen-like"]);
  assert.deepEqual(await complete("hypothesis_testing", "recording_id", "rec_"), [ids.bigRecording, ids.recording]);
  assert.deepEqual(await complete("explain_decoding", "decoding_id", "dec"), [ids.decoding]);
  assert.deepEqual(await complete("explain_decoding", "decoding_id", "mdl"), []);
  assert.deepEqual(await complete("explain_decoding", "audience", "s"), ["student", "scientist"]);
  assert.equal((await complete("hypothesis_testing", "hypotheses", "frame")).length, 2);
});
