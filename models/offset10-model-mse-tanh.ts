import type { ArchitectureSpec } from "./spec.js";
import { offsetConvLayers } from "./conv-blocks.js";

/** CEBRA `offset10-model-mse-tanh`: offset10-model-mse with a final Tanh (outputs in (-1, 1)). */
export const offset10ModelMseTanh: ArchitectureSpec = {
  name: "offset10-model-mse-tanh",
  offset: [5, 5],
  normalize: false,
  resample_factor: 1,
  description: "offset10-model without L2 normalisation, ending in Tanh, for distance = euclidean.",
  layers: [...offsetConvLayers(3, 3), { type: "tanh" }],
};
