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
 * - hybrid:       ref, neg ~ U{0..T−Δ−1}; pos = [time_delta positives, ref + Δ] (2B rows).
 * Multi-session: `createMultiSessionSampler` (./sampling/multisession.ts).
 *
 * Two deliberate improvements over CEBRA (documented in ./nearest.ts): among exactly equal nearest labels
 * the positive is drawn uniformly from all occurrences (CEBRA always takes the first), and the exact
 * nearest-label search uses an index instead of a brute-force scan over all T rows every step.
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
  if (cfg.hybrid) {
    if (cfg.conditional !== "time_delta") {
      throw new UserError(
        `Hybrid training needs the 'time_delta' conditional, got '${cfg.conditional}'.`,
        "Set conditional to 'time_delta' (continuous labels), or turn hybrid off.",
      );
    }
    const c = requireContinuous(data, "hybrid time_delta");
    const delta = checkTimeOffset(cfg, T);
    return new HybridSampler(c, T, delta, new TimeDeltaQuery(c, T, delta), B, cfg.seed);
  }
  switch (cfg.conditional) {
    case "time":
      return new TimeSampler(T, checkTimeOffset(cfg, T), B, cfg.seed);
    case "time_delta": {
      const c = requireContinuous(data, "time_delta");
      return new NearestLabelSampler(c, T, new TimeDeltaQuery(c, T, checkTimeOffset(cfg, T)), B, cfg.seed);
    }
    case "delta": {
      const c = requireContinuous(data, "delta");
      return new NearestLabelSampler(c, T, new NormalQuery(c, requireDelta(cfg)), B, cfg.seed);
    }
    case "discrete":
      return new DiscreteSampler(requireDiscrete(data, "discrete"), checkPrior(cfg), B, cfg.seed);
    case "mixed": {
      const d = requireDiscrete(data, "mixed");
      const c = requireContinuous(data, "mixed");
      return new MixedSampler(d, c, new TimeDeltaQuery(c, T, checkTimeOffset(cfg, T)), B, cfg.seed);
    }
    default:
      throw new UserError(
        `Unknown conditional '${String(cfg.conditional)}'.`,
        "Use one of: time, time_delta, delta, discrete, mixed.",
      );
  }
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
