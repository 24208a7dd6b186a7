/**
 * The two search trees behind `NearestIndex` (nearest.ts), both over the U unique label rows, both exact
 * with the same answer: the tree position of the row with the minimum float64 squared distance
 * Σ_k (q_k − x_k)² (summed in dimension order, as a brute-force scan sums it); among distinct rows at
 * exactly that distance the lowest unique id (ids number rows in order of first occurrence, so the row
 * first in time wins, as torch.argmin). Both take an optional hint (a tree position expected near q)
 * that sets a tight bound before the descent.
 *
 * - `KdTreeSearch` (d ≤ KD_MAX_DIM: positions, latents, frame indices): axis-aligned median splits along
 *   the widest side, a tight bounding box per node, rows in tree order in one Float64Array. A query walks
 *   down to its own cell, leaving the siblings on an explicit stack, then searches nearest-child-first.
 *   No slack is needed: a box's bound (or a split plane's) sums, in the same order, terms each no larger
 *   than the (rounded) terms of any row inside it, and float rounding is monotone, so the rounded bound
 *   never exceeds a rounded row distance; a node is skipped only when its bound is strictly above the
 *   best distance, so rows at an equal distance (ties) are still compared.
 * - `BallTreeSearch` (higher d, e.g. 768-d frame features): splits along the direction between two
 *   far-apart points; bounds carry a relative slack of 1e-9 (they involve a square root), and leaf scans
 *   stop summing a distance once it exceeds the best one (partial distances).
 */

/** Exact nearest unique row for a query; `hintPos` is a tree position (−1 for none). */
export interface LabelTreeSearch {
  /** Tree position → unique id. */
  readonly idAt: Int32Array;
  /** Unique id of the nearest row. */
  nearest(q: Float64Array, hintPos: number): number;
}

/** Label dimensions up to which the k-d tree is used; the ball tree above. */
export const KD_MAX_DIM = 8;

/** Builds the search for the `[U, dim]` unique rows (ids 0..U−1 in row order). */
export function buildLabelTree(unique: Float32Array, dim: number): LabelTreeSearch {
  return dim <= KD_MAX_DIM ? new KdTreeSearch(unique, dim) : new BallTreeSearch(unique, dim);
}

export function identityRows(n: number): Int32Array {
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  return rows;
}

export function gatherRows(labels: Float32Array, dim: number, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length * dim);
  for (let i = 0; i < rows.length; i++) out.set(labels.subarray(rows[i] * dim, (rows[i] + 1) * dim), i * dim);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// k-d tree (low-dimensional labels)

/**
 * Unique rows per k-d leaf: on the benchmark's 3-d time_delta stream 16 and 32 searched alike and 8
 * slower; 1-d frame indices slightly prefer 8 (bench/nearest-search.ts, docs/BENCHMARKS.md (9)).
 */
const KD_LEAF_SIZE = 16;

/** Exact nearest-row search over a k-d tree with tight boxes; no allocation per query. */
export class KdTreeSearch implements LabelTreeSearch {
  readonly idAt: Int32Array;
  /** Rows in tree order, `[U, dim]`, float64 (exact copies of the float32 labels). */
  private readonly points: Float64Array;
  private readonly lo: Int32Array;
  private readonly hi: Int32Array;
  /** Children of internal node n: `left[n]` and `left[n] + 1`; −1 for leaves. */
  private readonly left: Int32Array;
  /** Split of internal nodes: rows with `x[axis] < value` are all in the left child (equal ones may be in either). */
  private readonly splitAxis: Int32Array;
  private readonly splitValue: Float64Array;
  /** `[nodes, dim]` box corners (min and max of the node's rows per dimension). */
  private readonly boxLo: Float64Array;
  private readonly boxHi: Float64Array;
  /** Search stack: nodes (~node for a sibling left by the walk down) and their lower bounds. */
  private readonly stackNode: Int32Array;
  private readonly stackBound: Float64Array;

  constructor(
    unique: Float32Array,
    private readonly dim: number,
  ) {
    const U = unique.length / dim;
    const maxNodes = 2 * Math.ceil(U / Math.max(1, KD_LEAF_SIZE >> 1)) + 1;
    const order = identityRows(U);
    const lo = new Int32Array(maxNodes);
    const hi = new Int32Array(maxNodes);
    const left = new Int32Array(maxNodes).fill(-1);
    const boxLo = new Float64Array(maxNodes * dim);
    const boxHi = new Float64Array(maxNodes * dim);
    const splitAxis = new Int32Array(maxNodes);
    const splitValue = new Float64Array(maxNodes);
    const key = new Float64Array(U);
    let count = 1;
    let depth = 0;
    hi[0] = U;
    // Nodes are split in order of creation (children always after their parent).
    const level = new Int32Array(maxNodes);
    for (let node = 0; node < count; node++) {
      const a = lo[node];
      const b = hi[node];
      const o = node * dim;
      for (let k = 0; k < dim; k++) {
        boxLo[o + k] = Infinity;
        boxHi[o + k] = -Infinity;
      }
      for (let p = a; p < b; p++) {
        const r = order[p] * dim;
        for (let k = 0; k < dim; k++) {
          const v = unique[r + k];
          if (v < boxLo[o + k]) boxLo[o + k] = v;
          if (v > boxHi[o + k]) boxHi[o + k] = v;
        }
      }
      depth = Math.max(depth, level[node]);
      if (b - a <= KD_LEAF_SIZE) continue;
      let axis = 0;
      for (let k = 1; k < dim; k++) if (boxHi[o + k] - boxLo[o + k] > boxHi[o + axis] - boxLo[o + axis]) axis = k;
      for (let p = a; p < b; p++) key[p] = unique[order[p] * dim + axis];
      const mid = (a + b) >> 1;
      selectKth(key, order, a, b, mid);
      splitAxis[node] = axis;
      splitValue[node] = key[mid];
      left[node] = count;
      lo[count] = a;
      hi[count] = mid;
      lo[count + 1] = mid;
      hi[count + 1] = b;
      level[count] = level[count + 1] = level[node] + 1;
      count += 2;
    }
    this.idAt = order;
    this.points = Float64Array.from(gatherRows(unique, dim, order));
    this.lo = lo.slice(0, count);
    this.hi = hi.slice(0, count);
    this.left = left.slice(0, count);
    this.splitAxis = splitAxis.slice(0, count);
    this.splitValue = splitValue.slice(0, count);
    this.boxLo = boxLo.slice(0, count * dim);
    this.boxHi = boxHi.slice(0, count * dim);
    // The walk down pushes one sibling per level (≤ depth), then each pop pushes at most two nodes one
    // level deeper than itself: 2·depth + 2 entries suffice.
    this.stackNode = new Int32Array(2 * depth + 4);
    this.stackBound = new Float64Array(2 * depth + 4);
  }

  nearest(q: Float64Array, hintPos: number): number {
    const { dim, points, idAt, lo, hi, left, stackNode, stackBound } = this;
    let best = Infinity;
    let bestId = -1;
    if (hintPos >= 0) {
      best = this.distance(q, hintPos);
      bestId = idAt[hintPos];
    }
    // Walk down to the leaf whose cell holds q, leaving each sibling on the stack (its bound computed only
    // if it is popped); the leaf goes on top, so the rows nearest q set the bound first.
    const { splitAxis, splitValue } = this;
    let sp = 0;
    let leaf = 0;
    for (let l = left[0]; l >= 0; l = left[leaf]) {
      const gap = q[splitAxis[leaf]] - splitValue[leaf];
      const goLeft = gap < 0;
      stackNode[sp] = ~(goLeft ? l + 1 : l); // ~node: its box is still to be checked
      stackBound[sp++] = gap * gap;
      leaf = goLeft ? l : l + 1;
    }
    stackNode[sp] = leaf;
    stackBound[sp++] = 0;
    while (sp > 0) {
      sp--;
      // A stacked bound is either the box's, or (siblings of the walk down) the split plane's, which is
      // cheaper and looser: every row of the sibling lies on the plane's far side, so the rounded
      // (q_axis − split)² is at most its rounded (q_axis − x_axis)², one of the row's summed terms.
      if (stackBound[sp] > best) continue;
      let node = stackNode[sp];
      if (node < 0) {
        node = ~node;
        if (this.boxBound(q, node) > best) continue;
      }
      const l = left[node];
      if (l < 0) {
        for (let p = lo[node], end = hi[node]; p < end; p++) {
          let s = 0;
          for (let k = 0, o = p * dim; k < dim; k++) {
            const diff = q[k] - points[o + k];
            s += diff * diff;
          }
          if (s < best || (s === best && idAt[p] < bestId)) {
            best = s;
            bestId = idAt[p];
          }
        }
        continue;
      }
      const bl = this.boxBound(q, l);
      const br = this.boxBound(q, l + 1);
      // The nearer child goes on top (searched first); a child whose bound already exceeds the best is dropped.
      const nearIsLeft = bl <= br;
      const bn = nearIsLeft ? bl : br;
      const bf = nearIsLeft ? br : bl;
      if (bf <= best) {
        stackNode[sp] = nearIsLeft ? l + 1 : l;
        stackBound[sp++] = bf;
      }
      if (bn <= best) {
        stackNode[sp] = nearIsLeft ? l : l + 1;
        stackBound[sp++] = bn;
      }
    }
    return bestId;
  }

  private distance(q: Float64Array, p: number): number {
    const { dim, points } = this;
    let s = 0;
    for (let k = 0, o = p * dim; k < dim; k++) {
      const diff = q[k] - points[o + k];
      s += diff * diff;
    }
    return s;
  }

  /** Σ_k (q_k − nearest box side)² in dimension order (0 inside): a lower bound on every row's distance. */
  private boxBound(q: Float64Array, node: number): number {
    const { dim, boxLo, boxHi } = this;
    let s = 0;
    for (let k = 0, o = node * dim; k < dim; k++) {
      // (a − v)² = (v − a)² exactly: the rounded |v − a| is at most the rounded |v − x| of any row inside.
      const v = q[k];
      const below = boxLo[o + k] - v;
      const above = v - boxHi[o + k];
      const gap = below > above ? below : above;
      if (gap > 0) s += gap * gap;
    }
    return s;
  }
}

/** Quickselect on key[lo, hi) (moving order along) so that position k holds the k-th smallest. */
function selectKth(key: Float64Array, order: Int32Array, lo: number, hi: number, k: number): void {
  let l = lo;
  let r = hi - 1;
  while (l < r) {
    const pivot = key[(l + r) >> 1];
    let i = l;
    let j = r;
    while (i <= j) {
      while (key[i] < pivot) i++;
      while (key[j] > pivot) j--;
      if (i <= j) {
        const tk = key[i];
        key[i] = key[j];
        key[j] = tk;
        const to = order[i];
        order[i] = order[j];
        order[j] = to;
        i++;
        j--;
      }
    }
    if (k <= j) r = j;
    else if (k >= i) l = i;
    else return;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Ball tree (high-dimensional labels)

/** Unique rows per leaf; small leaves prune better, larger ones cost less bookkeeping. */
const LEAF_SIZE = 8;
/** Relative slack on pruning bounds, so float rounding never prunes the true nearest row. */
const BOUND_SLACK = 1e-9;
/** Leaf scans check the partial distance against the best one every this many dimensions. */
const PARTIAL_BLOCK = 8;

/** Exact nearest-row search over a ball tree (the index's only tree before the k-d tree). */
export class BallTreeSearch implements LabelTreeSearch {
  readonly idAt: Int32Array;
  /** Unique rows in tree order, `[U, dim]`. */
  private readonly points: Float32Array;
  private readonly tree: BallTree;

  // Search state (reused across queries, no allocation per query).
  private bestDist = Infinity;
  private bestId = -1;

  constructor(
    unique: Float32Array,
    private readonly dim: number,
  ) {
    const built = buildBallTree(unique, dim);
    this.tree = built.tree;
    this.points = built.points;
    this.idAt = built.idAt;
  }

  nearest(q: Float64Array, hintPos: number): number {
    this.bestDist = Infinity;
    this.bestId = -1;
    if (hintPos >= 0) this.consider(hintPos, q, Infinity);
    this.visit(0, q);
    return this.bestId;
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
