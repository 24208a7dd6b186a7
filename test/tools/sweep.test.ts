/**
 * sweep_embeddings over a real MCP client: a 4-model sweep on a 4-repeat movie trains on repeats 0–1,
 * scores every model on the validation repeat (2) only and chooses the best mean; the test repeat (3) is
 * decoded once, for the chosen model. The test repeat is made adversarial (see withAdversarialTest), so
 * choosing on test would pick another model. The test recomputes every model's validation and test scores from
 * the stored embeddings and checks that the choice follows validation (whatever test would have chosen)
 * and that the reported test score is the chosen model's. Cancelling a running sweep keeps its finished
 * models and a usable partial result. Every result fits the 12,000-character tool budget.
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/client";
import type { JobView } from "../../tools/kit/job-view.js";
import { BUDGETS, toolResultChars } from "../../tools/kit/budget.js";
import type { SweepResult } from "../../src/app/sweep.js";
import { loadEmbedding, type ModelMeta } from "../../src/app/model-artifacts.js";
import { decodeMovie } from "../../src/decode/pipeline.js";
import { RecordingStore } from "../../src/store/recordings.js";
import { Workspace } from "../../src/store/workspace.js";
import { callError, callOk, connectStdio, type StdioConnection } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";
import { IMAGE_BUDGET, MOVIE_BUILTIN, writeLinearTrackNpz } from "./analysis-fixtures.js";

const tmp = tempDir();
const workspace = path.join(tmp.dir, "ws");
let conn: StdioConnection;
let recording: string;
/** 300 frames (10 s, so a ±1 s window is a small part of the movie) × 4 repeats, 40 cells. */
const BUILTIN = { ...MOVIE_BUILTIN, n_frames: 300, n_repeats: 4 };
const SMALL = { model_architecture: ["offset10-model"], batch_size: [64], num_hidden_units: [16], device: ["cpu"] };

let adversarial: string;

before(async () => {
  conn = await connectStdio({ workspace, cwd: tmp.dir });
  recording = (await callOk<{ recording_id: string }>(conn.client, "load_recording", { source: "builtin:allen-like", builtin: BUILTIN })).data.recording_id;
  adversarial = await withAdversarialTest(recording);
});

/**
 * The same recording, except that during the test repeat (3) each sample carries the activity of repeat
 * 0 half a movie later: a model that decodes well predicts a frame 150 frames off (a miss), one that decodes
 * badly guesses. So the better a model is on validation, the worse it scores on test, and a sweep that
 * peeked at test would choose a different model than one that selects on validation.
 */
async function withAdversarialTest(id: string): Promise<string> {
  const store = new RecordingStore(await Workspace.open(workspace));
  const rec = await store.loadRecordingArtifact(id);
  const neural = rec.neural.slice();
  const N = rec.n_neurons;
  const F = BUILTIN.n_frames;
  const start = (r: number) => rec.repeat!.indexOf(r);
  for (let f = 0; f < F; f++) neural.set(rec.neural.subarray((start(0) + ((f + F / 2) % F)) * N, (start(0) + ((f + F / 2) % F) + 1) * N), (start(3) + f) * N);
  return store.saveRecording({ ...rec, neural });
}
after(async () => {
  await conn.close();
  tmp.cleanup();
});

test("a 4-model sweep chooses on the validation repeat only and reports the chosen model's test score with controls", async (t) => {
  const settings = [{ ...SMALL, recording_id: [adversarial], output_dimension: [2, 6], learning_rate: [1e-4, 3e-3], max_iterations: [150] }];
  const call = await callOk<JobView>(conn.client, "sweep_embeddings", { settings, wait_seconds: 55 });
  assert.equal(call.data.status, "succeeded", call.text);
  const r = call.data.result as SweepResult;
  assert.ok(toolResultChars(call.result) <= BUDGETS.tool_result, `${toolResultChars(call.result)} characters`);
  const image = (call.result as CallToolResult).content.find((c) => c.type === "image");
  assert.ok(image && image.type === "image" && image.data.length <= IMAGE_BUDGET.max_result_chars, "the plot comes back within the image budget");
  assert.equal(r.models_done, 4);
  assert.deepEqual(r.swept.sort(), ["learning_rate", "output_dimension"]);
  assert.match(r.splits[0]!.split, /train repeats 0,1, validation repeat 2, test repeat 3/);
  assert.match(call.text, /Chosen: .*output_dimension=\d.*learning_rate=/s);

  // Recompute every model's validation and test score from what the sweep stored.
  const ws = await Workspace.open(workspace);
  const rec = await new RecordingStore(ws).loadRecordingArtifact(adversarial);
  const models = (await ws.manifests<ModelMeta>("model")).filter((m) => !m.meta.control && m.meta.recording_id === adversarial);
  assert.equal(models.length, 4);
  const scores = await Promise.all(models.map(async (m) => {
    const emb = await loadEmbedding(ws, m.meta.embedding_id);
    const at = (test_repeat: number) => decodeMovie(rec, emb, m.meta.architecture, { not_run: "-" }, { train_repeats: [0, 1], test_repeat, skip_raw_controls: true }).main.scores.accuracy;
    return { id: m.id, dim: m.meta.config.output_dimension, lr: m.meta.config.learning_rate, validation: at(2), test: at(3) };
  }));
  const byValidation = [...scores].sort((a, b) => b.validation - a.validation)[0]!;
  const byTest = [...scores].sort((a, b) => b.test - a.test)[0]!;
  assert.equal(r.chosen?.models[0]!.model_id, byValidation.id, "the best model on validation is chosen");
  assert.equal(r.chosen?.setting.output_dimension, byValidation.dim);
  assert.equal(r.chosen?.setting.learning_rate, byValidation.lr);
  assert.equal(r.chosen?.models[0]!.validation, byValidation.validation);
  assert.equal(r.chosen?.models[0]!.test, byValidation.test, "the reported test score is the chosen model's");
  for (const row of r.rows) {
    const mine = scores.find((s) => s.dim === row.setting.output_dimension && s.lr === row.setting.learning_rate)!;
    assert.equal(row.validation, mine.validation, "each row is its model's validation score");
  }
  // With one seed per setting, the rows carry no test scores at all: test is read only for the chosen model.
  assert.ok(!JSON.stringify(r.rows).includes("test"));
  // The adversarial test repeat ranks the models the other way round: a choice that looked at test would differ.
  assert.notEqual(byTest.id, byValidation.id, "test would choose another model here, so the choice shows it did not look");
  t.diagnostic(JSON.stringify(scores.map(({ id: _, ...x }) => x)));
  assert.ok(byValidation.test < byTest.test);
  t.diagnostic(`chosen ${byValidation.id} (validation ${byValidation.validation.toFixed(3)}); best on test ${byTest.id} (${byTest.test.toFixed(3)})`);
  const controls = r.chosen!.models[0]!.controls;
  assert.ok(typeof controls.raw_per_sample === "number" && typeof controls.raw_window_averaged === "number" && typeof controls.untrained_encoder === "number", JSON.stringify(controls));
  assert.ok(r.chosen!.models[0]!.chance > 0 && r.chosen!.models[0]!.chance < 0.5);
});

test("a cancelled sweep keeps its finished models and returns a usable partial result", async () => {
  const settings = [{ ...SMALL, recording_id: [recording], output_dimension: [3, 4, 5, 6, 7, 8], max_iterations: [400] }];
  const started = await callOk<JobView>(conn.client, "sweep_embeddings", { settings, wait_seconds: 0 });
  const jobId = started.data.job_id;
  for (;;) {
    const { data } = await callOk<JobView>(conn.client, "get_job", { job_id: jobId, wait_seconds: 0.5 });
    assert.equal(data.status, "running", "the sweep runs until it is cancelled");
    // Before the sweep's first report (it first loads the recordings and their splits) there is no message yet.
    if (data.progress?.message) assert.match(data.progress.message, /\d+ of 6 models done/);
    if ((data.progress?.step ?? 0) >= 2) break;
  }
  const cancelled = await callOk<JobView>(conn.client, "cancel_job", { job_id: jobId });
  assert.equal(cancelled.data.status, "cancelled", cancelled.text);
  const r = cancelled.data.result as SweepResult;
  assert.ok(r.cancelled && r.models_done >= 2 && r.models_done < 6, `${r.models_done} of 6 models`);
  assert.ok(r.chosen, "a choice among the finished models");
  const chosen = r.chosen.models[0]!;
  const model = await callOk<{ artifacts: { id: string }[] }>(conn.client, "list_artifacts", { kind: "model" });
  assert.ok(model.data.artifacts.some((a) => a.id === chosen.model_id), "the chosen model is a stored artifact");
  const decoded = await callOk<{ decoding_id: string }>(conn.client, "decode_video_frames", { model_id: chosen.model_id, skip_raw_controls: true });
  assert.ok(decoded.data.decoding_id, "the partial result's model decodes");
  assert.equal(r.rows.filter((row) => row.n > 0).length, r.models_done);
  assert.ok(toolResultChars(cancelled.result) <= BUDGETS.tool_result);
});

test("without movie repeats the sweep selects on the validation fold (60–80 % of samples) and tests on the last 20 %", async () => {
  const file = path.join(tmp.dir, "track.npz");
  writeLinearTrackNpz(file);
  const track = (await callOk<{ recording_id: string }>(conn.client, "load_recording", { source: file, keys: { continuous: "position" } })).data.recording_id;
  const call = await callOk<JobView>(conn.client, "sweep_embeddings", { settings: [{ ...SMALL, model_architecture: ["offset1-model"], recording_id: [track], output_dimension: [3, 6], max_iterations: [100] }], wait_seconds: 55 });
  assert.equal(call.data.status, "succeeded", call.text);
  const r = call.data.result as SweepResult;
  assert.equal(r.metric, "kNN R² (mean over label columns)");
  assert.match(r.splits[0]!.split, /^train samples 0–\d+, validation \d+–\d+, test \d+–\d+ \(continuous labels\)$/);
  const best = [...r.rows].sort((a, b) => b.validation! - a.validation!)[0]!;
  assert.equal(r.chosen?.setting.output_dimension, best.setting.output_dimension, "the best validation R² is chosen");
  assert.deepEqual(Object.keys(best.setting), ["output_dimension"], "rows show the swept settings; the rest is in fixed");
  assert.equal(r.fixed.model_architecture, "offset1-model");
  assert.ok(Number.isFinite(r.chosen!.models[0]!.test) && typeof r.chosen!.models[0]!.controls.raw_per_sample === "number");
});

test("settings a sweep cannot take are refused before a job starts, with a fix", async () => {
  const unknown = await callError(conn.client, "sweep_embeddings", { settings: [{ recording_id: [recording], train_fraction: [0.5] }] });
  assert.match(unknown, /cannot set "train_fraction"[\s\S]*Fix:/);
  const bad = await callError(conn.client, "sweep_embeddings", { settings: [{ recording_id: [recording], output_dimension: [1] }] });
  assert.match(bad, /output_dimension/);
  const none = await callError(conn.client, "sweep_embeddings", { settings: [{ output_dimension: [3] }] });
  assert.match(none, /no recording_id/);
});
