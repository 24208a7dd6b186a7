import type { ArchitectureSpec } from "./spec.js";
import { skipBlocks } from "./conv-blocks.js";

/** CEBRA `offset36-model-dropout` (class Offset36Dropout): offset36-model with Dropout1d(0.1) between the first conv and its GELU. */
export const offset36ModelDropout: ArchitectureSpec = {
  name: "offset36-model-dropout",
  offset: [18, 18],
  normalize: true,
  resample_factor: 1,
  description: "offset36-model with Dropout1d(0.1) after the first conv (training only).",
  layers: [{ type: "conv", in: "N", out: "H", kernel: 2 }, { type: "dropout", p: 0.1 }, { type: "gelu" }, skipBlocks(16), { type: "conv", in: "H", out: "D", kernel: 3 }],
};
