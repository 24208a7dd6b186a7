import test from "node:test";
import assert from "node:assert/strict";
import { decodeLabels } from "../../src/decode/labels.js";
import { UserError } from "../../src/util/errors.js";
import { Rng } from "../../src/util/rng.js";

const isUserError = (pattern: RegExp) => (e: unknown) => e instanceof UserError && pattern.test(e.message);

/** A rat running back and forth on a 1.6 m track: features are a linear map of position plus noise. */
function trackData(T: number, seed: number) {
  const rng = new Rng(seed);
  const dim = 5;
  const position = new Float32Array(T * 2);
  const features = new Float32Array(T * dim);
  const weights = Array.from({ length: dim }, () => [rng.normal(), rng.normal()]);
  for (let t = 0; t < T; t++) {
    const p = 0.8 + 0.8 * Math.sin((2 * Math.PI * t) / 97);
    const speed = Math.cos((2 * Math.PI * t) / 97);
    position[t * 2] = p;
    position[t * 2 + 1] = speed;
    for (let d = 0; d < dim; d++) features[t * dim + d] = weights[d][0] * p + weights[d][1] * speed + 0.02 * rng.normal();
  }
  return { features, dim, position };
}

test("continuous labels: kNN regression recovers a linear encoding (r2 near 1, chance near 0)", () => {
  const T = 1000;
  const { features, dim, position } = trackData(T, 1);
  const res = decodeLabels({
    features, n_samples: T, dim, metric: "euclidean",
    labels: { kind: "continuous", data: position, dim: 2, columns: ["position", "speed"] },
    split: { train_ranges: [[0, 800]], test_ranges: [[800, 1000]] },
    timestamps: Float64Array.from({ length: T }, (_, t) => t * 0.025),
  });
  assert.equal(res.kind, "labels_continuous");
  if (res.kind !== "labels_continuous") return;
  assert.equal(res.scores.n_test, 200);
  assert.deepEqual(res.scores.columns, ["position", "speed"]);
  assert.ok(res.scores.r2.every((r) => r > 0.95), `r2 ${res.scores.r2}`);
  assert.ok(Math.abs(res.chance.r2_mean) < 0.1, `chance r2 ${res.chance.r2_mean}`);
  assert.equal(res.k_selection.method, "validation");
  assert.equal(res.k_selection.n_validation, 160);
  assert.match(res.k_selection.validation, /samples 640–799/);
  const row = res.rows[0];
  assert.equal(row.sample, 800);
  assert.equal(row.time_s, 20);
  // Prediction = mean of the neighbours' labels.
  const mean = [0, 1].map((c) => row.neighbours.reduce((a, n) => a + (n.label as number[])[c], 0) / res.k);
  assert.ok(Math.abs(mean[0] - row.predicted[0]) < 1e-6 && Math.abs(mean[1] - row.predicted[1]) < 1e-6);
  assert.ok(row.neighbours.every((n) => n.train_sample < 800));
  assert.ok(Math.abs(row.error[0] - (row.predicted[0] - row.true_label[0])) < 1e-12);
});

test("discrete labels: classification accuracy, confusion counts and majority-class chance", () => {
  const rng = new Rng(2);
  const T = 600, dim = 3;
  const centres = [[0, 0, 5], [5, 0, 0], [0, 5, 0]];
  const classes = Int32Array.from({ length: T }, (_, t) => (t % 10 < 6 ? 0 : t % 10 < 8 ? 1 : 2) * 3 + 1); // values 1, 4, 7
  const features = new Float32Array(T * dim);
  for (let t = 0; t < T; t++) for (let d = 0; d < dim; d++) features[t * dim + d] = centres[(classes[t] - 1) / 3][d] + 1.5 * rng.normal();
  const train_mask = Uint8Array.from({ length: T }, (_, t) => (t < 450 ? 1 : 0));
  const res = decodeLabels({ features, n_samples: T, dim, labels: { kind: "discrete", data: classes, class_names: ["", "left", "", "", "right", "", "", "rest"] }, split: { train_mask } });
  assert.equal(res.kind, "labels_discrete");
  if (res.kind !== "labels_discrete") return;
  assert.deepEqual(res.scores.classes, [1, 4, 7]);
  assert.deepEqual(res.scores.class_names, ["left", "right", "rest"]);
  assert.equal(res.scores.n_test, 150);
  assert.ok(res.scores.accuracy > 0.85, `accuracy ${res.scores.accuracy}`);
  assert.equal(res.scores.confusion.flat().reduce((a, b) => a + b, 0), 150);
  const diagonal = res.scores.confusion.reduce((a, row, i) => a + row[i], 0);
  assert.equal(diagonal / 150, res.scores.accuracy);
  assert.equal(res.chance.majority_class, 1);
  assert.equal(res.chance.accuracy, 0.6);
  for (const row of res.rows) {
    const votes = row.neighbours.filter((n) => n.label === row.predicted).length;
    assert.equal(row.confidence, votes / res.k);
    assert.equal(row.correct, row.predicted === row.true_label);
  }
});

test("label decoding drops unusable samples and rejects bad inputs", () => {
  const T = 50;
  const features = Float32Array.from({ length: T * 2 }, (_, i) => Math.sin(i));
  const data = Float32Array.from({ length: T }, (_, t) => t);
  data[45] = NaN;
  const base = { features, n_samples: T, dim: 2, labels: { kind: "continuous" as const, data, dim: 1 } };
  const res = decodeLabels({ ...base, split: { train_ranges: [[0, 30]], test_ranges: [[40, 50]] }, k: 3 });
  assert.equal(res.counts.excluded_test, 1);
  assert.equal(res.counts.unused, 10);
  assert.equal(res.counts.n_test, 9);
  assert.throws(() => decodeLabels({ ...base, split: { train_ranges: [[0, 30]], test_ranges: [[25, 50]] } }), isUserError(/sample 25 is in both/));
  assert.throws(() => decodeLabels({ ...base, split: { train_ranges: [[0, 30]], test_ranges: [[40, 60]] } }), isUserError(/\[40, 60\)/));
  assert.throws(() => decodeLabels({ ...base, split: { train_ranges: [[0, 30]], test_ranges: [[40, 50]] }, k: 31 }), isUserError(/k = 31 but there are 30/));
  assert.throws(() => decodeLabels({ ...base, split: { train_ranges: [[0, 30]], test_ranges: [] } }), isUserError(/test part is empty/));
  assert.throws(() => decodeLabels({ ...base, split: { train_mask: new Uint8Array(10) } }), isUserError(/one entry per sample/));
  assert.throws(() => decodeLabels({ ...base, labels: { kind: "continuous", data, dim: 2 }, split: { train_ranges: [[0, 30]], test_ranges: [[40, 50]] } }), isUserError(/expected 50 samples × 2/));
  assert.throws(() => decodeLabels({ ...base, split: { train_ranges: [[0, 1]], test_ranges: [[40, 50]] } }), isUserError(/at least 2 training samples/));
});
