/**
 * 1/f^α ("fractional Brownian") texture by spectral synthesis: complex Gaussian noise shaped by an
 * amplitude spectrum f^−α (isotropic in degrees of visual angle) and inverse-Fourier-transformed.
 * Natural images have α ≈ 1 (Field 1987). The texture is generated once per movie as a large canvas
 * that the camera pans over.
 */
import type { Rng } from "../../util/rng.js";

/** In-place iterative radix-2 complex FFT of length `re.length` (a power of two). */
export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      let t = re[i]; re[i] = re[j]; re[j] = t;
      t = im[i]; im[i] = im[j]; im[j] = t;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    const half = len >> 1;
    for (let start = 0; start < n; start += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < half; k++) {
        const a = start + k;
        const b = a + half;
        const tr = re[b] * cr - im[b] * ci;
        const ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr; im[b] = im[a] - ti;
        re[a] += tr; im[a] += ti;
        const ncr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = ncr;
      }
    }
  }
}

/** 2-D FFT of a `[height, width]` complex array (both powers of two), rows then columns, in place. */
export function fft2d(re: Float64Array, im: Float64Array, height: number, width: number): void {
  const rowRe = new Float64Array(width);
  const rowIm = new Float64Array(width);
  for (let y = 0; y < height; y++) {
    const o = y * width;
    rowRe.set(re.subarray(o, o + width));
    rowIm.set(im.subarray(o, o + width));
    fft(rowRe, rowIm);
    re.set(rowRe, o);
    im.set(rowIm, o);
  }
  const colRe = new Float64Array(height);
  const colIm = new Float64Array(height);
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      colRe[y] = re[y * width + x];
      colIm[y] = im[y * width + x];
    }
    fft(colRe, colIm);
    for (let y = 0; y < height; y++) {
      re[y * width + x] = colRe[y];
      im[y * width + x] = colIm[y];
    }
  }
}

/** Smallest power of two ≥ n. */
export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p <<= 1;
  return p;
}

/**
 * A zero-mean, unit-SD Gaussian texture of `height` × `width` (powers of two) pixels with amplitude
 * spectrum ∝ f^−alpha, f in cycles/degree given pixel pitches `pitchX`, `pitchY` (degrees).
 */
export function fbmCanvas(rng: Rng, height: number, width: number, alpha: number, pitchX: number, pitchY: number): Float32Array {
  const n = height * width;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let y = 0; y < height; y++) {
    const fy = (y <= height / 2 ? y : y - height) / (height * pitchY);
    for (let x = 0; x < width; x++) {
      const fx = (x <= width / 2 ? x : x - width) / (width * pitchX);
      const f = Math.sqrt(fx * fx + fy * fy);
      const amp = f > 0 ? f ** -alpha : 0;
      re[y * width + x] = amp * rng.normal();
      im[y * width + x] = amp * rng.normal();
    }
  }
  fft2d(re, im, height, width);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += re[i];
  mean /= n;
  let varSum = 0;
  for (let i = 0; i < n; i++) varSum += (re[i] - mean) ** 2;
  const sd = Math.sqrt(varSum / n) || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (re[i] - mean) / sd;
  return out;
}
