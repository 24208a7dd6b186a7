import type { ArchitectureSpec } from "./spec.js";
import { offset1MlpLayers } from "./conv-blocks.js";

/** CEBRA `supervised1-model` (SupervisedNN1, a ClassifierModel): offset1's MLP, ReLU features, a linear head to the labels. */
export const supervised1Model: ArchitectureSpec = {
  name: "supervised1-model",
  offset: [0, 1],
  normalize: false,
  resample_factor: 1,
  description: "Supervised (MSE/cross-entropy on the labels): offset1-model's MLP without L2 norm, ReLU features, Linear(D, labels) head.",
  layers: [{ type: "flatten" }, ...offset1MlpLayers("N")],
  head: "classifier",
};
