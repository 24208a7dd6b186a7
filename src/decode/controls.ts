/**
 * Controls that sit next to every decoding accuracy, computed with the same protocol (same split, the same validation choice of
 * preprocessing, distance and k, lag, window, bin averaging) so the comparison is fair:
 *
 * - raw_per_sample: kNN on the raw population vector of each sample. "Does the model beat the data?"
 * - raw_window_averaged: kNN on raw activity averaged over the model's receptive field [t − left, t + right).
 *   A convolutional CEBRA model sees that many samples per output, so part of its advantage can be
 *   plain temporal smoothing; this baseline gets the same smoothing.
 * - shuffled_labels: CEBRA trained with the frame → label mapping permuted (`shuffleFrameFeatures` /
 *   `shuffleFrameLabels` build the training labels), then decoded against the TRUE frames with
 *   `decodeFrames`. It needs a second training run, so this module only builds its labels; callers record
 *   `controlNotRun(reason)` when it was not trained. Expected: near chance (paper: 9 % vs 72 %).
 */
import { UserError, isUserError } from "../util/errors.js";
import { Rng } from "../util/rng.js";
import type { FrameFeatures } from "../data/recording.js";
import { decodeFrames, type FrameDecodeInput } from "./frames.js";
import { decodeLabels, type LabelDecodeInput } from "./labels.js";
import { controlNotRun, controlOk, type ControlOutcome, type DecodeResult, type FrameDecodeResult, type LabelDecodeResult } from "./types.js";

/** Samples a model sees per output: [t − left, t + right) (an architecture's `left` / `right`). */
export interface ReceptiveField {
  left: number;
  right: number;
}

/**
 * Mean of `neural` rows over [t − left, t + right) for every t, with indices outside [0, T) clamped to the
 * first / last row. This is the replicate padding CEBRA's transform uses, so row t of the result averages
 * exactly the rows the model's output t was computed from. `[T, N]` in, `[T, N]` out.
 */
export function windowAverage(neural: Float32Array, T: number, N: number, left: number, right: number): Float32Array {
  if (!Number.isInteger(left) || !Number.isInteger(right) || left < 0 || right < 0 || left + right < 1) {
    throw new UserError(
      `windowAverage: window [t − ${left}, t + ${right}) is not a valid receptive field.`,
      "Pass integers left ≥ 0, right ≥ 0 with left + right ≥ 1 (the architecture's left and right).",
    );
  }
  if (neural.length !== T * N) {
    throw new UserError(`windowAverage: neural has ${neural.length} values, expected T × N = ${T} × ${N}.`, "Pass a row-major [T, N] array with matching T and N.");
  }
  const out = new Float32Array(T * N);
  if (T === 0) return out;
  const clamp = (t: number) => (t < 0 ? 0 : t >= T ? T - 1 : t);
  const sum = new Float64Array(N);
  for (let s = -left; s < right; s++) addRow(sum, neural, clamp(s) * N, N, 1);
  const scale = 1 / (left + right);
  for (let t = 0; t < T; t++) {
    for (let n = 0; n < N; n++) out[t * N + n] = sum[n] * scale;
    addRow(sum, neural, clamp(t + right) * N, N, 1);
    addRow(sum, neural, clamp(t - left) * N, N, -1);
  }
  return out;
}

function addRow(sum: Float64Array, data: Float32Array, offset: number, n: number, sign: 1 | -1): void {
  for (let i = 0; i < n; i++) sum[i] += sign * data[offset + i];
}

/** Raw activity for the controls. */
export interface RawActivity {
  /** `[T, N]` float32, time-major. */
  neural: Float32Array;
  n_neurons: number;
  /** The model's receptive field in samples of `neural` (for the window-averaged control). */
  receptive_field: ReceptiveField;
}

export interface RawControls<R extends DecodeResult> {
  raw_per_sample: ControlOutcome<R>;
  raw_window_averaged: ControlOutcome<R>;
}

/**
 * Runs `decode` on raw per-sample and window-averaged activity. A UserError from a control becomes
 * "not run" with its message (the main decoding stands on its own).
 */
export function runRawControls<R extends DecodeResult>(
  raw: RawActivity, decode: (features: Float32Array, dim: number, source: string) => R,
): RawControls<R> {
  const { neural, n_neurons: N } = raw;
  const { left, right } = raw.receptive_field;
  const T = N > 0 ? neural.length / N : 0;
  const perSample = attempt(() => decode(neural, N, "raw activity (per sample)"));
  const windowAveraged = left + right <= 1
    ? controlNotRun("the model's receptive field is 1 sample, so the window-averaged control equals the per-sample control")
    : attempt(() => decode(windowAverage(neural, T, N, left, right), N, `raw activity (mean over [t−${left}, t+${right}))`));
  return { raw_per_sample: perSample, raw_window_averaged: windowAveraged };
}

function attempt<R extends DecodeResult>(run: () => R): ControlOutcome<R> {
  try {
    return controlOk(run());
  } catch (e) {
    if (isUserError(e)) return controlNotRun(e.message);
    throw e;
  }
}

/** Frame-decoding settings shared by the main decoding and its controls (everything but the features). */
export type FrameProtocol = Omit<FrameDecodeInput, "features" | "dim" | "features_source">;

/**
 * Raw-activity controls for `decodeFrames` with the main decoding's protocol. `raw_rows` overrides
 * frame/repeat/timestamps/n_samples when the raw data has another rate than the features (e.g. a
 * resampled Neuropixels model: embedding at 30 Hz, raw spikes at 120 Hz with `average_frame_bins`).
 */
export function frameRawControls(
  protocol: FrameProtocol, raw: RawActivity, raw_rows: Partial<Pick<FrameDecodeInput, "frame" | "repeat" | "timestamps" | "n_samples">> = {},
): RawControls<FrameDecodeResult> {
  return runRawControls(raw, (features, dim, source) =>
    decodeFrames({ ...protocol, ...raw_rows, n_samples: features.length / dim, features, dim, features_source: source }));
}

/** Label-decoding settings shared by the main decoding and its controls. */
export type LabelProtocol = Omit<LabelDecodeInput, "features" | "dim" | "features_source">;

/** Raw-activity controls for `decodeLabels` with the main decoding's protocol (same samples and split). */
export function labelRawControls(protocol: LabelProtocol, raw: RawActivity): RawControls<LabelDecodeResult> {
  return runRawControls(raw, (features, dim, source) =>
    decodeLabels({ ...protocol, n_samples: features.length / dim, features, dim, features_source: source }));
}

// ------------------------------------------------------------------ shuffled-label control

/**
 * The permutation used by the shuffled-label control: a uniformly random permutation of 0..nFrames−1
 * from `Rng(seed)` (Fisher–Yates). Same seed → same permutation.
 */
export function framePermutation(nFrames: number, seed: number): Int32Array {
  if (!Number.isInteger(nFrames) || nFrames < 1) {
    throw new UserError(`framePermutation: n_frames = ${nFrames} is not a positive integer.`, "Pass the movie's frame count.");
  }
  return new Rng(seed).shuffle(Int32Array.from({ length: nFrames }, (_, i) => i));
}

/**
 * Shuffled frame features for the shuffled-label control. What is shuffled: the ROWS of the per-frame
 * label table are permuted across frames — row f of the result is row permutation[f] of the input. The
 * per-sample labels are then looked up through the (unchanged) frame index as usual, so every sample
 * showing frame f gets frame permutation[f]'s features: the same wrong label in every repeat. The
 * temporal structure of the neural data and the repeat structure are untouched; only which visual
 * content belongs to which frame is broken. Decoding still scores against the true frames.
 */
export function shuffleFrameFeatures(features: FrameFeatures, seed: number): { frame_features: FrameFeatures; permutation: Int32Array } {
  const nFrames = features.data.length / features.dim;
  const permutation = framePermutation(nFrames, seed);
  const data = new Float32Array(features.data.length);
  for (let f = 0; f < nFrames; f++) {
    data.set(features.data.subarray(permutation[f] * features.dim, (permutation[f] + 1) * features.dim), f * features.dim);
  }
  return {
    frame_features: { ...features, data, method: `${features.method}+shuffled(seed=${seed})` },
    permutation,
  };
}

/**
 * The same shuffle expressed on per-sample frame indices (for discrete frame-id labels): sample t gets
 * label permutation[frame[t]]; −1 (no frame) stays −1. With the same seed, looking up the original frame
 * features through these labels gives exactly the rows `shuffleFrameFeatures` gives through the true frames.
 */
export function shuffleFrameLabels(frame: Int32Array, nFrames: number, seed: number): { frame: Int32Array; permutation: Int32Array } {
  const permutation = framePermutation(nFrames, seed);
  const shuffled = Int32Array.from(frame, (f) => {
    if (f >= nFrames) {
      throw new UserError(`shuffleFrameLabels: frame ${f} is outside the ${nFrames}-frame movie.`, `Pass n_frames > ${f}.`);
    }
    return f < 0 ? f : permutation[f];
  });
  return { frame: shuffled, permutation };
}
