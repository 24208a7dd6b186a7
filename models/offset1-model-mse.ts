import type { ArchitectureSpec } from "./spec.js";

/** CEBRA `offset1-model-mse`: MLP sized by the output dimension, no normalisation (for Euclidean losses). */
export const offset1ModelMse: ArchitectureSpec = {
  name: "offset1-model-mse",
  offset: [0, 1],
  normalize: false,
  resample_factor: 1,
  description: "MLP on single time steps without output normalisation, for distance = euclidean: Linear(N,30D), GELU, Linear(30D,30D), GELU, Linear(30D,10D), GELU, Linear(10D,D). Ignores num_hidden_units.",
  layers: [
    { type: "flatten" },
    { type: "linear", in: "N", out: "30*D" },
    { type: "gelu" },
    { type: "linear", in: "30*D", out: "30*D" },
    { type: "gelu" },
    { type: "linear", in: "30*D", out: "10*D" },
    { type: "gelu" },
    { type: "linear", in: "10*D", out: "D" },
  ],
};
