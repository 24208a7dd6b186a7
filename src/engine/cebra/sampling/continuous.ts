/**
 * Single-session samplers without discrete labels: `time`, `time_delta` / `delta` (nearest label to a
 * query), and hybrid (behaviour positives + time positives). CEBRA 0.6.1 semantics, seeded.
 *
 * Full batch (CEBRA `FullDataLoader`, batch_size None): `full` makes every step's references all n prior
 * samples in order (n = T, or T − Δ for `time`) and its negatives a fresh random permutation of them;
 * positives follow the conditional as usual. The batch size must then be n (`fullBatchSize`).
 */
import { Rng } from "../../../util/rng.js";
import type { PositiveTies } from "../../types.js";
import { NearestIndex } from "./nearest.js";
import { drawUniform, type LabelMatrix, type QueryRule } from "./common.js";
import type { BatchIndices, Sampler } from "./types.js";

/** References and negatives: B uniform draws from [0, n) each, or (full batch) 0..n−1 and a permutation of it. */
function drawPrior(rng: Rng, n: number, B: number, full: boolean): { ref: Int32Array; neg: Int32Array } {
  if (!full) return { ref: drawUniform(rng, n, new Int32Array(B)), neg: drawUniform(rng, n, new Int32Array(B)) };
  const ref = new Int32Array(n);
  for (let i = 0; i < n; i++) ref[i] = i;
  return { ref, neg: rng.shuffle(ref.slice()) };
}

/**
 * Positives by nearest label: for each reference, build the query with `rule` and return an occurrence
 * (chosen by `ties`) of the nearest label row (hint: the reference's own label row, which the query is near).
 */
class NearestPositives {
  private readonly index: NearestIndex;
  private readonly q: Float64Array;

  constructor(
    labels: LabelMatrix,
    private readonly rule: QueryRule,
    private readonly ties: PositiveTies,
  ) {
    this.index = NearestIndex.build(labels.data, labels.dim);
    this.q = new Float64Array(labels.dim);
  }

  /** `out[offset + b]` = positive for `ref[b]`. */
  fill(ref: Int32Array, out: Int32Array, offset: number, rng: Rng): void {
    const { index, q } = this;
    for (let b = 0; b < ref.length; b++) {
      this.rule.make(ref[b], q, rng);
      out[offset + b] = index.nearest(q, rng, index.uniqueOfRow[ref[b]], this.ties);
    }
  }
}

/** CEBRA `TimeContrastive`: ref, neg ~ U{0..T−Δ−1}; pos = ref + Δ. */
export class TimeSampler implements Sampler {
  private readonly rng: Rng;

  constructor(
    private readonly T: number,
    private readonly delta: number,
    readonly batch_size: number,
    seed: number,
    private readonly full = false,
  ) {
    this.rng = new Rng(seed);
  }

  sample(): BatchIndices {
    const B = this.batch_size;
    const { ref, neg } = drawPrior(this.rng, this.T - this.delta, B, this.full);
    const pos = new Int32Array(B);
    for (let b = 0; b < B; b++) pos[b] = ref[b] + this.delta;
    return { ref, pos, neg };
  }
}

/**
 * CEBRA `TimedeltaDistribution` / `DeltaNormalDistribution`: ref, neg ~ U{0..T−1}; pos = an occurrence of
 * the label row nearest to the query (the rule decides the query). The positive may be the reference.
 */
export class NearestLabelSampler implements Sampler {
  private readonly rng: Rng;
  private readonly positives: NearestPositives;

  constructor(
    labels: LabelMatrix,
    private readonly T: number,
    rule: QueryRule,
    readonly batch_size: number,
    seed: number,
    ties: PositiveTies = "random",
    private readonly full = false,
  ) {
    this.rng = new Rng(seed);
    this.positives = new NearestPositives(labels, rule, ties);
  }

  sample(): BatchIndices {
    const B = this.batch_size;
    const { ref, neg } = drawPrior(this.rng, this.T, B, this.full);
    const pos = new Int32Array(B);
    this.positives.fill(ref, pos, 0, this.rng);
    return { ref, pos, neg };
  }
}

/**
 * CEBRA `HybridDataLoader`: ref, neg ~ U{0..T−Δ−1} (time prior); pos has 2B rows: [time_delta positives of
 * ref, ref + Δ]. The graph applies the behaviour loss to rows [0, B) and the time loss to rows [B, 2B).
 */
export class HybridSampler extends NearestLabelSampler {
  constructor(
    labels: LabelMatrix,
    T: number,
    private readonly delta: number,
    rule: QueryRule,
    batch_size: number,
    seed: number,
    ties: PositiveTies = "random",
  ) {
    super(labels, T - delta, rule, batch_size, seed, ties); // references and negatives leave room for ref + Δ
  }

  override sample(): BatchIndices {
    const B = this.batch_size;
    const { ref, pos: nearest, neg } = super.sample(); // same draws, in the same order, as the label sampler
    const pos = new Int32Array(2 * B);
    pos.set(nearest);
    for (let b = 0; b < B; b++) pos[B + b] = ref[b] + this.delta;
    return { ref, pos, neg };
  }
}
