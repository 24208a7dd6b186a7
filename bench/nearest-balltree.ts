/**
 * The ball-tree label index as it was before the k-d tree (src/engine/cebra/sampling/nearest.ts at commit
 * f1c4af3), kept frozen for bench/nearest-search.ts only: the old and new search timed interleaved.
 */
import { UserError } from "../src/util/errors.js";
import type { Rng } from "../src/util/rng.js";
import type { PositiveTies } from "../src/engine/types.js";

/** Unique rows per leaf; small leaves prune better, larger ones cost less bookkeeping. */
const LEAF_SIZE = 8;
/** Relative slack on pruning bounds, so float rounding never prunes the true nearest row. */
const BOUND_SLACK = 1e-9;
/** Leaf scans check the partial distance against the best one every this many dimensions. */
const PARTIAL_BLOCK = 8;

/** Exact nearest-neighbour index over a subset of rows of a `[T, dim]` label matrix. */
export class BallTreeIndex {
  /** Label dimension d. */
  readonly dim: number;
  /** Number of label rows indexed (members of all groups). */
  readonly n_rows: number;
  /** Number of distinct label rows U. */
  readonly n_unique: number;
  /** For the i-th indexed row (in the order of `rows` given to `build`), its unique-row id. */
  readonly uniqueOfRow: Int32Array;

  /** Unique rows in tree order, `[U, dim]`. */
  private readonly points: Float32Array;
  /** Tree position → unique id (ids number unique rows in order of first occurrence). */
  private readonly idAt: Int32Array;
  /** Unique id → tree position. */
  private readonly posOf: Int32Array;
  /** Members (sample indices) of each unique row, CSR by unique id, ascending in time. */
  private readonly groupStart: Int32Array;
  private readonly groupMembers: Int32Array;
  private readonly tree: BallTree;

  // Search state (reused across queries, no allocation per query).
  private bestDist = Infinity;
  private bestId = -1;

  private constructor(dim: number, groups: DuplicateGroups, tree: BallTree, points: Float32Array, idAt: Int32Array) {
    this.dim = dim;
    this.n_rows = groups.uniqueOfRow.length;
    this.n_unique = groups.firstRow.length;
    this.uniqueOfRow = groups.uniqueOfRow;
    this.groupStart = groups.groupStart;
    this.groupMembers = groups.groupMembers;
    this.tree = tree;
    this.points = points;
    this.idAt = idAt;
    this.posOf = new Int32Array(idAt.length);
    for (let p = 0; p < idAt.length; p++) this.posOf[idAt[p]] = p;
  }

  /**
   * Builds the index over `rows` (sample indices, ascending) of the `[T, dim]` matrix `labels`,
   * or over all T rows when `rows` is omitted. Labels must be finite (UserError otherwise).
   */
  static build(labels: Float32Array, dim: number, rows?: Int32Array): BallTreeIndex {
    if (!(dim >= 1) || labels.length % dim !== 0) {
      throw new RangeError(`NearestIndex.build: ${labels.length} values do not form rows of dimension ${dim}.`);
    }
    const members = rows ?? identityRows(labels.length / dim);
    if (members.length === 0) throw new RangeError("NearestIndex.build: no rows to index.");
    const groups = groupDuplicateRows(labels, dim, members);
    const unique = gatherRows(labels, dim, groups.firstRow);
    const built = buildBallTree(unique, dim);
    return new BallTreeIndex(dim, groups, built.tree, built.points, built.idAt);
  }

  /**
   * Id of the unique row nearest to `q` (squared Euclidean; ties between distinct rows go to the row
   * that occurs first). `hint` is an optional unique id expected to be close to `q` (−1 for none).
   */
  nearestUnique(q: Float64Array, hint = -1): number {
    this.bestDist = Infinity;
    this.bestId = -1;
    if (hint >= 0) this.consider(this.posOf[hint], q, Infinity);
    this.visit(0, q);
    return this.bestId;
  }

  /**
   * A sample index among the occurrences of unique row `u`: the first in time for ties "first" (no random
   * draw), else a uniformly random one.
   */
  drawMember(u: number, rng: Rng, ties: PositiveTies = "random"): number {
    const start = this.groupStart[u];
    const count = this.groupStart[u + 1] - start;
    return this.groupMembers[count === 1 || ties === "first" ? start : start + rng.int(count)];
  }

  /** The sample index of an occurrence (chosen by `ties`) of the label row nearest to `q`. */
  nearest(q: Float64Array, rng: Rng, hint = -1, ties: PositiveTies = "random"): number {
    return this.drawMember(this.nearestUnique(q, hint), rng, ties);
  }

  /** Number of occurrences of unique row `u` (for tests and diagnostics). */
  groupSize(u: number): number {
    return this.groupStart[u + 1] - this.groupStart[u];
  }

  private visit(node: number, q: Float64Array): void {
    const t = this.tree;
    const left = t.left[node];
    if (left < 0) {
      for (let p = t.lo[node], hi = t.hi[node]; p < hi; p++) this.consider(p, q, this.bestDist);
      return;
    }
    const right = left + 1;
    const bl = this.ballLowerBound(left, q);
    const br = this.ballLowerBound(right, q);
    // Nearer ball first: it tightens the bound that may prune the other one.
    if (bl <= br) {
      if (!this.prunable(bl)) this.visit(left, q);
      if (!this.prunable(br)) this.visit(right, q);
    } else {
      if (!this.prunable(br)) this.visit(right, q);
      if (!this.prunable(bl)) this.visit(left, q);
    }
  }

  /** Lower bound on the distance (not squared) from q to any point of a node's ball. */
  private ballLowerBound(node: number, q: Float64Array): number {
    const d = this.dim;
    const c = this.tree.centers;
    const off = node * d;
    let s = 0;
    for (let k = 0; k < d; k++) {
      const diff = q[k] - c[off + k];
      s += diff * diff;
    }
    const dc = Math.sqrt(s);
    const r = this.tree.radius[node];
    return dc - r - BOUND_SLACK * (dc + r);
  }

  private prunable(lowerBound: number): boolean {
    if (lowerBound <= 0) return false;
    const best = this.bestDist;
    return lowerBound * lowerBound > best * (1 + BOUND_SLACK);
  }

  /** Distance from q to the point at tree position p; updates the best if it is closer (or equally close and earlier). */
  private consider(p: number, q: Float64Array, bound: number): void {
    const s = partialSquaredDistance(q, this.points, p * this.dim, this.dim, bound);
    if (s < this.bestDist || (s === this.bestDist && this.idAt[p] < this.bestId)) {
      this.bestDist = s;
      this.bestId = this.idAt[p];
    }
  }
}

/**
 * Σ_k (q_k − x_k)² over row `x = points[off .. off+dim)`, summed in dimension order. Once the partial sum
 * exceeds `bound` the row cannot win and the sum so far (> bound) is returned early.
 */
function partialSquaredDistance(q: Float64Array, points: Float32Array, off: number, dim: number, bound: number): number {
  let s = 0;
  let k = 0;
  while (k < dim) {
    const end = Math.min(dim, k + PARTIAL_BLOCK);
    for (; k < end; k++) {
      const diff = q[k] - points[off + k];
      s += diff * diff;
    }
    if (s > bound) return s;
  }
  return s;
}

function identityRows(n: number): Int32Array {
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  return rows;
}

// ---------------------------------------------------------------------------------------------------------
// Grouping of exactly duplicated rows

interface DuplicateGroups {
  /** Unique id of each indexed row (same order as the `rows` given). */
  uniqueOfRow: Int32Array;
  /** Sample index of the first occurrence of each unique row. */
  firstRow: Int32Array;
  groupStart: Int32Array;
  groupMembers: Int32Array;
}

/** Groups the given rows by exact value equality (−0 equals +0); ids follow first occurrence. */
function groupDuplicateRows(labels: Float32Array, dim: number, rows: Int32Array): DuplicateGroups {
  const bits = new Uint32Array(labels.buffer, labels.byteOffset, labels.length);
  const uniqueOfRow = new Int32Array(rows.length);
  const firstRow: number[] = [];
  const bucketHead = new Map<number, number>();
  const nextInBucket: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const off = rows[i] * dim;
    const h = hashRow(labels, bits, off, dim, rows[i]);
    let u = bucketHead.get(h) ?? -1;
    while (u >= 0 && !rowsEqual(labels, off, firstRow[u] * dim, dim)) u = nextInBucket[u];
    if (u < 0) {
      u = firstRow.length;
      firstRow.push(rows[i]);
      nextInBucket.push(bucketHead.get(h) ?? -1);
      bucketHead.set(h, u);
    }
    uniqueOfRow[i] = u;
  }
  const U = firstRow.length;
  const groupStart = new Int32Array(U + 1);
  for (let i = 0; i < rows.length; i++) groupStart[uniqueOfRow[i] + 1]++;
  for (let u = 0; u < U; u++) groupStart[u + 1] += groupStart[u];
  const fill = groupStart.slice(0, U);
  const groupMembers = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) groupMembers[fill[uniqueOfRow[i]]++] = rows[i];
  return { uniqueOfRow, firstRow: Int32Array.from(firstRow), groupStart, groupMembers };
}

/** FNV-1a-style hash of a row's float bits; rejects non-finite labels. */
function hashRow(labels: Float32Array, bits: Uint32Array, off: number, dim: number, row: number): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < dim; k++) {
    const v = labels[off + k];
    if (!Number.isFinite(v)) {
      throw new UserError(
        `Label row ${row} has a non-finite value (${v}) in column ${k}.`,
        "Remove or interpolate NaN/Inf label samples before training (e.g. drop those time points).",
      );
    }
    const b = v === 0 ? 0 : bits[off + k];
    h = Math.imul(h ^ b, 0x01000193);
  }
  return h >>> 0;
}

function rowsEqual(labels: Float32Array, a: number, b: number, dim: number): boolean {
  for (let k = 0; k < dim; k++) if (labels[a + k] !== labels[b + k]) return false;
  return true;
}

function gatherRows(labels: Float32Array, dim: number, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length * dim);
  for (let i = 0; i < rows.length; i++) out.set(labels.subarray(rows[i] * dim, (rows[i] + 1) * dim), i * dim);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Ball tree

/** Nodes in arrays; children of an internal node n are `left[n]` and `left[n] + 1`; leaves have left = −1. */
interface BallTree {
  lo: Int32Array;
  hi: Int32Array;
  left: Int32Array;
  /** `[nodes, dim]` ball centres (means of the node's points). */
  centers: Float64Array;
  radius: Float64Array;
}

/** Builds a ball tree over the unique rows; returns it with the rows copied in tree order. */
function buildBallTree(unique: Float32Array, dim: number): { tree: BallTree; points: Float32Array; idAt: Int32Array } {
  const U = unique.length / dim;
  const maxNodes = 2 * Math.ceil(U / Math.max(1, LEAF_SIZE >> 1)) + 1;
  const b = new TreeBuilder(unique, dim, U, maxNodes);
  b.split(b.newNode(0, U));
  const n = b.count;
  const tree: BallTree = {
    lo: b.lo.slice(0, n),
    hi: b.hi.slice(0, n),
    left: b.left.slice(0, n),
    centers: b.centers.slice(0, n * dim),
    radius: b.radius.slice(0, n),
  };
  return { tree, points: gatherRows(unique, dim, b.order), idAt: b.order };
}

class TreeBuilder {
  readonly order: Int32Array;
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly left: Int32Array;
  readonly centers: Float64Array;
  readonly radius: Float64Array;
  count = 0;
  private readonly proj: Float64Array;

  constructor(
    private readonly x: Float32Array,
    private readonly dim: number,
    n: number,
    maxNodes: number,
  ) {
    this.order = identityRows(n);
    this.proj = new Float64Array(n);
    this.lo = new Int32Array(maxNodes);
    this.hi = new Int32Array(maxNodes);
    this.left = new Int32Array(maxNodes).fill(-1);
    this.centers = new Float64Array(maxNodes * dim);
    this.radius = new Float64Array(maxNodes);
  }

  /** Allocates a node over order[lo, hi) and computes its ball (mean centre, max radius). */
  newNode(lo: number, hi: number): number {
    const node = this.count++;
    this.lo[node] = lo;
    this.hi[node] = hi;
    const d = this.dim;
    const c = this.centers.subarray(node * d, (node + 1) * d);
    for (let p = lo; p < hi; p++) {
      const off = this.order[p] * d;
      for (let k = 0; k < d; k++) c[k] += this.x[off + k];
    }
    for (let k = 0; k < d; k++) c[k] /= hi - lo;
    let r2 = 0;
    for (let p = lo; p < hi; p++) r2 = Math.max(r2, this.dist2To(c, this.order[p]));
    this.radius[node] = Math.sqrt(r2);
    return node;
  }

  /** Splits a node at the median of the projection onto the direction between two far-apart points. */
  split(node: number): void {
    const lo = this.lo[node];
    const hi = this.hi[node];
    if (hi - lo <= LEAF_SIZE) return;
    const d = this.dim;
    const a = this.farthestFrom(this.centers.subarray(node * d, (node + 1) * d), lo, hi);
    const b = this.farthestFrom(this.rowAsVector(a), lo, hi);
    const offA = a * d;
    const offB = b * d;
    for (let p = lo; p < hi; p++) {
      const off = this.order[p] * d;
      let s = 0;
      for (let k = 0; k < d; k++) s += (this.x[off + k] - this.x[offA + k]) * (this.x[offB + k] - this.x[offA + k]);
      this.proj[p] = s;
    }
    const mid = (lo + hi) >> 1;
    this.selectMedian(lo, hi, mid);
    const left = this.newNode(lo, mid);
    this.newNode(mid, hi);
    this.left[node] = left;
    this.split(left);
    this.split(left + 1);
  }

  private rowAsVector(id: number): Float64Array {
    return Float64Array.from(this.x.subarray(id * this.dim, (id + 1) * this.dim));
  }

  private dist2To(c: Float64Array, id: number): number {
    const off = id * this.dim;
    let s = 0;
    for (let k = 0; k < this.dim; k++) {
      const diff = this.x[off + k] - c[k];
      s += diff * diff;
    }
    return s;
  }

  private farthestFrom(c: Float64Array, lo: number, hi: number): number {
    let best = this.order[lo];
    let bestD = -1;
    for (let p = lo; p < hi; p++) {
      const dd = this.dist2To(c, this.order[p]);
      if (dd > bestD) {
        bestD = dd;
        best = this.order[p];
      }
    }
    return best;
  }

  /** Quickselect on proj[lo, hi) (moving order along) so that position k holds the k-th smallest. */
  private selectMedian(lo: number, hi: number, k: number): void {
    let l = lo;
    let r = hi - 1;
    while (l < r) {
      const pivot = this.proj[(l + r) >> 1];
      let i = l;
      let j = r;
      while (i <= j) {
        while (this.proj[i] < pivot) i++;
        while (this.proj[j] > pivot) j--;
        if (i <= j) {
          this.swap(i, j);
          i++;
          j--;
        }
      }
      if (k <= j) r = j;
      else if (k >= i) l = i;
      else return;
    }
  }

  private swap(i: number, j: number): void {
    const tp = this.proj[i];
    this.proj[i] = this.proj[j];
    this.proj[j] = tp;
    const to = this.order[i];
    this.order[i] = this.order[j];
    this.order[j] = to;
  }
}
