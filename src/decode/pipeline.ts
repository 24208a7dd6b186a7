/**
 * A decoding with its controls, as the tools and the demo report it: the main decoding on the embedding,
 * then the SAME protocol (split, selection of preprocessing/metric/k on the same validation, window, lag) on
 * raw activity per sample, on raw activity averaged over the model's receptive field, on the shuffled-label
 * model's embedding when one exists, and on the untrained encoder's embedding (the same model at its
 * initialisation) when the caller passes it.
 */
import type { Recording } from "../data/recording.js";
import { UserError } from "../util/errors.js";
import { frameRawControls, labelRawControls, type FrameProtocol, type LabelProtocol, type RawControls } from "./controls.js";
import { decodeFrames } from "./frames.js";
import { decodeLabels, type LabelSpec } from "./labels.js";
import {
  controlNotRun, controlOk, summarizeDecoding,
  type DecodeControls, type DecodingSummary, type FrameDecodeResult, type LabelDecodeResult,
} from "./types.js";
import type { ReceptiveField } from "./controls.js";
import type { KnnMetric } from "./knn.js";
import type { Preprocessing } from "./preprocess.js";

/** An embedding of every sample of a recording. */
interface EmbeddingInput {
  data: Float32Array;
  rows: number;
  dim: number;
  /** What the features are, in the results' words (default "CEBRA embedding"; a supervised model's are its features). */
  source?: string;
  /** Its encoder, for the untrained-encoder control (default "CEBRA encoder"). */
  encoder?: string;
}

/** Options shared by movie and label decoding. */
interface DecodeOptions {
  k?: number;
  /** Fixes the distance for every decoder; absent, each decoder chooses it on validation. */
  metric?: KnnMetric;
  /** Preprocessing candidates for every decoder (default: all that apply). */
  preprocessings?: readonly Preprocessing[];
  /** Skip the raw-activity controls (they cost a few seconds at N ≈ 1000). Default false. */
  skip_raw_controls?: boolean;
  /** The untrained-encoder control's embedding (`untrained_encoder`), or why it was not run; absent: not reported. */
  untrained?: ShuffledInput;
}

interface MovieDecodeOptions extends DecodeOptions {
  train_repeats: number[];
  test_repeat?: number;
  window?: number;
  lag_frames?: number;
}

export interface DecodingWithControls<R> {
  main: R;
  controls: DecodeControls;
  summary: DecodingSummary;
}

/** What the shuffled-label control is, for this call: an embedding to decode, or why it was not run. */
export type ShuffledInput = { embedding: EmbeddingInput; model_id: string } | { not_run: string };

/** Movie-frame decoding of the test repeat with raw and shuffled controls. */
export function decodeMovie(
  rec: Recording, emb: EmbeddingInput, field: ReceptiveField, shuffled: ShuffledInput, opts: MovieDecodeOptions,
): DecodingWithControls<FrameDecodeResult> {
  if (!rec.frame || !rec.repeat) {
    throw new UserError(
      `Recording has no movie frame indices${rec.frame ? "" : " (frame)"}${rec.repeat ? "" : " or repeat indices (repeat)"}, so there are no frames to decode.`,
      "Use decode_labels for recordings without a movie (it decodes continuous or discrete labels on held-out samples).",
    );
  }
  checkRows(rec, emb);
  const binsPerFrame = rec.movie ? rec.sampling_rate_hz / rec.movie.frame_rate_hz : medianRunLength(rec.frame);
  const protocol: FrameProtocol = {
    n_samples: rec.n_samples,
    frame: rec.frame,
    repeat: rec.repeat,
    timestamps: rec.timestamps,
    n_frames: rec.movie?.n_frames,
    train_repeats: opts.train_repeats,
    test_repeat: opts.test_repeat,
    k: opts.k,
    metric: opts.metric,
    preprocessings: opts.preprocessings,
    window: opts.window,
    lag_frames: opts.lag_frames,
    // Several samples per movie frame (e.g. 120 Hz spike counts): average them per presentation, as the reference does.
    average_frame_bins: binsPerFrame > 1.5,
  };
  return withControls(rec, shuffled, opts,
    (features, dim, features_source) => decodeFrames({ ...protocol, features, dim, features_source }),
    () => frameRawControls(protocol, { neural: rec.neural, n_neurons: rec.n_neurons, receptive_field: field }),
    emb);
}

interface LabelDecodeOptions extends DecodeOptions {
  labels: LabelSpec;
  /** Samples the model trained on: [start, end) ranges; every other sample is decoded. */
  train_ranges: [number, number][];
  test_ranges: [number, number][];
}

/** Label decoding (continuous or discrete) of held-out samples with raw and shuffled controls. */
export function decodeHeldOutLabels(
  rec: Recording, emb: EmbeddingInput, field: ReceptiveField, shuffled: ShuffledInput, opts: LabelDecodeOptions,
): DecodingWithControls<LabelDecodeResult> {
  checkRows(rec, emb);
  const protocol: LabelProtocol = {
    n_samples: rec.n_samples,
    labels: opts.labels,
    split: { train_ranges: opts.train_ranges, test_ranges: opts.test_ranges },
    timestamps: rec.timestamps,
    k: opts.k,
    metric: opts.metric,
    preprocessings: opts.preprocessings,
  };
  return withControls(rec, shuffled, opts,
    (features, dim, features_source) => decodeLabels({ ...protocol, features, dim, features_source }),
    () => labelRawControls(protocol, { neural: rec.neural, n_neurons: rec.n_neurons, receptive_field: field }),
    emb);
}

/**
 * The main decoding on the embedding, then the same `decode` (hence the same protocol) on the raw-activity
 * controls and on the shuffled-label embedding.
 */
function withControls<R extends FrameDecodeResult | LabelDecodeResult>(
  rec: Recording, shuffled: ShuffledInput, opts: DecodeOptions,
  decode: (features: Float32Array, dim: number, source: string) => R,
  rawControls: () => RawControls<R>,
  emb: EmbeddingInput,
): DecodingWithControls<R> {
  const source = emb.source ?? "CEBRA embedding";
  const main = decode(emb.data, emb.dim, source);
  const controls: DecodeControls = {};
  if (opts.skip_raw_controls) {
    controls.raw_per_sample = controlNotRun("skipped (skip_raw_controls: true)");
    controls.raw_window_averaged = controlNotRun("skipped (skip_raw_controls: true)");
  } else {
    Object.assign(controls, rawControls());
  }
  if ("not_run" in shuffled) controls.shuffled_labels = controlNotRun(shuffled.not_run);
  else {
    checkRows(rec, shuffled.embedding);
    controls.shuffled_labels = controlOk(decode(shuffled.embedding.data, shuffled.embedding.dim, `shuffled-label ${source} (${shuffled.model_id})`));
  }
  const u = opts.untrained;
  if (u && "not_run" in u) controls.untrained_encoder = controlNotRun(u.not_run);
  else if (u) {
    checkRows(rec, u.embedding);
    controls.untrained_encoder = controlOk(decode(u.embedding.data, u.embedding.dim, `untrained ${emb.encoder ?? "CEBRA encoder"} (${u.model_id} at initialisation)`));
  }
  return { main, controls, summary: summarizeDecoding(main, controls) };
}

/** Median length of runs of equal consecutive frame indices (samples per frame presentation), ignoring −1. */
export function medianRunLength(frame: Int32Array): number {
  const runs: number[] = [];
  let start = 0;
  for (let t = 1; t <= frame.length; t++) {
    if (t === frame.length || frame[t] !== frame[start]) {
      if (frame[start] >= 0) runs.push(t - start);
      start = t;
    }
  }
  if (runs.length === 0) return 1;
  runs.sort((a, b) => a - b);
  return runs[runs.length >> 1];
}

function checkRows(rec: Recording, emb: EmbeddingInput): void {
  if (emb.rows !== rec.n_samples) {
    throw new UserError(
      `The embedding has ${emb.rows} rows but the recording has ${rec.n_samples} samples (a time-subsampling model, or a model from another recording).`,
      "Decode with an embedding of this recording from a model without time subsampling (e.g. offset10-model), or pass the matching recording.",
    );
  }
}
