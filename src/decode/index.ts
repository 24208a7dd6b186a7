/**
 * Decoding: exact kNN retrieval of movie frames or labels from an embedding or raw activity, with
 * per-sample provenance, chance levels and same-protocol controls. Entry points:
 * - `decodeFrames` (movie frame per sample, CEBRA's Allen protocol) and `decodeLabels` (continuous or
 *   discrete labels with a caller-given split);
 * - `frameRawControls` / `labelRawControls` (raw per-sample and window-averaged baselines),
 *   `shuffleFrameFeatures` / `shuffleFrameLabels` (training labels for the shuffled-label control);
 * - `summarizeDecoding` and `truncateRows` to shape results for MCP replies.
 */
export { knn, type KnnInput, type KnnResult, type KnnMetric } from "./knn.js";
export { decodeFrames, scoreFrames, frameChance, averageFrameBins, FRAME_DECODE_DEFAULTS, type FrameDecodeInput } from "./frames.js";
export { decodeLabels, LABEL_DECODE_DEFAULTS, type LabelDecodeInput, type LabelSpec, type SampleSplit } from "./labels.js";
export {
  windowAverage, runRawControls, frameRawControls, labelRawControls, framePermutation, shuffleFrameFeatures, shuffleFrameLabels,
  type ReceptiveField, type RawActivity, type RawControls, type FrameProtocol, type LabelProtocol,
} from "./controls.js";
export { DEFAULT_K_GRID } from "./kselect.js";
export * from "./types.js";
export { lagCurve, DEFAULT_LAGS, type LagCurve, type LagPoint } from "./lag.js";
