import type { ArchitectureSpec } from "./spec.js";
import { offsetConvLayers } from "./conv-blocks.js";

/** CEBRA `offset40-model`: the offset10 design with 18 skip blocks. */
export const offset40Model: ArchitectureSpec = {
  name: "offset40-model",
  offset: [20, 20],
  normalize: true,
  resample_factor: 1,
  description: "Convolutional, 40-sample windows (samples i-20 … i+19): Conv1d(N,H,2), GELU, 18 skip blocks, Conv1d(H,D,3), L2 norm.",
  layers: offsetConvLayers(18, 3),
};
