/**
 * Per-frame image features computed from the movie frames alone (never from the simulated neurons),
 * standing in for the DINO features CEBRA uses as labels: a bank of Gabor-energy filters
 * (3 wavelengths × 4 orientations, quadrature pairs) sampled on a lattice over the whole frame, pooled
 * by averaging inside a coarse 4 × 8 grid, plus the mean luminance of each grid cell; the columns are
 * z-scored over frames, reduced by PCA and every row is L2-normalised.
 */
import { randomizedPca } from "../../util/linalg.js";
import type { Rng } from "../../util/rng.js";
import type { FrameFeatures } from "../recording.js";
import { applyKernel, makeGaborKernel, type GaborKernel } from "./gabor.js";
import { FIELD_HEIGHT_DEG, FIELD_WIDTH_DEG, levelFor, pixelPitch } from "./geometry.js";
import type { PyramidLevel } from "./pyramid.js";

/** Identifies the feature definition (bump when anything here changes). */
const FEATURE_METHOD = "builtin:gabor-energy-pca-v1";

const WAVELENGTHS_DEG = [40, 20, 10];
const N_ORIENTATIONS = 4;
const GRID_ROWS = 4;
const GRID_COLS = 8;
/** Envelope σ as a fraction of the wavelength (≈1.4-octave bandwidth) and truncation in σ. */
const SIGMA_PER_WAVELENGTH = 0.4;
const TRUNCATION_SD = 2;
/** Lattice stride as a fraction of the wavelength (capped at one grid-cell width so every cell is sampled). */
const STRIDE_PER_WAVELENGTH = 0.75;

/** One energy unit: a quadrature pair at a lattice point, feeding one raw feature column. */
interface EnergyUnit {
  even: GaborKernel;
  odd: GaborKernel;
  column: number;
}

export interface FeatureBank {
  units: EnergyUnit[];
  /** Lattice points per energy column (for averaging). */
  unitsPerColumn: Float64Array;
  /** Luminance pooling: pyramid level, and grid cell of each of its pixels (column offset added). */
  lumLevel: number;
  lumColumnOfPixel: Int32Array;
  lumPixelsPerColumn: Float64Array;
  nColumns: number;
}

function gridCell(xDeg: number, yDeg: number): number {
  const col = Math.min(GRID_COLS - 1, Math.max(0, Math.floor(((xDeg + FIELD_WIDTH_DEG / 2) / FIELD_WIDTH_DEG) * GRID_COLS)));
  const row = Math.min(GRID_ROWS - 1, Math.max(0, Math.floor(((yDeg + FIELD_HEIGHT_DEG / 2) / FIELD_HEIGHT_DEG) * GRID_ROWS)));
  return row * GRID_COLS + col;
}

/** Lattice coordinates (degrees) covering [−extent/2, extent/2] with the given stride, centred. */
function lattice(extent: number, stride: number): number[] {
  const n = Math.max(1, Math.floor(extent / stride));
  const start = -((n - 1) * stride) / 2;
  return Array.from({ length: n }, (_, i) => start + i * stride);
}

/** Builds the filter bank for frames of `frameWidth` × `frameHeight` with the given pyramid. */
export function createFeatureBank(pyramid: PyramidLevel[], frameWidth: number, frameHeight: number): FeatureBank {
  const nCells = GRID_ROWS * GRID_COLS;
  const units: EnergyUnit[] = [];
  const cellStride = Math.min(FIELD_WIDTH_DEG / GRID_COLS, FIELD_HEIGHT_DEG / GRID_ROWS);
  let finestLevel = pyramid.length - 1;
  WAVELENGTHS_DEG.forEach((lambda, s) => {
    const sigma = SIGMA_PER_WAVELENGTH * lambda;
    const level = levelFor(lambda, sigma, frameWidth, frameHeight, pyramid.length - 1);
    finestLevel = Math.min(finestLevel, level);
    const stride = Math.min(STRIDE_PER_WAVELENGTH * lambda, cellStride);
    for (const y of lattice(FIELD_HEIGHT_DEG, stride)) {
      for (const x of lattice(FIELD_WIDTH_DEG, stride)) {
        for (let o = 0; o < N_ORIENTATIONS; o++) {
          const spec = { xDeg: x, yDeg: y, sigmaDeg: sigma, sfCpd: 1 / lambda, orientationRad: (o * Math.PI) / N_ORIENTATIONS, phaseRad: 0 };
          units.push({
            even: makeGaborKernel(spec, level, pyramid[level], frameWidth, frameHeight, TRUNCATION_SD),
            odd: makeGaborKernel({ ...spec, phaseRad: Math.PI / 2 }, level, pyramid[level], frameWidth, frameHeight, TRUNCATION_SD),
            column: (s * N_ORIENTATIONS + o) * nCells + gridCell(x, y),
          });
        }
      }
    }
  });
  const nEnergy = WAVELENGTHS_DEG.length * N_ORIENTATIONS * nCells;
  const unitsPerColumn = new Float64Array(nEnergy);
  for (const u of units) unitsPerColumn[u.column]++;

  const lum = pyramid[finestLevel];
  const pitch = pixelPitch(frameWidth, frameHeight, finestLevel);
  const lumColumnOfPixel = new Int32Array(lum.width * lum.height);
  const lumPixelsPerColumn = new Float64Array(nCells);
  for (let i = 0; i < lum.height; i++) {
    for (let j = 0; j < lum.width; j++) {
      const cell = gridCell((j + 0.5) * pitch.x - FIELD_WIDTH_DEG / 2, (i + 0.5) * pitch.y - FIELD_HEIGHT_DEG / 2);
      lumColumnOfPixel[i * lum.width + j] = nEnergy + cell;
      lumPixelsPerColumn[cell]++;
    }
  }
  return { units, unitsPerColumn, lumLevel: finestLevel, lumColumnOfPixel, lumPixelsPerColumn, nColumns: nEnergy + nCells };
}

/** Writes the raw (pre-PCA) features of one frame into `out[offset .. offset + nColumns)`. */
export function rawFrameFeatures(bank: FeatureBank, pyramid: PyramidLevel[], out: Float64Array, offset: number): void {
  out.fill(0, offset, offset + bank.nColumns);
  for (const u of bank.units) {
    const img = pyramid[u.even.level].data;
    const e = applyKernel(u.even, img);
    const o = applyKernel(u.odd, img);
    out[offset + u.column] += Math.sqrt(e * e + o * o) / bank.unitsPerColumn[u.column];
  }
  const lum = pyramid[bank.lumLevel].data;
  const nEnergy = bank.unitsPerColumn.length;
  for (let k = 0; k < lum.length; k++) {
    const c = bank.lumColumnOfPixel[k];
    out[offset + c] += lum[k] / bank.lumPixelsPerColumn[c - nEnergy];
  }
}

/** Z-scores the raw columns over frames, projects on the top `dim` PCs and L2-normalises each row. */
export function finishFeatures(raw: Float64Array, nFrames: number, nColumns: number, dim: number, rng: Rng): FrameFeatures {
  for (let c = 0; c < nColumns; c++) {
    let mean = 0;
    for (let f = 0; f < nFrames; f++) mean += raw[f * nColumns + c];
    mean /= nFrames;
    let v = 0;
    for (let f = 0; f < nFrames; f++) v += (raw[f * nColumns + c] - mean) ** 2;
    const sd = Math.sqrt(v / nFrames);
    for (let f = 0; f < nFrames; f++) raw[f * nColumns + c] = sd > 1e-12 ? (raw[f * nColumns + c] - mean) / sd : 0;
  }
  const { scores } = randomizedPca(raw, nFrames, nColumns, dim, rng);
  const data = new Float32Array(nFrames * dim);
  for (let f = 0; f < nFrames; f++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += scores[f * dim + d] ** 2;
    norm = Math.sqrt(norm);
    for (let d = 0; d < dim; d++) data[f * dim + d] = norm > 0 ? scores[f * dim + d] / norm : 0;
  }
  return { data, dim, columns: Array.from({ length: dim }, (_, d) => `pc_${d}`), method: FEATURE_METHOD };
}
