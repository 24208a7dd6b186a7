import { type ArchitectureSpec, family } from "./spec.js";

/** n (intermediate layers) as CEBRA 0.6.1 registers it: 1 to 10. */
export const V2_LAYERS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] as const;

/**
 * CEBRA `offset1-model-mse-v2-{n}layers[-tanh]` (`Offset0ModelMSETanHv2`): Linear(N,H), GELU, then
 * `[Linear(H,H), GELU()] * n`, which repeats the same Linear: one (H,H) weight and bias used n times;
 * Linear(H,H//2), GELU, Linear(H//2,D), optionally Tanh. No normalisation; H >= 2.
 */
export function offset1ModelMseV2(n: number, tanh: boolean): ArchitectureSpec {
  return mseMlpV2(n, tanh, false);
}

/**
 * The v2 layer list, shared with the resnet family (`skip`: every Linear but the last is a
 * `_SkipLinear`, CEBRA's `Offset0ModelResNetTanH`; otherwise the two classes are the same).
 */
export function mseMlpV2(n: number, tanh: boolean, skip: boolean): ArchitectureSpec {
  const lin = skip ? "skip_linear" : "linear";
  const L = skip ? "SkipLinear" : "Linear";
  return {
    name: `offset1-model-mse-${skip ? "resnet" : "v2"}-${n}layers${tanh ? "-tanh" : ""}`,
    offset: [0, 1],
    normalize: false,
    resample_factor: 1,
    description: `${skip ? "Residual MLP" : "MLP"} without normalisation: ${L}(N,H), GELU, ${n}× one shared [${L}(H,H), GELU], ${L}(H,H//2), GELU, Linear(H//2,D)${tanh ? ", Tanh" : ""}; for distance = euclidean.`,
    layers: [
      { type: "flatten" },
      { type: lin, in: "N", out: "H" },
      { type: "gelu" },
      { type: "repeat", times: n, shared: true, layers: [{ type: lin, in: "H", out: "H" }, { type: "gelu" }] },
      { type: lin, in: "H", out: "H//2" },
      { type: "gelu" },
      { type: "linear", in: "H//2", out: "D" },
      ...(tanh ? [{ type: "tanh" } as const] : []),
    ],
  };
}

export const offset1ModelMseV2Family = family(
  "offset1-model-mse-v2-{n}layers[-tanh]",
  "n in 1..10",
  new Map(V2_LAYERS.flatMap((n) => [true, false].map((t) => [offset1ModelMseV2(n, t).name, () => offset1ModelMseV2(n, t)] as const))),
);
