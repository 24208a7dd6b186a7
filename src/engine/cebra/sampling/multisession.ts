/**
 * Multi-session sampling (CEBRA `MultisessionSampler` / `DiscreteMultisessionSampler`, spec §3.4).
 *
 * One encoder per session; B = batch_size references and B negatives per session, uniform over that
 * session's samples. Each reference's query is built as in single-session training, then the S·B queries
 * are randomly permuted over the S·B (session, slot) positions, so every query is answered by a random
 * session (possibly its own) and every session embeds exactly B positives. `pos_order` undoes the
 * permutation (see `MultiSessionBatch` for what the graph does with it).
 */
import { UserError } from "../../../util/errors.js";
import { Rng } from "../../../util/rng.js";
import { NearestIndex } from "./nearest.js";
import type { PositiveTies, SessionData } from "../../types.js";
import { LabelClasses } from "./discrete.js";
import {
  checkBatchSize,
  checkSessionSize,
  checkTimeOffset,
  drawUniform,
  requireContinuous,
  requireDiscrete,
  type LabelMatrix,
} from "./common.js";
import type { MultiSessionBatch, MultiSessionSampler, SamplerConfig } from "./types.js";

/**
 * How positives are found across sessions: `prepare` builds the query of stacked reference r (session s,
 * sample i); `find` answers it in session `target`.
 */
interface CrossSessionPositives {
  prepare(r: number, s: number, i: number, rng: Rng): void;
  find(r: number, target: number, rng: Rng): number;
}

/**
 * Creates the multi-session sampler. Supported: conditional `time_delta` (continuous labels of the same
 * dimension in every session) and `discrete` (the same set of label values in every session). Like CEBRA,
 * hybrid, mixed and time-only multi-session training are not available (UserError).
 */
export function createMultiSessionSampler(sessions: SessionData[], cfg: SamplerConfig): MultiSessionSampler {
  if (sessions.length < 1) {
    throw new UserError("Multi-session training got no sessions.", "Pass at least one session.");
  }
  const B = checkBatchSize(cfg);
  const sizes = sessions.map((s, i) => checkSessionSize(s, `session ${i}`));
  if (cfg.full_batch) {
    throw new UserError("Full-batch training is single-session only (CEBRA raises NotImplementedError for multi-session).", "Set full_batch false (batch_size per session), or train one session.");
  }
  if (cfg.hybrid || (cfg.conditional !== "time_delta" && cfg.conditional !== "discrete")) {
    throw new UserError(
      `Multi-session training supports the 'time_delta' and 'discrete' conditionals without hybrid; got '${cfg.conditional}'${cfg.hybrid ? " with hybrid" : ""}.`,
      "Use conditional 'time_delta' (continuous labels) or 'discrete', hybrid false, or train the sessions separately.",
    );
  }
  const positives =
    cfg.conditional === "discrete"
      ? new DiscreteAcrossSessions(sessions, B)
      : new TimeDeltaAcrossSessions(sessions, sizes, B, cfg);
  return new PermutedSessionSampler(sizes, B, positives, cfg.seed);
}

class PermutedSessionSampler implements MultiSessionSampler {
  readonly n_sessions: number;
  private readonly rng: Rng;

  constructor(
    private readonly sizes: number[],
    readonly batch_size: number,
    private readonly positives: CrossSessionPositives,
    seed: number,
  ) {
    this.n_sessions = sizes.length;
    this.rng = new Rng(seed);
  }

  sample(): MultiSessionBatch {
    const B = this.batch_size;
    const S = this.n_sessions;
    const rng = this.rng;
    const ref = this.sizes.map((T) => drawUniform(rng, T, new Int32Array(B)));
    const neg = this.sizes.map((T) => drawUniform(rng, T, new Int32Array(B)));
    for (let s = 0; s < S; s++) for (let b = 0; b < B; b++) this.positives.prepare(s * B + b, s, ref[s][b], rng);
    // perm[j] = stacked reference whose query is answered at stacked positive position j.
    const perm = new Int32Array(S * B);
    for (let j = 0; j < perm.length; j++) perm[j] = j;
    rng.shuffle(perm);
    const pos = this.sizes.map(() => new Int32Array(B));
    const posOrder = new Int32Array(S * B);
    for (let j = 0; j < perm.length; j++) {
      const target = Math.floor(j / B);
      pos[target][j - target * B] = this.positives.find(perm[j], target, rng);
      posOrder[perm[j]] = j;
    }
    return { ref, pos, neg, pos_order: posOrder };
  }
}

/**
 * Continuous: q = c_s[ref] + Δc[k], with the differences c[t+Δ] − c[t] of all sessions concatenated
 * (no zero rows, unlike single-session) and k uniform over them; positive = a random occurrence of the
 * nearest label row in the target session (which occurrence: `positive_ties`).
 */
class TimeDeltaAcrossSessions implements CrossSessionPositives {
  private readonly labels: LabelMatrix[];
  private readonly indexes: NearestIndex[];
  /** diffStart[s] = first concatenated difference of session s; last entry = total. */
  private readonly diffStart: number[];
  private readonly dim: number;
  private readonly delta: number;
  private readonly ties: PositiveTies;
  /** Queries of the stacked references, `[S·B, dim]`, and where each reference came from. */
  private readonly queries: Float64Array;
  private readonly refSession: Int32Array;
  private readonly refSample: Int32Array;
  private readonly q: Float64Array;

  constructor(sessions: SessionData[], sizes: number[], batchSize: number, cfg: SamplerConfig) {
    this.labels = sessions.map((s, i) => requireContinuous(s, "time_delta", `session ${i}`));
    this.dim = this.labels[0].dim;
    this.labels.forEach((l, i) => {
      if (l.dim !== this.dim) {
        throw new UserError(
          `Session ${i} has ${l.dim}-dimensional continuous labels, session 0 has ${this.dim}.`,
          "Use the same label columns in every session.",
        );
      }
    });
    sizes.forEach((T, i) => checkTimeOffset(cfg, T, `session ${i}`));
    this.delta = cfg.time_offsets;
    this.ties = cfg.positive_ties ?? "random";
    this.diffStart = [0];
    for (const T of sizes) this.diffStart.push(this.diffStart[this.diffStart.length - 1] + T - this.delta);
    this.indexes = this.labels.map((l) => NearestIndex.build(l.data, l.dim));
    this.q = new Float64Array(this.dim);
    const rows = sessions.length * batchSize;
    this.queries = new Float64Array(rows * this.dim);
    this.refSession = new Int32Array(rows);
    this.refSample = new Int32Array(rows);
  }

  prepare(r: number, s: number, i: number, rng: Rng): void {
    const d = this.dim;
    this.refSession[r] = s;
    this.refSample[r] = i;
    const k = rng.int(this.diffStart[this.diffStart.length - 1]);
    let ks = 0;
    while (k >= this.diffStart[ks + 1]) ks++;
    const t = k - this.diffStart[ks];
    const c = this.labels[ks].data;
    const ref = this.labels[s].data;
    const a = (t + this.delta) * d;
    const b = t * d;
    for (let j = 0; j < d; j++) this.queries[r * d + j] = ref[i * d + j] + (c[a + j] - c[b + j]);
  }

  find(r: number, target: number, rng: Rng): number {
    const d = this.dim;
    this.q.set(this.queries.subarray(r * d, (r + 1) * d));
    const index = this.indexes[target];
    const hint = this.refSession[r] === target ? index.uniqueOfRow[this.refSample[r]] : -1;
    return index.nearest(this.q, rng, hint, this.ties);
  }
}

/** Discrete: positive = a uniformly random sample with the reference's label in the target session. */
class DiscreteAcrossSessions implements CrossSessionPositives {
  private readonly classes: LabelClasses[];
  private readonly labels: Int32Array[];
  private readonly queryValue: Int32Array;

  constructor(sessions: SessionData[], batchSize: number) {
    this.labels = sessions.map((s, i) => requireDiscrete(s, "discrete", `session ${i}`));
    this.classes = this.labels.map((l) => new LabelClasses(l));
    this.queryValue = new Int32Array(sessions.length * batchSize);
    const first = this.classes[0].values;
    this.classes.forEach((c, i) => {
      const missing = [...first].filter((v) => c.classOfValue(v) < 0);
      const extra = [...c.values].filter((v) => this.classes[0].classOfValue(v) < 0);
      if (missing.length > 0 || extra.length > 0) {
        throw new UserError(
          `Discrete label values differ between sessions: session ${i} ` +
            (missing.length ? `lacks ${listSome(missing)} (present in session 0)` : `has ${listSome(extra)} (absent in session 0)`) +
            ", but a positive may be drawn from any session.",
          "Keep only the samples whose label value occurs in every session.",
        );
      }
    });
  }

  prepare(r: number, s: number, i: number): void {
    this.queryValue[r] = this.labels[s][i];
  }

  find(r: number, target: number, rng: Rng): number {
    const c = this.classes[target];
    return c.drawMember(c.classOfValue(this.queryValue[r]), rng);
  }
}

function listSome(values: number[]): string {
  return values.length <= 5 ? `value(s) ${values.join(", ")}` : `${values.length} values (${values.slice(0, 5).join(", ")}, …)`;
}
