import type { ArchitectureSpec } from "./spec.js";
import { offsetConvLayers } from "./conv-blocks.js";

/** CEBRA `offset10-model`: the paper's model for 2-photon and hippocampus data. */
export const offset10Model: ArchitectureSpec = {
  name: "offset10-model",
  offset: [5, 5],
  normalize: true,
  resample_factor: 1,
  description: "Convolutional, 10-sample windows (samples i-5 … i+4): Conv1d(N,H,2), GELU, 3 skip blocks, Conv1d(H,D,3), L2 norm. Paper model for calcium imaging.",
  layers: offsetConvLayers(3, 3),
};
