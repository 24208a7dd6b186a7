/**
 * Gaussian image pyramid of one movie frame, in contrast units ((I − 127) / 127). Level L has pixel
 * pitch 2^L frame pixels; each level is the previous one blurred with the separable binomial
 * [1 4 6 4 1]/16 kernel and decimated by 2 (Burt & Adelson), edges clamped. Filters run on the
 * coarsest level that still samples them well, which keeps receptive-field and feature-bank
 * convolutions cheap.
 */
import { STIMULUS_GRAY } from "./geometry.js";

/** One level: `data` is `[height, width]` row-major. */
export interface PyramidLevel {
  data: Float32Array;
  height: number;
  width: number;
}

const BINOMIAL = [1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16];
/** Contrast of each 8-bit gray level. */
const CONTRAST_OF_GRAY = Float32Array.from({ length: 256 }, (_, v) => (v - STIMULUS_GRAY) / STIMULUS_GRAY);

/** Number of levels (≥ 1) such that the coarsest is still at least 4 px on its short side. */
export function maxPyramidLevels(height: number, width: number): number {
  let levels = 1;
  let h = height;
  let w = width;
  while (Math.ceil(h / 2) >= 4 && Math.ceil(w / 2) >= 4) {
    h = Math.ceil(h / 2);
    w = Math.ceil(w / 2);
    levels++;
  }
  return levels;
}

/** Preallocates `nLevels` levels for frames of `height` × `width`. */
export function allocatePyramid(height: number, width: number, nLevels: number): PyramidLevel[] {
  const levels: PyramidLevel[] = [];
  let h = height;
  let w = width;
  for (let l = 0; l < nLevels; l++) {
    levels.push({ data: new Float32Array(h * w), height: h, width: w });
    h = Math.ceil(h / 2);
    w = Math.ceil(w / 2);
  }
  return levels;
}

/** For each output index i of a decimated axis, the 5 clamped source indices 2i − 2 .. 2i + 2. */
function tapTable(srcSize: number, dstSize: number): Int32Array {
  const t = new Int32Array(dstSize * 5);
  for (let i = 0; i < dstSize; i++) for (let k = 0; k < 5; k++) t[i * 5 + k] = Math.min(srcSize - 1, Math.max(0, 2 * i + k - 2));
  return t;
}

/** Fills `levels` (from `allocatePyramid`) with the pyramid of frame `frameIndex` of `movie`. */
export function fillPyramid(movie: Uint8Array, frameIndex: number, levels: PyramidLevel[], scratch: Float32Array): void {
  const base = levels[0];
  const n = base.height * base.width;
  const offset = frameIndex * n;
  const pixels = movie.subarray(offset, offset + n);
  const data = base.data;
  for (let i = 0; i < n; i++) data[i] = CONTRAST_OF_GRAY[pixels[i]];
  for (let l = 1; l < levels.length; l++) downsample(levels[l - 1], levels[l], scratch);
}

/** Binomial blur + decimation by 2; `scratch` must hold at least `src.height * dst.width` values. */
function downsample(src: PyramidLevel, dst: PyramidLevel, scratch: Float32Array): void {
  const { height: sh, width: sw, data: s } = src;
  const { height: dh, width: dw, data: d } = dst;
  const xs = tapTable(sw, dw);
  const ys = tapTable(sh, dh);
  const [w0, w1, w2, w3, w4] = BINOMIAL;
  for (let y = 0; y < sh; y++) {
    const row = y * sw;
    for (let x = 0; x < dw; x++) {
      const k = x * 5;
      scratch[y * dw + x] = w0 * s[row + xs[k]] + w1 * s[row + xs[k + 1]] + w2 * s[row + xs[k + 2]] + w3 * s[row + xs[k + 3]] + w4 * s[row + xs[k + 4]];
    }
  }
  for (let y = 0; y < dh; y++) {
    const k = y * 5;
    const r0 = ys[k] * dw, r1 = ys[k + 1] * dw, r2 = ys[k + 2] * dw, r3 = ys[k + 3] * dw, r4 = ys[k + 4] * dw;
    const out = y * dw;
    for (let x = 0; x < dw; x++) {
      d[out + x] = w0 * scratch[r0 + x] + w1 * scratch[r1 + x] + w2 * scratch[r2 + x] + w3 * scratch[r3 + x] + w4 * scratch[r4 + x];
    }
  }
}
