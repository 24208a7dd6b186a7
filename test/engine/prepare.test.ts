import test from "node:test";
import assert from "node:assert/strict";
import type { Recording } from "../../src/data/recording.js";
import { makeSplit, prepareTraining, defaultLabelSource } from "../../src/engine/train/prepare.js";
import { UserError } from "../../src/util/errors.js";

/** 3 repeats of a 5-frame movie with one blank sample between repeats; 2 neurons; 3-d frame features. */
function movieRecording(): Recording {
  const frames = [0, 1, 2, 3, 4, -1, 0, 1, 2, 3, 4, -1, 0, 1, 2, 3, 4];
  const repeats = [0, 0, 0, 0, 0, -1, 1, 1, 1, 1, 1, -1, 2, 2, 2, 2, 2];
  const T = frames.length;
  const N = 2;
  const neural = new Float32Array(T * N);
  for (let t = 0; t < T; t++) {
    neural[t * N] = t;
    neural[t * N + 1] = -t;
  }
  const ff = new Float32Array(5 * 3);
  for (let f = 0; f < 5; f++) for (let j = 0; j < 3; j++) ff[f * 3 + j] = f * 10 + j;
  return {
    neural,
    n_samples: T,
    n_neurons: N,
    sampling_rate_hz: 30,
    timestamps: Float64Array.from(frames, (_, t) => t / 30),
    unit_ids: ["a", "b"],
    unit_metadata: {},
    modality: "calcium",
    signal: "dff",
    frame: Int32Array.from(frames),
    repeat: Int32Array.from(repeats),
    frame_features: { data: ff, dim: 3, columns: ["f0", "f1", "f2"], method: "test" },
    provenance: { source: "test", format: "test", sha256: "", keys_read: [], preprocessing: [], loaded_at: "" },
    warnings: [],
  };
}

test("split holds out the last repeat by default and skips samples outside repeats", () => {
  const s = makeSplit(movieRecording());
  assert.equal(s.kind, "repeats");
  assert.deepEqual(s.train_repeats, [0, 1]);
  assert.deepEqual(s.test_repeats, [2]);
  assert.deepEqual([...s.train], [0, 1, 2, 3, 4, 6, 7, 8, 9, 10]);
  assert.deepEqual([...s.test], [12, 13, 14, 15, 16]);
});

test("split by fraction for recordings without repeats is contiguous", () => {
  const rec = movieRecording();
  delete rec.repeat;
  const s = makeSplit(rec, { train_fraction: 0.5 });
  assert.equal(s.kind, "fraction");
  assert.deepEqual([...s.train], [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(s.test[0], 8);
  assert.equal(s.test.length, 9);
});

test("unknown train repeat is a UserError naming the valid repeats", () => {
  assert.throws(() => makeSplit(movieRecording(), { train_repeats: [0, 7] }), (e: unknown) => e instanceof UserError && /repeats 0, 1, 2|0–2/.test(e.message));
});

test("frame-feature labels are looked up by the frame shown, per training sample", () => {
  const rec = movieRecording();
  assert.equal(defaultLabelSource(rec), "frame_features");
  const p = prepareTraining(rec, { mode: "behavior" });
  assert.equal(p.conditional, "time_delta");
  assert.equal(p.session.n_samples, 10);
  assert.equal(p.session.continuous!.dim, 3);
  // training sample 6 is recording sample 7 (frame 1): features 10, 11, 12; neural row 7.
  assert.deepEqual([...p.session.continuous!.data.subarray(6 * 3, 7 * 3)], [10, 11, 12]);
  assert.deepEqual([...p.session.neural.subarray(6 * 2, 7 * 2)], [7, -7]);
});

test("shuffled control permutes whole label rows across samples", () => {
  const rec = movieRecording();
  const real = prepareTraining(rec, { mode: "behavior" });
  const shuf = prepareTraining(rec, { mode: "behavior", shuffle_labels: true, shuffle_seed: 3 });
  assert.ok(shuf.shuffled && shuf.shuffle_description);
  const rows = (x: Float32Array) => Array.from({ length: x.length / 3 }, (_, i) => [...x.subarray(i * 3, i * 3 + 3)].join(","));
  const a = rows(shuf.session.continuous!.data);
  const b = rows(real.session.continuous!.data);
  // Whole label rows move (no mixing of columns): every shuffled row is one of the real rows.
  const known = new Set(b);
  assert.ok(a.every((row) => known.has(row)));
  assert.notDeepEqual(a, b);
  // Not a per-frame relabelling: some frame gets different labels in its two training repeats.
  assert.ok(a.slice(0, 5).some((row, i) => row !== a[i + 5]));
  // Neural data is untouched by the control.
  assert.deepEqual([...shuf.session.neural], [...real.session.neural]);
  // Seeded: the same seed gives the same control.
  const again = prepareTraining(rec, { mode: "behavior", shuffle_labels: true, shuffle_seed: 3 });
  assert.deepEqual([...again.session.continuous!.data], [...shuf.session.continuous!.data]);
});

test("frame as a discrete label and time mode", () => {
  const rec = movieRecording();
  const d = prepareTraining(rec, { mode: "behavior", labels: "frame" });
  assert.equal(d.conditional, "discrete");
  assert.deepEqual([...d.session.discrete!], [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
  const t = prepareTraining(rec, { mode: "time" });
  assert.equal(t.conditional, "time");
  assert.equal(t.session.continuous, undefined);
  assert.throws(() => prepareTraining(rec, { mode: "time", shuffle_labels: true }), UserError);
});

test("missing labels give actionable errors", () => {
  const rec = movieRecording();
  delete rec.frame_features;
  assert.throws(() => prepareTraining(rec, { mode: "behavior", labels: "frame_features" }), /frame_features/);
  assert.throws(() => prepareTraining(rec, { mode: "behavior", labels: "continuous" }), /no continuous labels/);
  assert.throws(() => prepareTraining(rec, { mode: "behavior", labels: { columns: ["x"] } }), UserError);
});
