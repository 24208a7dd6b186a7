/**
 * The chance level that training progress messages quote: one helper for the run and for a shuffled twin
 * trained later from the stored model (whose batch_size, for a full-batch run, is its training sample count).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { chanceLossText } from "../../src/app/train.js";

test("contrastive chance is log(batch size), doubled for hybrid", () => {
  assert.equal(chanceLossText("time", "offset10-model", 512), `log(512) = ${Math.log(512).toFixed(3)}`);
  assert.equal(chanceLossText("behavior", "offset10-model", 64), "log(64) = 4.159");
  assert.equal(chanceLossText("hybrid", "offset10-model", 64), `2·log(64) = ${(2 * Math.log(64)).toFixed(3)}`);
});

test("a full-batch run names its batch before the data is prepared; a stored one gives the value", () => {
  assert.equal(chanceLossText("time", "offset10-model", "training samples"), "log(training samples)");
  assert.equal(chanceLossText("hybrid", "offset10-model", "training samples"), "2·log(training samples)");
  // A full-batch model stores the batch it trained with: every training sample, e.g. 3,000.
  assert.equal(chanceLossText("time", "offset10-model", 3000), `log(3000) = ${Math.log(3000).toFixed(3)}`);
});

test("supervised models quote the loss of predicting without the neural data", () => {
  const supervised = chanceLossText("behavior", "supervised10-model", 512);
  assert.match(supervised, /labels' variance \(MSE\) or log\(classes\)/);
  assert.doesNotMatch(supervised, /log\(512\)/);
});
