import type { ArchitectureSpec } from "./spec.js";
import { offsetConvLayers } from "./conv-blocks.js";

/** CEBRA `offset5-model`: 5-sample receptive field. */
export const offset5Model: ArchitectureSpec = {
  name: "offset5-model",
  offset: [2, 3],
  normalize: true,
  resample_factor: 1,
  description: "Convolutional, 5-sample windows: Conv1d(N,H,2), GELU, 1 skip block, Conv1d(H,D,2), L2 norm.",
  layers: offsetConvLayers(1, 2),
};
