/**
 * Exact nearest-neighbour search in label space, built once per training run and queried every step.
 *
 * CEBRA finds each positive by a brute-force scan over all T label rows (`argmin_t ‖c[t] − q‖²`,
 * O(T·B·d) per step, about half of its step time). This index returns the same nearest label, much faster:
 *
 * 1. Exactly duplicated label rows are grouped (movie-frame features repeat in every repeat of the movie),
 *    so the search runs over the U unique rows only.
 * 2. A tree over the unique rows prunes every subtree that cannot hold a closer row (label-trees.ts): a
 *    k-d tree for labels of up to 8 dimensions, a ball tree (splits along the direction between two
 *    far-apart points, partial distances in leaf scans) above.
 * 3. An optional hint (the reference's own label row, which the query is usually close to) gives a tight
 *    bound before the descent starts.
 *
 * Exactness: the returned row has the minimum squared Euclidean distance, computed in float64 as
 * Σ_k (q_k − x_k)² in dimension order (the same sum a brute-force scan computes); pruning never drops the
 * true minimum (label-trees.ts says why for each tree). Among distinct rows at exactly the same distance
 * the one that occurs first in time wins, as torch.argmin does.
 *
 * Among *identical* label rows (all occurrences of the nearest label) the `ties` rule decides
 * (`PositiveTies`, TrainConfig.positive_ties): "first" takes the lowest sample index, as CEBRA's
 * torch.argmin does (so with movie features repeated in every repeat the positive always comes from the
 * first repeat); "random" draws an occurrence uniformly.
 */
import { UserError } from "../../../util/errors.js";
import type { Rng } from "../../../util/rng.js";
import type { PositiveTies } from "../../types.js";
import { buildLabelTree, gatherRows, identityRows, type LabelTreeSearch } from "./label-trees.js";

/** Exact nearest-neighbour index over a subset of rows of a `[T, dim]` label matrix. */
export class NearestIndex {
  /** Label dimension d. */
  readonly dim: number;
  /** Number of label rows indexed (members of all groups). */
  readonly n_rows: number;
  /** Number of distinct label rows U. */
  readonly n_unique: number;
  /** For the i-th indexed row (in the order of `rows` given to `build`), its unique-row id. */
  readonly uniqueOfRow: Int32Array;

  /** Unique id → tree position. */
  private readonly posOf: Int32Array;
  /** Members (sample indices) of each unique row, CSR by unique id, ascending in time. */
  private readonly groupStart: Int32Array;
  private readonly groupMembers: Int32Array;
  private readonly tree: LabelTreeSearch;

  private constructor(dim: number, groups: DuplicateGroups, tree: LabelTreeSearch) {
    this.dim = dim;
    this.n_rows = groups.uniqueOfRow.length;
    this.n_unique = groups.firstRow.length;
    this.uniqueOfRow = groups.uniqueOfRow;
    this.groupStart = groups.groupStart;
    this.groupMembers = groups.groupMembers;
    this.tree = tree;
    this.posOf = new Int32Array(tree.idAt.length);
    for (let p = 0; p < tree.idAt.length; p++) this.posOf[tree.idAt[p]] = p;
  }

  /**
   * Builds the index over `rows` (sample indices, ascending) of the `[T, dim]` matrix `labels`,
   * or over all T rows when `rows` is omitted. Labels must be finite (UserError otherwise).
   */
  static build(labels: Float32Array, dim: number, rows?: Int32Array): NearestIndex {
    if (!(dim >= 1) || labels.length % dim !== 0) {
      throw new RangeError(`NearestIndex.build: ${labels.length} values do not form rows of dimension ${dim}.`);
    }
    const members = rows ?? identityRows(labels.length / dim);
    if (members.length === 0) throw new RangeError("NearestIndex.build: no rows to index.");
    const groups = groupDuplicateRows(labels, dim, members);
    const unique = gatherRows(labels, dim, groups.firstRow);
    return new NearestIndex(dim, groups, buildLabelTree(unique, dim));
  }

  /**
   * Id of the unique row nearest to `q` (squared Euclidean; ties between distinct rows go to the row
   * that occurs first). `hint` is an optional unique id expected to be close to `q` (−1 for none).
   */
  nearestUnique(q: Float64Array, hint = -1): number {
    return this.tree.nearest(q, hint >= 0 ? this.posOf[hint] : -1);
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
