import test from "node:test";
import assert from "node:assert/strict";
import { selectRepeats, selectUnits, sliceTime, zscore } from "../../src/data/preprocess.js";
import { UserError } from "../../src/util/errors.js";
import { makeRecording } from "./helpers.js";

const labelled = () =>
  makeRecording(6, 3, {
    frame: Int32Array.of(0, 1, 2, 0, 1, 2),
    repeat: Int32Array.of(0, 0, 0, 1, 1, 1),
    continuous: { data: Float32Array.of(0, 1, 2, 3, 4, 5), dim: 1, columns: ["c0"] },
    discrete: { data: Int32Array.of(5, 5, 6, 6, 7, 7), name: "d" },
  });

test("zscore gives mean 0 and population std 1 per unit, constant units 0, new recording", () => {
  const rec = makeRecording(4, 2, { neural: Float32Array.of(0, 3, 100, -1, 200, 8, 300, 2) });
  const flat = makeRecording(3, 1, { neural: Float32Array.of(2, 2, 2) });
  const z = zscore(rec);
  for (let n = 0; n < 2; n++) {
    const col = [0, 1, 2, 3].map((t) => z.neural[t * 2 + n]);
    const mean = col.reduce((a, b) => a + b) / 4;
    const sd = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / 4);
    assert.ok(Math.abs(mean) < 1e-6 && Math.abs(sd - 1) < 1e-6, `unit ${n}`);
  }
  assert.equal(z.signal, "zscored");
  assert.notEqual(z.neural, rec.neural);
  assert.equal(rec.provenance.preprocessing.length, 0, "input provenance untouched");
  assert.deepEqual(z.provenance.preprocessing.map((s) => s.op), ["zscore"]);
  const zf = zscore(flat);
  assert.deepEqual(Array.from(zf.neural), [0, 0, 0]);
  assert.ok(zf.warnings.some((w) => /constant/.test(w)));
});

test("selectUnits is seeded, without replacement by default, with replacement on request", () => {
  const rec = makeRecording(2, 10);
  const a = selectUnits(rec, { count: 4, seed: 111 });
  const b = selectUnits(rec, { count: 4, seed: 111 });
  assert.deepEqual(a.unit_ids, b.unit_ids);
  assert.equal(new Set(a.unit_ids).size, 4);
  const idx = a.provenance.preprocessing[0].params.indices as number[];
  assert.deepEqual(a.unit_ids, idx.map((i) => `u${i}`));
  for (let j = 0; j < 4; j++) assert.equal(a.neural[4 + j], 100 + idx[j], "columns follow the indices");
  assert.deepEqual(a.unit_metadata.area, idx.map((i) => (i % 2 ? "VISl" : "VISp")));
  assert.notDeepEqual(selectUnits(rec, { count: 4, seed: 222 }).unit_ids, a.unit_ids);
  const r = selectUnits(rec, { count: 30, seed: 1, replace: true });
  assert.equal(r.n_neurons, 30);
  assert.equal(new Set(r.unit_ids).size, 30, "duplicates get #k suffixes");
  assert.ok(r.unit_ids.some((id) => id.includes("#")));
  assert.throws(() => selectUnits(rec, { count: 11 }), (e) => e instanceof UserError && /replace: true/.test(e.fix));
  assert.throws(() => selectUnits(rec, { count: 0 }), UserError);
});

test("sliceTime keeps [start, end) seconds across every per-sample array", () => {
  const s = sliceTime(labelled(), { start: 0.1, end: 0.4 });
  assert.equal(s.n_samples, 3);
  assert.deepEqual(Array.from(s.timestamps), [0.1, 0.2, 0.3]);
  assert.deepEqual(Array.from(s.frame!), [1, 2, 0]);
  assert.deepEqual(Array.from(s.repeat!), [0, 0, 1]);
  assert.deepEqual(Array.from(s.continuous!.data), [1, 2, 3]);
  assert.deepEqual(Array.from(s.discrete!.data), [5, 6, 6]);
  assert.deepEqual(Array.from(s.neural.subarray(0, 3)), [100, 101, 102]);
  assert.deepEqual(s.provenance.preprocessing[0].params, { start: 0.1, end: 0.4, kept_samples: 3, of_samples: 6 });
  assert.throws(() => sliceTime(labelled(), { start: 10 }), (e) => e instanceof UserError && /selects no sample/.test(e.message));
});

test("selectRepeats keeps the chosen repeats with their labels", () => {
  const r = selectRepeats(labelled(), [1]);
  assert.deepEqual(Array.from(r.repeat!), [1, 1, 1]);
  assert.deepEqual(Array.from(r.frame!), [0, 1, 2]);
  assert.equal(r.neural[0], 300);
  assert.equal(r.provenance.preprocessing[0].op, "repeat_range");
  assert.throws(() => selectRepeats(labelled(), [7]), (e) => e instanceof UserError && /\[0, 1\]/.test(e.fix));
  assert.throws(() => selectRepeats(makeRecording(2, 1), [0]), (e) => e instanceof UserError && /no repeat labels/.test(e.message));
});
