/**
 * Multi-session training and adapt_from through a real MCP client (issue 14): train_embedding with
 * recording_ids trains one encoder per recording into one space and returns one embedding per recording
 * in their order; decode_video_frames decodes each session (by recording_id or embedding id);
 * compare_embeddings on the model reports the cross-session consistency; adapt_from fits a trained
 * encoder to a new recording with a new first layer (the copied layers frozen, as CEBRA, or all trained)
 * and records where it came from; every misuse is a tool error with the problem and the fix.
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import type { Client } from "@modelcontextprotocol/client";
import { resolveModel } from "../../src/engine/cebra/architectures.js";
import { checkModel } from "../../src/engine/cebra/lookup.js";
import { loadModel } from "../../src/app/model-artifacts.js";
import { Workspace } from "../../src/store/workspace.js";
import { callError, callOk, connectStdio, type StdioConnection } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";
import { MOVIE_BUILTIN, SMALL_TRAINING, type TrainResult } from "./analysis-fixtures.js";

type MultiResult = TrainResult & { embedding_ids?: string[]; recording_ids?: string[]; session_heldout_bits?: (number | null)[]; adapted_from?: string; warnings?: string[] };
interface Decoding { decoding_id: string; model_id: string; recording_id: string; accuracy: number; controls: Record<string, { status: string; reason?: string }> }

const tmp = tempDir();
const wsDir = path.join(tmp.dir, "ws");
let conn: StdioConnection;
let client: Client;
const rec: Record<string, string> = {};
let joint: MultiResult;

const load = async (builtin: Record<string, unknown>) => (await callOk<{ recording_id: string }>(client, "load_recording", { source: "builtin:allen-like", builtin })).data.recording_id;
const TRAIN = { ...SMALL_TRAINING, max_iterations: 30 };

before(async () => {
  conn = await connectStdio({ workspace: wsDir });
  client = conn.client;
  rec.a = await load(MOVIE_BUILTIN);
  rec.b = await load({ ...MOVIE_BUILTIN, seed: 2, n_cells: 30 });
  rec.c = await load({ ...MOVIE_BUILTIN, seed: 3, n_cells: 25 });
  rec.other_dim = await load({ ...MOVIE_BUILTIN, seed: 4, feature_dim: 4 });
  joint = (await callOk<MultiResult>(client, "train_embedding", { recording_ids: [rec.b, rec.a], ...TRAIN, shuffled_control: true })).data;
});
after(async () => {
  await conn?.close();
  tmp.cleanup();
});

test("recording_ids: one model, one embedding per recording in their order, a multi-session control", async () => {
  assert.equal(joint.status, "succeeded");
  assert.deepEqual(joint.recording_ids, [rec.b, rec.a]);
  assert.equal(joint.embedding_ids?.length, 2);
  assert.equal(joint.embedding_id, joint.embedding_ids![0]);
  assert.equal(joint.steps_done, 30);
  assert.equal(joint.session_heldout_bits?.length, 2);
  assert.ok(joint.shuffled_model_id, "the shuffled-label control was trained");
  // The built-in recordings of different seeds show different movies: the tool says so.
  assert.ok(joint.warnings?.some((w) => /different movies/.test(w)), JSON.stringify(joint.warnings));
  const ws = await Workspace.open(wsDir);
  const { model, manifest } = await loadModel(ws, joint.model_id!);
  assert.deepEqual(model.n_neurons, [30, 40], "one encoder per recording, in the order given");
  assert.deepEqual(manifest.meta.sessions!.map((s) => [s.recording_id, s.embedding_id]), [[rec.b, joint.embedding_ids![0]], [rec.a, joint.embedding_ids![1]]]);
  for (const [i, id] of joint.embedding_ids!.entries()) {
    const e = await ws.get<{ recording_id: string; session: number; rows: number }>(id, "embedding");
    assert.equal(e.meta.recording_id, joint.recording_ids![i]);
    assert.equal(e.meta.session, i);
    assert.equal(e.meta.rows, 360, "every sample of that recording is embedded");
  }
});

test("decode_video_frames decodes each session, by recording_id or by embedding id, with its controls; render and plot take the session", async () => {
  const byRecording = (await callOk<Decoding>(client, "decode_video_frames", { model_id: joint.model_id, recording_id: rec.a, shuffled_control: true })).data;
  assert.equal(byRecording.recording_id, rec.a);
  assert.equal(byRecording.model_id, joint.model_id);
  // Every control runs on this session: raw activity of rec.a, its encoder at initialisation, the multi-session control's rec.a embedding.
  for (const c of ["raw_per_sample", "raw_window_averaged", "untrained_encoder", "shuffled_labels"]) {
    assert.equal(byRecording.controls[c]?.status, "ok", `control ${c}: ${JSON.stringify(byRecording.controls[c])}`);
  }
  // Rendering and plotting work on the session's decoding and embedding.
  await callOk(client, "render_reconstruction", { decoding_id: byRecording.decoding_id, layout: "timeline" });
  const plot = (await callOk(client, "plot_embedding", { embedding_id: joint.embedding_ids![1] })).text;
  assert.ok(plot.includes(`"embedding_id":"${joint.embedding_ids![1]}"`) && plot.includes('"points_shown":360'), plot.slice(0, 300));
  const byEmbedding = (await callOk<Decoding>(client, "decode_video_frames", { embedding_id: joint.embedding_ids![0], skip_raw_controls: true })).data;
  assert.equal(byEmbedding.recording_id, rec.b);
  // The same session decoded twice the same way gives the same accuracy.
  const again = (await callOk<Decoding>(client, "decode_video_frames", { model_id: joint.model_id, recording_id: rec.b, skip_raw_controls: true })).data;
  assert.equal(again.accuracy, byEmbedding.accuracy);
});

test("decoding a multi-session model without its session, or with a recording it was not trained on, names the sessions", async () => {
  const none = await callError(client, "decode_video_frames", { model_id: joint.model_id });
  assert.match(none, /multi-session/);
  assert.ok(none.includes(rec.a) && none.includes(rec.b) && none.includes(joint.embedding_ids![1]), none);
  assert.match(none, /Fix:.*recording_id/);
  const wrong = await callError(client, "decode_video_frames", { model_id: joint.model_id, recording_id: rec.c });
  assert.ok(wrong.includes(rec.c) && wrong.includes(rec.a), wrong);
  assert.match(wrong, /Fix:/);
});

test("compare_embeddings on the model: cross-session consistency of its sessions' embeddings", async () => {
  const r = (await callOk<{ between: string; pairs: { source: string; target: string; r2: number }[]; embeddings: { embedding_id: string }[] }>(client, "compare_embeddings", { ids: [joint.model_id], bins: 20 })).data;
  assert.equal(r.between, "datasets");
  assert.deepEqual(r.embeddings.map((e) => e.embedding_id), joint.embedding_ids);
  assert.deepEqual(r.pairs.map((p) => [p.source, p.target]).sort(), [[rec.a, rec.b], [rec.b, rec.a]].sort());
  for (const p of r.pairs) assert.ok(p.r2 > -1 && p.r2 <= 1, `R² ${p.r2}`);
});

test("adapt_from: a new first layer for a new recording; the copied layers frozen (as CEBRA) or all trained", async () => {
  const frozen = (await callOk<MultiResult>(client, "train_embedding", { recording_id: rec.c, adapt_from: joint.model_id, max_iterations: 20, batch_size: 64, device: "cpu" })).data;
  assert.equal(frozen.status, "succeeded");
  assert.equal(frozen.adapted_from, joint.model_id);
  const all = (await callOk<MultiResult>(client, "train_embedding", { recording_id: rec.c, adapt_from: joint.model_id, adapt_all: true, max_iterations: 20, batch_size: 64, device: "cpu" })).data;
  const ws = await Workspace.open(wsDir);
  const source = (await loadModel(ws, joint.model_id!)).model;
  const shape = { architecture: source.config.model_architecture, num_hidden_units: source.config.num_hidden_units, output_dimension: source.config.output_dimension };
  const body = (n: number) => { const { spec, dims } = checkModel({ ...shape, n_neurons: n }); const ps = resolveModel(spec, dims).params; return [ps[2].offset, ps[ps.length - 1].offset + ps[ps.length - 1].size] as const; };
  const [s0, s1] = body(30);
  const [a0, a1] = body(25);
  const sourceBody = source.params[0].slice(s0, s1);
  const f = await loadModel(ws, frozen.model_id!);
  assert.deepEqual(f.model.n_neurons, [25]);
  assert.equal(f.model.config.output_dimension, source.config.output_dimension, "the architecture and sizes are the source's");
  assert.deepEqual(Array.from(f.model.params[0].slice(a0, a1)), Array.from(sourceBody), "frozen: every layer after the first is the source's");
  assert.deepEqual(f.manifest.meta.adapted_from, { model_id: joint.model_id, session: 0, recording_id: rec.b, frozen: true });
  assert.ok(f.manifest.parents.includes(joint.model_id!), "the adapted model names its source");
  const g = await loadModel(ws, all.model_id!);
  assert.notDeepEqual(Array.from(g.model.params[0].slice(a0, a1)), Array.from(sourceBody), "adapt_all: the copied layers train too");
  assert.equal(g.manifest.meta.adapted_from?.frozen, false);
  const decoded = (await callOk<Decoding>(client, "decode_video_frames", { model_id: frozen.model_id, skip_raw_controls: true })).data;
  assert.equal(decoded.recording_id, rec.c);
  // Its untrained-encoder control is its own start: the source's layers with the new first layer, before training.
  assert.equal(decoded.controls.untrained_encoder?.status, "ok", JSON.stringify(decoded.controls.untrained_encoder));
  const untrainedId = (await ws.get<{ untrained_embedding_id?: string }>(frozen.model_id!, "model")).meta.untrained_embedding_id;
  assert.ok(untrainedId && (await ws.has(untrainedId)), "the control's embedding is stored and linked from the model");
});

test("misuse is refused with the problem and the fix", async () => {
  const both = await callError(client, "train_embedding", { recording_id: rec.a, recording_ids: [rec.a, rec.b], ...TRAIN });
  assert.match(both, /Both recording_id and recording_ids/);
  assert.match(both, /Fix:/);
  const neither = await callError(client, "train_embedding", { ...TRAIN });
  assert.match(neither, /Neither recording_id nor recording_ids/);
  const unknown = await callError(client, "train_embedding", { recording_ids: [rec.a, "rec_zzzzzzzzzzzz"], ...TRAIN });
  assert.match(unknown, /rec_zzzzzzzzzzzz/);
  const mismatch = await callError(client, "train_embedding", { recording_ids: [rec.a, rec.other_dim], ...TRAIN });
  assert.match(mismatch, /labels do not match/);
  assert.ok(mismatch.includes(rec.other_dim), mismatch);
  assert.match(mismatch, /Fix:.*same dimension/);
  const missingColumn = await callError(client, "train_embedding", { recording_ids: [rec.a, rec.b], labels: ["speed"], ...TRAIN });
  assert.ok(missingColumn.includes(rec.b) || missingColumn.includes(rec.a), missingColumn);
  assert.match(missingColumn, /Fix:/);
  const timeMode = await callError(client, "train_embedding", { recording_ids: [rec.a, rec.b], mode: "time", ...TRAIN });
  assert.match(timeMode, /mode 'behavior'/);
  const resumeMulti = await callError(client, "train_embedding", { recording_id: rec.a, resume_from: joint.model_id, ...TRAIN });
  assert.match(resumeMulti, /multi-session model; resume_from continues single-session/);
  const adaptControl = await callError(client, "train_embedding", { recording_id: rec.c, adapt_from: joint.shuffled_model_id, ...TRAIN });
  assert.match(adaptControl, /shuffled-label control/);
  const adaptUnknown = await callError(client, "train_embedding", { recording_id: rec.c, adapt_from: "mdl_zzzzzzzzzzzz", ...TRAIN });
  assert.match(adaptUnknown, /mdl_zzzzzzzzzzzz/);
});
