import { type ArchitectureSpec, family } from "./spec.js";
import { offset1ModelMse } from "./offset1-model-mse.js";

/** The clip bounds CEBRA 0.6.1 registers, for each of a and b. */
export const CLIP_BOUNDS = [1000, 100, 50, 25, 20, 15, 10, 5, 1] as const;

/**
 * CEBRA `offset1-model-mse-clip-{a}-{b}` (`Offset0ModelMSEClip`): offset1-model-mse, its output then
 * clamped to [−a, b] by nn.Hardtanh(−a, b) (`self.clamp`, outside `net`). No normalisation.
 */
export function offset1ModelMseClip(a: number, b: number): ArchitectureSpec {
  return {
    name: `offset1-model-mse-clip-${a}-${b}`,
    offset: [0, 1],
    normalize: false,
    resample_factor: 1,
    description: `offset1-model-mse clamped to [-${a}, ${b}] (Hardtanh), for distance = euclidean. Ignores num_hidden_units.`,
    layers: [...offset1ModelMse.layers, { type: "clip", min: -a, max: b }],
  };
}

export const offset1ModelMseClipFamily = family(
  "offset1-model-mse-clip-{a}-{b}",
  `a, b in {${CLIP_BOUNDS.join(", ")}}`,
  new Map(CLIP_BOUNDS.flatMap((a) => CLIP_BOUNDS.map((b) => [`offset1-model-mse-clip-${a}-${b}`, () => offset1ModelMseClip(a, b)] as const))),
);
