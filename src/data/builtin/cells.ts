/**
 * The simulated V1 population: who each cell is (simple or complex; reliable, weak or non-responsive),
 * its Gabor receptive field in degrees, its target spontaneous / mean / peak rates and, for calcium,
 * its imaging noise and residual neuropil contamination. All drawn from the realistic ranges in
 * params.ts (data-formats.md §9).
 */
import type { Rng } from "../../util/rng.js";
import type { GaborSpec } from "./gabor.js";
import { FIELD_HEIGHT_DEG, FIELD_WIDTH_DEG } from "./geometry.js";
import type { AllenLikeParams } from "./params.js";
import { logNormalInRange, truncatedNormal } from "./random.js";

type CellType = "simple" | "complex";
type Responsiveness = "reliable" | "weak" | "non-responsive";

export interface Cell {
  type: CellType;
  responsiveness: Responsiveness;
  rf: GaborSpec;
  /** Spontaneous rate r0 (Hz). */
  baselineHz: number;
  /** Mean rate over the movie (Hz), before arousal / drift. */
  meanHz: number;
  /** Driven peak rate over the movie (Hz), before arousal / drift. */
  peakHz: number;
  /** Share of the driven rate that is locked to the stimulus: 1 reliable, weak_drive weak, 0 non-responsive. */
  stimulusShare: number;
  /** White imaging noise SD (dF/F) and residual neuropil coefficient (calcium only). */
  noiseSd: number;
  neuropilCoef: number;
}

/** Driven part of the mean rate is at least this share of the mean (keeps r0 below the mean). */
const MIN_DRIVEN_SHARE = 0.2;
/** The peak is at least this multiple of the mean. */
const MIN_PEAK_OVER_MEAN = 2;

/** Labels for `count` items with exact class counts (rounded), in random order. */
function shuffledLabels<T>(rng: Rng, count: number, classes: ReadonlyArray<[T, number]>, rest: T): T[] {
  const labels: T[] = [];
  for (const [label, fraction] of classes) {
    const k = Math.min(count - labels.length, Math.round(fraction * count));
    for (let i = 0; i < k; i++) labels.push(label);
  }
  while (labels.length < count) labels.push(rest);
  return rng.shuffle(labels);
}

/** Preferred spatial frequency: log2-normal around the mode, truncated to [min, max] by rejection. */
function drawSpatialFrequency(rng: Rng, p: AllenLikeParams): number {
  if (p.sf_min_cpd === p.sf_max_cpd) return p.sf_min_cpd;
  for (;;) {
    const sf = p.sf_mode_cpd * 2 ** rng.normal(0, p.sf_sd_octaves);
    if (sf >= p.sf_min_cpd && sf <= p.sf_max_cpd) return sf;
  }
}

/** RF centre: Gaussian around the screen centre, truncated at ±2 SD and to the screen. */
function drawReceptiveField(rng: Rng, p: AllenLikeParams): GaborSpec {
  const sd = p.rf_center_sd_deg;
  return {
    xDeg: truncatedNormal(rng, 0, sd, Math.min(2 * sd, FIELD_WIDTH_DEG / 2)),
    yDeg: truncatedNormal(rng, 0, sd, Math.min(2 * sd, FIELD_HEIGHT_DEG / 2)),
    sigmaDeg: rng.uniform(p.rf_sigma_min_deg, p.rf_sigma_max_deg),
    sfCpd: drawSpatialFrequency(rng, p),
    orientationRad: rng.uniform(0, Math.PI),
    phaseRad: rng.uniform(0, 2 * Math.PI),
  };
}

/** Draws the population described by `p` (deterministic in `rng`). */
export function samplePopulation(rng: Rng, p: AllenLikeParams): Cell[] {
  const n = p.n_cells;
  const types = shuffledLabels<CellType>(rng, n, [["simple", p.fraction_simple]], "complex");
  const classes = shuffledLabels<Responsiveness>(rng, n, [["reliable", p.fraction_reliable], ["weak", p.fraction_weak]], "non-responsive");
  const cells: Cell[] = [];
  for (let i = 0; i < n; i++) {
    const rf = drawReceptiveField(rng, p);
    const meanHz = logNormalInRange(rng, p.mean_rate_min_hz, p.mean_rate_max_hz);
    const baselineHz = Math.min(logNormalInRange(rng, p.baseline_rate_min_hz, p.baseline_rate_max_hz), (1 - MIN_DRIVEN_SHARE) * meanHz);
    const peakHz = Math.max(logNormalInRange(rng, p.peak_rate_min_hz, p.peak_rate_max_hz), MIN_PEAK_OVER_MEAN * meanHz);
    const noiseSd = logNormalInRange(rng, p.noise_sd_min, p.noise_sd_max);
    const neuropilCoef = rng.normal(0, p.neuropil_residual_sd);
    const responsiveness = classes[i];
    const stimulusShare = responsiveness === "reliable" ? 1 : responsiveness === "weak" ? p.weak_drive : 0;
    cells.push({ type: types[i], responsiveness, rf, baselineHz, meanHz, peakHz, stimulusShare, noiseSd, neuropilCoef });
  }
  return cells;
}
