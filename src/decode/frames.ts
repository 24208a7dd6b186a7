/**
 * Movie-frame decoding (CEBRA's Allen demo, `Demo_Allen.ipynb::allen_frame_id_decode`), made explicit:
 * a kNN classifier retrieves, for each test sample, the frame index its nearest training samples were
 * shown; every decoded sample keeps its provenance (decoded and true frame, error, vote share, and which
 * training samples voted).
 *
 * Protocol (defaults in `FRAME_DECODE_DEFAULTS`):
 * 1. Rows: one per sample, or, with `average_frame_bins`, one per frame presentation: the mean feature
 *    vector over each maximal run of consecutive samples with the same (repeat, frame), as CEBRA averages
 *    the 4 bins of each frame of its 120 Hz Neuropixels data before decoding.
 * 2. Target of a row: the frame shown `lag_frames` later (+) or earlier (−) than the row's frame. Rows whose
 *    target falls outside [0, n_frames) are dropped and counted (no wrap-around into the next repeat).
 * 3. Split by repeat: train on `train_repeats` (default all but the last repeat), test on `test_repeat`
 *    (default the last). Rows with no frame (−1) in the test repeat are decoded but not scored.
 * 4. Settings: preprocessing (none / sqrt / z-score), distance (cosine / euclidean / correlation) and k
 *    from `k_grid`, chosen together by fitting on all training repeats but the last one and validating on
 *    that last training repeat; criterion: smallest Σ|frame error| (as the demo's k), ties → the earlier
 *    candidate (kselect.ts). Then refit on all training repeats and predict the test rows. Pass `k` to fix
 *    k and `metric` to fix the distance (the rest is still chosen on the validation repeat).
 * 5. Prediction: majority vote of the k neighbours' target frames (uniform weights; tie → the frame of the
 *    nearest neighbour among the tied frames). Confidence = the winning frame's vote share.
 * 6. Scores: accuracy = fraction with |pred − true| < window (strict; CEBRA: 30 frames = 1 s), exact-frame
 *    accuracy, median and mean |error| (frames); chance = a decoder guessing uniformly over the n_frames
 *    frames, evaluated analytically on the same test targets (see `frameChance`).
 */
import { faultActive } from "../util/faults.js";
import { UserError } from "../util/errors.js";
import { mean, median } from "../util/stats.js";
import { knn, type KnnMetric, type KnnResult } from "./knn.js";
import { Voter } from "./vote.js";
import { DEFAULT_K_GRID, candidateConfigs, describeK, fixedSettings, selectConfig, usableGrid } from "./kselect.js";
import { applicablePreprocessings, preprocess, type Preprocessing } from "./preprocess.js";
import { checkFeatureShape, finiteRowMask, timeOf } from "./features.js";
import type {
  FrameChance, FrameDecodeCounts, FrameDecodeResult, FrameDecodeRow, FrameScores, KSelection,
} from "./types.js";

export interface FrameDecodeInput {
  /** `[n_samples, dim]` float32: an embedding or raw activity. */
  features: Float32Array;
  n_samples: number;
  dim: number;
  /** Movie frame shown at each sample, −1 where none. `[n_samples]`. */
  frame?: Int32Array;
  /** Repeat (presentation) of the movie at each sample, −1 outside any. `[n_samples]`. */
  repeat?: Int32Array;
  /** Seconds per sample, reported in rows (time_s = null without it). */
  timestamps?: Float64Array;
  /** Frames in the movie (default: max frame + 1). Bounds the lagged targets and defines chance. */
  n_frames?: number;
  train_repeats?: number[];
  test_repeat?: number;
  /** Fixed k (skips the validation choice). */
  k?: number;
  k_grid?: readonly number[];
  /** Fixed distance (default: chosen on the validation repeat with the preprocessing and k). */
  metric?: KnnMetric;
  /** Preprocessing candidates (default all that apply; ["none"] reproduces the decoder before preprocessing was chosen). */
  preprocessings?: readonly Preprocessing[];
  /** Accuracy counts |pred − true| < window frames. */
  window?: number;
  /** Decode the frame shown this many frames later (+) / earlier (−) than the sample's frame. */
  lag_frames?: number;
  /** Average features over the bins of each frame presentation first (e.g. 120 Hz data, 4 bins per frame). */
  average_frame_bins?: boolean;
  /** Name of the features for the result, e.g. "embedding", "raw activity (per sample)". */
  features_source?: string;
}

export const FRAME_DECODE_DEFAULTS = {
  k_grid: DEFAULT_K_GRID,
  window: 30,
  lag_frames: 0,
  average_frame_bins: false,
  features_source: "features",
};

/** Target code of a row whose sample showed no frame (decoded, not scored). */
const UNKNOWN = -1;
/** Target code of a row whose lagged frame lies outside the movie (dropped). */
const OUT_OF_MOVIE = -2;

/** Decodes the movie frame of every test sample; see the module doc for the protocol. */
export function decodeFrames(input: FrameDecodeInput): FrameDecodeResult {
  const opts = { ...FRAME_DECODE_DEFAULTS, ...definedOnly(input) };
  const { frame, repeat } = requireFrameArrays(input);
  checkFeatureShape(input.features, input.n_samples, input.dim, "Frame decoding");
  checkProtocolNumbers(opts.window, opts.lag_frames);
  const nFrames = movieLength(frame, input.n_frames);
  const rows = frameRows(input.features, input.dim, frame, repeat, opts.average_frame_bins);
  const target = lagTargets(rows.frame, opts.lag_frames, nFrames);
  const finite = finiteRowMask(rows.features, rows.n, input.dim, "Frame decoding");
  const repeats = resolveRepeats(presentRepeats(rows), input.train_repeats, input.test_repeat);
  const split = splitRows(rows, target, finite, repeats);
  if (split.train.length === 0) {
    throw new UserError(
      `Frame decoding: no training samples with a frame in repeats ${repeats.train.join(", ")} (after lag and NaN filtering).`,
      "Pass train_repeats that contain movie frames, or a smaller |lag_frames|.",
    );
  }
  if (split.scoredTest === 0) {
    throw new UserError(
      `Frame decoding: test repeat ${repeats.test} has no samples with a known, in-range frame (empty test set).`,
      "Pass a test_repeat that contains movie frames, or a smaller |lag_frames|.",
    );
  }

  // A fixed k is still validated with the other settings, unless there is no validation repeat or k exceeds its fitting rows.
  const canValidate = repeats.validation !== null && split.fit.length > 0 && split.validation.length > 0 && (input.k ?? 0) <= split.fit.length;
  const selection = input.k !== undefined && !canValidate
    ? fixedSettings(input.k, split.train.length, "Frame decoding", input.metric)
    : selectFrameSettings({ data: rows.features, dim: input.dim }, split, target, nFrames,
      input.k !== undefined ? [input.k] : opts.k_grid, opts.window, repeats, input.metric, input.k !== undefined, input.preprocessings);
  const k = selection.chosen_k;
  const data = preprocess(rows.features, input.dim, selection.preprocessing, split.train);
  const result = knn({ queries: data, references: data, dim: input.dim, k, metric: selection.metric,
    query_rows: split.test, reference_rows: split.train });
  const predicted = faultActive("majority-decoder") ? majorityFrames(result, target, split.train) : voteFrames(result, target, nFrames);
  const outRows = provenanceRows(result, predicted, split.test, rows, target, input.timestamps);
  const testTargets = Int32Array.from(split.test, (r) => target[r]);
  const scores = scoreFrames(predicted.frame, testTargets, opts.window);
  const counts: FrameDecodeCounts = { ...split.counts, n_train: split.train.length, n_test_rows: split.test.length };
  const protocolOptions = { ...opts, k, nFrames, repeats, selection, nTrain: split.train.length };
  return {
    kind: "frames",
    features_source: opts.features_source,
    feature_dim: input.dim,
    metric: selection.metric,
    preprocessing: selection.preprocessing,
    k,
    k_selection: selection,
    train_repeats: repeats.train,
    test_repeat: repeats.test,
    validation_repeat: selection.n_validation > 0 ? repeats.validation : null,
    lag_frames: opts.lag_frames,
    window: opts.window,
    average_frame_bins: opts.average_frame_bins,
    n_frames: nFrames,
    counts,
    scores,
    chance: frameChance(testTargets, nFrames, opts.window),
    rows: outRows,
    protocol: describeProtocol(protocolOptions),
    warnings: frameWarnings(counts, selection),
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function requireFrameArrays(input: FrameDecodeInput): { frame: Int32Array; repeat: Int32Array } {
  const { frame, repeat, n_samples } = input;
  if (!frame || !frame.some((f) => f >= 0)) {
    throw new UserError(
      "Frame decoding: the data has no movie frame indices (frame is missing or all −1).",
      "Use decode_labels instead (continuous or discrete labels of held-out samples), or load a recording with a per-sample frame array.",
    );
  }
  if (!repeat) {
    throw new UserError(
      "Frame decoding: the data has no repeat indices, so there is no train/test split by movie repeat.",
      "Load a recording with a per-sample repeat array, or use decode_labels.",
    );
  }
  if (frame.length !== n_samples || repeat.length !== n_samples) {
    throw new UserError(
      `Frame decoding: frame (${frame.length}) and repeat (${repeat.length}) must have one entry per sample (${n_samples}).`,
      "Pass frame and repeat arrays aligned with the feature rows (for resampled embeddings, subsample them the same way).",
    );
  }
  return { frame, repeat };
}

function checkProtocolNumbers(window: number, lag: number): void {
  if (!Number.isInteger(window) || window < 1) {
    throw new UserError(`Frame decoding: window = ${window} is not a positive integer.`, "Pass window in frames, e.g. 30 (1 s at 30 Hz, CEBRA's metric).");
  }
  if (!Number.isInteger(lag)) {
    throw new UserError(`Frame decoding: lag_frames = ${lag} is not an integer.`, "Pass lag_frames as a whole number of frames, e.g. 0, 5 or -5.");
  }
}

function movieLength(frame: Int32Array, given: number | undefined): number {
  let max = -1;
  for (const f of frame) if (f > max) max = f;
  if (given === undefined) return max + 1;
  if (!Number.isInteger(given) || given <= max) {
    throw new UserError(
      `Frame decoding: n_frames = ${given} but the data refers to frame ${max}.`,
      `Pass n_frames ≥ ${max + 1} (the movie's frame count), or omit it.`,
    );
  }
  return given;
}

/** The rows the decoder works on: samples, or frame presentations when bins are averaged. */
interface FrameRows {
  n: number;
  /** First sample of each row and how many samples it averages. */
  start: Int32Array;
  length: Int32Array;
  repeat: Int32Array;
  frame: Int32Array;
  /** `[n, dim]` */
  features: Float32Array;
}

function frameRows(features: Float32Array, dim: number, frame: Int32Array, repeat: Int32Array, average: boolean): FrameRows {
  if (!average) {
    const n = frame.length;
    return { n, start: Int32Array.from({ length: n }, (_, i) => i), length: new Int32Array(n).fill(1), repeat, frame, features };
  }
  return averageFrameBins(features, dim, frame, repeat);
}

/**
 * One row per maximal run of consecutive samples with the same (repeat, frame), repeat ≥ 0; features
 * averaged over the run. With CEBRA's Neuropixels layout (4 bins per frame) this is its 4-bin mean.
 */
export function averageFrameBins(features: Float32Array, dim: number, frame: Int32Array, repeat: Int32Array): FrameRows {
  const starts: number[] = [];
  for (let t = 0; t < frame.length; t++) {
    if (repeat[t] < 0) continue;
    if (t === 0 || repeat[t] !== repeat[t - 1] || frame[t] !== frame[t - 1]) starts.push(t);
  }
  const n = starts.length;
  const rows: FrameRows = {
    n, start: Int32Array.from(starts), length: new Int32Array(n), repeat: new Int32Array(n), frame: new Int32Array(n),
    features: new Float32Array(n * dim),
  };
  const sum = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const s = starts[i];
    let e = s + 1;
    while (e < frame.length && repeat[e] === repeat[s] && frame[e] === frame[s]) e++;
    sum.fill(0);
    for (let t = s; t < e; t++) for (let d = 0; d < dim; d++) sum[d] += features[t * dim + d];
    for (let d = 0; d < dim; d++) rows.features[i * dim + d] = sum[d] / (e - s);
    rows.length[i] = e - s;
    rows.repeat[i] = repeat[s];
    rows.frame[i] = frame[s];
  }
  return rows;
}

/** Target frame per row: frame + lag, UNKNOWN where no frame was shown, OUT_OF_MOVIE past either end. */
function lagTargets(frame: Int32Array, lag: number, nFrames: number): Int32Array {
  return Int32Array.from(frame, (f) => {
    if (f < 0) return UNKNOWN;
    const t = f + lag;
    return t >= 0 && t < nFrames ? t : OUT_OF_MOVIE;
  });
}

function presentRepeats(rows: FrameRows): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < rows.n; i++) if (rows.repeat[i] >= 0 && rows.frame[i] >= 0) seen.add(rows.repeat[i]);
  return [...seen].sort((a, b) => a - b);
}

interface RepeatPlan {
  train: number[];
  test: number;
  /** Last training repeat, held out to choose k; null with a single training repeat. */
  validation: number | null;
}

function resolveRepeats(present: number[], train: number[] | undefined, test: number | undefined): RepeatPlan {
  const list = present.join(", ");
  if (present.length < 2) {
    throw new UserError(
      `Frame decoding: frame decoding needs at least 2 movie repeats (one to train, one to test); the data has ${present.length} (${list}).`,
      "Load more repeats, or use decode_labels of the samples.",
    );
  }
  const candidates = present.filter((r) => !(train ?? []).includes(r));
  if (test === undefined && candidates.length === 0) {
    throw new UserError(
      `Frame decoding: every repeat with movie frames (${list}) is a training repeat, so none is left to test on.`,
      "Pass test_repeat, or leave at least one repeat out of train_repeats.",
    );
  }
  const testRepeat = test ?? candidates[candidates.length - 1];
  if (!present.includes(testRepeat)) {
    throw new UserError(
      `Frame decoding: test repeat ${testRepeat} is not present; repeats with movie frames: ${list}.`,
      `Pass test_repeat as one of ${list} (default: the last one).`,
    );
  }
  const trainRepeats = [...new Set(train ?? present.filter((r) => r !== testRepeat))].sort((a, b) => a - b);
  const missing = trainRepeats.filter((r) => !present.includes(r));
  if (trainRepeats.length === 0 || missing.length > 0 || trainRepeats.includes(testRepeat)) {
    throw new UserError(
      `Frame decoding: train repeats [${trainRepeats.join(", ")}] must be present (${list}), non-empty and exclude the test repeat ${testRepeat}.`,
      "Pass train_repeats from the present repeats without the test repeat, or omit it (default: all but the test repeat).",
    );
  }
  return {
    train: trainRepeats,
    test: testRepeat,
    validation: trainRepeats.length >= 2 ? trainRepeats[trainRepeats.length - 1] : null,
  };
}

interface FrameSplit {
  /** Row indices, ascending. */
  train: Int32Array;
  /** Training rows outside the validation repeat, and the validation repeat's rows. */
  fit: Int32Array;
  validation: Int32Array;
  test: Int32Array;
  scoredTest: number;
  counts: Omit<FrameDecodeCounts, "n_train" | "n_test_rows">;
}

function splitRows(rows: FrameRows, target: Int32Array, finite: Uint8Array, plan: RepeatPlan): FrameSplit {
  const train: number[] = [], fit: number[] = [], validation: number[] = [], test: number[] = [];
  const counts = { unlabelled_test: 0, excluded_lag_train: 0, excluded_lag_test: 0, excluded_nonfinite_train: 0, excluded_nonfinite_test: 0 };
  const trainSet = new Set(plan.train);
  for (let i = 0; i < rows.n; i++) {
    const r = rows.repeat[i];
    const isTrain = trainSet.has(r);
    const isTest = r === plan.test;
    if (!isTrain && !isTest) continue;
    if (target[i] === OUT_OF_MOVIE) {
      if (isTrain) counts.excluded_lag_train++;
      else counts.excluded_lag_test++;
      continue;
    }
    if (isTrain && target[i] === UNKNOWN) continue;
    if (!finite[i]) {
      if (isTrain) counts.excluded_nonfinite_train++;
      else counts.excluded_nonfinite_test++;
      continue;
    }
    if (isTest) {
      test.push(i);
      if (target[i] === UNKNOWN) counts.unlabelled_test++;
      continue;
    }
    train.push(i);
    (r === plan.validation ? validation : fit).push(i);
  }
  return {
    train: Int32Array.from(train), fit: Int32Array.from(fit), validation: Int32Array.from(validation), test: Int32Array.from(test),
    scoredTest: test.length - counts.unlabelled_test, counts,
  };
}

interface FeatureMatrix {
  data: Float32Array;
  dim: number;
}

/**
 * Chooses preprocessing, distance and k on the validation repeat (fit on the other training repeats);
 * see step 4 of the module doc. `grid` is [k] when the caller fixed k; `metric` fixes the distance.
 */
function selectFrameSettings(
  features: FeatureMatrix, split: FrameSplit, target: Int32Array, nFrames: number,
  grid: readonly number[], window: number, plan: RepeatPlan, metric: KnnMetric | undefined, kFixed: boolean,
  allowed: readonly Preprocessing[] | undefined,
): KSelection {
  if (plan.validation === null) {
    throw new UserError(
      `Frame decoding: choosing k needs a validation repeat, but only one training repeat (${plan.train[0]}) is given.`,
      "Pass a fixed k (e.g. k = 9), or train on at least 2 repeats.",
    );
  }
  const fitRepeats = plan.train.slice(0, -1).join(", ");
  if (split.fit.length === 0 || split.validation.length === 0) {
    throw new UserError(
      `Frame decoding: k selection found no usable samples in the fitting repeats (${fitRepeats}) or the validation repeat ${plan.validation}.`,
      "Pass a fixed k, or train_repeats whose samples carry frames.",
    );
  }
  const { ks, skipped } = usableGrid(grid, split.fit.length, "Frame decoding");
  const truth = Int32Array.from(split.validation, (r) => target[r]);
  return selectConfig({
    ks, skipped, better: "lower",
    criterion: "smallest sum of |frame error| on the validation repeat",
    validation: `repeat ${plan.validation}; fit on repeats ${fitRepeats}`,
    n_fit: split.fit.length, n_validation: split.validation.length,
    configs: candidateConfigs(applicablePreprocessings(features.data, features.dim, split.fit).filter((p) => !allowed || allowed.includes(p)), metric),
    k_method: kFixed ? "fixed" : "validation",
    user_metric: metric !== undefined,
    evaluator: (config) => {
      const data = preprocess(features.data, features.dim, config.preprocessing, split.fit);
      const result = knn({ queries: data, references: data, dim: features.dim, k: ks[ks.length - 1],
        metric: config.metric, query_rows: split.validation, reference_rows: split.fit });
      return (k) => {
        const s = scoreFrames(voteFrames(result, target, nFrames, k).frame, truth, window);
        return {
          criterion_value: s.mean_abs_error * s.n_test,
          scores: { accuracy: s.accuracy, exact_accuracy: s.exact_accuracy, median_abs_error: s.median_abs_error, mean_abs_error: s.mean_abs_error },
        };
      };
    },
  });
}

interface FramePredictions {
  frame: Int32Array;
  votes: Int32Array;
  k: number;
}

/** Majority vote of the first k (default all) neighbours of each query, over their target frames. */
function voteFrames(result: KnnResult, target: Int32Array, nFrames: number, k = result.k): FramePredictions {
  const voter = new Voter(nFrames);
  const labels = Int32Array.from(result.indices, (row) => target[row]);
  const frame = new Int32Array(result.n_queries);
  const votes = new Int32Array(result.n_queries);
  for (let q = 0; q < result.n_queries; q++) {
    const v = voter.vote(labels, q * result.k, k);
    frame[q] = v.label;
    votes[q] = v.votes;
  }
  return { frame, votes, k };
}

/** The `majority-decoder` fault (src/util/faults.ts, negative evals only): every query gets the most common training frame. */
function majorityFrames(result: KnnResult, target: Int32Array, train: Int32Array): FramePredictions {
  const counts = new Map<number, number>();
  for (const r of train) counts.set(target[r], (counts.get(target[r]) ?? 0) + 1);
  let best = -1, most = -1;
  for (const [f, n] of counts) if (n > most || (n === most && f < best)) [best, most] = [f, n];
  return { frame: new Int32Array(result.n_queries).fill(best), votes: new Int32Array(result.n_queries), k: result.k };
}

/** Scores of predictions against targets; targets < 0 (unknown) are not scored. */
export function scoreFrames(predicted: Int32Array, truth: Int32Array, window: number): FrameScores {
  const errors: number[] = [];
  let within = 0, exact = 0;
  for (let i = 0; i < truth.length; i++) {
    if (truth[i] < 0) continue;
    const e = Math.abs(predicted[i] - truth[i]);
    errors.push(e);
    if (e < window) within++;
    if (e === 0) exact++;
  }
  const n = errors.length;
  return {
    n_test: n,
    accuracy: n ? within / n : NaN,
    exact_accuracy: n ? exact / n : NaN,
    median_abs_error: median(errors),
    mean_abs_error: mean(errors),
    window,
  };
}

/**
 * Chance level of a decoder that guesses a frame g uniformly from {0, …, F−1}, on the given targets f
 * (targets < 0 are skipped), averaged over the targets:
 * - within the window: P(|g − f| < w) = (min(F−1, f+w−1) − max(0, f−w+1) + 1) / F
 * - exact: P(g = f) = 1/F
 * - mean |error|: E|g − f| = (f(f+1)/2 + (F−1−f)(F−f)/2) / F
 */
export function frameChance(targets: Int32Array, nFrames: number, window: number): FrameChance {
  const F = nFrames;
  let within = 0, absError = 0, n = 0;
  for (const f of targets) {
    if (f < 0) continue;
    within += (Math.min(F - 1, f + window - 1) - Math.max(0, f - window + 1) + 1) / F;
    absError += ((f * (f + 1)) / 2 + ((F - 1 - f) * (F - f)) / 2) / F;
    n++;
  }
  return {
    n_frames: F,
    accuracy: n ? within / n : NaN,
    exact_accuracy: n ? 1 / F : NaN,
    mean_abs_error: n ? absError / n : NaN,
    formula:
      "uniform guess g over the F movie frames, averaged over the test targets f: " +
      "P(|g−f|<w) = (min(F−1,f+w−1) − max(0,f−w+1) + 1)/F; P(g=f) = 1/F; E|g−f| = (f(f+1)/2 + (F−1−f)(F−f)/2)/F",
  };
}

function provenanceRows(
  result: KnnResult, predicted: FramePredictions, testRows: Int32Array, rows: FrameRows, target: Int32Array,
  timestamps: Float64Array | undefined,
): FrameDecodeRow[] {
  const k = result.k;
  return Array.from(testRows, (row, q) => {
    const truth = target[row] >= 0 ? target[row] : null;
    const pred = predicted.frame[q];
    const neighbours = [];
    for (let j = 0; j < k; j++) {
      const n = result.indices[q * k + j];
      neighbours.push({ train_sample: rows.start[n], repeat: rows.repeat[n], frame: target[n], distance: result.distances[q * k + j] });
    }
    return {
      sample: rows.start[row],
      n_bins: rows.length[row],
      time_s: timeOf(timestamps, rows.start[row]),
      true_frame: truth,
      predicted_frame: pred,
      error: truth === null ? null : pred - truth,
      confidence: predicted.votes[q] / k,
      neighbours,
    };
  });
}

function describeProtocol(o: {
  features_source: string; k: number; window: number; lag_frames: number; average_frame_bins: boolean;
  nFrames: number; repeats: RepeatPlan; selection: KSelection; nTrain: number;
}): string {
  return [
    `kNN frame classifier (majority vote; ${describeK(o.selection)})`,
    `fit on repeats ${o.repeats.train.join(", ")} (${o.nTrain} rows of ${o.features_source}${o.average_frame_bins ? ", bins averaged per frame" : ""})`,
    `decoding repeat ${o.repeats.test}`,
    `target = frame ${o.lag_frames === 0 ? "at the sample" : `${o.lag_frames > 0 ? "+" : ""}${o.lag_frames} frames from the sample's frame`} (${o.nFrames}-frame movie)`,
    `accuracy = fraction with |predicted − true| < ${o.window} frames (no wrap-around); chance = uniform guess over the ${o.nFrames} frames.`,
  ].join("; ");
}

function frameWarnings(counts: FrameDecodeCounts, selection: KSelection): string[] {
  const w: string[] = [];
  const lag = counts.excluded_lag_train + counts.excluded_lag_test;
  if (lag > 0) w.push(`${lag} rows dropped because their lagged frame is outside the movie (${counts.excluded_lag_test} in the test repeat).`);
  const nonfinite = counts.excluded_nonfinite_train + counts.excluded_nonfinite_test;
  if (nonfinite > 0) w.push(`${nonfinite} rows dropped for NaN/infinite features (${counts.excluded_nonfinite_test} in the test repeat).`);
  if (counts.unlabelled_test > 0) w.push(`${counts.unlabelled_test} test rows show no frame; they are decoded but not scored.`);
  if (selection.skipped_k.length > 0) w.push(`k grid values ${selection.skipped_k.join(", ")} skipped: larger than the ${selection.n_fit} fitting rows.`);
  return w;
}
