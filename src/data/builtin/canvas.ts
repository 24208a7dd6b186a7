/**
 * The large static scene the camera pans over: a "dead leaves" image (opaque ellipses of power-law
 * distributed sizes, each of its own gray level, occluding one another: the classic model that
 * reproduces natural-image statistics, a ≈1/f amplitude spectrum with sharp occlusion edges;
 * Lee, Mumford & Huang 2001) plus a 1/f^α fBm texture inside the objects.
 */
import type { Rng } from "../../util/rng.js";
import { fbmCanvas } from "./fbm.js";

/** Relative amplitude of the fBm texture on top of the leaves' flat gray levels. */
const TEXTURE_GAIN = 0.5;
/** Smallest leaf radius, degrees (≈5 template px): finer detail comes from the fBm texture. */
const MIN_LEAF_RADIUS_DEG = 1;
/** Leaves cover the canvas front to back until this fraction is covered. */
const TARGET_COVERAGE = 0.999;

/** Radius from a density ∝ r^−3 on [rMin, rMax] (scale invariance), by inverse CDF. */
function powerLawRadius(rng: Rng, rMin: number, rMax: number): number {
  const a = rMin ** -2;
  const b = rMax ** -2;
  return (a - rng.random() * (a - b)) ** -0.5;
}

/**
 * Dead-leaves image of `height` × `width` px, painted front to back (each leaf fills only pixels not yet
 * covered by a nearer leaf). Gray levels are uniform in [−√3, √3] (unit variance). Leaf radii are in
 * px, from `rMin` up to a third of the canvas height.
 */
function deadLeaves(rng: Rng, height: number, width: number, rMin: number): Float32Array {
  const out = new Float32Array(height * width);
  const covered = new Uint8Array(height * width);
  const rMax = height / 3;
  let nCovered = 0;
  const target = TARGET_COVERAGE * height * width;
  while (nCovered < target) {
    const r = powerLawRadius(rng, rMin, rMax);
    const aspect = rng.uniform(0.3, 1);
    const angle = rng.uniform(0, Math.PI);
    const cx = rng.uniform(-r, width + r);
    const cy = rng.uniform(-r, height + r);
    const gray = rng.uniform(-Math.sqrt(3), Math.sqrt(3));
    const a = r;
    const b = r * aspect;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    const y0 = Math.max(0, Math.floor(cy - r)), y1 = Math.min(height - 1, Math.ceil(cy + r));
    const x0 = Math.max(0, Math.floor(cx - r)), x1 = Math.min(width - 1, Math.ceil(cx + r));
    for (let y = y0; y <= y1; y++) {
      const dy = y + 0.5 - cy;
      for (let x = x0; x <= x1; x++) {
        const idx = y * width + x;
        if (covered[idx]) continue;
        const dx = x + 0.5 - cx;
        const u = (dx * cos + dy * sin) / a;
        const v = (-dx * sin + dy * cos) / b;
        if (u * u + v * v > 1) continue;
        covered[idx] = 1;
        out[idx] = gray;
        nCovered++;
      }
    }
  }
  return out;
}

/**
 * The scene canvas (`height` × `width`, powers of two): dead leaves + fBm texture with amplitude
 * spectrum f^−alpha, normalised to zero mean and unit SD.
 */
export function sceneCanvas(rng: Rng, height: number, width: number, alpha: number, pitchX: number, pitchY: number, blurDeg: number): Float32Array {
  const texture = fbmCanvas(rng, height, width, alpha, pitchX, pitchY);
  const leaves = deadLeaves(rng, height, width, MIN_LEAF_RADIUS_DEG / pitchX);
  const n = height * width;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const v = leaves[i] + TEXTURE_GAIN * texture[i];
    leaves[i] = v;
    sum += v;
    sumSq += v * v;
  }
  const mean = sum / n;
  const sd = Math.sqrt(Math.max(1e-12, sumSq / n - mean * mean));
  for (let i = 0; i < n; i++) leaves[i] = (leaves[i] - mean) / sd;
  gaussianBlur(leaves, height, width, blurDeg / pitchX, blurDeg / pitchY);
  return leaves;
}

/** 1-D Gaussian weights for σ `sigma` px, truncated at 3σ, normalised to sum 1. */
function gaussianTaps(sigma: number): Float64Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const taps = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let k = -r; k <= r; k++) sum += taps[k + r] = Math.exp(-(k * k) / (2 * sigma * sigma));
  for (let k = 0; k < taps.length; k++) taps[k] /= sum;
  return taps;
}

/** Index of `i + k` wrapped into [0, n), for k in [−r, r]: `[n, 2r + 1]` table (avoids % in inner loops). */
function wrapTable(n: number, r: number): Int32Array {
  const t = new Int32Array(n * (2 * r + 1));
  for (let i = 0; i < n; i++) for (let k = -r; k <= r; k++) t[i * (2 * r + 1) + k + r] = (((i + k) % n) + n) % n;
  return t;
}

/** In-place separable Gaussian blur (σx, σy in px) with periodic boundaries, like the canvas. */
function gaussianBlur(img: Float32Array, height: number, width: number, sigmaX: number, sigmaY: number): void {
  if (sigmaX <= 0 && sigmaY <= 0) return;
  const tmp = new Float32Array(img.length);
  const tx = gaussianTaps(Math.max(sigmaX, 1e-3));
  const ty = gaussianTaps(Math.max(sigmaY, 1e-3));
  const nx = tx.length;
  const ny = ty.length;
  const wrapX = wrapTable(width, (nx - 1) / 2);
  const wrapY = wrapTable(height, (ny - 1) / 2);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = 0; k < nx; k++) acc += tx[k] * img[row + wrapX[x * nx + k]];
      tmp[row + x] = acc;
    }
  }
  const column = new Float32Array(height);
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) column[y] = tmp[y * width + x];
    for (let y = 0; y < height; y++) {
      let acc = 0;
      for (let k = 0; k < ny; k++) acc += ty[k] * column[wrapY[y * ny + k]];
      img[y * width + x] = acc;
    }
  }
}
