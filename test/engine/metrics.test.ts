import test from "node:test";
import assert from "node:assert/strict";
import {
  alignEmbeddings,
  consistencyScore,
  goodnessOfFitBits,
  goodnessOfFitHistory,
  type EmbeddingMatrix,
} from "../../src/engine/cebra/metrics.js";
import { UserError } from "../../src/util/errors.js";
import { Rng } from "../../src/util/rng.js";

function randomEmbedding(rows: number, dim: number, rng: Rng): EmbeddingMatrix {
  return { data: Float64Array.from({ length: rows * dim }, () => rng.normal()), rows, dim };
}

/** y = x·A + b (A is dx × dy, row-major). */
function affine(x: EmbeddingMatrix, a: number[], b: number[]): EmbeddingMatrix {
  const dy = b.length;
  const data = new Float64Array(x.rows * dy);
  for (let t = 0; t < x.rows; t++) {
    for (let k = 0; k < dy; k++) {
      let s = b[k];
      for (let j = 0; j < x.dim; j++) s += x.data[t * x.dim + j] * a[j * dy + k];
      data[t * dy + k] = s;
    }
  }
  return { data, rows: x.rows, dim: dy };
}

function correlation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] / n;
    my += y[i] / n;
  }
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

test("goodness of fit: InfoNCE = log(B·S) is 0 bits; one nat below is log2(e) bits", () => {
  assert.equal(goodnessOfFitBits(Math.log(512), 512), 0);
  assert.ok(Math.abs(goodnessOfFitBits(Math.log(512) - Math.LN2, 512) - 1) < 1e-12);
  assert.ok(Math.abs(goodnessOfFitBits(Math.log(3 * 128), 128, 3)) < 1e-12);
  assert.ok(Math.abs(goodnessOfFitBits(Math.log(128), 128, 3) - Math.log2(3)) < 1e-12);
  assert.deepEqual(goodnessOfFitHistory([Math.log(64), Math.log(64) - 2 * Math.LN2], 64).map((x) => Math.round(x * 1e9) / 1e9), [0, 2]);
  assert.throws(() => goodnessOfFitBits(1, 0), UserError);
});

test("consistency between runs: 1 for identical and affinely related embeddings, ids and pairs as CEBRA", () => {
  const rng = new Rng(1);
  const x = randomEmbedding(500, 3, rng);
  const y = affine(x, [2, 0.5, 0, 1, -1, 0.3, 0, 0.2, 3], [5, -2, 0.1]);
  const r = consistencyScore([x, x, y], { between: "runs" });
  assert.deepEqual(r.ids, [0, 1, 2]);
  assert.deepEqual(r.pairs, [[0, 1], [0, 2], [1, 0], [1, 2], [2, 0], [2, 1]]);
  r.scores.forEach((s) => assert.ok(Math.abs(s - 1) < 1e-9, `score ${s}`));
});

test("consistency between runs is low for independent noise and equals r² for 1-D embeddings", () => {
  const rng = new Rng(2);
  const a = randomEmbedding(2000, 4, rng);
  const b = randomEmbedding(2000, 4, rng);
  const noise = consistencyScore([a, b], { between: "runs" });
  noise.scores.forEach((s) => assert.ok(s >= 0 && s < 0.02, `noise score ${s}`));
  const x = randomEmbedding(400, 1, rng);
  const y: EmbeddingMatrix = { data: x.data.map((v) => v + 0.8 * rng.normal()), rows: 400, dim: 1 };
  const r = consistencyScore([x, y], { between: "runs" });
  const r2 = correlation(x.data, y.data) ** 2;
  assert.ok(r2 > 0.4 && r2 < 0.8);
  r.scores.forEach((s) => assert.ok(Math.abs(s - r2) < 1e-10, `${s} vs r² ${r2}`));
});

test("consistency handles collinear and constant dimensions (ridge path, sklearn conventions)", () => {
  const rng = new Rng(3);
  const base = randomEmbedding(300, 2, rng);
  // [x1, x2, x1 + x2, 7]: a collinear column → singular XᵀX; a constant column → zero variance (scores 1 when fitted).
  const wide = affine(base, [1, 0, 1, 0, 0, 1, 1, 0], [0, 0, 0, 7]);
  const r = consistencyScore([base, wide], { between: "runs" });
  r.scores.forEach((s) => assert.ok(Math.abs(s - 1) < 1e-6, `score ${s}`));
});

test("between-runs needs equal row counts", () => {
  const rng = new Rng(4);
  assert.throws(() => consistencyScore([randomEmbedding(10, 2, rng), randomEmbedding(11, 2, rng)], { between: "runs" }), /rows/);
  assert.throws(() => consistencyScore([randomEmbedding(10, 2, rng)], { between: "runs" }), UserError);
});

test("alignEmbeddings digitises like np.digitize, falls back to neighbouring bins, and L2-normalises", () => {
  // 5 bins over [0, 1]: edges 0, .25, .5, .75, 1 → digits: 0→1, 0.3→2, 0.6→3, 1.0→5; bin 4 is empty.
  const e: EmbeddingMatrix = { data: Float64Array.of(3, 4, 0, 2, 1, 0, 5, 5), rows: 4, dim: 2 };
  const [a] = alignEmbeddings([e], [[0, 0.3, 0.6, 1.0]], 5);
  assert.equal(a.rows, 4);
  const rows = Array.from({ length: 4 }, (_, i) => [a.data[2 * i], a.data[2 * i + 1]].map((v) => Math.round(v * 1e12) / 1e12));
  assert.deepEqual(rows[0], [0.6, 0.8]);
  assert.deepEqual(rows[1], [0, 1]);
  assert.deepEqual(rows[2], [1, 0]);
  // Bin 4 is empty: mean of bins 3..5 = ((1,0) + (5,5)) / 2 = (3, 2.5), normalised.
  const n = Math.hypot(3, 2.5);
  assert.deepEqual(rows[3], [3 / n, 2.5 / n].map((v) => Math.round(v * 1e12) / 1e12));
  assert.throws(() => alignEmbeddings([e], [[0, 0, 0, 1.0]], 9), /no samples within 2 bins/);
});

test("consistency between datasets: high for label-aligned embeddings, low for noise, averaged per id pair", () => {
  const rng = new Rng(5);
  const make = (rows: number, rotate: boolean, noise: boolean): { e: EmbeddingMatrix; labels: number[] } => {
    // Every label set spans exactly [0, 1], so the global bin edges do not depend on which sets are compared.
    const labels = Array.from({ length: rows }, (_, t) => (t === 0 ? 0 : t === 1 ? 1 : rng.random()));
    const data = new Float64Array(rows * 3);
    labels.forEach((l, t) => {
      const v = noise ? [rng.normal(), rng.normal(), rng.normal()] : [Math.cos(3 * l), Math.sin(3 * l), l];
      data.set(rotate ? [v[1], -v[0], v[2]] : v, t * 3);
    });
    return { e: { data, rows, dim: 3 }, labels };
  };
  const a = make(3000, false, false);
  const b = make(2000, true, false);
  const c = make(2500, false, true);
  const good = consistencyScore([a.e, b.e], { between: "datasets", labels: [a.labels, b.labels], dataset_ids: ["a", "b"] });
  assert.deepEqual(good.ids, ["a", "b"]);
  assert.deepEqual(good.pairs, [["a", "b"], ["b", "a"]]);
  good.scores.forEach((s) => assert.ok(s > 0.97, `aligned score ${s}`));
  const bad = consistencyScore([a.e, c.e], { between: "datasets", labels: [a.labels, c.labels] });
  assert.deepEqual(bad.ids, [0, 1]);
  bad.scores.forEach((s) => assert.ok(s < 0.3, `noise score ${s}`));
  // Two embeddings of dataset "x" against one of "y": each id pair appears once with the mean score.
  const three = consistencyScore([a.e, c.e, b.e], { between: "datasets", labels: [a.labels, c.labels, b.labels], dataset_ids: ["x", "x", "y"] });
  assert.deepEqual(three.pairs, [["x", "y"], ["y", "x"]]);
  const ab = consistencyScore([a.e, b.e], { between: "datasets", labels: [a.labels, b.labels] }).scores;
  const cb = consistencyScore([c.e, b.e], { between: "datasets", labels: [c.labels, b.labels] }).scores;
  assert.ok(Math.abs(three.scores[0] - (ab[0] + cb[0]) / 2) < 1e-12);
  assert.ok(Math.abs(three.scores[1] - (ab[1] + cb[1]) / 2) < 1e-12);
  assert.throws(() => consistencyScore([a.e, b.e], { between: "datasets", labels: [a.labels, b.labels], dataset_ids: ["s", "s"] }), UserError);
});
