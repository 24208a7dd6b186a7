/**
 * Training-data checks (engine/train/checks.ts) on prepared data: refusals for data that can only
 * train to chance, warnings for data that trains only in part, nothing for ordinary data.
 */
import test from "node:test";
import assert from "node:assert/strict";
import type { Recording } from "../../src/data/recording.js";
import { checkTrainingData } from "../../src/engine/train/checks.js";
import { prepareTraining, type PrepareOptions } from "../../src/engine/train/prepare.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../../src/engine/types.js";
import { UserError } from "../../src/util/errors.js";
import { makeRecording } from "../data/helpers.js";

const varying = (t: number, n: number) => Math.sin((t + 1) * (n + 1) * 0.37);

function recording(T: number, N: number, f: (t: number, n: number) => number, over: Partial<Recording> = {}): Recording {
  return makeRecording(T, N, { neural: Float32Array.from({ length: T * N }, (_, i) => f(Math.floor(i / N), i % N)), ...over });
}

function check(rec: Recording, opts: PrepareOptions = { mode: "time" }, cfg: Partial<TrainConfig> = {}): string[] {
  return checkTrainingData(rec, prepareTraining(rec, opts), { ...DEFAULT_TRAIN_CONFIG, ...cfg });
}

test("ordinary data passes without warnings", () => {
  assert.deepEqual(check(recording(100, 5, varying)), []);
  const labelled = recording(100, 5, varying, { discrete: { data: Int32Array.from({ length: 100 }, (_, t) => t % 4), name: "stage" } });
  assert.deepEqual(check(labelled, { mode: "behavior", labels: "discrete" }), []);
});

test("every unit constant over the training samples is refused, with chance loss and what to check", () => {
  assert.throws(() => check(recording(100, 5, () => 0), { mode: "time" }, { batch_size: 512 }), (e: unknown) =>
    e instanceof UserError &&
    /Every one of the 5 units is constant over the 80 training samples \(all values are 0\), so there is no neural signal/.test(e.problem) &&
    /ln 512 ≈ 6\.24/.test(e.problem) &&
    /neural key and neural_layout, nan_policy/.test(e.fix) && /select_units/.test(e.fix));
  // Constant only where it trains (the first 80 %): refused too, and the message says "training samples".
  assert.throws(() => check(recording(100, 3, (t, n) => (t < 80 ? n : varying(t, n)))), (e: unknown) => e instanceof UserError && /constant over the 80 training samples, so/.test(e.problem));
});

test("some constant units are a warning naming them", () => {
  const w = check(recording(100, 6, (t, n) => (n % 3 === 0 ? 7 : varying(t, n))));
  assert.equal(w.length, 1);
  assert.match(w[0]!, /^2 of 6 units are constant over the training samples \(units u0, u3\); they add no information/);
});

test("fewer training samples than the receptive field is refused with both numbers and shorter models", () => {
  const rec = recording(12, 4, varying);
  assert.throws(() => check(rec, { mode: "time" }, { model_architecture: "offset10-model" }), (e: unknown) =>
    e instanceof UserError &&
    /The training data has 9 samples \(first 9 samples train.*\), fewer than the 10-sample receptive field of offset10-model/.test(e.problem) &&
    /offset1-model \(1 sample\)/.test(e.fix) && /offset5-model \(5 samples\)/.test(e.fix) && !/offset36/.test(e.fix) && /more data/.test(e.fix));
  assert.deepEqual(check(rec, { mode: "time" }, { model_architecture: "offset5-model" }), [], "a model that fits trains");
  assert.throws(() => check(recording(3, 4, varying), { mode: "time" }, { model_architecture: "offset5-model" }), (e: unknown) =>
    e instanceof UserError && /2 samples/.test(e.problem) && /offset1-model \(1 sample\)/.test(e.fix));
});

test("constant labels are a warning: behaviour-contrastive learning cannot use them", () => {
  const one = recording(100, 4, varying, { discrete: { data: new Int32Array(100).fill(2), name: "stage" } });
  const [w] = check(one, { mode: "behavior", labels: "discrete" });
  assert.match(w ?? "", /The labels \(discrete label 'stage'\) have the same value \(2\) at every training sample: behaviour-contrastive learning cannot use them.*mode 'time'/);
  const flat = recording(100, 4, varying, { continuous: { data: new Float32Array(200).fill(1), dim: 2, columns: ["x", "y"] } });
  assert.match(check(flat, { mode: "behavior", labels: "continuous" })[0] ?? "", /The labels \(continuous labels x, y\) are constant over the training samples/);
  assert.match(check(flat, { mode: "hybrid", labels: "continuous" })[0] ?? "", /only the time objective shapes this model/);
  const half = recording(100, 4, varying, { continuous: { data: Float32Array.from({ length: 200 }, (_, i) => (i % 2 ? 0 : Math.cos(i))), dim: 2, columns: ["x", "y"] } });
  assert.match(check(half, { mode: "behavior", labels: "continuous" })[0] ?? "", /^1 of 2 label dimensions \(continuous labels x, y\) are constant/);
  assert.deepEqual(check(one, { mode: "time" }), [], "labels that do not train are not checked");
});
