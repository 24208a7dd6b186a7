import type { LayerSpec } from "./spec.js";

/** CEBRA `_make_layers(H, n)`: n residual blocks Skip(Conv1d(H,H,3), GELU), shortcut cropped by 1 each side. */
export function skipBlocks(n: number): LayerSpec {
  return { type: "skip", crop: [1, 1], repeat: n, layers: [{ type: "conv", in: "H", out: "H", kernel: 3 }, { type: "gelu" }] };
}

/** The convolutional offset models: Conv1d(N,H,2), GELU, n skip blocks, Conv1d(H,D,k). */
export function offsetConvLayers(blocks: number, lastKernel: number): LayerSpec[] {
  return [
    { type: "conv", in: "N", out: "H", kernel: 2 },
    { type: "gelu" },
    skipBlocks(blocks),
    { type: "conv", in: "H", out: "D", kernel: lastKernel },
  ];
}
