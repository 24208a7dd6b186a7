/**
 * train_embedding's faithfulness options through a real MCP client (docs/FAITHFULNESS.md): positive_ties,
 * full_batch (every training sample a reference each step, refused where CEBRA has no full batch) and
 * delta positives in hybrid training.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { callError, callOk } from "../helpers/mcp.js";
import { SMALL_TRAINING, stdioMovieFixture, type TrainResult } from "./analysis-fixtures.js";

const fx = stdioMovieFixture();

const train = (args: Record<string, unknown>) => ({ recording_id: fx.recordingId, ...SMALL_TRAINING, max_iterations: 5, wait_seconds: 55, ...args });

test("full_batch trains on every training sample per step: the loss starts at ln(training samples), not ln(batch_size)", async () => {
  const minibatch = (await callOk<TrainResult>(fx.client, "train_embedding", train({ positive_ties: "first" }))).data;
  const full = (await callOk<TrainResult>(fx.client, "train_embedding", train({ positive_ties: "first", full_batch: true }))).data;
  assert.equal(full.status, "succeeded");
  assert.ok(minibatch.final_loss! < Math.log(SMALL_TRAINING.batch_size) + 0.3, `minibatch loss ${minibatch.final_loss} near ln 64`);
  assert.ok(full.final_loss! > Math.log(SMALL_TRAINING.batch_size) + 0.7, `full-batch loss ${full.final_loss} is far above ln 64: B is the training set`);
});

test("full_batch with discrete labels is refused with the fix, as CEBRA raises NotImplementedError", async () => {
  const text = await callError(fx.client, "train_embedding", train({ labels: "frame", full_batch: true }));
  assert.match(text, /Full-batch training supports time and continuous labels/);
  assert.match(text, /full_batch false/);
});

test("delta positives in hybrid training, and an unknown tie rule is refused by the schema", async () => {
  const hybrid = (await callOk<TrainResult>(fx.client, "train_embedding", train({ mode: "hybrid", delta: 0.5 }))).data;
  assert.equal(hybrid.status, "succeeded");
  assert.ok(hybrid.final_loss! > 1.5 * Math.log(SMALL_TRAINING.batch_size), "two objectives near chance after 5 steps");
  await callError(fx.client, "train_embedding", train({ positive_ties: "last" }));
});
