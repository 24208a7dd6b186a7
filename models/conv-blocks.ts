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

/** The 4x-subsampling stem: MeanAndConv(N,H,4,stride 2), Conv1d(N+H,H,3,stride 2), GELU. */
export function subsample4xStem(): LayerSpec[] {
  return [
    { type: "mean_and_conv", in: "N", out: "H", kernel: 4, stride: 2 },
    { type: "conv", in: "N+H", out: "H", kernel: 3, stride: 2 },
    { type: "gelu" },
  ];
}

/** CEBRA's MLP residual `_Skip(Linear(H,H)[, GELU], crop=(0, None))`: y = body(x) + x. */
export function linearSkip(withGelu: boolean): LayerSpec {
  return { type: "skip", crop: [0, 0], layers: [{ type: "linear", in: "H", out: "H" }, ...(withGelu ? [{ type: "gelu" } as const] : [])] };
}

/** The MLP of offset1-model (after its flatten; also the tail of offset4-model-2x-subsample): Linear(in,H), GELU, Linear(H,H), GELU, Linear(H,H//2), GELU, Linear(H//2,D). */
export function offset1MlpLayers(input: string): LayerSpec[] {
  return [
    { type: "linear", in: input, out: "H" },
    { type: "gelu" },
    { type: "linear", in: "H", out: "H" },
    { type: "gelu" },
    { type: "linear", in: "H", out: "H//2" },
    { type: "gelu" },
    { type: "linear", in: "H//2", out: "D" },
  ];
}
