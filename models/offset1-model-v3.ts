import type { ArchitectureSpec } from "./spec.js";
import { linearSkip } from "./conv-blocks.js";

/** CEBRA `offset1-model-v3`: MLP with 2 residual linear layers (GELU after each residual sum). */
export const offset1ModelV3: ArchitectureSpec = {
  name: "offset1-model-v3",
  offset: [0, 1],
  normalize: true,
  resample_factor: 1,
  description: "Residual MLP on single time steps: Linear(N,H), GELU, 2 × [Skip(Linear(H,H)), GELU], Linear(H,D), L2 norm.",
  layers: [
    { type: "flatten" },
    { type: "linear", in: "N", out: "H" },
    { type: "gelu" },
    linearSkip(false),
    { type: "gelu" },
    linearSkip(false),
    { type: "gelu" },
    { type: "linear", in: "H", out: "D" },
  ],
};
