import type { ArchitectureSpec } from "./spec.js";
import { skipBlocks, subsample4xStem } from "./conv-blocks.js";

/** CEBRA `offset20-model-4x-subsample` (deprecated alias `resample5-model`). */
export const offset20Model4xSubsample: ArchitectureSpec = {
  name: "offset20-model-4x-subsample",
  aliases: ["resample5-model"],
  offset: [10, 10],
  normalize: true,
  resample_factor: 4,
  description:
    "Convolutional with 4x time subsampling, 20-sample windows (length 20→9→4→2→1): MeanAndConv(N,H,4,stride 2), Conv1d(N+H,H,3,stride 2), GELU, 1 skip block, Conv1d(H,D,2), L2 norm.",
  layers: [...subsample4xStem(), skipBlocks(1), { type: "conv", in: "H", out: "D", kernel: 2 }],
};
