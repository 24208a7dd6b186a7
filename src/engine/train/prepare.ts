/**
 * From a Recording to what the trainer needs: which samples train, which labels drive the positives,
 * and the conditional that follows from them. Also builds the shuffled-label control with the same
 * protocol, so that a control differs from the real run in exactly one thing: the labels.
 */
import type { Recording } from "../../data/recording.js";
import { repeatsOf, selectContinuous } from "../../data/recording.js";
import { UserError } from "../../util/errors.js";
import { Rng } from "../../util/rng.js";
import type { Conditional, SessionData, TrainConfig } from "../types.js";
import { fullBatchSize } from "../cebra/sampling/index.js";
import { getArchitecture } from "../cebra/lookup.js";
import { faultActive } from "../../util/faults.js";

/** Which objective a run optimises (the train_embedding tool's `mode`). */
export type TrainingMode = "behavior" | "time" | "hybrid";

/**
 * Which labels drive the positives in behaviour/hybrid modes.
 * - frame_features: per-frame features looked up by the frame shown at each sample (CEBRA used DINO features);
 * - frame: the frame index as a discrete label (positives: the same frame in another repeat);
 * - continuous / discrete: the recording's own label arrays;
 * - columns: a subset of continuous columns, by name.
 */
export type LabelSource = "frame_features" | "frame" | "continuous" | "discrete" | { columns: string[] };

interface SplitOptions {
  /** Repeats to train on (recordings with repeats). Default: all but the last. */
  train_repeats?: number[];
  /** For recordings without repeats: the first fraction of samples trains, the rest is held out (contiguous). Default 0.8. */
  train_fraction?: number;
}

/** Which samples train and which are held out, in sample indices of the recording. */
export interface Split {
  train: Int32Array;
  test: Int32Array;
  kind: "repeats" | "fraction";
  train_repeats: number[];
  test_repeats: number[];
  train_fraction: number | null;
  /** Human-readable description, e.g. "repeats 0–8 train (8100 samples), repeat 9 held out (900)". */
  description: string;
}

export interface PreparedTraining {
  session: SessionData;
  /** The held-out samples with the same labels (for held-out InfoNCE / goodness of fit), or null if none. */
  heldout: SessionData | null;
  conditional: Conditional;
  hybrid: boolean;
  split: Split;
  /** What the labels are, for manifests and reports. */
  label_description: string;
  label_kind: "continuous" | "discrete" | "none";
  /** True when the labels were shuffled (control run). */
  shuffled: boolean;
  shuffle_description: string | null;
}

/** Default labels for a recording: frame features for movies, else continuous, else discrete, else none (time). */
export function defaultLabelSource(rec: Recording): LabelSource | null {
  if (rec.frame && rec.frame_features) return "frame_features";
  if (rec.continuous) return "continuous";
  if (rec.discrete) return "discrete";
  if (rec.frame) return "frame";
  return null;
}

/** Train/test split by repeats (default: hold out the last repeat) or by a contiguous fraction. */
export function makeSplit(rec: Recording, opts: SplitOptions = {}): Split {
  const repeats = repeatsOf(rec);
  const T = rec.n_samples;
  if (repeats.length >= 2 && opts.train_fraction === undefined) {
    const trainRepeats = opts.train_repeats ?? repeats.slice(0, -1);
    for (const r of trainRepeats) {
      if (!repeats.includes(r)) {
        throw new UserError(
          `train_repeats contains ${r}, but the recording has repeats ${rangeText(repeats)}.`,
          `Pass train_repeats from ${rangeText(repeats)} (default: all but the last).`,
        );
      }
    }
    const testRepeats = repeats.filter((r) => !trainRepeats.includes(r));
    if (trainRepeats.length === 0) {
      throw new UserError("train_repeats is empty.", `Pass at least one repeat from ${rangeText(repeats)}.`);
    }
    const inTrain = new Set(trainRepeats);
    const train: number[] = [];
    const test: number[] = [];
    const rep = rec.repeat!;
    for (let t = 0; t < T; t++) {
      if (rep[t] < 0) continue;
      (inTrain.has(rep[t]) ? train : test).push(t);
    }
    return {
      train: Int32Array.from(train),
      test: Int32Array.from(test),
      kind: "repeats",
      train_repeats: [...trainRepeats].sort((a, b) => a - b),
      test_repeats: testRepeats,
      train_fraction: null,
      description:
        `repeats ${rangeText(trainRepeats)} train (${train.length} samples), ` +
        (testRepeats.length ? `repeat${testRepeats.length > 1 ? "s" : ""} ${rangeText(testRepeats)} held out (${test.length})` : "nothing held out"),
    };
  }
  const fraction = opts.train_fraction ?? 0.8;
  if (!(fraction > 0 && fraction <= 1)) {
    throw new UserError(`train_fraction must be in (0, 1], got ${fraction}.`, "Pass e.g. train_fraction: 0.8.");
  }
  const nTrain = Math.max(1, Math.floor(T * fraction));
  const train = new Int32Array(nTrain);
  for (let t = 0; t < nTrain; t++) train[t] = t;
  const test = new Int32Array(T - nTrain);
  for (let t = nTrain; t < T; t++) test[t - nTrain] = t;
  return {
    train,
    test,
    kind: "fraction",
    train_repeats: [],
    test_repeats: [],
    train_fraction: fraction,
    description: `first ${nTrain} samples train (${(fraction * 100).toFixed(0)}%), last ${T - nTrain} held out (contiguous)`,
  };
}

export interface PrepareOptions extends SplitOptions {
  mode: TrainingMode;
  labels?: LabelSource;
  /** Shuffle the labels (control). Seeded. */
  shuffle_labels?: boolean;
  shuffle_seed?: number;
}

/**
 * Builds the training session for a recording: selects the training samples, attaches the labels the
 * mode needs, and picks the conditional (time → "time"; continuous → "time_delta"; discrete → "discrete";
 * both → "mixed"). Samples without a label (frame −1 when frame labels are used) are left out of training.
 */
export function prepareTraining(rec: Recording, opts: PrepareOptions): PreparedTraining {
  const split = makeSplit(rec, opts);
  const N = rec.n_neurons;
  if (opts.mode === "time") {
    if (opts.shuffle_labels) {
      throw new UserError("shuffle_labels needs labels, but mode is 'time'.", "Use mode 'behavior' or 'hybrid' for a shuffled-label control.");
    }
    return {
      session: gatherSession(rec, split.train, N),
      heldout: split.test.length > 1 ? gatherSession(rec, split.test, N) : null,
      conditional: "time",
      hybrid: false,
      split,
      label_description: "none (time contrastive)",
      label_kind: "none",
      shuffled: false,
      shuffle_description: null,
    };
  }
  const source = opts.labels ?? defaultLabelSource(rec);
  if (source === null) {
    throw new UserError(
      `Recording has no labels (no frame indices, continuous or discrete labels), so mode '${opts.mode}' has nothing to align to.`,
      "Use mode 'time', or load a recording with labels.",
    );
  }
  const resolved = resolveLabels(rec, source);
  let train = split.train;
  if (resolved.valid) train = train.filter((t) => resolved.valid![t] === 1);
  if (train.length < 2) {
    throw new UserError(`Only ${train.length} training samples carry ${resolved.description}.`, "Choose other labels or a larger training range.");
  }
  const rng = new Rng(opts.shuffle_seed ?? 12345);
  let shuffleDescription: string | null = null;
  // The scrambled-labels fault (src/util/faults.ts, negative evals only) shuffles a real model's labels too.
  if (opts.shuffle_labels || faultActive("scrambled-labels")) shuffleDescription = shuffleLabels(resolved, rec.n_samples, rng);
  const withLabels = (samples: Int32Array): SessionData => {
    const s = gatherSession(rec, samples, N);
    if (resolved.kind === "continuous") s.continuous = { data: gatherRows(resolved.continuous!, resolved.dim, samples), dim: resolved.dim };
    else s.discrete = gatherInts(resolved.discrete!, samples);
    return s;
  };
  const session = withLabels(train);
  const test = resolved.valid ? split.test.filter((t) => resolved.valid![t] === 1) : split.test;
  const heldout = test.length > 1 ? withLabels(test) : null;
  if (opts.mode === "hybrid" && resolved.kind !== "continuous") {
    throw new UserError("Hybrid training needs continuous labels (its behaviour objective uses time_delta positives).", "Use labels 'frame_features' or 'continuous', or mode 'behavior'.");
  }
  return {
    session,
    heldout,
    conditional: resolved.kind === "continuous" ? "time_delta" : "discrete",
    hybrid: opts.mode === "hybrid",
    split: { ...split, train, description: split.description + (train.length !== split.train.length ? `; ${split.train.length - train.length} unlabelled samples left out` : "") },
    label_description: resolved.description,
    label_kind: resolved.kind,
    shuffled: Boolean(opts.shuffle_labels),
    shuffle_description: shuffleDescription,
  };
}

/**
 * The configuration a run trains with: `conditional` and `hybrid` from the prepared labels and mode
 * (continuous labels use CEBRA's `delta` conditional, positive nearest to c[ref] + N(0, δ²), instead of
 * time_delta when δ is set, in behaviour and hybrid modes alike), and for `full_batch` the batch size of
 * every training sample (`fullBatchSize`: UserError where CEBRA has no full batch or the step is too big).
 */
export function trainingConfig(prepared: PreparedTraining, config: TrainConfig): TrainConfig {
  const conditional: Conditional = prepared.conditional === "time_delta" && config.delta !== undefined ? "delta" : prepared.conditional;
  const out: TrainConfig = { ...config, conditional, hybrid: prepared.hybrid };
  if (out.full_batch) {
    out.batch_size = fullBatchSize(prepared.session, out, { ...getArchitecture(out.model_architecture), num_hidden_units: out.num_hidden_units });
  }
  return out;
}

interface ResolvedLabels {
  kind: "continuous" | "discrete";
  /** [T, dim] per sample (continuous). */
  continuous?: Float32Array;
  dim: number;
  /** [T] per sample (discrete). */
  discrete?: Int32Array;
  /** 1 where the sample has a label. */
  valid?: Uint8Array;
  description: string;
}

/**
 * The shuffled-label control: label rows are permuted across the labelled samples (seeded), so the labels
 * keep their distribution but lose their relation to the neural activity. A permutation across FRAMES
 * (each frame keeping the same wrong label in every repeat) is not a null control for frame decoding:
 * it still tells the model which samples show the same frame, and on the built-in recording it decoded
 * at 18% vs 6% chance; the per-sample permutation removes that.
 */
function shuffleLabels(r: ResolvedLabels, T: number, rng: Rng): string {
  const samples: number[] = [];
  for (let t = 0; t < T; t++) if (!r.valid || r.valid[t] === 1) samples.push(t);
  const order = rng.shuffle(Int32Array.from(samples));
  if (r.kind === "discrete") {
    const src = r.discrete!.slice();
    samples.forEach((t, i) => (r.discrete![t] = src[order[i]]));
  } else {
    const d = r.dim;
    const src = r.continuous!.slice();
    samples.forEach((t, i) => r.continuous!.set(src.subarray(order[i] * d, order[i] * d + d), t * d));
  }
  return "label rows permuted across samples (seeded): same label distribution, no relation to the neural activity";
}

function resolveLabels(rec: Recording, source: LabelSource): ResolvedLabels {
  const T = rec.n_samples;
  if (source === "frame_features" || source === "frame") {
    if (!rec.frame) {
      throw new UserError(`labels '${source}' need movie frame indices, but this recording has none.`, "Use labels 'continuous' or 'discrete', or mode 'time'.");
    }
    const frame = rec.frame;
    const valid = new Uint8Array(T);
    for (let t = 0; t < T; t++) valid[t] = frame[t] >= 0 ? 1 : 0;
    if (source === "frame") {
      let nFrames = 0;
      for (const f of frame) if (f + 1 > nFrames) nFrames = f + 1;
      return { kind: "discrete", discrete: frame.slice(), dim: 1, valid, description: `frame index as a discrete label (${nFrames} frames)` };
    }
    if (!rec.frame_features) {
      throw new UserError("labels 'frame_features' need per-frame features, but this recording has none.", "Use labels 'frame', or load frame_features with the recording.");
    }
    const ff = rec.frame_features;
    const F = ff.data.length / ff.dim;
    const continuous = new Float32Array(T * ff.dim);
    for (let t = 0; t < T; t++) {
      if (frame[t] < 0) continue;
      if (frame[t] >= F) {
        throw new UserError(`Sample ${t} shows frame ${frame[t]}, but frame_features has only ${F} rows.`, "Load frame_features with one row per movie frame.");
      }
      continuous.set(ff.data.subarray(frame[t] * ff.dim, frame[t] * ff.dim + ff.dim), t * ff.dim);
    }
    return { kind: "continuous", continuous, dim: ff.dim, valid, description: `frame features (${ff.dim}-d, ${ff.method}) of the frame shown` };
  }
  if (source === "discrete") {
    if (!rec.discrete) throw new UserError("labels 'discrete' requested, but the recording has no discrete labels.", "Use labels 'continuous' or mode 'time'.");
    return { kind: "discrete", discrete: rec.discrete.data.slice(), dim: 1, description: `discrete label '${rec.discrete.name}'` };
  }
  if (!rec.continuous) throw new UserError("labels 'continuous' requested, but the recording has no continuous labels.", "Use labels 'discrete' or mode 'time'.");
  const c = selectContinuous(rec.continuous, typeof source === "object" ? source.columns : undefined);
  return { kind: "continuous", continuous: c.data, dim: c.dim, description: `continuous labels ${c.columns.join(", ")}` };
}

/** The neural rows of the given samples, as one training session. */
function gatherSession(rec: Recording, samples: Int32Array, N: number): SessionData {
  return { neural: gatherRows(rec.neural, N, samples), n_samples: samples.length, n_neurons: N };
}

function gatherRows(src: Float32Array, width: number, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length * width);
  for (let i = 0; i < rows.length; i++) out.set(src.subarray(rows[i] * width, rows[i] * width + width), i * width);
  return out;
}

function gatherInts(src: Int32Array, rows: Int32Array): Int32Array {
  const out = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = src[rows[i]];
  return out;
}

/** "0–8" for consecutive runs, "0, 2, 5" otherwise. */
function rangeText(values: number[]): string {
  if (values.length === 0) return "(none)";
  const v = [...values].sort((a, b) => a - b);
  const consecutive = v.every((x, i) => i === 0 || x === v[i - 1] + 1);
  return consecutive && v.length > 2 ? `${v[0]}–${v[v.length - 1]}` : v.join(", ");
}
