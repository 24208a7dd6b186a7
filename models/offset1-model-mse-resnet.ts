import { type ArchitectureSpec, family } from "./spec.js";
import { V2_LAYERS, mseMlpV2 } from "./offset1-model-mse-v2.js";

/**
 * CEBRA `offset1-model-mse-resnet-{n}layers[-tanh]` (`Offset0ModelResNetTanH`): as the v2 family with
 * every Linear but the last wrapped in `_SkipLinear` (the input zero-padded or cut to the output's
 * features, plus the Linear): SkipLinear(N,H), GELU, `[SkipLinear(H,H), GELU()] * n` (one shared
 * Linear), SkipLinear(H,H//2), GELU, Linear(H//2,D), optionally Tanh. No normalisation; H >= 2.
 */
export function offset1ModelMseResnet(n: number, tanh: boolean): ArchitectureSpec {
  return mseMlpV2(n, tanh, true);
}

export const offset1ModelMseResnetFamily = family(
  "offset1-model-mse-resnet-{n}layers[-tanh]",
  "n in 1..10",
  new Map(V2_LAYERS.flatMap((n) => [true, false].map((t) => [offset1ModelMseResnet(n, t).name, () => offset1ModelMseResnet(n, t)] as const))),
);
