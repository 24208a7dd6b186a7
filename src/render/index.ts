/**
 * Rendering for cebra-mcp: reconstructed-video images (retrieval, with provenance), embedding
 * plots, and helpers that fit any image into the MCP client budget.
 */
export { renderReconstruction, LAYOUT_SAMPLE_LIMITS, type ReconstructionLayout, type RenderReconstructionOptions } from "./reconstruction.js";
export { chanceLoss, plotEmbedding, type PlotEmbeddingOptions, type EmbeddingPlot, type ColourBy, type LossCurve } from "./embedding.js";
export {
  fitToBudget,
  fitDimensions,
  fitsDimensions,
  base64Length,
  resolveBudget,
  encodeWithinBytes,
  resizePages,
  CLIENT_IMAGE_BUDGET,
  type ImageBudget,
  type FittedImage,
  type RawImage,
} from "./budget.js";
export { RETRIEVAL_STATEMENT, decodeStatus } from "./labels.js";
export { checkFonts, type FontStatus } from "./fonts.js";
export { escapeXml } from "./svg.js";
export type * from "./types.js";
export { renderCurve, curveSvg, type CurveOptions, type CurveSeries, type CurvePoint } from "./curve.js";
