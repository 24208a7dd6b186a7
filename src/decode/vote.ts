/**
 * Turning neighbour lists into predictions: majority vote for classes (movie frames, discrete labels)
 * and the neighbour mean for continuous labels. Uniform weights, as sklearn's KNeighbors* defaults.
 */

/** Winner of a vote and how many of the k neighbours voted for it. */
export interface Vote {
  label: number;
  votes: number;
}

/**
 * Majority vote over non-negative integer labels with reusable scratch counts.
 * Tie rule: among the labels with the most votes, the one held by the nearest neighbour wins
 * (sklearn would take the smallest label; nearest-first is the natural retrieval answer).
 */
export class Voter {
  private counts: Int32Array;

  /** `nLabels`: labels are integers in [0, nLabels). */
  constructor(nLabels: number) {
    this.counts = new Int32Array(Math.max(1, nLabels));
  }

  /** Vote of the first `k` entries of `labels[offset…]`, which are ordered nearest first. */
  vote(labels: Int32Array, offset: number, k: number): Vote {
    const counts = this.counts;
    let max = 0;
    for (let j = 0; j < k; j++) {
      const c = ++counts[labels[offset + j]];
      if (c > max) max = c;
    }
    let label = -1;
    for (let j = 0; j < k; j++) {
      const l = labels[offset + j];
      if (label < 0 && counts[l] === max) label = l;
    }
    for (let j = 0; j < k; j++) counts[labels[offset + j]] = 0;
    return { label, votes: max };
  }
}

/**
 * Mean label of neighbours: out[c] = mean over the first k neighbours n (rows of `neighbourRows` from
 * `offset`) of labels[n·dim + c].
 */
export function neighbourMean(
  labels: Float32Array, dim: number, neighbourRows: Int32Array, offset: number, k: number, out: Float64Array,
): void {
  out.fill(0);
  for (let j = 0; j < k; j++) {
    const o = neighbourRows[offset + j] * dim;
    for (let c = 0; c < dim; c++) out[c] += labels[o + c];
  }
  for (let c = 0; c < dim; c++) out[c] /= k;
}
