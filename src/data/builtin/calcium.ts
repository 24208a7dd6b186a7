/**
 * Spike counts → dF/F as a 2-photon GCaMP6f recording would show it (data-formats.md §9):
 * each spike adds A·(1 − e^(−t/τr))·e^(−t/τd) (computed exactly as a difference of two exponential
 * filters, spikes placed mid-bin), an optional soft saturation, a residual neuropil term (a per-cell
 * coefficient times the population-mean calcium trace), a per-cell AR(1) baseline drift and white
 * imaging noise of per-cell SD.
 */
import type { Rng } from "../../util/rng.js";
import type { Cell } from "./cells.js";
import type { AllenLikeParams } from "./params.js";
import { normalSampler } from "./random.js";

/** Hill-like exponent of the soft saturation (data-formats.md §9: n ≈ 2.5). */
const SATURATION_EXPONENT = 2.5;

/** Soft saturation: ≈c for c ≪ s, → s for c ≫ s; identity when s = 0. */
function saturate(c: number, s: number): number {
  if (s <= 0 || c <= 0) return c;
  return c / (1 + (c / s) ** SATURATION_EXPONENT) ** (1 / SATURATION_EXPONENT);
}

/** Converts `[T, N]` spike counts sampled at `rateHz` into dF/F, in place. Deterministic in `rng`. */
export function countsToDff(rng: Rng, data: Float32Array, T: number, cells: Cell[], rateHz: number, p: AllenLikeParams): void {
  const N = cells.length;
  const dtMs = 1000 / rateHz;
  const tauFast = 1 / (1 / p.tau_rise_ms + 1 / p.tau_decay_ms);
  const decaySlow = Math.exp(-dtMs / p.tau_decay_ms);
  const decayFast = Math.exp(-dtMs / tauFast);
  const entrySlow = Math.exp(-0.5 * dtMs / p.tau_decay_ms);
  const entryFast = Math.exp(-0.5 * dtMs / tauFast);
  const rhoDrift = Math.exp(-dtMs / 1000 / p.baseline_drift_tau_s);
  const driftInnovation = Math.sqrt(1 - rhoDrift * rhoDrift) * p.baseline_drift_sd;

  const normal = normalSampler(rng);
  const slow = new Float64Array(N);
  const fast = new Float64Array(N);
  const drift = new Float64Array(N);
  for (let i = 0; i < N; i++) drift[i] = p.baseline_drift_sd * normal();
  const calcium = new Float64Array(N);
  const noiseSd = Float64Array.from(cells, (c) => c.noiseSd);
  const neuropil = Float64Array.from(cells, (c) => c.neuropilCoef);

  for (let t = 0; t < T; t++) {
    const row = t * N;
    let popMean = 0;
    for (let i = 0; i < N; i++) {
      const spikes = data[row + i];
      slow[i] = slow[i] * decaySlow + spikes * entrySlow;
      fast[i] = fast[i] * decayFast + spikes * entryFast;
      calcium[i] = saturate(p.indicator_amplitude * (slow[i] - fast[i]), p.saturation_dff);
      popMean += calcium[i];
    }
    popMean /= N;
    for (let i = 0; i < N; i++) {
      drift[i] = rhoDrift * drift[i] + driftInnovation * normal();
      data[row + i] = calcium[i] + neuropil[i] * popMean + drift[i] + noiseSd[i] * normal();
    }
  }
}
