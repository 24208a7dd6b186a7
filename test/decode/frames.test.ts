import test from "node:test";
import assert from "node:assert/strict";
import { decodeFrames, frameChance, averageFrameBins } from "../../src/decode/frames.js";
import { UserError } from "../../src/util/errors.js";
import { Rng } from "../../src/util/rng.js";
import { movieData } from "./fixtures.js";

const isUserError = (pattern: RegExp) => (e: unknown) => e instanceof UserError && pattern.test(e.message);

test("frame identity with noise decodes far above chance; broken label links decode at chance", () => {
  const data = movieData({ nFrames: 100, repeats: 6, dim: 8, noise: 0.4, seed: 1 });
  const res = decodeFrames({ ...data, window: 5 });
  assert.equal(res.test_repeat, 5);
  assert.deepEqual(res.train_repeats, [0, 1, 2, 3, 4]);
  assert.equal(res.validation_repeat, 4);
  assert.equal(res.scores.n_test, 100);
  assert.ok(res.scores.accuracy > 0.9, `accuracy ${res.scores.accuracy}`);
  assert.ok(res.scores.exact_accuracy > 0.8);
  assert.ok(res.chance.accuracy < 0.1);

  // Shuffled labels: each training repeat's frame labels permuted independently, so activity no longer
  // predicts the label; the test repeat keeps its true frames.
  const rng = new Rng(9);
  const shuffled = Int32Array.from(data.frame);
  for (let r = 0; r < 5; r++) rng.shuffle(shuffled.subarray(r * 100, r * 100 + 100));
  const control = decodeFrames({ ...data, frame: shuffled, window: 5 });
  assert.ok(Math.abs(control.scores.accuracy - control.chance.accuracy) < 0.1,
    `shuffled accuracy ${control.scores.accuracy} vs chance ${control.chance.accuracy}`);
});

test("chance formula matches a Monte-Carlo estimate of uniform guessing", () => {
  const F = 90, w = 10;
  const targets = Int32Array.from({ length: 400 }, (_, i) => (i * 37) % F);
  const chance = frameChance(targets, F, w);
  const rng = new Rng(3);
  let within = 0, exact = 0, abs = 0;
  const draws = 200_000;
  for (let i = 0; i < draws; i++) {
    const f = targets[i % targets.length], g = rng.int(F);
    within += Math.abs(g - f) < w ? 1 : 0;
    exact += g === f ? 1 : 0;
    abs += Math.abs(g - f);
  }
  assert.ok(Math.abs(chance.accuracy - within / draws) < 0.005, `${chance.accuracy} vs ${within / draws}`);
  assert.ok(Math.abs(chance.exact_accuracy - exact / draws) < 0.002);
  assert.ok(Math.abs(chance.mean_abs_error - abs / draws) < 0.3);
  // Edge frames have fewer frames within the window than middle ones.
  assert.equal(frameChance(Int32Array.from([0]), F, w).accuracy, w / F);
  assert.equal(frameChance(Int32Array.from([45]), F, w).accuracy, (2 * w - 1) / F);
});

/** The 1-D case described in the test: an outlier makes k = 1 wrong, k = 4 right, k = 8 a tie the outlier wins. */
function outlierCase() {
  const x = [0.5, 0.1, -0.3, 10, 0.4, 10.2, -0.4, 9.8, 0.1, 10.1, 0, 10];
  const n = x.length;
  return {
    features: Float32Array.from(x), n_samples: n, dim: 1, metric: "euclidean" as const, window: 1,
    frame: Int32Array.from({ length: n }, (_, i) => i % 2), repeat: Int32Array.from({ length: n }, (_, i) => i >> 1),
  };
}

test("k selection picks the k with the smallest validation error sum, smaller k on ties", () => {
  const res = decodeFrames({ ...outlierCase(), k_grid: [8, 1, 4] });
  assert.equal(res.validation_repeat, 4);
  assert.deepEqual(res.k_selection.k_scores.map((s) => [s.k, s.criterion_value]), [[1, 1], [4, 0], [8, 1]]);
  assert.equal(res.k, 4);
  assert.equal(res.k_selection.n_fit, 8);
  const tie = decodeFrames({ ...outlierCase(), k_grid: [1, 8] });
  assert.equal(tie.k, 1);
  // Grid values above the fitting set are skipped and reported.
  const big = decodeFrames({ ...outlierCase(), k_grid: [4, 9] });
  assert.deepEqual(big.k_selection.skipped_k, [9]);
  assert.ok(big.warnings.some((w) => /9 skipped/.test(w)));
});

test("lag_frames shifts targets and excludes samples whose lagged frame leaves the movie", () => {
  const data = movieData({ nFrames: 50, repeats: 3, dim: 6, noise: 0.01, seed: 4 });
  for (const lag of [3, -2]) {
    const res = decodeFrames({ ...data, lag_frames: lag, window: 1 });
    const out = Math.abs(lag);
    assert.equal(res.counts.excluded_lag_test, out);
    assert.equal(res.counts.excluded_lag_train, 2 * out);
    assert.equal(res.scores.n_test, 50 - out);
    assert.equal(res.scores.exact_accuracy, 1);
    for (const row of res.rows) {
      assert.equal(row.true_frame, data.frame[row.sample] + lag);
      for (const n of row.neighbours) assert.equal(n.frame, data.frame[n.train_sample] + lag);
    }
  }
});

test("provenance rows are consistent with their neighbours", () => {
  const data = movieData({ nFrames: 40, repeats: 5, dim: 4, noise: 1.2, seed: 6 });
  const res = decodeFrames({ ...data, k: 9, window: 3 });
  assert.equal(res.k_selection.method, "fixed");
  assert.equal(res.rows.length, 40);
  let disagreements = 0;
  for (const row of res.rows) {
    assert.equal(row.neighbours.length, 9);
    const counts = new Map<number, number>();
    for (const n of row.neighbours) {
      assert.ok([0, 1, 2, 3].includes(n.repeat), "neighbour from a non-training repeat");
      assert.equal(n.repeat, data.repeat[n.train_sample]);
      assert.equal(n.frame, data.frame[n.train_sample]);
      counts.set(n.frame, (counts.get(n.frame) ?? 0) + 1);
    }
    const max = Math.max(...counts.values());
    const expected = row.neighbours.find((n) => counts.get(n.frame) === max)!.frame;
    assert.equal(row.predicted_frame, expected);
    assert.equal(row.confidence, max / 9);
    assert.equal(row.true_frame, data.frame[row.sample]);
    assert.equal(row.error, row.predicted_frame - row.true_frame!);
    assert.equal(row.time_s, data.timestamps[row.sample]);
    for (let j = 1; j < 9; j++) assert.ok(row.neighbours[j].distance >= row.neighbours[j - 1].distance);
    if (row.error !== 0) disagreements++;
  }
  assert.ok(disagreements > 0, "the noisy case should contain errors, or the checks above are vacuous");
  const errs = res.rows.map((r) => Math.abs(r.error!));
  assert.equal(res.scores.mean_abs_error, errs.reduce((a, b) => a + b, 0) / errs.length);
  assert.equal(res.scores.accuracy, errs.filter((e) => e < 3).length / errs.length);
});

test("test samples without a frame are decoded but not scored", () => {
  const data = movieData({ nFrames: 30, repeats: 3, dim: 4, noise: 0.1, seed: 8 });
  data.frame[60 + 29] = -1; // last sample of the test repeat shows no frame
  const res = decodeFrames({ ...data, k: 1, window: 1 });
  assert.equal(res.counts.unlabelled_test, 1);
  assert.equal(res.scores.n_test, 29);
  const row = res.rows.find((r) => r.sample === 89)!;
  assert.equal(row.true_frame, null);
  assert.equal(row.error, null);
});

test("average_frame_bins averages the bins of each frame presentation (CEBRA's Neuropixels protocol)", () => {
  const data = movieData({ nFrames: 30, repeats: 4, dim: 5, noise: 0.8, seed: 10, binsPerFrame: 4 });
  const res = decodeFrames({ ...data, average_frame_bins: true, k: 3, window: 1 });
  assert.equal(res.counts.n_train, 90);
  assert.equal(res.rows.length, 30);
  assert.ok(res.rows.every((r) => r.n_bins === 4 && r.sample % 4 === 0 && r.true_frame === data.frame[r.sample]));
  const rows = averageFrameBins(data.features, 5, data.frame, data.repeat);
  assert.equal(rows.n, 120);
  for (let d = 0; d < 5; d++) {
    const mean = (data.features[d] + data.features[5 + d] + data.features[10 + d] + data.features[15 + d]) / 4;
    assert.ok(Math.abs(rows.features[d] - mean) < 1e-6);
  }
  // Averaging 4 noisy bins beats decoding single bins.
  const single = decodeFrames({ ...data, k: 3, window: 1 });
  assert.ok(res.scores.accuracy > single.scores.accuracy);
});

test("non-finite feature rows are dropped and counted", () => {
  const data = movieData({ nFrames: 20, repeats: 3, dim: 3, noise: 0.1, seed: 12 });
  data.features[5 * 3] = NaN; // training sample 5
  data.features[45 * 3 + 1] = Infinity; // test sample 45
  const res = decodeFrames({ ...data, k: 1 });
  assert.equal(res.counts.excluded_nonfinite_train, 1);
  assert.equal(res.counts.excluded_nonfinite_test, 1);
  assert.equal(res.scores.n_test, 19);
});

test("bad inputs raise UserErrors that say what to do", () => {
  const data = movieData({ nFrames: 20, repeats: 3, dim: 3, noise: 0.1, seed: 13 });
  assert.throws(() => decodeFrames({ ...data, k: 41 }), isUserError(/k = 41 but there are 40 training samples.*between 1 and 40/));
  assert.throws(() => decodeFrames({ ...data, frame: undefined }), isUserError(/no movie frame indices.*decode_labels/));
  assert.throws(() => decodeFrames({ ...data, frame: new Int32Array(60).fill(-1) }), isUserError(/no movie frame indices/));
  assert.throws(() => decodeFrames({ ...data, test_repeat: 7 }), isUserError(/test repeat 7 is not present.*0, 1, 2/));
  assert.throws(() => decodeFrames({ ...data, features: new Float32Array(180).fill(NaN) }), isUserError(/every feature row contains NaN/));
  const nanTest = Float32Array.from(data.features);
  nanTest.fill(NaN, 40 * 3);
  assert.throws(() => decodeFrames({ ...data, features: nanTest }), isUserError(/test repeat 2 has no samples.*empty test set/));
  assert.throws(() => decodeFrames({ ...data, train_repeats: [1] }), isUserError(/only one training repeat.*Pass a fixed k/));
  assert.equal(decodeFrames({ ...data, train_repeats: [1], k: 1 }).test_repeat, 2);
  assert.throws(() => decodeFrames({ ...data, repeat: new Int32Array(60) }), isUserError(/at least 2 movie repeats/));
  assert.throws(() => decodeFrames({ ...data, n_samples: 59 }), isUserError(/must have one entry per sample/));
  assert.throws(() => decodeFrames({ ...data, window: 0 }), isUserError(/window = 0/));
  assert.throws(() => decodeFrames({ ...data, k_grid: [50, 100] }), isUserError(/exceeds the 20 samples available/));
  assert.throws(() => decodeFrames({ ...data, n_frames: 10 }), isUserError(/n_frames = 10/));
});
