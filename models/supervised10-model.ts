import type { ArchitectureSpec } from "./spec.js";
import { offsetConvLayers } from "./conv-blocks.js";

/** CEBRA `supervised10-model` (SupervisedNN10, a ClassifierModel): offset10's net, ReLU features, a linear head to the labels. */
export const supervised10Model: ArchitectureSpec = {
  name: "supervised10-model",
  offset: [5, 5],
  normalize: false,
  resample_factor: 1,
  description: "Supervised (MSE/cross-entropy on the labels): offset10-model's net without L2 norm, ReLU features, Linear(D, labels) head.",
  layers: offsetConvLayers(3, 3),
  head: "classifier",
};
