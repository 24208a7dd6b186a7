/**
 * CEBRA's parametrised architecture families through a real MCP client (stdio): train_embedding takes a
 * family name as CEBRA spells it (a shared-Linear residual MLP here) and trains a few steps to a model
 * that decodes; a name of a family's shape outside CEBRA's range is refused with the UserError that
 * names the range, and a name of neither kind by the input schema.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { callError, callOk } from "../helpers/mcp.js";
import { SMALL_TRAINING, stdioMovieFixture, type FrameDecoding, type TrainResult } from "./analysis-fixtures.js";

const fx = stdioMovieFixture();

test("train_embedding trains offset1-model-mse-resnet-3layers-tanh (a family member) and the model decodes", async () => {
  const args = { ...SMALL_TRAINING, recording_id: fx.recordingId, model_architecture: "offset1-model-mse-resnet-3layers-tanh", distance: "euclidean", max_iterations: 20, wait_seconds: 55 };
  const { data, text } = await callOk<TrainResult>(fx.client, "train_embedding", args);
  assert.equal(data.status, "succeeded", text);
  assert.equal(data.steps_done, 20);
  assert.ok(Number.isFinite(data.final_loss), `final loss ${data.final_loss}`);
  const listed = await callOk(fx.client, "list_artifacts", { kind: "model", limit: 1 });
  assert.match(listed.text, new RegExp(`${data.model_id}.*offset1-model-mse-resnet-3layers-tanh`));
  const decoded = await callOk<FrameDecoding>(fx.client, "decode_video_frames", { model_id: data.model_id });
  assert.ok(decoded.data.accuracy >= 0 && decoded.data.accuracy <= 1);
});

test("a family-shaped name outside CEBRA's range is refused with the range; other names by the schema", async () => {
  const base = { ...SMALL_TRAINING, recording_id: fx.recordingId, max_iterations: 2 };
  const outside = await callError(fx.client, "train_embedding", { ...base, model_architecture: "offset1-model-mse-v2-11layers" });
  assert.match(outside, /"offset1-model-mse-v2-11layers".*n in 1\.\.10/s);
  assert.match(outside, /offset1-model-mse-clip-\{a\}-\{b\} \(a, b in \{1000, 100, 50, 25, 20, 15, 10, 5, 1\}\)/);
  const clip = await callError(fx.client, "train_embedding", { ...base, model_architecture: "offset1-model-mse-clip-7-7" });
  assert.match(clip, /"offset1-model-mse-clip-7-7"/);
  const other = await callError(fx.client, "train_embedding", { ...base, model_architecture: "offset7-model" });
  assert.match(other, /model_architecture/);
});
