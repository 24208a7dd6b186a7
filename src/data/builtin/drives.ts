/**
 * Linear receptive-field drives of the simulated cells, computed once per movie frame (the movie is
 * identical on every repeat). Each stimulus-driven cell owns one channel (simple: its Gabor) or two
 * (complex: a quadrature pair); non-responsive cells own none. Each RF is applied on the coarsest
 * pyramid level that samples it well, restricted to its ±3σ patch.
 */
import type { Cell } from "./cells.js";
import { applyKernel, makeGaborKernel, type GaborKernel } from "./gabor.js";
import { levelFor } from "./geometry.js";
import type { PyramidLevel } from "./pyramid.js";

export interface DriveBank {
  /** Channels per frame. */
  nChannels: number;
  /** First channel of each cell, or −1 for cells without stimulus drive. */
  firstChannel: Int32Array;
  kernels: GaborKernel[];
}

/** Builds the RF kernels of every cell with a stimulus-locked share > 0. */
export function createDriveBank(cells: Cell[], pyramid: PyramidLevel[], frameWidth: number, frameHeight: number): DriveBank {
  const kernels: GaborKernel[] = [];
  const firstChannel = new Int32Array(cells.length).fill(-1);
  cells.forEach((cell, i) => {
    if (cell.stimulusShare <= 0) return;
    const level = levelFor(1 / cell.rf.sfCpd, cell.rf.sigmaDeg, frameWidth, frameHeight, pyramid.length - 1);
    firstChannel[i] = kernels.length;
    kernels.push(makeGaborKernel(cell.rf, level, pyramid[level], frameWidth, frameHeight));
    if (cell.type === "complex") {
      const quadrature = { ...cell.rf, phaseRad: cell.rf.phaseRad + Math.PI / 2 };
      kernels.push(makeGaborKernel(quadrature, level, pyramid[level], frameWidth, frameHeight));
    }
  });
  return { nChannels: kernels.length, firstChannel, kernels };
}

/** Writes the drives of one frame (its pyramid) into `out[offset .. offset + nChannels)`. */
export function frameDrives(bank: DriveBank, pyramid: PyramidLevel[], out: Float32Array, offset: number): void {
  for (let c = 0; c < bank.nChannels; c++) {
    const k = bank.kernels[c];
    out[offset + c] = applyKernel(k, pyramid[k.level].data);
  }
}
