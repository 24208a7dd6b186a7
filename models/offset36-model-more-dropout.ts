import type { ArchitectureSpec } from "./spec.js";

/**
 * CEBRA `offset36-model-more-dropout` (class Offset36Dropoutv2): offset36-model-dropout whose 16 skip
 * blocks are Skip(Dropout1d(0.1), Conv1d(H,H,3), GELU): the branch sees the dropped input, the shortcut the undropped one.
 */
export const offset36ModelMoreDropout: ArchitectureSpec = {
  name: "offset36-model-more-dropout",
  offset: [18, 18],
  normalize: true,
  resample_factor: 1,
  description: "offset36-model-dropout with Dropout1d(0.1) in every skip block too (training only).",
  layers: [
    { type: "conv", in: "N", out: "H", kernel: 2 },
    { type: "dropout", p: 0.1 },
    { type: "gelu" },
    { type: "skip", crop: [1, 1], repeat: 16, layers: [{ type: "dropout", p: 0.1 }, { type: "conv", in: "H", out: "H", kernel: 3 }, { type: "gelu" }] },
    { type: "conv", in: "H", out: "D", kernel: 3 },
  ],
};
