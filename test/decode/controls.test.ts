import test from "node:test";
import assert from "node:assert/strict";
import {
  windowAverage, frameRawControls, labelRawControls, shuffleFrameFeatures, shuffleFrameLabels, framePermutation,
} from "../../src/decode/controls.js";
import { decodeFrames } from "../../src/decode/frames.js";
import { UserError } from "../../src/util/errors.js";
import { Rng } from "../../src/util/rng.js";
import { movieData } from "./fixtures.js";

/** Direct definition: mean over s in [t−left, t+right) of x[clamp(s, 0, T−1)]. */
function bruteWindowAverage(x: Float32Array, T: number, N: number, left: number, right: number): Float64Array {
  const out = new Float64Array(T * N);
  for (let t = 0; t < T; t++) {
    for (let s = t - left; s < t + right; s++) {
      const c = Math.min(T - 1, Math.max(0, s));
      for (let n = 0; n < N; n++) out[t * N + n] += x[c * N + n] / (left + right);
    }
  }
  return out;
}

test("windowAverage clamps indices at both edges (replicate padding) and matches the definition", () => {
  const x = Float32Array.from([1, 10, 2, 20, 3, 30, 4, 40, 5, 50]); // T = 5, N = 2
  const y = windowAverage(x, 5, 2, 2, 1);
  assert.deepEqual([y[0], y[1]], [1, 10]); // x0, x0, x0
  assert.ok(Math.abs(y[2] - 4 / 3) < 1e-6); // x0, x0, x1
  assert.ok(Math.abs(y[8] - 4) < 1e-6); // x2, x3, x4 = 3, 4, 5
  const z = windowAverage(x, 5, 2, 0, 3);
  assert.ok(Math.abs(z[8] - 5) < 1e-6); // x4 three times
  assert.deepEqual([...windowAverage(x, 5, 2, 0, 1)], [...x]);
  const rng = new Rng(2);
  const r = Float32Array.from({ length: 37 * 3 }, () => rng.normal());
  for (const [left, right] of [[5, 5], [1, 0], [0, 10], [20, 20], [50, 1]]) {
    const got = windowAverage(r, 37, 3, left, right), want = bruteWindowAverage(r, 37, 3, left, right);
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-5, `left ${left} right ${right} at ${i}`);
  }
  assert.throws(() => windowAverage(x, 5, 2, 0, 0), UserError);
  assert.throws(() => windowAverage(x, 4, 2, 1, 1), UserError);
});

test("frame raw controls use the main decoding's protocol", () => {
  const data = movieData({ nFrames: 40, repeats: 4, dim: 12, noise: 2, seed: 3 });
  const protocol = { n_samples: data.n_samples, frame: data.frame, repeat: data.repeat, timestamps: data.timestamps, window: 3, lag_frames: 1 };
  const raw = { neural: data.features, n_neurons: 12, receptive_field: { left: 2, right: 2 } };
  const controls = frameRawControls(protocol, raw);
  assert.equal(controls.raw_per_sample.status, "ok");
  assert.equal(controls.raw_window_averaged.status, "ok");
  if (controls.raw_per_sample.status !== "ok" || controls.raw_window_averaged.status !== "ok") return;
  const perSample = controls.raw_per_sample.result, averaged = controls.raw_window_averaged.result;
  assert.equal(perSample.features_source, "raw activity (per sample)");
  assert.match(averaged.features_source, /mean over \[t−2, t\+2\)/);
  for (const c of [perSample, averaged]) {
    assert.equal(c.window, 3);
    assert.equal(c.lag_frames, 1);
    assert.equal(c.test_repeat, 3);
  }
  // The per-sample control is exactly decodeFrames on the raw activity.
  const direct = decodeFrames({ ...protocol, features: data.features, dim: 12 });
  assert.deepEqual(perSample.scores, direct.scores);
  // Averaging over neighbouring frames changes the features, hence the decoding.
  assert.notDeepEqual(averaged.rows.map((r) => r.predicted_frame), perSample.rows.map((r) => r.predicted_frame));

  const single = frameRawControls(protocol, { ...raw, receptive_field: { left: 0, right: 1 } });
  assert.equal(single.raw_window_averaged.status, "not_run");
  // A control that cannot run is reported, not thrown.
  const broken = frameRawControls({ ...protocol, k: 10_000 }, raw);
  assert.equal(broken.raw_per_sample.status, "not_run");
  if (broken.raw_per_sample.status === "not_run") assert.match(broken.raw_per_sample.reason, /k = 10000/);
});

test("label raw controls run decodeLabels on raw activity with the same split", () => {
  const T = 300, N = 4;
  const rng = new Rng(4);
  const neural = new Float32Array(T * N), labels = new Float32Array(T);
  for (let t = 0; t < T; t++) {
    labels[t] = Math.sin(t / 20);
    neural[t * N] = labels[t];
    for (let n = 1; n < N; n++) neural[t * N + n] = 0.1 * rng.normal();
  }
  const controls = labelRawControls(
    { n_samples: T, labels: { kind: "continuous", data: labels, dim: 1 }, split: { train_ranges: [[0, 240]], test_ranges: [[240, 300]] }, metric: "euclidean" },
    { neural, n_neurons: N, receptive_field: { left: 5, right: 5 } },
  );
  assert.equal(controls.raw_per_sample.status, "ok");
  if (controls.raw_per_sample.status === "ok") assert.equal(controls.raw_per_sample.result.counts.n_test, 60);
  assert.equal(controls.raw_window_averaged.status, "ok");
});

test("shuffled frame features permute rows across frames; the label form is the same shuffle", () => {
  const dim = 3, F = 25;
  const data = Float32Array.from({ length: F * dim }, (_, i) => i);
  const ff = { data, dim, columns: ["a", "b", "c"], method: "test" };
  const { frame_features, permutation } = shuffleFrameFeatures(ff, 7);
  assert.deepEqual([...permutation].sort((a, b) => a - b), Array.from({ length: F }, (_, i) => i));
  assert.notDeepEqual([...permutation], Array.from({ length: F }, (_, i) => i));
  assert.equal(frame_features.method, "test+shuffled(seed=7)");
  for (let f = 0; f < F; f++) {
    assert.deepEqual([...frame_features.data.subarray(f * dim, f * dim + dim)], [...data.subarray(permutation[f] * dim, permutation[f] * dim + dim)]);
  }
  // Two repeats of the movie plus a gray sample: every sample of frame f gets the same wrong label.
  const frame = Int32Array.from([...Array.from({ length: F }, (_, i) => i), -1, ...Array.from({ length: F }, (_, i) => i)]);
  const labels = shuffleFrameLabels(frame, F, 7);
  assert.deepEqual([...labels.permutation], [...permutation]);
  assert.equal(labels.frame[F], -1);
  for (let t = 0; t < frame.length; t++) {
    if (frame[t] < 0) continue;
    const sameFrameOtherRepeat = t < F ? t + F + 1 : t - F - 1;
    assert.equal(labels.frame[t], labels.frame[sameFrameOtherRepeat]);
    // Same features either way: shuffled table via the true frame = original table via the shuffled label.
    assert.deepEqual(
      [...frame_features.data.subarray(frame[t] * dim, frame[t] * dim + dim)],
      [...data.subarray(labels.frame[t] * dim, labels.frame[t] * dim + dim)],
    );
  }
  assert.deepEqual([...framePermutation(F, 7)], [...permutation]);
  assert.notDeepEqual([...framePermutation(F, 8)], [...permutation]);
  assert.throws(() => shuffleFrameLabels(Int32Array.from([30]), F, 1), UserError);
});
