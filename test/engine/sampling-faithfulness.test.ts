/**
 * CEBRA faithfulness options of the samplers (docs/FAITHFULNESS.md): which occurrence
 * of a repeated nearest label is the positive (`positive_ties`), full-batch steps (`full_batch`) and
 * the normal `delta` conditional in hybrid training.
 */
import test from "node:test";
import assert from "node:assert/strict";
import {
  createMultiSessionSampler,
  createSampler,
  FULL_BATCH_MAX_BYTES,
  fullBatchSize,
  fullBatchStepBytes,
  type SamplerConfig,
} from "../../src/engine/cebra/sampling/index.js";
import type { LabelMatrix } from "../../src/engine/cebra/sampling/common.js";
import type { SessionData } from "../../src/engine/types.js";
import { UserError } from "../../src/util/errors.js";
import { Rng } from "../../src/util/rng.js";

const BASE: SamplerConfig = { conditional: "time_delta", hybrid: false, time_offsets: 1, discrete_prior: "empirical", batch_size: 128, seed: 5 };

function session(T: number, labels: { continuous?: LabelMatrix; discrete?: Int32Array } = {}, N = 2): SessionData {
  return { neural: new Float32Array(T * N), n_samples: T, n_neurons: N, ...labels };
}

/** A smooth 2-D trajectory of F frames, identical in each of R repeats (movie features per repeat). */
function movieLabels(F: number, R: number, rng: Rng): LabelMatrix {
  const data = new Float32Array(F * R * 2);
  for (let f = 0; f < F; f++) {
    const a = (2 * Math.PI * f) / F;
    const xy = [Math.cos(a) + 0.01 * rng.normal(), Math.sin(2 * a) + 0.01 * rng.normal()];
    for (let r = 0; r < R; r++) data.set(xy, (r * F + f) * 2);
  }
  return { data, dim: 2 };
}

/** Positives per repeat over `steps` batches. */
function repeatCounts(sample: () => Int32Array, F: number, R: number, steps: number): number[] {
  const counts = new Array(R).fill(0);
  for (let s = 0; s < steps; s++) for (const p of sample()) counts[Math.floor(p / F)]++;
  return counts;
}

const F = 40;
const R = 10;
const movie = movieLabels(F, R, new Rng(7));

test("positive_ties 'first': with labels repeated 10×, every positive comes from the first repeat (CEBRA's argmin)", () => {
  for (const cfg of [
    { ...BASE, positive_ties: "first" as const },
    { ...BASE, positive_ties: "first" as const, conditional: "delta" as const, delta: 0.05 },
    { ...BASE, positive_ties: "first" as const, hybrid: true },
  ]) {
    const s = createSampler(session(F * R, { continuous: movie }), cfg);
    const counts = repeatCounts(() => s.sample().pos.subarray(0, cfg.batch_size), F, R, 20);
    assert.deepEqual(counts.slice(1), new Array(R - 1).fill(0), `${cfg.conditional}${cfg.hybrid ? " hybrid" : ""}: ${counts}`);
    assert.equal(counts[0], 20 * cfg.batch_size);
  }
});

test("positive_ties 'first' returns the lowest sample index holding the nearest label row", () => {
  const first = createSampler(session(F * R, { continuous: movie }), { ...BASE, positive_ties: "first" });
  for (let step = 0; step < 10; step++) {
    const a = first.sample();
    for (let i = 0; i < a.pos.length; i++) {
      assert.ok(a.pos[i] < F);
      // The first occurrence of the positive's label row: no earlier row holds the same label.
      const row = movie.data.subarray(a.pos[i] * 2, a.pos[i] * 2 + 2);
      for (let t = 0; t < a.pos[i]; t++) assert.ok(movie.data[2 * t] !== row[0] || movie.data[2 * t + 1] !== row[1]);
    }
  }
});

test("positive_ties 'random' (and the default) spreads positives evenly over the 10 repeats", () => {
  for (const cfg of [{ ...BASE, positive_ties: "random" as const }, BASE]) {
    const s = createSampler(session(F * R, { continuous: movie }), cfg);
    const counts = repeatCounts(() => s.sample().pos, F, R, 30);
    const n = 30 * cfg.batch_size;
    const chi2 = counts.reduce((acc, c) => acc + (c - n / R) ** 2 / (n / R), 0);
    assert.ok(chi2 < 27.9, `chi-square ${chi2.toFixed(1)} (9 dof, p = 0.001), counts ${counts}`);
  }
});

test("positive_ties 'first' in mixed and multi-session sampling: first occurrence within the class / target session", () => {
  const T = F * R;
  const discrete = Int32Array.from({ length: T }, (_, t) => Math.floor((t % F) / 10)); // 4 classes of 10 frames
  const mixed = createSampler(session(T, { continuous: movie, discrete }), { ...BASE, conditional: "mixed", positive_ties: "first" });
  assert.deepEqual(repeatCounts(() => mixed.sample().pos, F, R, 10).slice(1), new Array(R - 1).fill(0));
  const sessions = [session(T, { continuous: movie }), session(T, { continuous: movie })];
  const multi = createMultiSessionSampler(sessions, { ...BASE, batch_size: 64, positive_ties: "first" });
  const spread = createMultiSessionSampler(sessions, { ...BASE, batch_size: 64, positive_ties: "random" });
  for (let step = 0; step < 10; step++) {
    for (const p of multi.sample().pos) for (const i of p) assert.ok(i < F, `positive ${i} is not in the first repeat`);
  }
  const late = spread.sample().pos.flatMap((p) => Array.from(p)).filter((i) => i >= F).length;
  assert.ok(late > 64, `random ties put only ${late} of 128 positives after the first repeat`);
});

test("full batch: every sample is a reference once per step, negatives a permutation, positives by the conditional", () => {
  const T = 90;
  const ramp: LabelMatrix = { data: Float32Array.from({ length: T }, (_, t) => t), dim: 1 };
  const data = session(T, { continuous: ramp });
  const B = fullBatchSize(data, BASE);
  assert.equal(B, T);
  const s = createSampler(data, { ...BASE, batch_size: B, full_batch: true, time_offsets: 2 });
  const negs: number[] = [];
  for (let step = 0; step < 3; step++) {
    const { ref, pos, neg } = s.sample();
    assert.deepEqual(Array.from(ref), Array.from({ length: T }, (_, i) => i));
    assert.deepEqual(Array.from(neg).sort((a, b) => a - b), Array.from(ref));
    for (let b = 0; b < T; b++) assert.ok(pos[b] === ref[b] || pos[b] === Math.min(T - 1, ref[b] + 2), `pos ${pos[b]} for ref ${ref[b]}`);
    negs.push(neg[0], neg[1], neg[2]);
  }
  assert.ok(new Set(negs).size > 3, "negatives are re-permuted every step");
  // time: T − Δ references, positives exactly Δ later.
  const time = { ...BASE, conditional: "time" as const, time_offsets: 5 };
  const Bt = fullBatchSize(session(T), time);
  assert.equal(Bt, T - 5);
  const batch = createSampler(session(T), { ...time, batch_size: Bt, full_batch: true }).sample();
  assert.deepEqual(Array.from(batch.pos), Array.from(batch.ref, (r) => r + 5));
  assert.throws(() => createSampler(data, { ...BASE, batch_size: 64, full_batch: true }), /batch_size 90/);
});

test("full batch is refused where CEBRA raises (discrete, mixed, hybrid, multi-session) and over the memory limit", () => {
  const T = 50;
  const labels = { continuous: { data: new Float32Array(T), dim: 1 }, discrete: new Int32Array(T) };
  for (const cfg of [{ ...BASE, conditional: "discrete" as const }, { ...BASE, conditional: "mixed" as const }, { ...BASE, hybrid: true }]) {
    assert.throws(() => fullBatchSize(session(T, labels), cfg), (e: unknown) => e instanceof UserError && /Full-batch/.test(e.message));
  }
  assert.throws(() => createMultiSessionSampler([session(T, labels), session(T, labels)], { ...BASE, full_batch: true }), /single-session only/);
  // 20,000 samples: six 20,000² float32 matrices alone are 9.6 GB.
  const big = session(20_000, {}, 1);
  const model = { receptive_field: 10, num_hidden_units: 32 };
  assert.ok(fullBatchStepBytes(20_000, 10, 1, 32) > FULL_BATCH_MAX_BYTES);
  assert.throws(() => fullBatchSize(big, { ...BASE, conditional: "time" }, model), (e: unknown) => e instanceof UserError && /GiB limit/.test(e.message));
  assert.equal(fullBatchSize(session(5_000, {}, 100), { ...BASE, conditional: "time" }, model), 4_999);
});

test("delta (normal) positives, alone and in hybrid: query offsets c[pos] − c[ref] have mean 0 and sd δ", () => {
  // A fine 1-D ramp (spacing 0.001) makes the nearest label the query rounded to the grid.
  const T = 4000;
  const c: LabelMatrix = { data: Float32Array.from({ length: T }, (_, t) => t * 0.001), dim: 1 };
  const delta = 0.1;
  for (const hybrid of [false, true]) {
    const s = createSampler(session(T, { continuous: c }), { ...BASE, conditional: "delta", delta, hybrid, batch_size: 256, time_offsets: 3 });
    const diffs: number[] = [];
    for (let step = 0; step < 40; step++) {
      const { ref, pos } = s.sample();
      for (let b = 0; b < ref.length; b++) {
        // References far from the ends, so clamping at 0 and T − 1 does not bend the distribution.
        if (ref[b] > 600 && ref[b] < T - 600) diffs.push(c.data[pos[b]] - c.data[ref[b]]);
        if (hybrid) assert.equal(pos[ref.length + b], ref[b] + 3, "time positive ref + Δ");
      }
    }
    const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
    const sd = Math.sqrt(diffs.reduce((a, b) => a + (b - mean) ** 2, 0) / (diffs.length - 1));
    assert.ok(diffs.length > 3000);
    assert.ok(Math.abs(mean) < 4 * (delta / Math.sqrt(diffs.length)), `mean ${mean}`);
    assert.ok(Math.abs(sd - delta) < 0.006, `sd ${sd} vs δ ${delta} (hybrid ${hybrid})`);
  }
  assert.throws(() => createSampler(session(T, { continuous: c }), { ...BASE, conditional: "delta", hybrid: true }), /needs delta/);
});
