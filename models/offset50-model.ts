import type { ArchitectureSpec } from "./spec.js";
import { offsetConvLayers } from "./conv-blocks.js";

/** CEBRA `offset50-model`: the offset10 design with 23 skip blocks. */
export const offset50Model: ArchitectureSpec = {
  name: "offset50-model",
  offset: [25, 25],
  normalize: true,
  resample_factor: 1,
  description: "Convolutional, 50-sample windows (samples i-25 … i+24): Conv1d(N,H,2), GELU, 23 skip blocks, Conv1d(H,D,3), L2 norm.",
  layers: offsetConvLayers(23, 3),
};
