/**
 * Registry of the declarative architecture specs. Add a new architecture by writing a spec file and
 * listing it here; the engine derives parameters, graphs and gradients from the spec.
 */
import type { ArchitectureFamily, ArchitectureSpec } from "./spec.js";
import { offset1Model } from "./offset1-model.js";
import { offset1ModelMse } from "./offset1-model-mse.js";
import { offset1ModelMseTanh } from "./offset1-model-mse-tanh.js";
import { offset1ModelV2 } from "./offset1-model-v2.js";
import { offset1ModelV3 } from "./offset1-model-v3.js";
import { offset1ModelV4 } from "./offset1-model-v4.js";
import { offset1ModelV5 } from "./offset1-model-v5.js";
import { offset4Model2xSubsample } from "./offset4-model-2x-subsample.js";
import { offset5Model } from "./offset5-model.js";
import { offset10Model } from "./offset10-model.js";
import { offset10ModelMse } from "./offset10-model-mse.js";
import { offset10ModelMseTanh } from "./offset10-model-mse-tanh.js";
import { offset15Model } from "./offset15-model.js";
import { offset20Model } from "./offset20-model.js";
import { offset20Model4xSubsample } from "./offset20-model-4x-subsample.js";
import { offset36Model } from "./offset36-model.js";
import { offset36ModelDropout } from "./offset36-model-dropout.js";
import { offset36ModelMoreDropout } from "./offset36-model-more-dropout.js";
import { offset40Model } from "./offset40-model.js";
import { offset40Model4xSubsample } from "./offset40-model-4x-subsample.js";
import { offset50Model } from "./offset50-model.js";
import { supervised10Model } from "./supervised10-model.js";
import { supervised1Model } from "./supervised1-model.js";
import { offset1ModelMseClipFamily } from "./offset1-model-mse-clip.js";
import { offset1ModelMseV2Family } from "./offset1-model-mse-v2.js";
import { offset1ModelMseResnetFamily } from "./offset1-model-mse-resnet.js";

export type { ArchitectureFamily, ArchitectureSpec, LayerSpec, SizeExpr } from "./spec.js";

/** All architectures, in the order they are listed to users. */
export const ARCHITECTURES: readonly ArchitectureSpec[] = [
  offset10Model,
  offset1Model,
  offset1ModelMse,
  offset5Model,
  offset10ModelMse,
  offset36Model,
  offset40Model4xSubsample,
  offset15Model,
  offset20Model,
  offset40Model,
  offset50Model,
  offset1ModelV2,
  offset1ModelV3,
  offset1ModelV4,
  offset1ModelV5,
  offset20Model4xSubsample,
  offset4Model2xSubsample,
  offset10ModelMseTanh,
  offset1ModelMseTanh,
  offset36ModelDropout,
  offset36ModelMoreDropout,
  supervised10Model,
  supervised1Model,
];

/**
 * CEBRA's parametrised families (121 names between them), resolved by name (`ArchitectureFamily.spec`);
 * not in ARCHITECTURES, so lists of architectures stay short.
 */
export const FAMILIES: readonly ArchitectureFamily[] = [offset1ModelMseClipFamily, offset1ModelMseV2Family, offset1ModelMseResnetFamily];
