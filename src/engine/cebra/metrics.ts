/**
 * Quality metrics of CEBRA embeddings (spec §6): goodness of fit in bits, and consistency (linear
 * identifiability) between runs or between datasets.
 */
import { UserError } from "../../util/errors.js";

const LOG2_E = Math.LOG2E;

/**
 * Goodness of fit in bits: (log(B·S) − InfoNCE)·log₂e (CEBRA `infonce_to_goodness_of_fit`). 0 bits is chance
 * (all similarities equal → InfoNCE = log(B·S)); higher is better. `batchSize` is per session, `nSessions`
 * is 1 for single-session training.
 */
export function goodnessOfFitBits(infonce: number, batchSize: number, nSessions = 1): number {
  if (!(batchSize >= 1) || !(nSessions >= 1)) {
    throw new UserError(
      `Goodness of fit needs a batch size and session count ≥ 1, got ${batchSize} and ${nSessions}.`,
      "Pass the batch size the loss was computed with (full-batch training has no goodness of fit).",
    );
  }
  return (Math.log(batchSize * nSessions) - infonce) * LOG2_E;
}

/** `goodnessOfFitBits` applied to every loss of a training history (CEBRA `goodness_of_fit_history`). */
export function goodnessOfFitHistory(losses: ArrayLike<number>, batchSize: number, nSessions = 1): number[] {
  return Array.from(losses, (l) => goodnessOfFitBits(l, batchSize, nSessions));
}

/** A `[rows, dim]` row-major embedding. */
export interface EmbeddingMatrix {
  data: Float32Array | Float64Array;
  rows: number;
  dim: number;
}

type ConsistencyOptions =
  | { between: "runs" }
  | {
      between: "datasets";
      /** One 1-D label array per embedding (same length as its rows), used to align the embeddings. */
      labels: ArrayLike<number>[];
      /** Dataset id per embedding; omitted = every embedding is its own dataset. */
      dataset_ids?: Array<string | number>;
      /** Label bins (CEBRA default 100, giving 99 aligned rows). */
      num_discretization_bins?: number;
    };

interface ConsistencyResult {
  /** R² (0..1 for a useful fit) per pair, aligned with `pairs`. */
  scores: number[];
  /** (source id, target id) of each score: the regression maps source → target. */
  pairs: Array<[string | number, string | number]>;
  /** Runs: 0..n−1. Datasets: the distinct dataset ids, in order of first appearance. */
  ids: Array<string | number>;
}

/**
 * Consistency score (CEBRA `consistency_score`): for every ordered pair i ≠ j, a linear regression with
 * intercept from embedding i to embedding j, scored by R² averaged uniformly over j's dimensions, fitted
 * and scored on the same samples (no held-out data).
 *
 * - `runs`: embeddings of the same data (equal row counts), compared sample by sample.
 * - `datasets`: each embedding is first reduced to label-binned means (`alignEmbeddings`), and only pairs
 *   with different dataset ids are kept; pairs with the same id pair are averaged.
 *
 * Difference from CEBRA: in `datasets` mode CEBRA returns the averaged scores next to the unaveraged pair
 * list (their lengths differ when a dataset has several embeddings); here `pairs` lists each id pair once,
 * aligned with its averaged score.
 */
export function consistencyScore(embeddings: EmbeddingMatrix[], opts: ConsistencyOptions): ConsistencyResult {
  if (embeddings.length < 2) {
    throw new UserError(`Consistency needs at least 2 embeddings, got ${embeddings.length}.`, "Pass two or more embeddings to compare.");
  }
  embeddings.forEach(checkEmbedding);
  if (opts.between === "runs") return consistencyBetweenRuns(embeddings);
  return consistencyBetweenDatasets(embeddings, opts.labels, opts.dataset_ids, opts.num_discretization_bins ?? 100);
}

function consistencyBetweenRuns(embeddings: EmbeddingMatrix[]): ConsistencyResult {
  const rows = embeddings[0].rows;
  embeddings.forEach((e, i) => {
    if (e.rows !== rows) {
      throw new UserError(
        `Between-runs consistency compares samples one to one, but embedding ${i} has ${e.rows} rows and embedding 0 has ${rows}.`,
        "Embed the same samples with every run, or use between: 'datasets' with labels.",
      );
    }
  });
  const ids = embeddings.map((_, i) => i);
  const { scores, pairs } = pairwiseR2(embeddings, ids, () => true);
  return { scores, pairs, ids };
}

function consistencyBetweenDatasets(
  embeddings: EmbeddingMatrix[],
  labels: ArrayLike<number>[],
  datasetIds: Array<string | number> | undefined,
  nBins: number,
): ConsistencyResult {
  const ids = datasetIds ?? embeddings.map((_, i) => i);
  if (ids.length !== embeddings.length) {
    throw new UserError(`Got ${ids.length} dataset ids for ${embeddings.length} embeddings.`, "Pass one dataset id per embedding.");
  }
  const distinct = [...new Set(ids)];
  if (distinct.length < 2) {
    throw new UserError(
      "Between-datasets consistency needs embeddings from at least 2 different datasets; all dataset ids are equal.",
      "Give the embeddings distinct dataset ids, or use between: 'runs'.",
    );
  }
  const aligned = alignEmbeddings(embeddings, labels, nBins);
  const all = pairwiseR2(aligned, ids, (a, b) => a !== b);
  const averaged = averageByPair(all.scores, all.pairs);
  return { ...averaged, ids: distinct };
}

/** R² of every ordered pair (i, j), i ≠ j, whose ids pass `keep`. */
function pairwiseR2(
  embeddings: EmbeddingMatrix[],
  ids: Array<string | number>,
  keep: (a: string | number, b: string | number) => boolean,
): { scores: number[]; pairs: Array<[string | number, string | number]> } {
  const centred = embeddings.map(centre);
  const grams = centred.map((c) => crossProduct(c, c));
  const factors = grams.map((g, i) => choleskyWithRidge(g, centred[i].dim));
  const scores: number[] = [];
  const pairs: Array<[string | number, string | number]> = [];
  const crossCache = new Map<string, Float64Array>();
  for (let i = 0; i < embeddings.length; i++) {
    for (let j = 0; j < embeddings.length; j++) {
      if (i === j || !keep(ids[i], ids[j])) continue;
      const cross = i < j ? cachedCross(crossCache, centred, i, j) : transpose(cachedCross(crossCache, centred, j, i), centred[j].dim, centred[i].dim);
      scores.push(r2FromMoments(factors[i], cross, grams[j], centred[i].dim, centred[j].dim));
      pairs.push([ids[i], ids[j]]);
    }
  }
  return { scores, pairs };
}

function cachedCross(cache: Map<string, Float64Array>, centred: Centred[], i: number, j: number): Float64Array {
  const key = `${i},${j}`;
  let c = cache.get(key);
  if (!c) {
    c = crossProduct(centred[i], centred[j]);
    cache.set(key, c);
  }
  return c;
}

function averageByPair(
  scores: number[],
  pairs: Array<[string | number, string | number]>,
): { scores: number[]; pairs: Array<[string | number, string | number]> } {
  const groups = new Map<string, { pair: [string | number, string | number]; sum: number; n: number }>();
  scores.forEach((s, k) => {
    const key = JSON.stringify(pairs[k]);
    const g = groups.get(key) ?? { pair: pairs[k], sum: 0, n: 0 };
    g.sum += s;
    g.n += 1;
    groups.set(key, g);
  });
  const out = [...groups.values()];
  return { scores: out.map((g) => g.sum / g.n), pairs: out.map((g) => g.pair) };
}

/**
 * R² (uniform average over output dims) of the least-squares fit y ≈ x·W + b, from centred moments:
 * Gxx = XcᵀXc (as its Cholesky factor), Cxy = XcᵀYc, Gyy = YcᵀYc. With W = Gxx⁻¹Cxy the residual sum of
 * squares of output k is Gyy[k,k] − Σ_a Cxy[a,k]·W[a,k]. An output with zero variance scores 1 if it is
 * fitted exactly and 0 otherwise (sklearn's convention).
 */
function r2FromMoments(factor: Float64Array, cxy: Float64Array, gyy: Float64Array, dx: number, dy: number): number {
  const col = new Float64Array(dx);
  let total = 0;
  for (let k = 0; k < dy; k++) {
    for (let a = 0; a < dx; a++) col[a] = cxy[a * dy + k];
    const w = choleskySolve(factor, dx, col);
    let explained = 0;
    for (let a = 0; a < dx; a++) explained += cxy[a * dy + k] * w[a];
    const ssTot = gyy[k * dy + k];
    const ssRes = Math.max(0, ssTot - explained);
    total += ssTot > 0 ? 1 - ssRes / ssTot : ssRes === 0 ? 1 : 0;
  }
  return total / dy;
}

/**
 * Label-binned alignment (CEBRA `align_embeddings`): labels (1-D) are digitised with
 * `np.digitize(label, linspace(min, max, nBins))` over the global min/max of all label arrays; for bins
 * 1..nBins−1 the mean embedding row is taken, falling back to the rows within ±1, then ±2 bins when a bin
 * is empty; each bin mean is L2-normalised. Rows with a NaN in the embedding or label are skipped.
 * Returns one `[nBins − 1, dim]` matrix per embedding (a zero mean stays zero instead of CEBRA's NaN).
 */
export function alignEmbeddings(embeddings: EmbeddingMatrix[], labels: ArrayLike<number>[], nBins = 100): EmbeddingMatrix[] {
  if (labels.length !== embeddings.length) {
    throw new UserError(`Got ${labels.length} label arrays for ${embeddings.length} embeddings.`, "Pass one 1-D label array per embedding.");
  }
  if (!Number.isInteger(nBins) || nBins < 2) {
    throw new UserError(`num_discretization_bins must be an integer ≥ 2, got ${nBins}.`, "Use e.g. 100 (CEBRA default).");
  }
  labels.forEach((l, i) => {
    if (l.length !== embeddings[i].rows) {
      throw new UserError(
        `Label array ${i} has ${l.length} values but embedding ${i} has ${embeddings[i].rows} rows.`,
        "Pass one label value per embedding row (1-D labels).",
      );
    }
  });
  const { min, max } = labelRange(labels);
  const edges = Array.from({ length: nBins }, (_, k) => min + ((max - min) * k) / (nBins - 1));
  return embeddings.map((e, i) => binnedMeans(e, digitize(labels[i], edges), nBins, i));
}

function labelRange(labels: ArrayLike<number>[]): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const l of labels) {
    for (let t = 0; t < l.length; t++) {
      if (l[t] < min) min = l[t];
      if (l[t] > max) max = l[t];
    }
  }
  if (!(max > min)) {
    throw new UserError(
      `Labels for alignment span no range (min ${min}, max ${max}).`,
      "Align on a label that varies (e.g. position or frame index).",
    );
  }
  return { min, max };
}

/** np.digitize(x, edges) with increasing edges: the number of edges ≤ x (NaN → −1, skipped later). */
function digitize(values: ArrayLike<number>, edges: number[]): Int32Array {
  const out = new Int32Array(values.length);
  for (let t = 0; t < values.length; t++) {
    const x = values[t];
    if (Number.isNaN(x)) {
      out[t] = -1;
      continue;
    }
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid] <= x) lo = mid + 1;
      else hi = mid;
    }
    out[t] = lo;
  }
  return out;
}

function binnedMeans(e: EmbeddingMatrix, bin: Int32Array, nBins: number, which: number): EmbeddingMatrix {
  const D = e.dim;
  // Per-bin sums and counts over bins 0..nBins, skipping rows with NaN.
  const sums = new Float64Array((nBins + 1) * D);
  const counts = new Float64Array(nBins + 1);
  for (let t = 0; t < e.rows; t++) {
    if (bin[t] < 0 || rowHasNaN(e, t)) continue;
    counts[bin[t]]++;
    for (let k = 0; k < D; k++) sums[bin[t] * D + k] += e.data[t * D + k];
  }
  const out = new Float64Array((nBins - 1) * D);
  for (let b = 1; b < nBins; b++) {
    const row = out.subarray((b - 1) * D, b * D);
    meanWithFallback(sums, counts, b, D, row, which);
    normalise(row);
  }
  return { data: out, rows: nBins - 1, dim: D };
}

function meanWithFallback(sums: Float64Array, counts: Float64Array, b: number, D: number, row: Float64Array, which: number): void {
  for (let spread = 0; spread <= 2; spread++) {
    let n = 0;
    for (let c = Math.max(0, b - spread); c <= Math.min(counts.length - 1, b + spread); c++) {
      n += counts[c];
      for (let k = 0; k < D; k++) row[k] += sums[c * D + k];
    }
    if (n > 0) {
      for (let k = 0; k < D; k++) row[k] /= n;
      return;
    }
  }
  throw new UserError(
    `Embedding ${which} has no samples within 2 bins of label bin ${b}.`,
    "Use fewer num_discretization_bins, or labels that cover the shared label range in every dataset.",
  );
}

function rowHasNaN(e: EmbeddingMatrix, t: number): boolean {
  for (let k = 0; k < e.dim; k++) if (Number.isNaN(e.data[t * e.dim + k])) return true;
  return false;
}

function normalise(row: Float64Array): void {
  let s = 0;
  for (let k = 0; k < row.length; k++) s += row[k] * row[k];
  if (s === 0) return;
  const inv = 1 / Math.sqrt(s);
  for (let k = 0; k < row.length; k++) row[k] *= inv;
}

function checkEmbedding(e: EmbeddingMatrix, i: number): void {
  if (!(e.rows >= 1) || !(e.dim >= 1) || e.data.length !== e.rows * e.dim) {
    throw new UserError(
      `Embedding ${i} has ${e.data.length} values, not rows × dim = ${e.rows} × ${e.dim}.`,
      "Pass each embedding as a row-major [rows, dim] array.",
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// Small dense linear algebra in float64

interface Centred {
  data: Float64Array;
  rows: number;
  dim: number;
}

function centre(e: EmbeddingMatrix): Centred {
  const { rows, dim } = e;
  const mean = new Float64Array(dim);
  for (let t = 0; t < rows; t++) for (let k = 0; k < dim; k++) mean[k] += e.data[t * dim + k];
  for (let k = 0; k < dim; k++) mean[k] /= rows;
  const data = new Float64Array(rows * dim);
  for (let t = 0; t < rows; t++) for (let k = 0; k < dim; k++) data[t * dim + k] = e.data[t * dim + k] - mean[k];
  return { data, rows, dim };
}

/** XᵀY for row-aligned X `[n, dx]`, Y `[n, dy]` → `[dx, dy]`. */
function crossProduct(x: Centred, y: Centred): Float64Array {
  const dx = x.dim;
  const dy = y.dim;
  const out = new Float64Array(dx * dy);
  for (let t = 0; t < x.rows; t++) {
    const xo = t * dx;
    const yo = t * dy;
    for (let a = 0; a < dx; a++) {
      const xa = x.data[xo + a];
      if (xa === 0) continue;
      const oo = a * dy;
      for (let b = 0; b < dy; b++) out[oo + b] += xa * y.data[yo + b];
    }
  }
  return out;
}

function transpose(m: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c];
  return out;
}

/**
 * Lower Cholesky factor of the symmetric `[n, n]` matrix g. If g is (numerically) singular — collinear or
 * constant embedding dimensions — a tiny ridge (1e-10 × mean diagonal) is added and the factorisation
 * retried; the fitted values then differ from the minimum-norm least-squares fit only at that level.
 */
function choleskyWithRidge(g: Float64Array, n: number): Float64Array {
  const plain = cholesky(g, n, 0);
  if (plain) return plain;
  let trace = 0;
  for (let i = 0; i < n; i++) trace += g[i * n + i];
  const ridge = Math.max((1e-10 * trace) / n, 1e-300);
  for (let scale = 1; ; scale *= 100) {
    const f = cholesky(g, n, ridge * scale);
    if (f) return f;
  }
}

/** Cholesky of g + ridge·I, or null when a pivot is not clearly positive. */
function cholesky(g: Float64Array, n: number, ridge: number): Float64Array | null {
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, g[i * n + i] + ridge);
  const tol = 1e-13 * maxDiag;
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = g[i * n + j] + (i === j ? ridge : 0);
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(s > tol)) return null;
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / l[j * n + j];
      }
    }
  }
  return l;
}

/** Solves (L Lᵀ) w = b for the lower factor L. */
function choleskySolve(l: Float64Array, n: number, b: Float64Array): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * y[k];
    y[i] = s / l[i * n + i];
  }
  const w = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * w[k];
    w[i] = s / l[i * n + i];
  }
  return w;
}
