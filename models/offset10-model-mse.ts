import type { ArchitectureSpec } from "./spec.js";
import { offsetConvLayers } from "./conv-blocks.js";

/** CEBRA `offset10-model-mse`: offset10 without output normalisation (for Euclidean losses). */
export const offset10ModelMse: ArchitectureSpec = {
  name: "offset10-model-mse",
  offset: [5, 5],
  normalize: false,
  resample_factor: 1,
  description: "offset10-model without the final L2 normalisation, for distance = euclidean.",
  layers: offsetConvLayers(3, 3),
};
