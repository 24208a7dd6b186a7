/**
 * train_embedding resume_from through a real MCP client: a stored model continues from its saved Adam
 * state into a new model (the old one stays), reusing the model's recording, labels and split; bad
 * combinations are refused with the fix.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { callError, callOk } from "../helpers/mcp.js";
import { MOVIE_BUILTIN, SMALL_TRAINING, stdioMovieFixture, type TrainResult } from "./analysis-fixtures.js";

let otherRecordingId = "";
const fx = stdioMovieFixture(async ({ client }) => {
  otherRecordingId = (await callOk<{ recording_id: string }>(client, "load_recording", { source: "builtin:allen-like", builtin: { ...MOVIE_BUILTIN, seed: 2 } })).data.recording_id;
});

test("resume_from continues a model into a new one, counting all steps", async () => {
  const first = (await callOk<TrainResult>(fx.client, "train_embedding", { recording_id: fx.recordingId, ...SMALL_TRAINING, max_iterations: 20, train_repeats: [0, 1] })).data;
  assert.equal(first.steps_done, 20);
  // threads may change on resume (like the device); it does not change the trajectory.
  const second = (await callOk<TrainResult & { split: string }>(fx.client, "train_embedding", { recording_id: fx.recordingId, ...SMALL_TRAINING, max_iterations: 15, threads: 2, resume_from: first.model_id })).data;
  assert.equal(second.status, "succeeded");
  assert.notEqual(second.model_id, first.model_id);
  assert.equal(second.steps_done, 35, "the resumed model counts the saved steps too");
  // The split comes from the resumed model (repeats 0-1 train), not from this call's defaults.
  assert.match(second.split, /repeats 0, 1 train/);
  const models = (await callOk<{ artifacts: { id: string; parents: string[] }[] }>(fx.client, "list_artifacts", { kind: "model" })).data.artifacts;
  const resumed = models.find((m) => m.id === second.model_id)!;
  assert.ok(resumed.parents.includes(first.model_id!), "the new model names the model it continued");
  assert.ok(models.some((m) => m.id === first.model_id), "the old model stays");
});

test("resume_from refuses another recording and a shuffled control, with the fix", async () => {
  const first = (await callOk<TrainResult>(fx.client, "train_embedding", { recording_id: fx.recordingId, ...SMALL_TRAINING, max_iterations: 5 })).data;
  const wrongRec = await callError(fx.client, "train_embedding", { recording_id: otherRecordingId, ...SMALL_TRAINING, resume_from: first.model_id });
  assert.match(wrongRec, new RegExp(`trained on ${fx.recordingId}`));
  assert.match(wrongRec, /Fix:.*recording_id/);
  const withControl = await callError(fx.client, "train_embedding", { recording_id: fx.recordingId, ...SMALL_TRAINING, resume_from: first.model_id, shuffled_control: true });
  assert.match(withControl, /cannot be combined/);
  assert.match(withControl, /Fix:.*decode_video_frames/);
  const unknown = await callError(fx.client, "train_embedding", { recording_id: fx.recordingId, ...SMALL_TRAINING, resume_from: "mdl_zzzzzzzzzzzz" });
  assert.match(unknown, /mdl_zzzzzzzzzzzz/);
});
