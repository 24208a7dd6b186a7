/**
 * Exact k-nearest-neighbour search (every query against every reference, no approximation).
 *
 * One search returns, for each query, its `k` nearest reference rows sorted by distance, so a decoder can
 * evaluate every k ≤ `k` of a grid from the same neighbour lists (the first k entries of each list).
 *
 * - cosine: distance = 1 − cos(q, r) on L2-normalised rows (a zero row has cosine 0 to everything, i.e.
 *   distance 1, as in sklearn).
 * - euclidean: distance = ‖q − r‖ (summed as (q−r)², no ‖q‖² + ‖r‖² − 2q·r cancellation).
 * - correlation: distance = 1 − Pearson r(q, r) across features, i.e. cosine after centring each row on
 *   its own mean (a constant row has distance 1 to everything).
 * Ties: among equal distances the reference that comes first in reference order wins (the lower row index
 * when `reference_rows` is ascending, as it is everywhere in this package).
 *
 * The work is blocked: queries in quads, references in blocks that fit in the L2 cache, and the quad ×
 * block products run in a WebAssembly SIMD kernel (`pair-kernel.ts`); the top-k lists are kept by
 * insertion (k is small), rejecting most candidates with one comparison against the current k-th.
 * Input values must be finite (callers drop non-finite rows first).
 */
import { UserError } from "../util/errors.js";
import { createPairKernel, type PairKernel } from "./pair-kernel.js";

/** The distance used to rank neighbours (cosine and euclidean are also the training distances). */
export type KnnMetric = "cosine" | "euclidean" | "correlation";

/** Every metric the decoders can choose from, in the order candidates are listed (ties → earlier). */
export const KNN_METRICS: readonly KnnMetric[] = ["cosine", "euclidean", "correlation"];

export interface KnnInput {
  /** `[rows, dim]` float32 row-major. */
  queries: Float32Array;
  /** `[rows, dim]` float32 row-major (may be the same array as `queries`). */
  references: Float32Array;
  dim: number;
  /** Neighbours kept per query (1 ≤ k ≤ number of references). */
  k: number;
  metric: KnnMetric;
  /** Rows of `queries` to search for, in output order (default: all rows). */
  query_rows?: Int32Array;
  /** Rows of `references` that may be returned (default: all rows). */
  reference_rows?: Int32Array;
}

export interface KnnResult {
  n_queries: number;
  k: number;
  /** `[n_queries, k]`: row index into `references` of the j-th nearest neighbour of query q. */
  indices: Int32Array;
  /** `[n_queries, k]`: its distance (ascending along each row). */
  distances: Float64Array;
}

/** Float bytes held in WebAssembly memory for one chunk of queries (the references come in blocks). */
const QUERY_CHUNK_BYTES = 32 * 1024 * 1024;
/** Bytes of one reference block: small enough to stay in a core's L2 cache while all query quads pass. */
const REFERENCE_BLOCK_BYTES = 256 * 1024;

/** Exact k nearest references of each query (see module doc). */
export function knn(input: KnnInput): KnnResult {
  const { dim, k, metric } = input;
  const queryRows = input.query_rows ?? allRows(input.queries.length, dim);
  const referenceRows = input.reference_rows ?? allRows(input.references.length, dim);
  checkKnnInput(input, queryRows, referenceRows);

  const nq = queryRows.length;
  const keys = new Float64Array(nq * k).fill(Infinity);
  const indices = new Int32Array(nq * k).fill(-1);
  if (nq > 0) {
    const layout = blockLayout(dim, nq);
    const kernel = createPairKernel();
    kernel.ensureBytes(layout.totalBytes);
    const queryScale = rowScales(input.queries, dim, queryRows, metric);
    const referenceScale = rowScales(input.references, dim, referenceRows, metric);
    for (let q0 = 0; q0 < nq; q0 += layout.queryChunkRows) {
      const q1 = Math.min(nq, q0 + layout.queryChunkRows);
      const memory = new Float32Array(kernel.memory.buffer);
      copyRows(memory, 0, layout.paddedDim, input.queries, dim, queryRows, queryScale, q0, q1, roundUp(q1 - q0, 4));
      for (let r0 = 0; r0 < referenceRows.length; r0 += layout.referenceBlockRows) {
        const r1 = Math.min(referenceRows.length, r0 + layout.referenceBlockRows);
        scoreBlock(kernel, layout, metric, input, referenceRows, referenceScale, { q0, q1, r0, r1 }, k, keys, indices);
      }
    }
  }
  return { n_queries: nq, k, indices, distances: keysToDistances(keys, metric) };
}

function allRows(length: number, dim: number): Int32Array {
  const n = Math.floor(length / dim);
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  return rows;
}

function checkKnnInput(input: KnnInput, queryRows: Int32Array, referenceRows: Int32Array): void {
  const { dim, k } = input;
  if (!Number.isInteger(dim) || dim < 1) {
    throw new UserError(`kNN: dimension ${dim} is not a positive integer.`, "Pass dim = number of feature columns.");
  }
  for (const [what, arr] of [["queries", input.queries], ["references", input.references]] as const) {
    if (arr.length % dim !== 0) {
      throw new UserError(`kNN: ${what} has ${arr.length} values, not a multiple of dim ${dim}.`, "Pass row-major [rows, dim] arrays.");
    }
  }
  const nRef = referenceRows.length;
  if (!Number.isInteger(k) || k < 1 || k > nRef) {
    throw new UserError(
      `kNN: k = ${k} neighbours requested but there are ${nRef} reference rows.`,
      `Pass an integer k between 1 and ${nRef}, or use more training samples.`,
    );
  }
  checkRowList("query_rows", queryRows, input.queries.length / dim);
  checkRowList("reference_rows", referenceRows, input.references.length / dim);
}

function checkRowList(what: string, rows: Int32Array, n: number): void {
  for (const r of rows) {
    if (r < 0 || r >= n) throw new UserError(`kNN: ${what} contains row ${r}, outside [0, ${n}).`, `Pass row indices below ${n}.`);
  }
}

interface BlockLayout {
  /** Row length in floats, padded to a multiple of 4 (zeros). */
  paddedDim: number;
  queryChunkRows: number;
  referenceBlockRows: number;
  /** Float offsets of the reference block and the kernel output in WebAssembly memory. */
  referenceOffset: number;
  outputOffset: number;
  totalBytes: number;
}

/** Memory layout: [query chunk (multiple of 4 rows)][reference block (even rows)][output 4 × block]. */
function blockLayout(dim: number, nq: number): BlockLayout {
  const paddedDim = roundUp(dim, 4);
  const rowBytes = paddedDim * 4;
  const queryChunkRows = roundUp(Math.min(nq, Math.max(4, Math.floor(QUERY_CHUNK_BYTES / rowBytes))), 4);
  const referenceBlockRows = roundUp(Math.max(2, Math.floor(REFERENCE_BLOCK_BYTES / rowBytes)), 2);
  const referenceOffset = queryChunkRows * paddedDim;
  const outputOffset = referenceOffset + referenceBlockRows * paddedDim;
  const totalBytes = (outputOffset + referenceBlockRows * 4) * 4;
  return { paddedDim, queryChunkRows, referenceBlockRows, referenceOffset, outputOffset, totalBytes };
}

function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}

/** Per-row affine map applied while copying: (x − offset) · scale. */
interface RowMaps {
  offset: Float64Array;
  scale: Float64Array;
}

/**
 * cosine: offset 0, scale 1/‖row‖; correlation: offset = row mean, scale = 1/‖row − mean‖; a zero
 * (centred) row gets scale 0. euclidean: the identity.
 */
function rowScales(data: Float32Array, dim: number, rows: Int32Array, metric: KnnMetric): RowMaps {
  const scale = new Float64Array(rows.length).fill(1);
  const offset = new Float64Array(rows.length);
  if (metric === "euclidean") return { offset, scale };
  for (let i = 0; i < rows.length; i++) {
    const o = rows[i] * dim;
    let m = 0;
    if (metric === "correlation") {
      for (let d = 0; d < dim; d++) m += data[o + d];
      m /= dim;
    }
    let ss = 0;
    for (let d = 0; d < dim; d++) ss += (data[o + d] - m) * (data[o + d] - m);
    offset[i] = m;
    scale[i] = ss > 0 ? 1 / Math.sqrt(ss) : 0;
  }
  return { offset, scale };
}

/**
 * Copies rows[from..to) (scaled) into `memory` starting at float offset `at`, each padded to `paddedDim`,
 * then zero-fills up to `paddedCount` rows so the kernel's quads and pairs read zeros past the end.
 */
function copyRows(
  memory: Float32Array, at: number, paddedDim: number, data: Float32Array, dim: number,
  rows: Int32Array, maps: RowMaps, from: number, to: number, paddedCount: number,
): void {
  memory.fill(0, at, at + paddedCount * paddedDim);
  for (let i = from; i < to; i++) {
    const src = rows[i] * dim;
    const dst = at + (i - from) * paddedDim;
    const s = maps.scale[i], m = maps.offset[i];
    if (m === 0) for (let d = 0; d < dim; d++) memory[dst + d] = data[src + d] * s;
    else for (let d = 0; d < dim; d++) memory[dst + d] = (data[src + d] - m) * s;
  }
}

interface BlockRange {
  q0: number;
  q1: number;
  r0: number;
  r1: number;
}

/** Scores every query of the chunk against references r0..r1 and merges them into the top-k lists. */
function scoreBlock(
  kernel: PairKernel, layout: BlockLayout, metric: KnnMetric, input: KnnInput, referenceRows: Int32Array,
  referenceScale: RowMaps, range: BlockRange, k: number, keys: Float64Array, indices: Int32Array,
): void {
  const { q0, q1, r0, r1 } = range;
  const nr = r1 - r0;
  const nrPadded = roundUp(nr, 2);
  const memory = new Float32Array(kernel.memory.buffer);
  copyRows(memory, layout.referenceOffset, layout.paddedDim, input.references, input.dim, referenceRows, referenceScale, r0, r1, nrPadded);
  const rowBytes = layout.paddedDim * 4;
  const angular = metric !== "euclidean";
  const run = angular ? kernel.dots : kernel.sqdists;
  // Ranking key: −cos for cosine and correlation (smaller is nearer), squared distance for euclidean.
  const sign = angular ? -1 : 1;
  const out = layout.outputOffset;
  for (let qa = q0; qa < q1; qa += 4) {
    run((qa - q0) * rowBytes, layout.referenceOffset * 4, nrPadded, rowBytes, out * 4);
    const quad = Math.min(4, q1 - qa);
    for (let i = 0; i < quad; i++) {
      const base = (qa + i) * k;
      let worst = keys[base + k - 1];
      for (let j = 0; j < nr; j++) {
        const key = sign * memory[out + j * 4 + i];
        if (key < worst) worst = insertNeighbour(keys, indices, base, k, key, referenceRows[r0 + j]);
      }
    }
  }
}

/**
 * Inserts (key, row) into the sorted list keys[base..base+k) (dropping the last entry) after every entry
 * with an equal key, so earlier references win ties. Returns the new k-th key.
 */
function insertNeighbour(keys: Float64Array, indices: Int32Array, base: number, k: number, key: number, row: number): number {
  let p = base + k - 1;
  while (p > base && keys[p - 1] > key) {
    keys[p] = keys[p - 1];
    indices[p] = indices[p - 1];
    p--;
  }
  keys[p] = key;
  indices[p] = row;
  return keys[base + k - 1];
}

function keysToDistances(keys: Float64Array, metric: KnnMetric): Float64Array {
  const out = new Float64Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    out[i] = metric !== "euclidean" ? 1 + keys[i] : Math.sqrt(Math.max(0, keys[i]));
  }
  return out;
}
