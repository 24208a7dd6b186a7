/**
 * `builtin:allen-like`: an offline, seeded imitation of the Allen Brain Observatory Natural Movie 1
 * experiment (900-frame movie at 30 Hz shown 10 times, a V1 population recorded with 2-photon
 * calcium imaging or Neuropixels), good enough for the whole pipeline (CEBRA training, kNN frame
 * decoding, shuffled controls) to behave meaningfully. Every parameter has a default taken from the
 * literature ranges in data-formats.md §9; see params.ts and docs/BUILTIN.md.
 *
 * Pipeline: movie (movie.ts) → per-frame RF drives and frame features in one pyramid pass
 * (drives.ts, features.ts) → temporal filter + static nonlinearity → stimulus-locked rates
 * (temporal.ts, rates.ts) → running state (state.ts) → gains and Poisson spikes (activity.ts) → calcium dF/F
 * (calcium.ts) or 120 Hz spike counts.
 */
import { createHash } from "node:crypto";
import type { Movie, Recording } from "../recording.js";
import { simulateSpikeCounts } from "./activity.js";
import { countsToDff } from "./calcium.js";
import { samplePopulation, type Cell } from "./cells.js";
import { createDriveBank, frameDrives, type DriveBank } from "./drives.js";
import { createFeatureBank, finishFeatures, rawFrameFeatures, type FeatureBank } from "./features.js";
import { FRAME_RATE_HZ } from "./geometry.js";
import { canonicalJson, movieSeed, resolveParams, type AllenLikeParams } from "./params.js";
import { allocatePyramid, fillPyramid, maxPyramidLevels } from "./pyramid.js";
import { streamRng } from "./random.js";
import { lockedRates } from "./rates.js";
import { renderMovie } from "./movie.js";
import { simulateRunning } from "./state.js";
import { biphasicKernel, phaseKernels } from "./temporal.js";

export { ALLEN_LIKE_DEFAULTS, describeAllenLikeParams, type AllenLikeParams } from "./params.js";

/** Neuropixels spike counts are binned at 120 Hz: 4 bins per 30 Hz movie frame (CEBRA). */
const NEUROPIXELS_BINS_PER_FRAME = 4;
/** The recording's `provenance.source`. */
const ALLEN_LIKE_SOURCE = "builtin:allen-like";

/** Drives `[F, channels]` and raw features `[F, columns]` from one pyramid pass over the movie. */
function scanMovie(movie: Movie, cells: Cell[]): { bank: DriveBank; drives: Float32Array; featureBank: FeatureBank; rawFeatures: Float64Array } {
  const { height, width, n_frames: F } = movie;
  const pyramid = allocatePyramid(height, width, maxPyramidLevels(height, width));
  const scratch = new Float32Array(height * Math.ceil(width / 2));
  const bank = createDriveBank(cells, pyramid, width, height);
  const featureBank = createFeatureBank(pyramid, width, height);
  const drives = new Float32Array(F * bank.nChannels);
  const rawFeatures = new Float64Array(F * featureBank.nColumns);
  for (let f = 0; f < F; f++) {
    fillPyramid(movie.frames, f, pyramid, scratch);
    frameDrives(bank, pyramid, drives, f * bank.nChannels);
    rawFrameFeatures(featureBank, pyramid, rawFeatures, f * featureBank.nColumns);
  }
  return { bank, drives, featureBank, rawFeatures };
}

/** Per-unit metadata columns describing each simulated cell. */
function unitMetadata(cells: Cell[], gain: Float64Array, calcium: boolean): Record<string, (string | number | boolean)[]> {
  const meta: Record<string, (string | number | boolean)[]> = {
    area: cells.map(() => "VISp"),
    cell_type: cells.map((c) => c.type),
    responsiveness: cells.map((c) => c.responsiveness),
    rf_x_deg: cells.map((c) => c.rf.xDeg),
    rf_y_deg: cells.map((c) => c.rf.yDeg),
    rf_sigma_deg: cells.map((c) => c.rf.sigmaDeg),
    sf_cpd: cells.map((c) => c.rf.sfCpd),
    orientation_deg: cells.map((c) => (c.rf.orientationRad * 180) / Math.PI),
    phase_deg: cells.map((c) => (c.rf.phaseRad * 180) / Math.PI),
    gain: Array.from(gain),
    baseline_rate_hz: cells.map((c) => c.baselineHz),
    mean_rate_hz: cells.map((c) => c.meanHz),
    peak_rate_hz: cells.map((c) => c.peakHz),
  };
  if (calcium) {
    meta.noise_sd_dff = cells.map((c) => c.noiseSd);
    meta.neuropil_coef = cells.map((c) => c.neuropilCoef);
  }
  return meta;
}

/**
 * Generates the `builtin:allen-like` recording for `params` (missing ones take `ALLEN_LIKE_DEFAULTS`).
 * Synchronous and deterministic: the same params give bit-identical arrays. Throws a UserError naming
 * the parameter for any invalid value. Defaults take ≈3 s of CPU on one core (docs/BUILTIN.md), so
 * servers should call it off the main event loop.
 */
export function generateAllenLike(params: Partial<AllenLikeParams> = {}): Recording {
  const p = resolveParams(params);
  const calcium = p.modality === "calcium";
  const B = calcium ? 1 : NEUROPIXELS_BINS_PER_FRAME;
  const rateHz = FRAME_RATE_HZ * B;
  const F = p.n_frames;

  const movie = renderMovie(p);
  const cells = samplePopulation(streamRng(p.seed, "population"), p);
  const { bank, drives, featureBank, rawFeatures } = scanMovie(movie, cells);

  const kernels = phaseKernels(biphasicKernel(p.temporal_peak_ms, p.temporal_trough_ms, p.temporal_undershoot, 1000 / rateHz), B);
  const nPasses = Math.min(p.n_repeats, 1 + Math.ceil(kernels[0].length / F));
  const locked = lockedRates(cells, bank, drives, F, nPasses, kernels, p.nonlinearity_exponent);
  const state = simulateRunning(streamRng(p.seed, "running"), F * p.n_repeats, p);
  const { counts, gains } = simulateSpikeCounts(streamRng(p.seed, "spikes"), streamRng(p.seed, "shared-gain"), state, cells, locked, B, p);
  const T = F * B * p.n_repeats;
  if (calcium) countsToDff(streamRng(p.seed, "calcium"), counts, T, cells, rateHz, p);

  const frame = new Int32Array(T);
  const repeat = new Int32Array(T);
  const timestamps = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const presented = Math.floor(t / B);
    frame[t] = presented % F;
    repeat[t] = Math.floor(presented / F);
    timestamps[t] = t / rateHz;
  }
  const frameFeatures = finishFeatures(rawFeatures, F, featureBank.nColumns, p.feature_dim, streamRng(movieSeed(p), "features"));
  const generator: Record<string, unknown> = { ...p };
  return {
    neural: counts,
    n_samples: T,
    n_neurons: cells.length,
    sampling_rate_hz: rateHz,
    timestamps,
    unit_ids: cells.map((_, i) => `cell_${String(i).padStart(4, "0")}`),
    unit_metadata: unitMetadata(cells, locked.gain, calcium),
    modality: calcium ? "calcium" : "spikes",
    signal: calcium ? "dff" : "spike_counts",
    frame,
    repeat,
    movie,
    frame_features: frameFeatures,
    provenance: {
      source: ALLEN_LIKE_SOURCE,
      format: "builtin",
      sha256: createHash("sha256").update(canonicalJson(generator)).digest("hex"),
      keys_read: [],
      preprocessing: [],
      loaded_at: new Date().toISOString(),
      generator,
      source_metadata: {
        description: "Simulated Allen Brain Observatory Natural Movie 1 session (procedural movie, LN-Poisson V1 model); see docs/BUILTIN.md",
        arousal_per_repeat: Array.from(gains.arousal),
        running_bouts_s: state.bouts.map(([a, b]) => [Number(a.toFixed(3)), Number(b.toFixed(3))]),
        simulated: true,
      },
    },
    warnings: [],
  };
}
