/**
 * Gabor filters placed in degrees of visual angle and sampled on one pyramid level. Used by the
 * simulated V1 cells (their receptive fields) and, separately, by the frame-feature filter bank.
 * Kernels are zero-mean (no response to uniform luminance) and unit-L2-norm on the sampled patch.
 */
import { pixelPitch } from "./geometry.js";
import type { PyramidLevel } from "./pyramid.js";

/** A Gabor in visual-field coordinates (degrees from the screen centre; y grows downward). */
export interface GaborSpec {
  xDeg: number;
  yDeg: number;
  sigmaDeg: number;
  sfCpd: number;
  /** Direction of the carrier's wave vector, radians. */
  orientationRad: number;
  phaseRad: number;
}

/** Weights over a rectangular patch of one pyramid level. */
export interface GaborKernel {
  level: number;
  x0: number;
  y0: number;
  width: number;
  height: number;
  /** Row stride of the level image the kernel applies to. */
  stride: number;
  weights: Float32Array;
}

/** Default envelope truncation in units of σ. */
const TRUNCATION_SD = 3;

/** Degrees of the centre of pixel `index` at `level`, for an axis of `size0` level-0 pixels. */
function pixelCentreDeg(index: number, level: number, size0: number, pitch0: number): number {
  return (index * 2 ** level + 0.5 - size0 / 2) * pitch0;
}

/**
 * Samples `spec` on pyramid level `level` (whose image is `img`) of frames `frameWidth` × `frameHeight`,
 * out to `truncationSd` σ from the centre. The patch is clipped to the image; a filter entirely off-screen gets an empty kernel (response 0).
 */
export function makeGaborKernel(spec: GaborSpec, level: number, img: Pick<PyramidLevel, "width" | "height">, frameWidth: number, frameHeight: number, truncationSd = TRUNCATION_SD): GaborKernel {
  const p0 = pixelPitch(frameWidth, frameHeight, 0);
  const toIndexX = (deg: number) => (deg / p0.x + frameWidth / 2 - 0.5) / 2 ** level;
  const toIndexY = (deg: number) => (deg / p0.y + frameHeight / 2 - 0.5) / 2 ** level;
  const reach = truncationSd * spec.sigmaDeg;
  const x0 = Math.max(0, Math.ceil(toIndexX(spec.xDeg - reach)));
  const x1 = Math.min(img.width - 1, Math.floor(toIndexX(spec.xDeg + reach)));
  const y0 = Math.max(0, Math.ceil(toIndexY(spec.yDeg - reach)));
  const y1 = Math.min(img.height - 1, Math.floor(toIndexY(spec.yDeg + reach)));
  const width = Math.max(0, x1 - x0 + 1);
  const height = Math.max(0, y1 - y0 + 1);
  const env = new Float64Array(width * height);
  const carrier = new Float64Array(width * height);
  const kx = 2 * Math.PI * spec.sfCpd * Math.cos(spec.orientationRad);
  const ky = 2 * Math.PI * spec.sfCpd * Math.sin(spec.orientationRad);
  let envSum = 0;
  let envCarrierSum = 0;
  for (let i = 0; i < height; i++) {
    const dy = pixelCentreDeg(y0 + i, level, frameHeight, p0.y) - spec.yDeg;
    for (let j = 0; j < width; j++) {
      const dx = pixelCentreDeg(x0 + j, level, frameWidth, p0.x) - spec.xDeg;
      const e = Math.exp(-(dx * dx + dy * dy) / (2 * spec.sigmaDeg * spec.sigmaDeg));
      const c = Math.cos(kx * dx + ky * dy + spec.phaseRad);
      env[i * width + j] = e;
      carrier[i * width + j] = c;
      envSum += e;
      envCarrierSum += e * c;
    }
  }
  const dc = envSum > 0 ? envCarrierSum / envSum : 0;
  const weights = new Float32Array(width * height);
  let norm = 0;
  for (let k = 0; k < weights.length; k++) {
    const w = env[k] * (carrier[k] - dc);
    weights[k] = w;
    norm += w * w;
  }
  if (norm > 0) {
    // Absolute scale is irrelevant downstream (cell gains and feature columns are normalised).
    const scale = 1 / Math.sqrt(norm);
    for (let k = 0; k < weights.length; k++) weights[k] *= scale;
  }
  return { level, x0, y0, width, height, stride: img.width, weights };
}

/** Dot product of `kernel` with the level image `img`. */
export function applyKernel(kernel: GaborKernel, img: Float32Array): number {
  const { x0, y0, width, height, stride, weights } = kernel;
  let acc = 0;
  let k = 0;
  for (let i = 0; i < height; i++) {
    let idx = (y0 + i) * stride + x0;
    for (let j = 0; j < width; j++) acc += weights[k++] * img[idx++];
  }
  return acc;
}
