import type { ArchitectureSpec } from "./spec.js";
import { offset1MlpLayers } from "./conv-blocks.js";

/** CEBRA `offset1-model` (the sklearn default): a 4-layer MLP on single time steps, normalised output. */
export const offset1Model: ArchitectureSpec = {
  name: "offset1-model",
  offset: [0, 1],
  normalize: true,
  resample_factor: 1,
  description: "MLP on single time steps (receptive field 1): Linear(N,H), GELU, Linear(H,H), GELU, Linear(H,H//2), GELU, Linear(H//2,D), L2 norm. CEBRA's sklearn default.",
  layers: [{ type: "flatten" }, ...offset1MlpLayers("N")],
};
