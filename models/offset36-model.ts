import type { ArchitectureSpec } from "./spec.js";
import { offsetConvLayers } from "./conv-blocks.js";

/** CEBRA `offset36-model`. */
export const offset36Model: ArchitectureSpec = {
  name: "offset36-model",
  offset: [18, 18],
  normalize: true,
  resample_factor: 1,
  description: "Convolutional, 36-sample windows: Conv1d(N,H,2), GELU, 16 skip blocks, Conv1d(H,D,3), L2 norm.",
  layers: offsetConvLayers(16, 3),
};
