import type { ArchitectureSpec } from "./spec.js";
import { skipBlocks } from "./conv-blocks.js";

/** CEBRA `offset40-model-4x-subsample` (alias `resample-model`): the paper's Neuropixels model (120 Hz → 30 Hz). */
export const offset40Model4xSubsample: ArchitectureSpec = {
  name: "offset40-model-4x-subsample",
  aliases: ["resample-model"],
  offset: [20, 20],
  normalize: true,
  resample_factor: 4,
  description:
    "Convolutional with 4x time subsampling, 40-sample windows (length 40→19→9→3→1): MeanAndConv(N,H,4,stride 2) (conv channels + nearest-subsampled input), Conv1d(N+H,H,3,stride 2), GELU, 3 skip blocks, Conv1d(H,D,3), L2 norm. Paper model for Neuropixels at 120 Hz.",
  layers: [
    { type: "mean_and_conv", in: "N", out: "H", kernel: 4, stride: 2 },
    { type: "conv", in: "N+H", out: "H", kernel: 3, stride: 2 },
    { type: "gelu" },
    skipBlocks(3),
    { type: "conv", in: "H", out: "D", kernel: 3 },
  ],
};
