/**
 * Image statistics of a movie, to compare it with natural images (docs/BUILTIN.md, "The movie"):
 * the slope of the radially averaged power spectrum (natural images ≈ −2, Field 1987; van der Schaaf
 * & van Hateren 1996), RMS contrast, mean luminance, edge density, and frame-to-frame differences.
 */
import type { Movie } from "../recording.js";
import { fft2d } from "./fbm.js";

/** Largest power of two ≤ n. */
function floorPow2(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

/**
 * Least-squares slope of log power against log spatial frequency of frame `f`: the central
 * power-of-two crop, mean removed, Hann-windowed, power averaged in rings from 4 cycles per crop to
 * a quarter of the sampling rate (above that, blur and 8-bit rounding dominate).
 */
export function spectrumSlope(m: Movie, f: number): number {
  const n = Math.min(floorPow2(m.height), floorPow2(m.width));
  const y0 = (m.height - n) >> 1, x0 = (m.width - n) >> 1;
  const re = new Float64Array(n * n), im = new Float64Array(n * n);
  let mean = 0;
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) mean += m.frames[(f * m.height + y0 + y) * m.width + x0 + x];
  mean /= n * n;
  for (let y = 0; y < n; y++) {
    const wy = 0.5 - 0.5 * Math.cos((2 * Math.PI * (y + 0.5)) / n);
    for (let x = 0; x < n; x++) {
      const wx = 0.5 - 0.5 * Math.cos((2 * Math.PI * (x + 0.5)) / n);
      re[y * n + x] = (m.frames[(f * m.height + y0 + y) * m.width + x0 + x] - mean) * wx * wy;
    }
  }
  fft2d(re, im, n, n);
  const rings = new Float64Array(n / 2), counts = new Float64Array(n / 2);
  for (let y = 0; y < n; y++) {
    const fy = y <= n / 2 ? y : y - n;
    for (let x = 0; x < n; x++) {
      const fx = x <= n / 2 ? x : x - n;
      const r = Math.round(Math.hypot(fx, fy));
      if (r < n / 2) {
        rings[r] += re[y * n + x] ** 2 + im[y * n + x] ** 2;
        counts[r]++;
      }
    }
  }
  const xs: number[] = [], ys: number[] = [];
  for (let r = 4; r <= n / 8; r++) if (rings[r] > 0) { xs.push(Math.log(r)); ys.push(Math.log(rings[r] / counts[r])); }
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length, my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0, sxx = 0;
  for (let i = 0; i < xs.length; i++) { sxy += (xs[i] - mx) * (ys[i] - my); sxx += (xs[i] - mx) ** 2; }
  return sxy / sxx;
}

/** Mean gray level and RMS contrast (SD / mean) of frame `f`. */
export function frameLuminance(m: Movie, f: number): { mean: number; rmsContrast: number } {
  const n = m.height * m.width;
  let s = 0, ss = 0;
  for (let i = f * n; i < (f + 1) * n; i++) { s += m.frames[i]; ss += m.frames[i] * m.frames[i]; }
  const mean = s / n;
  return { mean, rmsContrast: Math.sqrt(Math.max(0, ss / n - mean * mean)) / mean };
}

/** Fraction of interior pixels of frame `f` whose Sobel gradient magnitude exceeds `threshold` gray levels per pixel. */
export function edgeDensity(m: Movie, f: number, threshold = 20): number {
  const { height: h, width: w } = m;
  const o = f * h * w;
  const at = (y: number, x: number) => m.frames[o + y * w + x];
  let edges = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const gx = (at(y - 1, x + 1) + 2 * at(y, x + 1) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y, x - 1) - at(y + 1, x - 1)) / 8;
      const gy = (at(y + 1, x - 1) + 2 * at(y + 1, x) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y - 1, x) - at(y - 1, x + 1)) / 8;
      if (Math.hypot(gx, gy) > threshold) edges++;
    }
  }
  return edges / ((h - 2) * (w - 2));
}

/** Mean absolute gray-level difference between frames `a` and `b`. */
export function frameDifference(m: Movie, a: number, b: number): number {
  const n = m.height * m.width;
  let d = 0;
  for (let i = 0; i < n; i++) d += Math.abs(m.frames[a * n + i] - m.frames[b * n + i]);
  return d / n;
}
