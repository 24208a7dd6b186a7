/**
 * The untrained-encoder control through a real MCP client (Streamable HTTP, in-process server, so the
 * test can also open the stored artifacts): decode_video_frames and decode_labels report
 * controls.untrained_encoder decoded with the same protocol; its embedding is the model's encoder at
 * initialisation over the same recording, stored once and reused by later decodings.
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import type { Client } from "@modelcontextprotocol/client";
import { callError, callOk, connectHttp, startTestHttpServer, type HttpTestServer } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";
import {
  MOVIE_BUILTIN, SMALL_TRAINING, readStoredDecoding, writeLinearTrackNpz, type FrameDecoding, type LabelDecoding, type TrainResult,
} from "./analysis-fixtures.js";
import { loadEmbedding, loadModel } from "../../src/app/model-artifacts.js";
import { transformRecording, untrainedModel } from "../../src/engine/train/transform.js";

const tmp = tempDir();
let server: HttpTestServer;
let client: Client;
let modelId = "";
let recordingId = "";

before(async () => {
  server = await startTestHttpServer({ workspace: path.join(tmp.dir, "ws") });
  client = await connectHttp(server.url);
  recordingId = (await callOk<{ recording_id: string }>(client, "load_recording", { source: "builtin:allen-like", builtin: MOVIE_BUILTIN })).data.recording_id;
  const trained = await callOk<TrainResult>(client, "train_embedding", { recording_id: recordingId, ...SMALL_TRAINING, wait_seconds: 55 });
  assert.equal(trained.data.status, "succeeded");
  modelId = trained.data.model_id!;
});
after(async () => {
  await client?.close();
  await server?.close();
  tmp.cleanup();
});

type Stored = Awaited<ReturnType<typeof readStoredDecoding>> & {
  untrained_embedding_id: string | null;
  controls: Record<string, { status: string; result?: { k: number; features_source: string; test_repeat: number; train_repeats: number[]; window: number; k_selection: { criterion: string } } }>;
};

test("decode_video_frames reports the untrained encoder, decoded with the same protocol, from one stored embedding", async () => {
  const { data, text } = await callOk<FrameDecoding>(client, "decode_video_frames", { model_id: modelId, skip_raw_controls: true });
  const c = data.controls.untrained_encoder;
  assert.equal(c?.status, "ok", JSON.stringify(c));
  const acc = c!.scores?.accuracy as number;
  assert.ok(acc >= 0 && acc <= 1, `untrained accuracy ${acc}`);
  assert.equal(c!.scores?.n_test, data.n_test, "same test samples");
  assert.equal(c!.scores?.window, data.window, "same window");
  assert.match(c!.description, /same architecture at its initialisation/);
  assert.match(text, /Control untrained_encoder: \d+\.\d% within/);
  assert.match(text, /untrained encoder \d+\.\d%/);
  assert.match(text, /(above|below) the untrained encoder/);

  const full = (await readStoredDecoding(client, data.decoding_id)) as Stored;
  assert.match(full.untrained_embedding_id ?? "", /^emb_/);
  const page = JSON.parse(((await client.readResource({ uri: data.table_uri })).contents[0] as { text: string }).text) as { untrained_embedding_id: string; controls: Record<string, { status: string }> };
  assert.equal(page.untrained_embedding_id, full.untrained_embedding_id, "the decoding resource names it");
  assert.equal(page.controls.untrained_encoder?.status, "ok");
  const u = full.controls.untrained_encoder!.result!;
  assert.deepEqual([u.test_repeat, u.train_repeats, u.window, u.k_selection.criterion], [full.main.test_repeat, full.main.train_repeats, full.main.window, (full.main as unknown as Stored["controls"][string]["result"])!.k_selection.criterion]);
  assert.match(u.features_source, new RegExp(`untrained CEBRA encoder \\(${modelId} at initialisation\\)`));

  // The stored embedding is the model's encoder at its initialisation over the same recording.
  const ws = server.app.workspace;
  const emb = await loadEmbedding(ws, full.untrained_embedding_id!);
  assert.equal(emb.manifest.meta.control, "untrained_encoder");
  assert.equal(emb.manifest.meta.model_id, modelId);
  const { model, manifest } = await loadModel(ws, modelId);
  assert.equal(manifest.meta.untrained_embedding_id, full.untrained_embedding_id, "linked from the model");
  const rec = await server.app.recordings.loadRecordingArtifact(recordingId);
  const want = await transformRecording(untrainedModel(model), rec.neural, rec.n_samples, rec.n_neurons);
  assert.deepEqual(emb.data, want);
  const trained = await loadEmbedding(ws, manifest.meta.embedding_id);
  assert.notDeepEqual(emb.data, trained.data, "not the trained embedding");

  // A second decoding reuses it: same id, no new embedding artifact, same score.
  const before = (await callOk<{ counts: Record<string, number> }>(client, "list_artifacts", {})).data.counts.embedding;
  const again = await callOk<FrameDecoding>(client, "decode_video_frames", { model_id: modelId, skip_raw_controls: true });
  const full2 = (await readStoredDecoding(client, again.data.decoding_id)) as Stored;
  assert.equal(full2.untrained_embedding_id, full.untrained_embedding_id);
  assert.equal((await callOk<{ counts: Record<string, number> }>(client, "list_artifacts", {})).data.counts.embedding, before);
  assert.equal(again.data.controls.untrained_encoder?.scores?.accuracy, acc);

  // Plotted, it shows no loss curve (it had no training); its title names the control (looked at by eye).
  const plotOf = async (args: Record<string, unknown>) => JSON.parse((await callOk(client, "plot_embedding", { ...args, include_loss: true })).text) as { files: { path: string }[]; notes: string[] };
  assert.ok((await plotOf({ model_id: modelId })).notes.some((n) => /loss panel/.test(n)), "the trained model's plot has its loss panel");
  assert.ok(!(await plotOf({ embedding_id: full.untrained_embedding_id })).notes.some((n) => /loss panel/.test(n)), "the untrained one has none");
  // The control's embedding is not decoded as if it were the model's.
  assert.match(await callError(client, "decode_video_frames", { embedding_id: full.untrained_embedding_id }), /untrained-encoder control/);
});

test("a model that learns nothing (1 step at learning rate 1e-9) decodes as its untrained-encoder control", async () => {
  const idle = await callOk<TrainResult>(client, "train_embedding", { recording_id: recordingId, ...SMALL_TRAINING, max_iterations: 1, learning_rate: 1e-9, wait_seconds: 55 });
  const { data } = await callOk<FrameDecoding>(client, "decode_video_frames", { model_id: idle.data.model_id, skip_raw_controls: true });
  const u = data.controls.untrained_encoder?.scores?.accuracy as number;
  assert.ok(Math.abs(data.accuracy - u) <= 0.02, `idle model ${data.accuracy} vs its untrained encoder ${u}`);
  // Not just the same score: nearly the same decoded frame for every sample (another initialisation would not agree).
  const full = (await readStoredDecoding(client, data.decoding_id)) as Stored & { controls: { untrained_encoder: { result: { rows: { sample: number; predicted_frame: number }[] } } } };
  const control = new Map(full.controls.untrained_encoder.result.rows.map((r) => [r.sample, r.predicted_frame]));
  const same = full.main.rows.filter((r) => control.get(r.sample) === r.predicted_frame).length;
  assert.ok(same >= 0.9 * full.main.rows.length, `${same} of ${full.main.rows.length} decoded frames agree`);
});

test("decode_labels reports the untrained encoder's r² beside the model's", async () => {
  const trackFile = path.join(tmp.dir, "linear-track.npz");
  writeLinearTrackNpz(trackFile);
  const rec = await callOk<{ recording_id: string }>(client, "load_recording", { source: trackFile, keys: { continuous: "position" } });
  const trained = await callOk<TrainResult>(client, "train_embedding", { recording_id: rec.data.recording_id, mode: "behavior", labels: "continuous", train_fraction: 0.8, ...SMALL_TRAINING, max_iterations: 200, wait_seconds: 55 });
  const { data, text } = await callOk<LabelDecoding>(client, "decode_labels", { model_id: trained.data.model_id, skip_raw_controls: true });
  const c = data.controls.untrained_encoder;
  assert.equal(c?.status, "ok", JSON.stringify(c));
  assert.equal(typeof c!.scores?.r2_mean, "number");
  assert.equal((c!.scores?.r2 as number[]).length, data.scores.r2.length);
  assert.equal(c!.scores?.n_test, data.scores.n_test);
  assert.match(text, /untrained encoder -?\d\.\d{3}/);
});
