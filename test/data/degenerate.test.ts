/**
 * Degenerate data at load: real .npz files with all-zero, all-constant and partly constant neural data
 * or constant labels load (so they can be inspected) with warnings in words; ordinary data gets none.
 */
import test, { after } from "node:test";
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeNpz } from "../../src/data/formats/npz.js";
import { loadRecording, type LoadOptions } from "../../src/data/load.js";
import { NO_SIGNAL, constantColumns, degenerateWarnings } from "../../src/data/validate.js";
import { ctxFor, makeRecording, tmpDir } from "./helpers.js";

const dir = tmpDir("cebra-degenerate-");
after(() => rmSync(dir, { recursive: true, force: true }));

const T = 200;
const N = 8;

/** Writes an .npz with neural [T, N] from `f(t, n)` and optional labels; returns its path. */
function npz(name: string, f: (t: number, n: number) => number, labels: { discrete?: number[]; continuous?: number[][] } = {}): string {
  const file = join(dir, `${name}.npz`);
  writeFileSync(file, writeNpz({
    neural: { dtype: "<f4", shape: [T, N], data: Array.from({ length: T * N }, (_, i) => f(Math.floor(i / N), i % N)) },
    sampling_rate_hz: { dtype: "<f8", shape: [], data: [10] },
    ...(labels.discrete ? { discrete: { dtype: "<i4", shape: [T], data: labels.discrete } } : {}),
    ...(labels.continuous ? { continuous: { dtype: "<f4", shape: [T, labels.continuous[0]!.length], data: labels.continuous.flat() } } : {}),
  }));
  return file;
}

const varying = (t: number, n: number) => Math.sin((t + 1) * (n + 1) * 0.37);
const load = (file: string, opts: LoadOptions = {}) => loadRecording(file, opts, ctxFor(dir));

test("constantColumns finds zero-variance columns (NaN equals NaN, 0 equals -0)", () => {
  const data = Float32Array.from([1, 0, NaN, 5, 1, -0, NaN, 6, 1, 0, NaN, 7]);
  assert.deepEqual(constantColumns(data, 4), [0, 1, 2]);
  assert.deepEqual(constantColumns(Float32Array.from([3, 4]), 2), [0, 1], "a single row is constant");
  assert.deepEqual(constantColumns(new Float32Array(0), 3), []);
});

test("all-zero neural data loads with a warning that training will be refused", async () => {
  const rec = await load(npz("zero", () => 0));
  assert.equal(rec.n_neurons, N);
  const w = rec.warnings.join("\n");
  assert.match(w, /every value of neural is 0 \(200 samples × 8 units\)/);
  assert.ok(w.includes(NO_SIGNAL));
  assert.match(w, /training on it will be refused/);
  assert.match(w, /keys, neural_layout/);
});

test("all-constant (non-zero) neural data loads with the same warning, worded for constants", async () => {
  const rec = await load(npz("const", (_t, n) => n + 0.5));
  assert.match(rec.warnings.join("\n"), /all 8 units are constant over time \(zero variance\), so there is no neural signal/);
});

test("partly constant data names how many units and the first few", async () => {
  const rec = await load(npz("part", (t, n) => (n === 1 || n === 4 || n === 6 ? 2 : varying(t, n))));
  const w = rec.warnings.filter((x) => /constant/.test(x));
  assert.equal(w.length, 1, rec.warnings.join("\n"));
  assert.match(w[0]!, /3 of 8 units are constant over time \(zero variance; units 1, 4, 6\)/);
  assert.ok(!w[0]!.includes(NO_SIGNAL), "some signal remains: no refusal announced");
});

test("the warnings describe the data after preprocessing (time_range can make a unit constant)", async () => {
  const file = npz("late", (t, n) => (n === 0 && t < 100 ? 0 : varying(t, n)));
  assert.equal((await load(file)).warnings.length, 0, "constant only in the first half: nothing to say for the whole file");
  const first = await load(file, { time_range: { start: 0, end: 10 } });
  assert.match(first.warnings.join("\n"), /1 of 8 units are constant over time \(zero variance; units 0\)/);
});

test("constant labels are named: a single discrete value, constant continuous columns", async () => {
  const one = await load(npz("disc", varying, { discrete: Array(T).fill(3) }));
  assert.match(one.warnings.join("\n"), /discrete label 'discrete' has the same value \(3\) at every sample; behaviour-contrastive training/);
  const cont = await load(npz("cont", varying, { continuous: Array.from({ length: T }, (_, t) => [Math.cos(t), 1]) }));
  assert.match(cont.warnings.join("\n"), /continuous label column c1 is constant/);
  const allCont = await load(npz("cont2", varying, { continuous: Array.from({ length: T }, () => [0, 1]) }));
  assert.match(allCont.warnings.join("\n"), /every continuous label column \(c0, c1\) is constant/);
});

test("ordinary data gets no degenerate-data warning", async () => {
  const rec = await load(npz("ok", varying, { discrete: Array.from({ length: T }, (_, t) => t % 3), continuous: Array.from({ length: T }, (_, t) => [Math.cos(t)]) }));
  assert.deepEqual(rec.warnings, []);
  const one = degenerateWarnings(makeRecording(1, 3));
  assert.ok(!one.some((w) => /constant/.test(w)), "one sample: variance is undefined, not zero");
});

test("nan_policy 'zero' turning a unit of NaN into zeros is reported as a constant unit", async () => {
  const rec = await load(npz("nan", (t, n) => (n === 2 ? NaN : varying(t, n))), { nan_policy: "zero" });
  assert.match(rec.warnings.join("\n"), /1 of 8 units are constant over time \(zero variance; units 2\)/);
});

test("a recording shorter than some models' receptive field names them at load", async () => {
  const file = join(dir, "short.npz");
  writeFileSync(file, writeNpz({ neural: { dtype: "<f4", shape: [8, 2], data: Array.from({ length: 16 }, (_, i) => Math.sin(i)) }, sampling_rate_hz: { dtype: "<f8", shape: [], data: [10] } }));
  const w = (await load(file)).warnings.join("\n");
  assert.match(w, /only 8 samples, fewer than the receptive field of offset10-model \(10\), offset10-model-mse \(10\), offset36-model \(36\), offset40-model-4x-subsample \(40\), offset15-model \(15\), offset20-model \(20\), offset40-model \(40\), offset50-model \(50\) …, so these models cannot train on it/);
  assert.doesNotMatch(w, /offset5-model|offset1-model/);
});
