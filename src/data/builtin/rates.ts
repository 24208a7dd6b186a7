/**
 * Stimulus-locked firing rates. For each driven cell the temporally filtered drive u(t) is
 * simple: the filtered Gabor response; complex: √(even² + odd²) of the filtered quadrature pair,
 * and the rate is g·[u − θ]₊ⁿ. θ and g are solved per cell so that over the movie the locked rate has
 * mean = meanHz − baselineHz and maximum = peakHz − baselineHz (the cell's realistic mean and peak,
 * cells.ts); so the gain heterogeneity is the log-normal spread of those targets. The rate saturates at
 * that maximum, which only matters for the onset after the initial gray screen (its transient can
 * exceed the steady-state maximum, grossly so for very short movies).
 */
import type { Cell } from "./cells.js";
import type { DriveBank } from "./drives.js";
import { filterPresentations } from "./temporal.js";

/** Locked rates for every cell over `nPasses` presentations: `[nPasses · F · B, N]` time-major. */
export interface LockedRates {
  nPasses: number;
  samplesPerPass: number;
  data: Float32Array;
  /** Per-cell g and θ (0 for cells without stimulus drive). */
  gain: Float64Array;
  threshold: Float64Array;
}

/** Bisection steps for θ (the 1000·range bracket shrinks to ≈3·10⁻¹¹ of the range). */
const BISECTION_STEPS = 45;

/** x^n, with the common n = 2 (and other small integers) without Math.pow. */
function power(x: number, n: number): number {
  if (n === 2) return x * x;
  if (n === 1) return x;
  if (n === 3) return x * x * x;
  return x ** n;
}

/** mean over `u` of ([u − θ]₊ / (uMax − θ))ⁿ, i.e. mean/peak of the rectified power. */
function meanOverPeak(u: Float64Array, theta: number, uMax: number, n: number): number {
  const span = uMax - theta;
  let acc = 0;
  for (let i = 0; i < u.length; i++) {
    const d = u[i] - theta;
    if (d > 0) acc += power(d / span, n);
  }
  return acc / u.length;
}

/**
 * θ such that mean([u − θ]₊ⁿ) / (max u − θ)ⁿ = ratio (0 < ratio < 1): the ratio falls monotonically
 * from 1 (θ → −∞) to ≈0 (θ → max u), so bisection finds it.
 */
export function solveThreshold(u: Float64Array, ratio: number, n: number): number {
  let uMin = Infinity;
  let uMax = -Infinity;
  for (const v of u) {
    if (v < uMin) uMin = v;
    if (v > uMax) uMax = v;
  }
  const range = uMax - uMin;
  if (!(range > 0)) return uMax;
  let lo = uMin - 1e3 * range;
  let hi = uMax;
  for (let s = 0; s < BISECTION_STEPS; s++) {
    const mid = 0.5 * (lo + hi);
    if (meanOverPeak(u, mid, uMax, n) > ratio) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** The filtered drive u of one cell over all passes (simple: linear; complex: energy). */
function cellDrive(cell: Cell, first: number, drives: Float32Array, bank: DriveBank, nFrames: number, nPasses: number, kernels: Float64Array[]): Float64Array {
  const even = filterPresentations(drives, nFrames, bank.nChannels, first, nPasses, kernels);
  if (cell.type === "simple") return even;
  const odd = filterPresentations(drives, nFrames, bank.nChannels, first + 1, nPasses, kernels);
  for (let i = 0; i < even.length; i++) even[i] = Math.sqrt(even[i] * even[i] + odd[i] * odd[i]);
  return even;
}

/**
 * Computes the locked rates of all cells. `drives` is `[F, bank.nChannels]`; `kernels` are the phase
 * kernels of temporal.ts (their count is the number of bins per frame). θ and g are fitted on the last
 * pass (the steady state after the movie has already played).
 */
export function lockedRates(cells: Cell[], bank: DriveBank, drives: Float32Array, nFrames: number, nPasses: number, kernels: Float64Array[], exponent: number): LockedRates {
  const N = cells.length;
  const samplesPerPass = nFrames * kernels.length;
  const total = nPasses * samplesPerPass;
  const data = new Float32Array(total * N);
  const gain = new Float64Array(N);
  const threshold = new Float64Array(N);
  cells.forEach((cell, i) => {
    const first = bank.firstChannel[i];
    if (first < 0) return;
    const u = cellDrive(cell, first, drives, bank, nFrames, nPasses, kernels);
    const steady = u.subarray(total - samplesPerPass);
    const driven = cell.meanHz - cell.baselineHz;
    const peak = cell.peakHz - cell.baselineHz;
    const theta = solveThreshold(steady, driven / peak, exponent);
    let uMax = -Infinity;
    for (const v of steady) if (v > uMax) uMax = v;
    const g = uMax > theta ? peak / power(uMax - theta, exponent) : 0;
    gain[i] = g;
    threshold[i] = theta;
    for (let t = 0; t < total; t++) {
      const d = u[t] - theta;
      data[t * N + i] = d > 0 ? Math.min(peak, g * power(d, exponent)) : 0;
    }
  });
  return { nPasses, samplesPerPass, data, gain, threshold };
}
