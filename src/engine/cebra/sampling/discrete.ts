/**
 * Samplers with discrete labels: `discrete` (same-label positives) and `mixed` (discrete + continuous).
 */
import { Rng } from "../../../util/rng.js";
import type { PositiveTies } from "../../types.js";
import { NearestIndex } from "./nearest.js";
import type { LabelMatrix, QueryRule } from "./common.js";
import type { BatchIndices, Sampler } from "./types.js";

/**
 * The samples of each distinct label value (a "class"), for O(1) draws.
 *
 * Class-balanced draws pick a class uniformly among the label values that occur, then a sample uniformly
 * within it. ⚠ CEBRA's `uniform` prior instead spreads mass over every integer 0..max and hands the mass of
 * an absent value to the next present class (that class is over-sampled); here absent values get no mass,
 * so every present class is equally likely. Negative label values work too.
 */
export class LabelClasses {
  /** Distinct label values, ascending; class id = position here. */
  readonly values: Int32Array;
  /** Class id of each sample. */
  readonly classOf: Int32Array;
  /** Position of each sample within its class's member list. */
  readonly posInClass: Int32Array;
  /** Members of each class (sample indices, ascending), CSR by class id. */
  readonly start: Int32Array;
  readonly members: Int32Array;
  private readonly idOfValue: Map<number, number>;

  constructor(labels: Int32Array) {
    const T = labels.length;
    this.values = Int32Array.from(new Set(labels)).sort();
    this.idOfValue = new Map(Array.from(this.values, (v, i) => [v, i] as [number, number]));
    const K = this.values.length;
    this.classOf = new Int32Array(T);
    this.start = new Int32Array(K + 1);
    for (let t = 0; t < T; t++) {
      const c = this.idOfValue.get(labels[t])!;
      this.classOf[t] = c;
      this.start[c + 1]++;
    }
    for (let c = 0; c < K; c++) this.start[c + 1] += this.start[c];
    this.members = new Int32Array(T);
    this.posInClass = new Int32Array(T);
    const fill = this.start.slice(0, K);
    for (let t = 0; t < T; t++) {
      const c = this.classOf[t];
      this.posInClass[t] = fill[c] - this.start[c];
      this.members[fill[c]++] = t;
    }
  }

  get n_classes(): number {
    return this.values.length;
  }

  /** Class id of a label value, or −1 if the value does not occur. */
  classOfValue(value: number): number {
    return this.idOfValue.get(value) ?? -1;
  }

  /** The members of class c (a view). */
  membersOf(c: number): Int32Array {
    return this.members.subarray(this.start[c], this.start[c + 1]);
  }

  /** A uniformly random sample of class c. */
  drawMember(c: number, rng: Rng): number {
    const s = this.start[c];
    return this.members[s + rng.int(this.start[c + 1] - s)];
  }

  /** Class-balanced draw: uniform class, then uniform member. */
  drawBalanced(rng: Rng): number {
    return this.drawMember(rng.int(this.values.length), rng);
  }

  /** Fills `out` from the prior: "empirical" = uniform over time, "uniform" = class-balanced. */
  drawPrior(prior: "empirical" | "uniform", rng: Rng, out: Int32Array): Int32Array {
    const T = this.classOf.length;
    for (let i = 0; i < out.length; i++) out[i] = prior === "empirical" ? rng.int(T) : this.drawBalanced(rng);
    return out;
  }
}

/**
 * CEBRA `DiscreteDataLoader`: ref, neg from the prior; pos = a uniformly random sample with the reference's
 * label (possibly the reference itself).
 */
export class DiscreteSampler implements Sampler {
  private readonly rng: Rng;
  private readonly classes: LabelClasses;

  constructor(
    labels: Int32Array,
    private readonly prior: "empirical" | "uniform",
    readonly batch_size: number,
    seed: number,
  ) {
    this.rng = new Rng(seed);
    this.classes = new LabelClasses(labels);
  }

  sample(): BatchIndices {
    const B = this.batch_size;
    const ref = this.classes.drawPrior(this.prior, this.rng, new Int32Array(B));
    const neg = this.classes.drawPrior(this.prior, this.rng, new Int32Array(B));
    const pos = new Int32Array(B);
    for (let b = 0; b < B; b++) pos[b] = this.classes.drawMember(this.classes.classOf[ref[b]], this.rng);
    return { ref, pos, neg };
  }
}

/**
 * CEBRA `MixedDataLoader` / `MixedTimeDeltaDistribution`: ref and neg class-balanced (CEBRA always uses the
 * uniform discrete prior here, whatever `discrete_prior` says); pos = the nearest label row to the
 * time_delta query, searched only among samples with the reference's discrete label (which occurrence of
 * a repeated nearest row: `ties`).
 */
export class MixedSampler implements Sampler {
  private readonly rng: Rng;
  private readonly classes: LabelClasses;
  private readonly indexOfClass: NearestIndex[];
  private readonly q: Float64Array;

  constructor(
    discrete: Int32Array,
    continuous: LabelMatrix,
    private readonly rule: QueryRule,
    readonly batch_size: number,
    seed: number,
    private readonly ties: PositiveTies = "random",
  ) {
    this.rng = new Rng(seed);
    this.classes = new LabelClasses(discrete);
    this.indexOfClass = Array.from({ length: this.classes.n_classes }, (_, c) =>
      NearestIndex.build(continuous.data, continuous.dim, this.classes.membersOf(c)),
    );
    this.q = new Float64Array(continuous.dim);
  }

  sample(): BatchIndices {
    const B = this.batch_size;
    const ref = this.classes.drawPrior("uniform", this.rng, new Int32Array(B));
    const neg = this.classes.drawPrior("uniform", this.rng, new Int32Array(B));
    const pos = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      const r = ref[b];
      const index = this.indexOfClass[this.classes.classOf[r]];
      this.rule.make(r, this.q, this.rng);
      pos[b] = index.nearest(this.q, this.rng, index.uniqueOfRow[this.classes.posInClass[r]], this.ties);
    }
    return { ref, pos, neg };
  }
}
