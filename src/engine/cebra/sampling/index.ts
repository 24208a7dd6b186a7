/**
 * Batch sampling for CEBRA training: which samples are references, positives and negatives each step.
 *
 * Semantics follow CEBRA 0.6.1 (spec §3; implementation in ./sampling/*.ts):
 * - `time`:       ref, neg ~ U{0..T−Δ−1}; pos = ref + Δ.
 * - `time_delta`: ref, neg ~ U{0..T−1}; pos = nearest label to c[ref] + Δc[k], k ~ U{0..T−1}
 *                 (Δc[t] = c[t] − c[t−Δ], first Δ rows zero).
 * - `delta`:      as time_delta with the query q ~ N(c[ref], δ²I); δ = cfg.delta is required.
 * - `discrete`:   ref, neg from the prior (`empirical` = uniform over time, `uniform` = class-balanced);
 *                 pos = random sample with the reference's label.
 * - `mixed`:      class-balanced ref, neg; time_delta query searched among samples with the reference's label.
 * - hybrid:       ref, neg ~ U{0..T−Δ−1}; pos = [time_delta (or delta) positives, ref + Δ] (2B rows).
 * - full batch:   (`cfg.full_batch`, CEBRA batch_size None; time, time_delta, delta only) every prior
 *                 sample is a reference each step, negatives a permutation of them (`fullBatchSize`).
 * Multi-session: `createMultiSessionSampler` (./sampling/multisession.ts).
 *
 * Among exactly equal nearest labels `cfg.positive_ties` picks the positive: "first" (lowest index, as
 * CEBRA) or "random" (uniform over the occurrences). The exact nearest-label search uses an index
 * instead of CEBRA's brute-force scan over all T rows every step (./nearest.ts).
 * Everything is seeded by `cfg.seed` (CEBRA's sampling is not reproducible).
 */
import { UserError } from "../../../util/errors.js";
import type { SessionData } from "../../types.js";
import {
  checkBatchSize,
  checkSessionSize,
  checkTimeOffset,
  NormalQuery,
  requireContinuous,
  requireDelta,
  requireDiscrete,
  TimeDeltaQuery,
} from "./common.js";
import { HybridSampler, NearestLabelSampler, TimeSampler } from "./continuous.js";
import { DiscreteSampler, MixedSampler } from "./discrete.js";
import type { Sampler, SamplerConfig } from "./types.js";

export type { BatchIndices, MultiSessionBatch, MultiSessionSampler, Sampler, SamplerConfig } from "./types.js";
export { createMultiSessionSampler } from "./multisession.js";

/**
 * Creates the single-session sampler for `cfg.conditional` (and `cfg.hybrid`). Throws UserError when the
 * session lacks the labels the conditional needs, when δ is missing for `delta`, when Δ ≥ T (for the
 * conditionals that use Δ: time, time_delta, mixed, hybrid), or for
 * combinations CEBRA does not support (hybrid needs continuous labels and the time_delta conditional).
 */
export function createSampler(data: SessionData, cfg: SamplerConfig): Sampler {
  const B = checkBatchSize(cfg);
  const T = checkSessionSize(data);
  const ties = checkTies(cfg);
  const full = cfg.full_batch === true;
  if (full && B !== fullBatchSize(data, cfg)) {
    throw new Error(`Full-batch sampling needs batch_size ${fullBatchSize(data, cfg)} (every sample), got ${B}.`);
  }
  if (cfg.hybrid) {
    if (cfg.conditional !== "time_delta" && cfg.conditional !== "delta") {
      throw new UserError(
        `Hybrid training needs the 'time_delta' or 'delta' conditional, got '${cfg.conditional}'.`,
        "Use continuous labels (time_delta positives, or delta ones with delta set), or turn hybrid off.",
      );
    }
    const c = requireContinuous(data, `hybrid ${cfg.conditional}`);
    const delta = checkTimeOffset(cfg, T);
    const rule = cfg.conditional === "delta" ? new NormalQuery(c, requireDelta(cfg)) : new TimeDeltaQuery(c, T, delta);
    return new HybridSampler(c, T, delta, rule, B, cfg.seed, ties);
  }
  switch (cfg.conditional) {
    case "time":
      return new TimeSampler(T, checkTimeOffset(cfg, T), B, cfg.seed, full);
    case "time_delta": {
      const c = requireContinuous(data, "time_delta");
      return new NearestLabelSampler(c, T, new TimeDeltaQuery(c, T, checkTimeOffset(cfg, T)), B, cfg.seed, ties, full);
    }
    case "delta": {
      const c = requireContinuous(data, "delta");
      return new NearestLabelSampler(c, T, new NormalQuery(c, requireDelta(cfg)), B, cfg.seed, ties, full);
    }
    case "discrete":
      return new DiscreteSampler(requireDiscrete(data, "discrete"), checkPrior(cfg), B, cfg.seed);
    case "mixed": {
      const d = requireDiscrete(data, "mixed");
      const c = requireContinuous(data, "mixed");
      return new MixedSampler(d, c, new TimeDeltaQuery(c, T, checkTimeOffset(cfg, T)), B, cfg.seed, ties);
    }
    default:
      throw new UserError(
        `Unknown conditional '${String(cfg.conditional)}'.`,
        "Use one of: time, time_delta, delta, discrete, mixed.",
      );
  }
}

/**
 * Largest full-batch step allowed, in bytes of float32 working memory: about six B×B matrices (similarities
 * to the negatives and their gradients) plus the 3B copied input windows and their hidden activations.
 */
export const FULL_BATCH_MAX_BYTES = 2 * 1024 ** 3;

/** Working memory of one full-batch step of B references (the estimate FULL_BATCH_MAX_BYTES bounds). */
export function fullBatchStepBytes(B: number, receptiveField: number, nNeurons: number, hiddenUnits: number): number {
  return 4 * (6 * B * B + 3 * B * receptiveField * (nNeurons + 4 * hiddenUnits));
}

/**
 * The batch size of a full-batch step on `data` (CEBRA `FullDataLoader`): every sample of the prior, T, or
 * T − Δ for `time` (whose positives ref + Δ must exist). UserError for the combinations CEBRA refuses with
 * NotImplementedError (discrete, mixed, hybrid) and, when `model` is given, for steps whose working memory
 * (`fullBatchStepBytes`) exceeds FULL_BATCH_MAX_BYTES.
 */
export function fullBatchSize(
  data: SessionData,
  cfg: Pick<SamplerConfig, "conditional" | "hybrid" | "time_offsets">,
  model?: { receptive_field: number; num_hidden_units: number },
): number {
  if (cfg.hybrid || cfg.conditional === "discrete" || cfg.conditional === "mixed") {
    throw new UserError(
      `Full-batch training supports time and continuous labels without hybrid (as CEBRA), not ${cfg.hybrid ? "hybrid" : `'${cfg.conditional}' labels`}.`,
      "Set full_batch false and choose a batch_size, or use mode 'behavior' with continuous labels or mode 'time'.",
    );
  }
  const T = checkSessionSize(data);
  const B = cfg.conditional === "time" ? T - checkTimeOffset(cfg, T) : T;
  if (model) {
    const bytes = fullBatchStepBytes(B, model.receptive_field, data.n_neurons, model.num_hidden_units);
    if (bytes > FULL_BATCH_MAX_BYTES) {
      throw new UserError(
        `A full-batch step on ${B} samples × ${data.n_neurons} neurons needs about ${(bytes / 1024 ** 3).toFixed(1)} GiB, over the ${FULL_BATCH_MAX_BYTES / 1024 ** 3} GiB limit.`,
        "Set full_batch false and use a batch_size (e.g. 512), or train on fewer samples.",
      );
    }
  }
  return B;
}

function checkTies(cfg: SamplerConfig): "random" | "first" {
  const t = cfg.positive_ties ?? "random";
  if (t !== "random" && t !== "first") {
    throw new UserError(`Unknown positive_ties '${String(t)}'.`, "Use 'first' (lowest index, as CEBRA) or 'random'.");
  }
  return t;
}

function checkPrior(cfg: SamplerConfig): "empirical" | "uniform" {
  if (cfg.discrete_prior !== "empirical" && cfg.discrete_prior !== "uniform") {
    throw new UserError(
      `Unknown discrete_prior '${String(cfg.discrete_prior)}'.`,
      "Use 'empirical' (uniform over time, CEBRA default) or 'uniform' (class-balanced).",
    );
  }
  return cfg.discrete_prior;
}
