import type { ArchitectureSpec } from "./spec.js";
import { offset1ModelMse } from "./offset1-model-mse.js";

/** CEBRA `offset1-model-mse-tanh`: offset1-model-mse with a final Tanh (outputs in (-1, 1)). */
export const offset1ModelMseTanh: ArchitectureSpec = {
  name: "offset1-model-mse-tanh",
  offset: [0, 1],
  normalize: false,
  resample_factor: 1,
  description: "offset1-model-mse ending in Tanh, for distance = euclidean. Ignores num_hidden_units.",
  layers: [...offset1ModelMse.layers, { type: "tanh" }],
};
