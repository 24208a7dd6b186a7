/**
 * Small dense linear algebra on row-major arrays: column means and covariance, a cyclic Jacobi
 * eigendecomposition of symmetric matrices, and principal components two ways. Deterministic, no
 * dependencies. Eigenvector signs are fixed so that each component's largest-magnitude entry is
 * positive, so results depend neither on rotation order nor on a random start beyond rounding.
 *
 * - `pcaProject`: exact PCA of a few (≤ ~128) columns through the full eigendecomposition of the
 *   covariance (plots of embeddings).
 * - `randomizedPca`: top-k PCA of wide data by randomized subspace iteration (Halko et al. 2011) on the
 *   covariance, then an exact Jacobi eigendecomposition of the projected (k + oversampling)² matrix
 *   (the built-in simulator's frame features).
 */
import type { Rng } from "./rng.js";

const OVERSAMPLING = 10;
const POWER_ITERATIONS = 12;
const JACOBI_SWEEPS = 100;

/** Column means and the centred sample covariance `[cols, cols]` of `x` `[rows, cols]`. */
function covariance(x: ArrayLike<number>, rows: number, cols: number): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += x[r * cols + c];
  for (let c = 0; c < cols; c++) mean[c] /= Math.max(1, rows);
  const cov = new Float64Array(cols * cols);
  const centred = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) centred[c] = x[r * cols + c] - mean[c];
    for (let a = 0; a < cols; a++) {
      const va = centred[a];
      if (va === 0) continue;
      const o = a * cols;
      for (let b = a; b < cols; b++) cov[o + b] += va * centred[b];
    }
  }
  const denom = Math.max(1, rows - 1);
  for (let a = 0; a < cols; a++) {
    for (let b = a; b < cols; b++) {
      const v = cov[a * cols + b] / denom;
      cov[a * cols + b] = v;
      cov[b * cols + a] = v;
    }
  }
  return { mean, cov };
}

/** Cyclic Jacobi eigendecomposition of a symmetric `[m, m]` matrix: eigenvalues and column eigenvectors. */
export function jacobiEigen(sym: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(sym);
  const v = new Float64Array(m * m);
  for (let i = 0; i < m; i++) v[i * m + i] = 1;
  for (let sweep = 0; sweep < JACOBI_SWEEPS; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += a[p * m + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = a[p * m + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * m + q] - a[p * m + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < m; k++) {
          const akp = a[k * m + p], akq = a[k * m + q];
          a[k * m + p] = c * akp - s * akq;
          a[k * m + q] = s * akp + c * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = a[p * m + k], aqk = a[q * m + k];
          a[p * m + k] = c * apk - s * aqk;
          a[q * m + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < m; k++) {
          const vkp = v[k * m + p], vkq = v[k * m + q];
          v[k * m + p] = c * vkp - s * vkq;
          v[k * m + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(m);
  for (let i = 0; i < m; i++) values[i] = a[i * m + i];
  return { values, vectors: v };
}

/** Indices 0..n-1 ordered by decreasing value. */
function descendingOrder(values: Float64Array): number[] {
  return Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[b] - values[a]);
}

/** Negates `v[start, start + length)` in place unless its (first) largest-magnitude entry is positive. */
function orientLargestPositive(v: Float64Array, start: number, length: number): void {
  let best = 0;
  for (let i = start; i < start + length; i++) if (Math.abs(v[i]) > Math.abs(best)) best = v[i];
  if (best < 0) for (let i = start; i < start + length; i++) v[i] = -v[i];
}

/** `scores[rows, k]` = (x − mean) · componentsᵀ, for components `[k, cols]`. */
function projectCentred(x: ArrayLike<number>, rows: number, cols: number, mean: Float64Array, components: Float64Array, k: number, scores: Float64Array | Float32Array): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < k; c++) {
      let acc = 0;
      for (let i = 0; i < cols; i++) acc += (x[r * cols + i] - mean[i]) * components[c * cols + i];
      scores[r * k + c] = acc;
    }
  }
}

/** Exact PCA projection: `[n, k]` coordinates and the fraction of total variance of each component. */
interface Projection {
  /** `[n, k]` projected coordinates, row-major. */
  data: Float32Array;
  n: number;
  k: number;
  /** Fraction of total variance explained by each of the k components. */
  explained: number[];
}

/** Project `[n, d]` row-major data onto its top `k` principal components (full eigendecomposition of the covariance). */
export function pcaProject(data: ArrayLike<number>, n: number, d: number, k: number): Projection {
  const { mean, cov } = covariance(data, n, d);
  const { values, vectors } = jacobiEigen(cov, d);
  const order = descendingOrder(values);
  const total = values.reduce((s, v) => s + Math.max(0, v), 0) || 1;
  const components = new Float64Array(k * d);
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < d; j++) components[c * d + j] = vectors[j * d + order[c]];
    orientLargestPositive(components, c * d, d);
  }
  const out = new Float32Array(n * k);
  projectCentred(data, n, d, mean, components, k, out);
  return { data: out, n, k, explained: order.slice(0, k).map((c) => Math.max(0, values[c]) / total) };
}

/** `out[n, m] = a[n, n] · q[n, m]` (a symmetric). */
function multiply(a: Float64Array, q: Float64Array, n: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const v = a[i * n + k];
      if (v === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j] += v * q[k * m + j];
    }
  }
  return out;
}

/** Orthonormalises the m columns of `q` `[n, m]` in place (modified Gram-Schmidt, twice for stability). */
function orthonormalise(q: Float64Array, n: number, m: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < m; j++) {
      for (let prev = 0; prev < j; prev++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += q[i * m + j] * q[i * m + prev];
        for (let i = 0; i < n; i++) q[i * m + j] -= dot * q[i * m + prev];
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += q[i * m + j] ** 2;
      norm = Math.sqrt(norm);
      for (let i = 0; i < n; i++) q[i * m + j] = norm > 1e-300 ? q[i * m + j] / norm : 0;
    }
  }
}

/** Result of `randomizedPca`: scores `[rows, k]`, components `[k, cols]`, variances of each component. */
interface PcaResult {
  scores: Float64Array;
  components: Float64Array;
  variances: Float64Array;
}

/** Top-`k` principal components of `x` `[rows, cols]` (centred internally) by randomized subspace iteration. */
export function randomizedPca(x: Float64Array, rows: number, cols: number, k: number, rng: Rng): PcaResult {
  const { mean, cov } = covariance(x, rows, cols);
  const m = Math.min(cols, k + OVERSAMPLING);
  let q: Float64Array = new Float64Array(cols * m);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  orthonormalise(q, cols, m);
  for (let it = 0; it < POWER_ITERATIONS; it++) {
    q = multiply(cov, q, cols, m);
    orthonormalise(q, cols, m);
  }
  // Rayleigh-Ritz: eigen-decompose qᵀ·cov·q.
  const cq = multiply(cov, q, cols, m);
  const small = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) {
    let acc = 0;
    for (let i = 0; i < cols; i++) acc += q[i * m + a] * cq[i * m + b];
    small[a * m + b] = acc;
  }
  for (let a = 0; a < m; a++) for (let b = a + 1; b < m; b++) small[a * m + b] = small[b * m + a] = 0.5 * (small[a * m + b] + small[b * m + a]);
  const { values, vectors } = jacobiEigen(small, m);
  const order = descendingOrder(values);

  const components = new Float64Array(k * cols);
  const variances = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    const e = order[c];
    variances[c] = Math.max(0, values[e]);
    for (let i = 0; i < cols; i++) {
      let acc = 0;
      for (let j = 0; j < m; j++) acc += q[i * m + j] * vectors[j * m + e];
      components[c * cols + i] = acc;
    }
    orientLargestPositive(components, c * cols, cols);
  }
  const scores = new Float64Array(rows * k);
  projectCentred(x, rows, cols, mean, components, k, scores);
  return { scores, components, variances };
}
