import test from "node:test";
import assert from "node:assert/strict";
import { applyNanPolicy, countNonFinite, interpolateNonFinite, validateRecording } from "../../src/data/validate.js";
import { UserError } from "../../src/util/errors.js";
import { makeRecording } from "./helpers.js";

function withNaNs(): ReturnType<typeof makeRecording> {
  const rec = makeRecording(5, 3);
  rec.neural[1 * 3 + 1] = NaN; // unit 1, sample 1
  rec.neural[2 * 3 + 1] = Infinity; // unit 1, sample 2
  rec.neural[4 * 3 + 2] = -Infinity; // unit 2, last sample
  return rec;
}

test("NaN/Inf are counted and refused by default, naming units and the fix", () => {
  const rec = withNaNs();
  assert.deepEqual(countNonFinite(rec.neural, 3), { values: 3, columns: [1, 2] });
  assert.throws(() => applyNanPolicy(rec), (e) => e instanceof UserError && /3 NaN\/Inf values in 2 of 3 units/.test(e.message) && /u1, u2/.test(e.message) && /nan_policy/.test(e.fix));
  assert.equal(applyNanPolicy(makeRecording(3, 2)).provenance.preprocessing.length, 0, "finite data pass unchanged");
});

test('nan_policy "zero" replaces them and is recorded', () => {
  const rec = withNaNs();
  const out = applyNanPolicy(rec, "zero");
  assert.equal(out.neural[4], 0);
  assert.equal(out.neural[7], 0);
  assert.equal(out.neural[14], 0);
  assert.equal(out.neural[0], 0);
  assert.equal(out.neural[3], 100, "finite values unchanged");
  assert.ok(Number.isNaN(rec.neural[4]), "input not modified");
  assert.deepEqual(out.provenance.preprocessing[0], { op: "nan_policy", params: { policy: "zero", neural_values: 3, units_affected: 2, continuous_values: 0 } });
  assert.ok(out.warnings.some((w) => /applied nan_policy "zero"/.test(w)));
});

test('nan_policy "interpolate" fills gaps linearly per unit, edges with the nearest value', () => {
  const out = applyNanPolicy(withNaNs(), "interpolate");
  // unit 1: samples 0..4 = 1, NaN, Inf, 301, 401 → 1, 101, 201, 301, 401
  assert.deepEqual([0, 1, 2, 3, 4].map((t) => out.neural[t * 3 + 1]), [1, 101, 201, 301, 401]);
  // unit 2: last sample copies the previous one.
  assert.equal(out.neural[4 * 3 + 2], 302);
  assert.deepEqual(Array.from(interpolateNonFinite(Float32Array.of(NaN, NaN), 1)), [0, 0], "a column with no finite value becomes 0");
  assert.deepEqual(Array.from(interpolateNonFinite(Float32Array.of(NaN, 4, NaN, NaN, 10), 1)), [4, 4, 6, 8, 10]);
});

test('nan_policy "drop_units" removes affected units (ids and metadata follow)', () => {
  const out = applyNanPolicy(withNaNs(), "drop_units");
  assert.equal(out.n_neurons, 1);
  assert.deepEqual(out.unit_ids, ["u0"]);
  assert.deepEqual(out.unit_metadata.area, ["VISp"]);
  assert.deepEqual(Array.from(out.neural), [0, 100, 200, 300, 400]);
  assert.equal(out.provenance.preprocessing[0].params.policy, "drop_units");
  const cont = makeRecording(3, 2, { continuous: { data: Float32Array.of(1, NaN, 3), dim: 1, columns: ["c0"] } });
  assert.throws(() => applyNanPolicy(cont, "drop_units"), (e) => e instanceof UserError && /continuous/.test(e.message));
  assert.deepEqual(Array.from(applyNanPolicy(cont, "interpolate").continuous!.data), [1, 2, 3]);
});

test("mismatched lengths between neural and labels are refused, naming the label", () => {
  const cases: [string, Partial<ReturnType<typeof makeRecording>>][] = [
    ["frame", { frame: new Int32Array(4) }],
    ["repeat", { repeat: new Int32Array(6) }],
    ["timestamps", { timestamps: new Float64Array(3) }],
    ["discrete", { discrete: { data: new Int32Array(2), name: "d" } }],
    ["continuous", { continuous: { data: new Float32Array(8), dim: 2, columns: ["a", "b"] } }],
  ];
  for (const [what, over] of cases) {
    assert.throws(() => validateRecording(makeRecording(5, 2, over)), (e) => e instanceof UserError && e.message.includes(`${what} has`) && /5 samples/.test(e.message), what);
  }
  assert.throws(() => validateRecording(makeRecording(5, 2, { unit_ids: ["a"] })), UserError);
});

test("frame indices outside the movie or the frame features are refused", () => {
  const movie = { frames: new Uint8Array(3 * 2 * 2), n_frames: 3, height: 2, width: 2, frame_rate_hz: 30, source: "m" };
  assert.throws(() => validateRecording(makeRecording(4, 1, { frame: Int32Array.of(0, 1, 3, -1), movie })), (e) => e instanceof UserError && /frame index out of range at sample 2 \(the movie has 3 frames; valid 0..2\)/.test(e.message) && !/frame index 3/.test(e.message));
  assert.throws(() => validateRecording(makeRecording(2, 1, { frame: Int32Array.of(0, -2) })), (e) => e instanceof UserError && /a frame label below -1 at sample 1/.test(e.message) && !/-2/.test(e.message));
  const frame_features = { data: new Float32Array(2), dim: 1, columns: ["f0"], method: "t" };
  assert.throws(() => validateRecording(makeRecording(2, 1, { frame: Int32Array.of(0, 2), frame_features })), UserError);
  assert.throws(() => validateRecording(makeRecording(2, 1, { movie, frame_features })), (e) => e instanceof UserError && /frame_features has 2 rows but the movie has 3/.test(e.message));
  validateRecording(makeRecording(4, 1, { frame: Int32Array.of(0, 1, 2, -1), movie }));
});

test("empty recordings and bad sampling rates are refused; unordered timestamps only warn", () => {
  assert.throws(() => validateRecording(makeRecording(0, 3)), (e) => e instanceof UserError && /empty/.test(e.message));
  assert.throws(() => validateRecording(makeRecording(3, 0)), (e) => e instanceof UserError && /empty/.test(e.message));
  assert.throws(() => validateRecording(makeRecording(3, 1, { sampling_rate_hz: 0 })), UserError);
  const rec = makeRecording(3, 1, { timestamps: Float64Array.of(0, 2, 1) });
  validateRecording(rec);
  assert.ok(rec.warnings.some((w) => /increasing/.test(w)));
});
