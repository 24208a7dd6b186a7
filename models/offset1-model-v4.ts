import type { ArchitectureSpec } from "./spec.js";
import { linearSkip } from "./conv-blocks.js";

/** CEBRA `offset1-model-v4`: MLP with 4 residual blocks Skip(Linear, GELU). */
export const offset1ModelV4: ArchitectureSpec = {
  name: "offset1-model-v4",
  offset: [0, 1],
  normalize: true,
  resample_factor: 1,
  description: "Residual MLP on single time steps: Linear(N,H), GELU, 4 × Skip(Linear(H,H), GELU), Linear(H,D), L2 norm.",
  layers: [
    { type: "flatten" },
    { type: "linear", in: "N", out: "H" },
    { type: "gelu" },
    ...[0, 1, 2, 3].map(() => linearSkip(true)),
    { type: "linear", in: "H", out: "D" },
  ],
};
