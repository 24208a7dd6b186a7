/**
 * Registry of the declarative architecture specs. Add a new architecture by writing a spec file and
 * listing it here; the engine derives parameters, graphs and gradients from the spec.
 */
import type { ArchitectureSpec } from "./spec.js";
import { offset1Model } from "./offset1-model.js";
import { offset1ModelMse } from "./offset1-model-mse.js";
import { offset5Model } from "./offset5-model.js";
import { offset10Model } from "./offset10-model.js";
import { offset10ModelMse } from "./offset10-model-mse.js";
import { offset36Model } from "./offset36-model.js";
import { offset40Model4xSubsample } from "./offset40-model-4x-subsample.js";

export type { ArchitectureSpec, LayerSpec, SizeExpr } from "./spec.js";

/** All architectures, in the order they are listed to users. */
export const ARCHITECTURES: readonly ArchitectureSpec[] = [
  offset10Model,
  offset1Model,
  offset1ModelMse,
  offset5Model,
  offset10ModelMse,
  offset36Model,
  offset40Model4xSubsample,
];
