import type { ArchitectureSpec } from "./spec.js";
import { offsetConvLayers } from "./conv-blocks.js";

/** CEBRA `offset20-model`: the offset10 design with 8 skip blocks. */
export const offset20Model: ArchitectureSpec = {
  name: "offset20-model",
  offset: [10, 10],
  normalize: true,
  resample_factor: 1,
  description: "Convolutional, 20-sample windows (samples i-10 … i+9): Conv1d(N,H,2), GELU, 8 skip blocks, Conv1d(H,D,3), L2 norm.",
  layers: offsetConvLayers(8, 3),
};
