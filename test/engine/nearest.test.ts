import test from "node:test";
import assert from "node:assert/strict";
import { NearestIndex } from "../../src/engine/cebra/sampling/nearest.js";
import { drawUniform, TimeDeltaQuery, type LabelMatrix, type QueryRule } from "../../src/engine/cebra/sampling/common.js";
import { NearestLabelSampler } from "../../src/engine/cebra/sampling/continuous.js";
import { KD_MAX_DIM } from "../../src/engine/cebra/sampling/label-trees.js";
import { ringRecording } from "../../src/engine/synthetic.js";
import type { PositiveTies } from "../../src/engine/types.js";
import { UserError } from "../../src/util/errors.js";
import { Rng } from "../../src/util/rng.js";

/** torch.argmin-style brute force: lowest index among equal minimum distances. */
function bruteForce(labels: Float32Array, dim: number, q: Float64Array, rows?: Int32Array): number {
  const candidates = rows ?? Int32Array.from({ length: labels.length / dim }, (_, i) => i);
  let best = Infinity;
  let bestRow = -1;
  for (const t of candidates) {
    let s = 0;
    for (let k = 0; k < dim; k++) {
      const d = q[k] - labels[t * dim + k];
      s += d * d;
    }
    if (s < best) {
      best = s;
      bestRow = t;
    }
  }
  return bestRow;
}

/** A smooth random trajectory of `unique` rows, repeated `repeats` times (like movie features per repeat). */
function tiledTrajectory(unique: number, repeats: number, dim: number, rng: Rng): Float32Array {
  const base = new Float32Array(unique * dim);
  for (let k = 0; k < dim; k++) base[k] = rng.normal();
  for (let t = 1; t < unique; t++) for (let k = 0; k < dim; k++) base[t * dim + k] = base[(t - 1) * dim + k] + 0.2 * rng.normal();
  const out = new Float32Array(unique * repeats * dim);
  for (let r = 0; r < repeats; r++) out.set(base, r * unique * dim);
  return out;
}

/** Queries of three kinds: exactly a label row, near a label row, and far from the data. */
function queriesFor(labels: Float32Array, dim: number, n: number, rng: Rng): Float64Array[] {
  const T = labels.length / dim;
  return Array.from({ length: n }, (_, i) => {
    const t = rng.int(T);
    const q = new Float64Array(dim);
    for (let k = 0; k < dim; k++) {
      const x = labels[t * dim + k];
      q[k] = i % 3 === 0 ? x : i % 3 === 1 ? x + 0.3 * rng.normal() : 3 * rng.normal();
    }
    return q;
  });
}

for (const dim of [1, 2, 3, 5, 8, 9, 16, 100]) {
  test(`nearestUnique matches brute force (d=${dim}, with and without hint)`, () => {
    const rng = new Rng(dim);
    const labels = tiledTrajectory(150, 3, dim, rng);
    const index = NearestIndex.build(labels, dim);
    assert.equal(index.n_unique, 150);
    assert.equal(index.n_rows, 450);
    for (const q of queriesFor(labels, dim, 300, rng)) {
      const expected = index.uniqueOfRow[bruteForce(labels, dim, q)];
      assert.equal(index.nearestUnique(q), expected);
      assert.equal(index.nearestUnique(q, rng.int(index.n_unique)), expected, "a hint must not change the answer");
    }
  });
}

test("exact ties between different rows go to the row that occurs first (torch.argmin)", () => {
  // Integer lattice: many queries are equidistant from several distinct rows.
  const rng = new Rng(7);
  const T = 300;
  const labels = new Float32Array(T * 2);
  for (let i = 0; i < labels.length; i++) labels[i] = rng.int(6);
  const index = NearestIndex.build(labels, 2);
  for (let i = 0; i < 400; i++) {
    const q = Float64Array.of(rng.int(13) / 2, rng.int(13) / 2);
    assert.equal(index.nearestUnique(q), index.uniqueOfRow[bruteForce(labels, 2, q)]);
  }
  const simple = NearestIndex.build(Float32Array.of(2, 0, 2, 0), 1);
  const u = simple.nearestUnique(Float64Array.of(1));
  assert.equal(simple.drawMember(u, rng) % 2, 0, "value 2 occurs first (rows 0 and 2)");
});

test("positives among identical nearest labels are spread over all occurrences", () => {
  const rng = new Rng(3);
  const repeats = 5;
  const labels = tiledTrajectory(10, repeats, 2, rng);
  const index = NearestIndex.build(labels, 2);
  const counts = new Array(repeats).fill(0);
  const draws = 5000;
  const q = Float64Array.from(labels.subarray(2 * 4, 2 * 5)); // label of frame 4
  for (let i = 0; i < draws; i++) {
    const t = index.nearest(q, rng);
    assert.equal(t % 10, 4);
    counts[Math.floor(t / 10)]++;
  }
  const expected = draws / repeats;
  const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  assert.ok(chi2 < 18.5, `chi-square ${chi2.toFixed(1)} (4 dof, p≈0.001 at 18.5), counts ${counts}`);
  assert.equal(index.groupSize(index.uniqueOfRow[4]), repeats);
});

test("an index over a subset of rows only returns members of that subset", () => {
  const rng = new Rng(11);
  const labels = tiledTrajectory(200, 2, 3, rng);
  const rows = Int32Array.from({ length: 400 }, (_, i) => i).filter((i) => i % 3 === 1);
  const index = NearestIndex.build(labels, 3, rows);
  const members = new Set(rows);
  for (const q of queriesFor(labels, 3, 200, rng)) {
    const t = index.nearest(q, rng);
    assert.ok(members.has(t));
    const expected = bruteForce(labels, 3, q, rows);
    for (let k = 0; k < 3; k++) assert.equal(labels[t * 3 + k], labels[expected * 3 + k]);
  }
});

test("−0 and +0 are the same label; non-finite labels are rejected with a UserError", () => {
  const index = NearestIndex.build(Float32Array.of(0, -0, 1), 1);
  assert.equal(index.n_unique, 2);
  assert.throws(() => NearestIndex.build(Float32Array.of(0, NaN, 1), 1), UserError);
  assert.throws(() => NearestIndex.build(Float32Array.of(0, Infinity), 1), /non-finite/);
});

test("integer labels (exact ties between distinct rows, many duplicates) match brute force in 1 to 9 dimensions", () => {
  // Both trees: the k-d tree up to KD_MAX_DIM, the ball tree above.
  for (const dim of [1, 2, 3, 4, KD_MAX_DIM, KD_MAX_DIM + 1]) {
    const rng = new Rng(100 + dim);
    const T = 600;
    const labels = new Float32Array(T * dim);
    for (let i = 0; i < labels.length; i++) labels[i] = rng.int(4);
    const index = NearestIndex.build(labels, dim);
    const q = new Float64Array(dim);
    for (let i = 0; i < 500; i++) {
      for (let k = 0; k < dim; k++) q[k] = (rng.int(11) - 1) / 2; // half-integers: equidistant from several rows
      const expected = index.uniqueOfRow[bruteForce(labels, dim, q)];
      assert.equal(index.nearestUnique(q), expected, `d=${dim}, query ${i}`);
      assert.equal(index.nearestUnique(q, rng.int(index.n_unique)), expected, `d=${dim}, query ${i}, hinted`);
    }
  }
});

test("a single unique row, and fewer rows than a leaf, are found", () => {
  const one = NearestIndex.build(Float32Array.of(1, 2, 1, 2, 1, 2), 2);
  assert.equal(one.n_unique, 1);
  assert.equal(one.nearestUnique(Float64Array.of(5, -5)), 0);
  const few = NearestIndex.build(Float32Array.of(3, 1, 2), 1);
  assert.equal(few.nearestUnique(Float64Array.of(1.6)), 2);
  assert.equal(few.nearestUnique(Float64Array.of(1.5)), 1, "1.5 is as near to 1 (row 1) as to 2 (row 2): the earlier row");
});

/**
 * CEBRA's own positive search, by brute force: the first row at the minimum distance (torch.argmin), then an
 * occurrence of that label by the `ties` rule (all exactly equal rows, in time order; "random" draws one).
 */
function bruteForcePositive(c: LabelMatrix, q: Float64Array, rng: Rng, ties: PositiveTies): number {
  const { data, dim } = c;
  const best = bruteForce(data, dim, q);
  const members: number[] = [];
  for (let t = 0; t < data.length / dim; t++) {
    let equal = true;
    for (let k = 0; k < dim && equal; k++) equal = data[t * dim + k] === data[best * dim + k];
    if (equal) members.push(t);
  }
  return members[members.length === 1 || ties === "first" ? 0 : rng.int(members.length)];
}

/** The batches NearestLabelSampler must give, with the brute-force search in place of the index. */
function bruteForceBatch(c: LabelMatrix, T: number, rule: QueryRule, B: number, rng: Rng, ties: PositiveTies) {
  const ref = drawUniform(rng, T, new Int32Array(B));
  const neg = drawUniform(rng, T, new Int32Array(B));
  const q = new Float64Array(c.dim);
  const pos = Int32Array.from(ref, (r) => {
    rule.make(r, q, rng);
    return bruteForcePositive(c, q, rng, ties);
  });
  return { ref, pos, neg };
}

const SAMPLER_CASES: Array<{ name: string; labels: () => LabelMatrix }> = [
  // The benchmark's time_delta labels: a ring and a random walk, 3-d, every row distinct.
  { name: "3-d ring + walk", labels: () => ringRecording({ T: 3000, N: 4, label_dim: 3, seed: 7 }).session.continuous! },
  {
    // Movie features repeated 10×, integer-valued: duplicates everywhere and exact ties between distinct rows.
    name: "3-d integer features × 10 repeats",
    labels: () => {
      const rng = new Rng(5);
      const frames = Float32Array.from({ length: 200 * 3 }, () => rng.int(5));
      const data = new Float32Array(10 * frames.length);
      for (let r = 0; r < 10; r++) data.set(frames, r * frames.length);
      return { data, dim: 3 };
    },
  },
  { name: "1-d frame index × 10 repeats", labels: () => ({ data: Float32Array.from({ length: 3000 }, (_, t) => t % 300), dim: 1 }) },
  {
    name: "12-d smooth trajectory × 3 repeats (ball tree)",
    labels: () => ({ data: tiledTrajectory(500, 3, 12, new Rng(9)), dim: 12 }),
  },
];

for (const { name, labels } of SAMPLER_CASES) {
  for (const ties of ["random", "first"] as const) {
    test(`time_delta sampler batches equal the brute-force search's, draw for draw (${name}, ties ${ties})`, () => {
      const c = labels();
      const T = c.data.length / c.dim;
      const B = 256;
      const rule = new TimeDeltaQuery(c, T, 1);
      const sampler = new NearestLabelSampler(c, T, rule, B, 42, ties);
      const rng = new Rng(42);
      for (let batch = 0; batch < 8; batch++) {
        const got = sampler.sample();
        const want = bruteForceBatch(c, T, rule, B, rng, ties);
        assert.deepEqual(got.ref, want.ref);
        assert.deepEqual(got.neg, want.neg);
        assert.deepEqual(got.pos, want.pos, `batch ${batch}`);
      }
    });
  }
}
