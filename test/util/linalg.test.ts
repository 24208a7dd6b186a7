/** Linear algebra shared by the renderers and the built-in simulator: Jacobi eigendecomposition, exact and randomized PCA. */
import test from "node:test";
import assert from "node:assert/strict";
import { jacobiEigen, pcaProject, randomizedPca } from "../../src/util/linalg.js";
import { Rng } from "../../src/util/rng.js";

test("jacobiEigen diagonalises a symmetric matrix; randomizedPca finds the dominant directions", () => {
  const rng = new Rng(4);
  const m = 6;
  const a = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = i; j < m; j++) a[i * m + j] = a[j * m + i] = rng.normal();
  const { values, vectors } = jacobiEigen(a, m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
    let s = 0;
    for (let k = 0; k < m; k++) s += vectors[i * m + k] * values[k] * vectors[j * m + k];
    assert.ok(Math.abs(s - a[i * m + j]) < 1e-9, `reconstruction (${i},${j})`);
  }

  // Data with variance 9, 4, 1, then 0.01 along the first axes of a random rotation.
  const rows = 400, cols = 30;
  const sds = [3, 2, 1];
  const x = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) x[r * cols + c] = (c < 3 ? sds[c] : 0.1) * rng.normal() + 5;
  const { variances, components, scores } = randomizedPca(x, rows, cols, 3, new Rng(5));
  for (let c = 0; c < 3; c++) {
    assert.ok(Math.abs(Math.sqrt(variances[c]) - sds[c]) < 0.35 * sds[c], `sd of PC${c}: ${Math.sqrt(variances[c])}`);
    assert.ok(Math.abs(components[c * cols + c]) > 0.99, `PC${c} should align with axis ${c}`);
    assert.ok(components[c * cols + c] > 0, "sign convention: largest loading positive");
  }
  let mean0 = 0;
  for (let r = 0; r < rows; r++) mean0 += scores[r * 3] / rows;
  assert.ok(Math.abs(mean0) < 1e-9, "scores are centred");
});

test("pcaProject finds the dominant direction and explained variance", () => {
  const rng = new Rng(5);
  const n = 500;
  const data = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const s = rng.normal() * 5;
    data[i * 3] = s / Math.SQRT2 + 0.1 * rng.normal() + 2;
    data[i * 3 + 1] = s / Math.SQRT2 + 0.1 * rng.normal() - 1;
    data[i * 3 + 2] = 0.5 * rng.normal();
  }
  const p = pcaProject(data, n, 3, 2);
  assert.ok(p.explained[0]! > 0.95, `PC1 explains ${p.explained[0]}`);
  assert.ok(p.explained[1]! < 0.05);
  let dot = 0;
  for (let i = 0; i < n; i++) dot += p.data[i * 2]! * (data[i * 3]! - 2 + (data[i * 3 + 1]! + 1));
  assert.ok(dot > 0, "sign convention: PC1 points along +(1,1,0)");
  const { values } = jacobiEigen(Float64Array.from([2, 1, 1, 2]), 2);
  assert.deepEqual(Array.from(values, (v) => Math.round(v * 1e9) / 1e9).sort(), [1, 3]);
});
