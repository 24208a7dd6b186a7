/**
 * Principal component projection for plotting embeddings. Embedding dimensions are small
 * (CEBRA: 3–128), so we form the D×D covariance and diagonalise it exactly with cyclic Jacobi
 * rotations — deterministic, no dependencies, milliseconds for D ≤ 128.
 */

export interface Projection {
  /** `[n, k]` projected coordinates, row-major. */
  data: Float32Array;
  n: number;
  k: number;
  /** Fraction of total variance explained by each of the k components. */
  explained: number[];
}

/** Project `[n, d]` row-major data onto its top `k` principal components. */
export function pcaProject(data: ArrayLike<number>, n: number, d: number, k: number): Projection {
  const mean = columnMeans(data, n, d);
  const cov = covariance(data, n, d, mean);
  const { values, vectors } = jacobiEigen(cov, d);
  const order = Array.from({ length: d }, (_, i) => i).sort((a, b) => values[b]! - values[a]!);
  const total = values.reduce((s, v) => s + Math.max(0, v), 0) || 1;
  const comps = order.slice(0, k).map((c) => orientedColumn(vectors, d, c));
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (data[i * d + j]! - mean[j]!) * comps[c]![j]!;
      out[i * k + c] = s;
    }
  }
  return { data: out, n, k, explained: order.slice(0, k).map((c) => Math.max(0, values[c]!) / total) };
}

function columnMeans(data: ArrayLike<number>, n: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += data[i * d + j]!;
  for (let j = 0; j < d; j++) mean[j]! /= Math.max(1, n);
  return mean;
}

/** Sample covariance as a `[d, d]` row-major Float64Array. */
function covariance(data: ArrayLike<number>, n: number, d: number, mean: Float64Array): Float64Array {
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = data[i * d + j]! - mean[j]!;
    for (let a = 0; a < d; a++) for (let b = a; b < d; b++) cov[a * d + b]! += row[a]! * row[b]!;
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      cov[a * d + b]! /= Math.max(1, n - 1);
      cov[b * d + a] = cov[a * d + b]!;
    }
  }
  return cov;
}

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations; eigenvectors are columns. */
export function jacobiEigen(matrix: Float64Array, d: number): { values: number[]; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 100 && offDiagonalNorm(a, d) > 1e-22 * (diagonalNorm(a, d) + 1e-300); sweep++) {
    for (let p = 0; p < d - 1; p++) for (let q = p + 1; q < d; q++) rotate(a, v, d, p, q);
  }
  return { values: Array.from({ length: d }, (_, i) => a[i * d + i]!), vectors: v };
}

/** One Jacobi rotation zeroing a[p][q] (and a[q][p]), accumulated into v. */
function rotate(a: Float64Array, v: Float64Array, d: number, p: number, q: number): void {
  const apq = a[p * d + q]!;
  if (Math.abs(apq) < 1e-300) return;
  const theta = (a[q * d + q]! - a[p * d + p]!) / (2 * apq);
  const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const s = t * c;
  for (let k = 0; k < d; k++) {
    const akp = a[k * d + p]!;
    const akq = a[k * d + q]!;
    a[k * d + p] = c * akp - s * akq;
    a[k * d + q] = s * akp + c * akq;
  }
  for (let k = 0; k < d; k++) {
    const apk = a[p * d + k]!;
    const aqk = a[q * d + k]!;
    a[p * d + k] = c * apk - s * aqk;
    a[q * d + k] = s * apk + c * aqk;
  }
  for (let k = 0; k < d; k++) {
    const vkp = v[k * d + p]!;
    const vkq = v[k * d + q]!;
    v[k * d + p] = c * vkp - s * vkq;
    v[k * d + q] = s * vkp + c * vkq;
  }
}

function offDiagonalNorm(a: Float64Array, d: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) if (i !== j) s += a[i * d + j]! ** 2;
  return s;
}

function diagonalNorm(a: Float64Array, d: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) s += a[i * d + i]! ** 2;
  return s;
}

/** Column c of the eigenvector matrix, signed so its largest-magnitude entry is positive (deterministic). */
function orientedColumn(v: Float64Array, d: number, c: number): Float64Array {
  const col = Float64Array.from({ length: d }, (_, j) => v[j * d + c]!);
  let big = 0;
  for (let j = 1; j < d; j++) if (Math.abs(col[j]!) > Math.abs(col[big]!)) big = j;
  if (col[big]! < 0) for (let j = 0; j < d; j++) col[j] = -col[j]!;
  return col;
}
