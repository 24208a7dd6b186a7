import type { ArchitectureSpec } from "./spec.js";
import { offsetConvLayers } from "./conv-blocks.js";

/** CEBRA `offset15-model`: the offset10 design with 6 skip blocks. */
export const offset15Model: ArchitectureSpec = {
  name: "offset15-model",
  offset: [7, 8],
  normalize: true,
  resample_factor: 1,
  description: "Convolutional, 15-sample windows (samples i-7 … i+7): Conv1d(N,H,2), GELU, 6 skip blocks, Conv1d(H,D,2), L2 norm.",
  layers: offsetConvLayers(6, 2),
};
