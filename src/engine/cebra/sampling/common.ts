/**
 * Building blocks shared by the samplers: input checks (UserError with a fix), uniform index draws,
 * and the two continuous query rules (time_delta and normal delta).
 */
import { UserError } from "../../../util/errors.js";
import type { Rng } from "../../../util/rng.js";
import type { SessionData } from "../../types.js";
import type { SamplerConfig } from "./types.js";

/** Continuous labels of a session, `[T, dim]`. */
export interface LabelMatrix {
  data: Float32Array;
  dim: number;
}

/** `out[i] = uniform integer in [0, n)` for every i. */
export function drawUniform(rng: Rng, n: number, out: Int32Array): Int32Array {
  for (let i = 0; i < out.length; i++) out[i] = rng.int(n);
  return out;
}

export function checkBatchSize(cfg: SamplerConfig): number {
  const B = cfg.batch_size;
  if (!Number.isInteger(B) || B < 1) {
    throw new UserError(`batch_size must be a positive integer, got ${B}.`, "Pass e.g. batch_size: 512 (CEBRA paper value).");
  }
  return B;
}

/** Δ must be an integer with 1 ≤ Δ < T (CEBRA raises for T ≤ Δ). */
export function checkTimeOffset(cfg: Pick<SamplerConfig, "time_offsets">, T: number, what = "the session"): number {
  const d = cfg.time_offsets;
  if (!Number.isInteger(d) || d < 1) {
    throw new UserError(`time_offsets must be a positive integer, got ${d}.`, "Pass e.g. time_offsets: 1 (CEBRA sklearn default) or 10.");
  }
  if (d >= T) {
    throw new UserError(
      `time_offsets ${d} is not smaller than the number of samples in ${what} (${T}).`,
      `Use a time_offsets below ${T}, or train on more samples.`,
    );
  }
  return d;
}

export function checkSessionSize(data: SessionData, what = "the session"): number {
  const T = data.n_samples;
  if (!Number.isInteger(T) || T < 1) {
    throw new UserError(`${what} has no samples (n_samples = ${T}).`, "Train on a recording with at least one sample.");
  }
  return T;
}

/** The continuous labels, checked against T; UserError naming the conditional if they are missing. */
export function requireContinuous(data: SessionData, conditional: string, what = "the session"): LabelMatrix {
  const c = data.continuous;
  if (!c) {
    throw new UserError(
      `The '${conditional}' conditional needs continuous labels, but ${what} has none.`,
      "Provide continuous labels (e.g. frame features or behaviour), or use conditional 'time' (or 'discrete' with discrete labels).",
    );
  }
  if (!Number.isInteger(c.dim) || c.dim < 1 || c.data.length !== data.n_samples * c.dim) {
    throw new UserError(
      `Continuous labels of ${what} have ${c.data.length} values, expected n_samples × dim = ${data.n_samples} × ${c.dim}.`,
      "Pass one label row per neural sample.",
    );
  }
  return { data: c.data, dim: c.dim };
}

/** The discrete labels, checked against T; UserError naming the conditional if they are missing. */
export function requireDiscrete(data: SessionData, conditional: string, what = "the session"): Int32Array {
  const d = data.discrete;
  if (!d) {
    throw new UserError(
      `The '${conditional}' conditional needs discrete labels, but ${what} has none.`,
      "Provide integer labels (e.g. frame index or trial type), or use conditional 'time' / 'time_delta'.",
    );
  }
  if (d.length !== data.n_samples) {
    throw new UserError(
      `Discrete labels of ${what} have ${d.length} values, expected one per sample (${data.n_samples}).`,
      "Pass one label per neural sample.",
    );
  }
  return d;
}

/** σ of the normal `delta` conditional; CEBRA's default is None, so it must be set. */
export function requireDelta(cfg: SamplerConfig): number {
  const s = cfg.delta;
  if (s === undefined || !(s > 0) || !Number.isFinite(s)) {
    throw new UserError(
      `The 'delta' conditional needs delta (σ of the normal around the reference label) > 0, got ${s}.`,
      "Pass delta in label units, e.g. delta: 0.1 for labels of unit scale.",
    );
  }
  return s;
}

/** Writes the query for reference sample `ref` into `q` (length dim). */
export interface QueryRule {
  make(ref: number, q: Float64Array, rng: Rng): void;
}

/**
 * CEBRA `TimedeltaDistribution`: q = c[ref] + Δc[k], k ~ U{0..T−1}, Δc[t] = c[t] − c[t−Δ] for t ≥ Δ and
 * 0 for the first Δ rows (⚠ these zero rows are part of the draw, as in CEBRA). Δc is computed on the fly
 * in float64 instead of being stored.
 */
export class TimeDeltaQuery implements QueryRule {
  constructor(
    private readonly c: LabelMatrix,
    private readonly T: number,
    private readonly delta: number,
  ) {}

  make(ref: number, q: Float64Array, rng: Rng): void {
    const { data, dim } = this.c;
    const k = rng.int(this.T);
    const r = ref * dim;
    if (k < this.delta) {
      for (let j = 0; j < dim; j++) q[j] = data[r + j];
      return;
    }
    const a = k * dim;
    const b = (k - this.delta) * dim;
    for (let j = 0; j < dim; j++) q[j] = data[r + j] + (data[a + j] - data[b + j]);
  }
}

/** CEBRA `DeltaNormalDistribution`: q ~ N(c[ref], σ²I). */
export class NormalQuery implements QueryRule {
  constructor(
    private readonly c: LabelMatrix,
    private readonly sigma: number,
  ) {}

  make(ref: number, q: Float64Array, rng: Rng): void {
    const { data, dim } = this.c;
    for (let j = 0; j < dim; j++) q[j] = rng.normal(data[ref * dim + j], this.sigma);
  }
}
