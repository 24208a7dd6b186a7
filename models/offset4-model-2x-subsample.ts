import type { ArchitectureSpec } from "./spec.js";
import { offset1MlpLayers } from "./conv-blocks.js";

/**
 * CEBRA `offset4-model-2x-subsample` (deprecated alias `resample1-model`). CEBRA marks it
 * non-convolutional (fixed 4-sample windows); over a whole recording its layers apply per window at
 * every 2nd sample, which is how the transform here runs it.
 */
export const offset4Model2xSubsample: ArchitectureSpec = {
  name: "offset4-model-2x-subsample",
  aliases: ["resample1-model"],
  offset: [2, 2],
  normalize: true,
  resample_factor: 2,
  description:
    "4-sample windows with 2x time subsampling: MeanAndConv(N,H,4,stride 2) (conv channels + input at the window's first sample), then offset1-model's MLP on N+H inputs, L2 norm.",
  layers: [{ type: "mean_and_conv", in: "N", out: "H", kernel: 4, stride: 2 }, { type: "flatten" }, ...offset1MlpLayers("N+H")],
};
