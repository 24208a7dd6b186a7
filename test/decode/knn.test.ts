import test from "node:test";
import assert from "node:assert/strict";
import { knn, type KnnMetric } from "../../src/decode/knn.js";
import { Rng } from "../../src/util/rng.js";
import { UserError } from "../../src/util/errors.js";

function randomRows(rng: Rng, rows: number, dim: number): Float32Array {
  const a = new Float32Array(rows * dim);
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  return a;
}

/** Distance computed in float64 directly from the definition. */
function bruteDistance(q: Float32Array, qi: number, r: Float32Array, ri: number, dim: number, metric: KnnMetric): number {
  let dot = 0, qq = 0, rr = 0, sq = 0, mq = 0, mr = 0;
  if (metric === "correlation") {
    for (let d = 0; d < dim; d++) {
      mq += q[qi * dim + d] / dim;
      mr += r[ri * dim + d] / dim;
    }
  }
  for (let d = 0; d < dim; d++) {
    const a = q[qi * dim + d] - mq, b = r[ri * dim + d] - mr;
    dot += a * b; qq += a * a; rr += b * b; sq += (a - b) ** 2;
  }
  if (metric === "euclidean") return Math.sqrt(sq);
  return qq > 1e-12 && rr > 1e-12 ? 1 - dot / Math.sqrt(qq * rr) : 1;
}

function bruteKnn(q: Float32Array, r: Float32Array, dim: number, k: number, metric: KnnMetric, refRows: number[]) {
  const nq = q.length / dim;
  return Array.from({ length: nq }, (_, qi) =>
    refRows.map((ri) => ({ ri, d: bruteDistance(q, qi, r, ri, dim, metric) }))
      .sort((a, b) => a.d - b.d || a.ri - b.ri).slice(0, k));
}

for (const metric of ["cosine", "euclidean", "correlation"] as const) {
  for (const dim of metric === "correlation" ? [3, 8, 37] : [1, 3, 8, 37]) {
    test(`knn matches brute force (${metric}, dim ${dim})`, () => {
      const rng = new Rng(dim * 7 + (metric === "cosine" ? 1 : metric === "euclidean" ? 2 : 3));
      const nq = 23, nr = 301, k = 9;
      const q = randomRows(rng, nq, dim), r = randomRows(rng, nr, dim);
      const res = knn({ queries: q, references: r, dim, k, metric });
      const want = bruteKnn(q, r, dim, k, metric, Array.from({ length: nr }, (_, i) => i));
      const tol = 1e-5 * Math.max(1, Math.sqrt(dim));
      for (let qi = 0; qi < nq; qi++) {
        for (let j = 0; j < k; j++) {
          const got = res.distances[qi * k + j];
          assert.ok(Math.abs(got - want[qi][j].d) < tol, `query ${qi} rank ${j}: ${got} vs ${want[qi][j].d}`);
          // Same row unless the brute-force neighbours at this rank are within rounding of each other.
          const gotRow = res.indices[qi * k + j];
          if (gotRow !== want[qi][j].ri) {
            assert.ok(Math.abs(bruteDistance(q, qi, r, gotRow, dim, metric) - want[qi][j].d) < tol, "different row at a non-tie");
          }
        }
        for (let j = 1; j < k; j++) assert.ok(res.distances[qi * k + j] >= res.distances[qi * k + j - 1]);
      }
    });
  }
}

test("knn restricted to query_rows / reference_rows returns original row indices", () => {
  const rng = new Rng(5);
  const dim = 6;
  const data = randomRows(rng, 100, dim);
  const queryRows = Int32Array.from([3, 50, 99]);
  const refRows = Int32Array.from(Array.from({ length: 40 }, (_, i) => 10 + 2 * i));
  const k = 5;
  const res = knn({ queries: data, references: data, dim, k, metric: "euclidean", query_rows: queryRows, reference_rows: refRows });
  const qSub = new Float32Array(queryRows.length * dim);
  queryRows.forEach((row, i) => qSub.set(data.subarray(row * dim, row * dim + dim), i * dim));
  const want = bruteKnn(qSub, data, dim, k, "euclidean", [...refRows]);
  assert.equal(res.n_queries, 3);
  for (let qi = 0; qi < 3; qi++) {
    assert.deepEqual([...res.indices.subarray(qi * k, qi * k + k)], want[qi].map((w) => w.ri));
  }
  // Query row 50 is itself a reference: nearest at distance 0.
  assert.equal(res.indices[k], 50);
  assert.equal(res.distances[k], 0);
});

test("knn breaks ties by lower reference index, for both metrics", () => {
  const dim = 4;
  // Rows 0..5: three exact duplicates of a vector at rows 1, 3, 5 and a scaled copy (same cosine) at row 4.
  const v = [1, 2, -1, 0.5];
  const other = [-3, 0, 1, 1];
  const refs = new Float32Array([...other, ...v, ...other, ...v, ...v.map((x) => 2 * x), ...v]);
  const res = knn({ queries: new Float32Array(v), references: refs, dim, k: 4, metric: "euclidean" });
  assert.deepEqual([...res.indices], [1, 3, 5, 4]);
  const cos = knn({ queries: new Float32Array(v.map((x) => 3 * x)), references: refs, dim, k: 4, metric: "cosine" });
  // The scaled copy (row 4) normalises to exactly the same unit vector, so cosine sees a 4-way tie.
  assert.deepEqual([...cos.indices], [1, 3, 4, 5]);
  assert.ok(Math.abs(cos.distances[0]) < 1e-6);
});

test("knn spans several reference blocks and query chunks consistently", () => {
  // dim 2000 → reference blocks of 32 rows, so 150 references need 5 blocks.
  const rng = new Rng(11);
  const dim = 2000, nq = 6, nr = 150, k = 3;
  const q = randomRows(rng, nq, dim), r = randomRows(rng, nr, dim);
  const res = knn({ queries: q, references: r, dim, k, metric: "cosine" });
  const want = bruteKnn(q, r, dim, k, "cosine", Array.from({ length: nr }, (_, i) => i));
  for (let qi = 0; qi < nq; qi++) assert.deepEqual([...res.indices.subarray(qi * k, qi * k + k)], want[qi].map((w) => w.ri));
});

test("knn zero rows have cosine distance 1", () => {
  const res = knn({ queries: new Float32Array([0, 0]), references: new Float32Array([1, 0, 0, 1]), dim: 2, k: 2, metric: "cosine" });
  assert.deepEqual([...res.distances], [1, 1]);
  assert.deepEqual([...res.indices], [0, 1]);
});

test("knn rejects k larger than the reference set and bad shapes", () => {
  const r = new Float32Array(6);
  assert.throws(() => knn({ queries: r, references: r, dim: 2, k: 4, metric: "cosine" }), (e: unknown) =>
    e instanceof UserError && /k = 4/.test(e.message) && /between 1 and 3/.test(e.message));
  assert.throws(() => knn({ queries: r, references: r, dim: 4, k: 1, metric: "cosine" }), UserError);
  assert.throws(() => knn({ queries: r, references: r, dim: 2, k: 1, metric: "cosine", reference_rows: Int32Array.from([7]) }), UserError);
});
