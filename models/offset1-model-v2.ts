import type { ArchitectureSpec } from "./spec.js";

/** CEBRA `offset1-model-v2`: offset1-model with a full-width third layer. */
export const offset1ModelV2: ArchitectureSpec = {
  name: "offset1-model-v2",
  offset: [0, 1],
  normalize: true,
  resample_factor: 1,
  description: "MLP on single time steps: Linear(N,H), GELU, Linear(H,H), GELU, Linear(H,H), GELU, Linear(H,D), L2 norm.",
  layers: [
    { type: "flatten" },
    { type: "linear", in: "N", out: "H" },
    { type: "gelu" },
    { type: "linear", in: "H", out: "H" },
    { type: "gelu" },
    { type: "linear", in: "H", out: "H" },
    { type: "gelu" },
    { type: "linear", in: "H", out: "D" },
  ],
};
