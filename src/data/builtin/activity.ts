/**
 * Spiking activity over the whole session. Each cell's rate at bin t of repeat r is
 *
 *   rate = r0 + a_r · e^(δ_{i,r} − s_d²/2) · G_i(t) · S(t) · M(t) · [ w·R_i(t) + (1 − w)·(mean − r0) ]
 *
 * with R_i the stimulus-locked rate (rates.ts, mean over the movie = mean − r0), w the locked share
 * (1 reliable, weak_drive weak, 0 non-responsive), a_r the shared arousal gain of the repeat
 * (log-uniform in [arousal_min, arousal_max]), δ a per-cell AR(1) log-gain drift across repeats
 * (SD s_d = drift_sd, time constant drift_tau_s) and G_i(t) a private unit-mean log-normal gain
 * following an Ornstein-Uhlenbeck process at frame resolution (gain_noise_sd, gain_noise_tau_s),
 * S(t) the same kind of unit-mean gain shared by all cells (shared_gain_sd, shared_gain_tau_s; the
 * shared multiplicative gain of Goris et al. 2014 and Lin et al. 2015, which makes noise correlations)
 * and M(t) the running gain (state.ts): running_gain while running and 1 otherwise, divided by its
 * expected value f·running_gain + 1 − f (f = running_fraction) so the session mean rate keeps its target. Only the
 * driven part is modulated; r0 is not (Niell & Stryker 2010: spontaneous firing unchanged).
 * Spike counts per bin are Poisson(rate · bin width).
 */
import type { Rng } from "../../util/rng.js";
import type { Cell } from "./cells.js";
import { FRAME_RATE_HZ } from "./geometry.js";
import type { AllenLikeParams } from "./params.js";
import { logUniform, normalSampler } from "./random.js";
import type { LockedRates } from "./rates.js";
import type { RunningState } from "./state.js";

/** Session-level gains, recorded so callers (tests, docs) can see them. */
interface SessionGains {
  /** Shared arousal gain of each repeat. */
  arousal: Float64Array;
}

/** Per-repeat log-gain drift δ for every cell: `[R, N]`, stationary AR(1) across repeats. */
function repeatDrift(normal: () => number, nCells: number, p: AllenLikeParams): Float64Array {
  const R = p.n_repeats;
  const rho = Math.exp(-p.n_frames / FRAME_RATE_HZ / p.drift_tau_s);
  const innovation = Math.sqrt(1 - rho * rho) * p.drift_sd;
  const out = new Float64Array(R * nCells);
  for (let i = 0; i < nCells; i++) out[i] = p.drift_sd * normal();
  for (let r = 1; r < R; r++) {
    for (let i = 0; i < nCells; i++) out[r * nCells + i] = rho * out[(r - 1) * nCells + i] + innovation * normal();
  }
  return out;
}

/**
 * Spike counts `[T, N]` (T = F · B · R samples, B bins per frame) for `cells`, given their locked
 * rates. Deterministic in `rng`.
 */
export function simulateSpikeCounts(rng: Rng, sharedRng: Rng, state: RunningState, cells: Cell[], locked: LockedRates, binsPerFrame: number, p: AllenLikeParams): { counts: Float32Array; gains: SessionGains } {
  const N = cells.length;
  const F = p.n_frames;
  const R = p.n_repeats;
  const B = binsPerFrame;
  const dt = 1 / (FRAME_RATE_HZ * B);
  const counts = new Float32Array(R * F * B * N);
  const arousal = new Float64Array(R);
  for (let r = 0; r < R; r++) arousal[r] = logUniform(rng, p.arousal_min, p.arousal_max);
  // Spike draws get their own stream, so the gain processes do not depend on the rates.
  const spikeRng = rng.fork();
  const normal = normalSampler(rng);
  const drift = repeatDrift(normal, N, p);

  const share = Float64Array.from(cells, (c) => c.stimulusShare);
  const unlocked = Float64Array.from(cells, (c) => (1 - c.stimulusShare) * (c.meanHz - c.baselineHz));
  const baseline = Float64Array.from(cells, (c) => c.baselineHz);
  const rhoGain = Math.exp(-1 / FRAME_RATE_HZ / p.gain_noise_tau_s);
  const gainInnovation = Math.sqrt(1 - rhoGain * rhoGain);
  const sg = p.gain_noise_sd;
  const z = new Float64Array(N);
  for (let i = 0; i < N; i++) z[i] = normal();
  const scale = new Float64Array(N);
  // Shared gain S(t) and running gain M(t): one value per presented frame for all cells.
  const sharedNormal = normalSampler(sharedRng);
  const rhoShared = Math.exp(-1 / FRAME_RATE_HZ / p.shared_gain_tau_s);
  const sharedInnovation = Math.sqrt(1 - rhoShared * rhoShared);
  const ss = p.shared_gain_sd;
  let zShared = sharedNormal();
  const runNorm = p.running_fraction * p.running_gain + 1 - p.running_fraction;

  for (let r = 0; r < R; r++) {
    const pass = Math.min(r, locked.nPasses - 1);
    const passOffset = pass * locked.samplesPerPass;
    for (let f = 0; f < F; f++) {
      zShared = rhoShared * zShared + sharedInnovation * sharedNormal();
      const run = state.running[r * F + f] === 1 ? p.running_gain : 1;
      const common = (arousal[r] * Math.exp(ss * zShared - 0.5 * ss * ss) * run) / runNorm;
      for (let i = 0; i < N; i++) {
        z[i] = rhoGain * z[i] + gainInnovation * normal();
        const logGain = drift[r * N + i] - 0.5 * p.drift_sd * p.drift_sd + sg * z[i] - 0.5 * sg * sg;
        scale[i] = common * Math.exp(logGain);
      }
      for (let b = 0; b < B; b++) {
        const lockedRow = (passOffset + f * B + b) * N;
        const row = ((r * F + f) * B + b) * N;
        for (let i = 0; i < N; i++) {
          const rate = baseline[i] + scale[i] * (share[i] * locked.data[lockedRow + i] + unlocked[i]);
          counts[row + i] = spikeRng.poisson(rate * dt);
        }
      }
    }
  }
  return { counts, gains: { arousal } };
}
