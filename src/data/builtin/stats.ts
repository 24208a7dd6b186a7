/**
 * Statistics of a movie recording measured the way the V1 literature defines them, so the built-in
 * simulation can be compared with published values (docs/BUILTIN.md, "Parameters and statistics";
 * bench/builtin-stats.ts prints them, test/data/builtin-stats.test.ts checks them). They need only
 * `neural`, `frame`, `repeat` (every repeat complete) and, for running modulation, a running mask.
 *
 * - reliability: for each cell, the mean Pearson correlation of its response time course (one value
 *   per movie frame) over all pairs of repeats;
 * - responsive: reliability above the 95th percentile of a null distribution from the same data with
 *   each repeat circularly shifted by an independent random offset (≥ 1 s); this test is ours (the
 *   criterion of de Vries et al. 2020 differs);
 * - lifetime sparseness (Vinje & Gallant 2000; Rolls & Tovee 1995): S = (1 − (Σr/n)² / Σ(r²/n)) / (1 − 1/n)
 *   over the n frames of the cell's trial-averaged response r ≥ 0 (negative dF/F clipped to 0);
 *   population sparseness: the same across cells for each frame, averaged over frames;
 * - noise correlation: Pearson correlation of two cells' single-repeat residuals (response minus the
 *   mean over repeats) in 1 s bins, averaged over pairs;
 * - running modulation: mean activity while running over mean activity while still;
 * - dF/F noise floor: 1.4826 · median |x(t+1) − x(t)| / √2 per cell (the white-noise SD a frame-to-frame
 *   difference reveals; slow transients barely contribute).
 */
import type { Recording } from "../recording.js";
import { Rng } from "../../util/rng.js";
import { countsToDff } from "./calcium.js";
import type { Cell } from "./cells.js";
import type { AllenLikeParams } from "./params.js";
import { runningMaskFromBouts } from "./state.js";
import { pearson } from "../../util/stats.js";

/** Per-cell responses `[N][R · F]`, one value per presented frame (spike counts summed over a frame's bins). */
export interface FrameResponses {
  nCells: number;
  nRepeats: number;
  nFrames: number;
  /** data[i][r · F + f] */
  data: Float64Array[];
}

/** Rearranges a recording's neural data into per-cell, per-frame responses. */
export function frameResponses(rec: Recording): FrameResponses {
  const frame = rec.frame;
  const repeat = rec.repeat;
  if (!frame || !repeat) throw new Error("frameResponses needs frame and repeat labels");
  let F = 0;
  let R = 0;
  for (let t = 0; t < rec.n_samples; t++) {
    if (frame[t] + 1 > F) F = frame[t] + 1;
    if (repeat[t] + 1 > R) R = repeat[t] + 1;
  }
  const N = rec.n_neurons;
  const data = Array.from({ length: N }, () => new Float64Array(R * F));
  for (let t = 0; t < rec.n_samples; t++) {
    const k = repeat[t] * F + frame[t];
    const row = t * N;
    for (let i = 0; i < N; i++) data[i][k] += rec.neural[row + i];
  }
  return { nCells: N, nRepeats: R, nFrames: F, data };
}

/** Mean pairwise correlation across repeats of one cell's `[R · F]` trace. */
function meanPairwise(x: Float64Array, R: number, F: number): number {
  const reps = Array.from({ length: R }, (_, r) => x.subarray(r * F, (r + 1) * F));
  let acc = 0, n = 0;
  for (let a = 0; a < R; a++) for (let b = a + 1; b < R; b++) { acc += pearson(reps[a], reps[b]); n++; }
  return n ? acc / n : 0;
}

/** Reliability of every cell (mean pairwise correlation of its response across repeats). */
export function reliability(fr: FrameResponses): Float64Array {
  return Float64Array.from(fr.data, (x) => meanPairwise(x, fr.nRepeats, fr.nFrames));
}

/** 95th percentile of reliability on circularly shifted repeats (`shuffles` per cell), deterministic in `rng`. */
export function reliabilityNull(fr: FrameResponses, rng: Rng, shuffles = 2): number {
  const { nRepeats: R, nFrames: F } = fr;
  const minShift = Math.min(30, Math.floor(F / 4));
  const values: number[] = [];
  const shifted = new Float64Array(R * F);
  for (const x of fr.data) {
    for (let s = 0; s < shuffles; s++) {
      for (let r = 0; r < R; r++) {
        const k = minShift + Math.floor(rng.random() * Math.max(1, F - 2 * minShift));
        for (let f = 0; f < F; f++) shifted[r * F + f] = x[r * F + ((f + k) % F)];
      }
      values.push(meanPairwise(shifted, R, F));
    }
  }
  values.sort((a, b) => a - b);
  return values[Math.floor(0.95 * (values.length - 1))];
}

/** Trial-averaged response of each cell, `[N][F]`. */
export function trialMeans(fr: FrameResponses): Float64Array[] {
  const { nRepeats: R, nFrames: F } = fr;
  return fr.data.map((x) => {
    const m = new Float64Array(F);
    for (let r = 0; r < R; r++) for (let f = 0; f < F; f++) m[f] += x[r * F + f] / R;
    return m;
  });
}

/** Treves-Rolls / Vinje-Gallant sparseness of non-negative values (negatives clipped to 0); NaN when all are 0. */
export function sparseness(values: ArrayLike<number>): number {
  const n = values.length;
  let s1 = 0, s2 = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.max(0, values[i]);
    s1 += v; s2 += v * v;
  }
  if (!(s2 > 0) || n < 2) return NaN;
  return (1 - (s1 / n) ** 2 / (s2 / n)) / (1 - 1 / n);
}

/** Lifetime sparseness of each cell's trial-averaged response. */
export function lifetimeSparseness(means: Float64Array[]): Float64Array {
  return Float64Array.from(means, (m) => sparseness(m));
}

/** Population sparseness of the trial-averaged responses of `cells`, averaged over frames. */
export function populationSparseness(means: Float64Array[], cells: number[]): number {
  const F = means[0]?.length ?? 0;
  const column = new Float64Array(cells.length);
  let acc = 0, n = 0;
  for (let f = 0; f < F; f++) {
    cells.forEach((c, j) => { column[j] = means[c][f]; });
    const s = sparseness(column);
    if (Number.isFinite(s)) { acc += s; n++; }
  }
  return n ? acc / n : NaN;
}

/**
 * Mean noise correlation over all pairs of `cells`, from residuals in bins of `binFrames` frames.
 * With `exclude` (per presented frame, 1 = leave out), bins touching an excluded frame are left out
 * of the correlation (their residuals are still computed against the mean over all repeats).
 */
export function meanNoiseCorrelation(fr: FrameResponses, cells: number[], binFrames = 30, exclude?: Uint8Array): number {
  const { nRepeats: R, nFrames: F } = fr;
  const nb = Math.max(1, Math.floor(F / binFrames));
  const residuals = cells.map((c) => {
    const x = fr.data[c];
    const binned = new Float64Array(R * nb);
    for (let r = 0; r < R; r++) for (let b = 0; b < nb; b++) {
      let s = 0;
      for (let f = b * binFrames; f < (b + 1) * binFrames && f < F; f++) s += x[r * F + f];
      binned[r * nb + b] = s;
    }
    for (let b = 0; b < nb; b++) {
      let m = 0;
      for (let r = 0; r < R; r++) m += binned[r * nb + b] / R;
      for (let r = 0; r < R; r++) binned[r * nb + b] -= m;
    }
    return binned;
  });
  let keep: number[] | undefined;
  if (exclude) {
    keep = [];
    for (let r = 0; r < R; r++) for (let b = 0; b < nb; b++) {
      let ok = true;
      for (let f = b * binFrames; f < (b + 1) * binFrames && f < F; f++) if (exclude[r * F + f]) ok = false;
      if (ok) keep.push(r * nb + b);
    }
  }
  const kept = keep ? residuals.map((x) => Float64Array.from(keep!, (k) => x[k])) : residuals;
  if (kept[0] && kept[0].length < 3) return NaN;
  let acc = 0, n = 0;
  for (let a = 0; a < kept.length; a++) for (let b = a + 1; b < kept.length; b++) { acc += pearson(kept[a], kept[b]); n++; }
  return n ? acc / n : NaN;
}

/** Mean activity of `cells` while running over mean activity while still (`running` per presented frame). */
export function runningRatio(fr: FrameResponses, cells: number[], running: Uint8Array): number {
  let run = 0, still = 0, nRun = 0, nStill = 0;
  for (const c of cells) {
    const x = fr.data[c];
    for (let k = 0; k < x.length; k++) {
      if (running[k]) { run += x[k]; nRun++; } else { still += x[k]; nStill++; }
    }
  }
  return nRun && nStill && still !== 0 ? run / nRun / (still / nStill) : NaN;
}

/** Per-cell white-noise SD estimated from frame-to-frame differences (robust: median absolute difference). */
export function noiseFloor(fr: FrameResponses): Float64Array {
  return Float64Array.from(fr.data, (x) => {
    const d = new Float64Array(x.length - 1);
    for (let k = 0; k + 1 < x.length; k++) d[k] = Math.abs(x[k + 1] - x[k]);
    d.sort();
    return (1.4826 * d[Math.floor(d.length / 2)]) / Math.SQRT2;
  });
}

/** Median of finite values. */
export function median(values: ArrayLike<number>): number {
  const v = Array.from(values).filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

/**
 * The simulated single-spike calcium transient, run through calcium.ts at 1 kHz without noise: its
 * peak dF/F, time to peak and half-decay time (peak to half peak), as Chen et al. 2013 report them.
 */
export function singleSpikeTransient(p: AllenLikeParams): { peakDff: number; timeToPeakMs: number; halfDecayMs: number } {
  const T = 3000;
  const data = new Float32Array(T);
  data[0] = 1;
  const quiet: AllenLikeParams = { ...p, neuropil_residual_sd: 0, baseline_drift_sd: 0 };
  const cell = { noiseSd: 0, neuropilCoef: 0 } as Cell;
  countsToDff(new Rng(0), data, T, [cell], 1000, quiet);
  let peak = 0, tPeak = 0;
  for (let t = 0; t < T; t++) if (data[t] > peak) { peak = data[t]; tPeak = t; }
  let tHalf = tPeak;
  while (tHalf < T && data[tHalf] > peak / 2) tHalf++;
  return { peakDff: peak, timeToPeakMs: tPeak + 0.5, halfDecayMs: tHalf - tPeak };
}

/** Everything bench/builtin-stats.ts prints for one recording (built-in calcium recordings). */
export interface RecordingStats {
  responsiveFraction: number;
  reliabilityResponsive: number;
  reliabilityAll: number;
  lifetimeSparseness: number;
  populationSparseness: number;
  noiseCorrelation: number;
  noiseCorrelationStill: number;
  runningRatio: number;
  runningFraction: number;
  noiseFloor: number;
}

/** Measures a `builtin:allen-like` recording (the running mask comes from its provenance). Deterministic. */
export function measureRecording(rec: Recording): RecordingStats {
  const fr = frameResponses(rec);
  const rel = reliability(fr);
  const threshold = reliabilityNull(fr, new Rng(12345));
  const responsive: number[] = [];
  rel.forEach((v, i) => { if (v > threshold) responsive.push(i); });
  const means = trialMeans(fr);
  const all = Array.from({ length: fr.nCells }, (_, i) => i);
  const bouts = (rec.provenance.source_metadata?.running_bouts_s ?? []) as Array<[number, number]>;
  const running = runningMaskFromBouts(bouts, fr.nRepeats * fr.nFrames);
  let nRun = 0;
  for (const v of running) nRun += v;
  const lifetime = lifetimeSparseness(means);
  return {
    responsiveFraction: responsive.length / fr.nCells,
    reliabilityResponsive: median(responsive.map((i) => rel[i])),
    reliabilityAll: median(rel),
    lifetimeSparseness: median(responsive.map((i) => lifetime[i])),
    populationSparseness: populationSparseness(means, all),
    noiseCorrelation: meanNoiseCorrelation(fr, responsive),
    noiseCorrelationStill: meanNoiseCorrelation(fr, responsive, 30, running),
    runningRatio: runningRatio(fr, responsive, running),
    runningFraction: nRun / running.length,
    noiseFloor: median(noiseFloor(fr)),
  };
}
