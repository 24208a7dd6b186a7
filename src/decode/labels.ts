/**
 * Decoding labels for recordings without a movie (CEBRA's hippocampus demo: a rat's position on a track),
 * on samples the model did not train on. kNN regression for continuous labels (mean of the k neighbours'
 * labels), kNN classification for discrete labels (majority vote, nearest neighbour breaks ties).
 *
 * Protocol: the caller gives the train/test split (boolean masks or half-open index ranges). The
 * preprocessing (none / sqrt / z-score), distance (cosine / euclidean / correlation) and k (from `k_grid`)
 * are chosen together by fitting on the first 80% of the training samples (in time order) and validating
 * on the last 20% (contiguous in that order, so autocorrelated neighbours in time do not leak into
 * validation as much as a random split would); criterion: largest mean r2 (continuous, sklearn's r2_score
 * as CEBRA's KNNDecoder.score) or largest accuracy (discrete); ties → the earlier candidate (kselect.ts).
 * Then refit on all training samples. `k` and `metric` fix those settings; the rest is still chosen.
 * Samples with a non-finite feature or label, or a negative class, are dropped and counted.
 */
import { UserError } from "../util/errors.js";
import { median } from "../util/stats.js";
import { knn, type KnnMetric, type KnnResult } from "./knn.js";
import { neighbourMean, Voter } from "./vote.js";
import { DEFAULT_K_GRID, candidateConfigs, describeK, fixedSettings, selectConfig, usableGrid } from "./kselect.js";
import { applicablePreprocessings, preprocess, type Preprocessing } from "./preprocess.js";
import { checkFeatureShape, finiteRowMask, timeOf } from "./features.js";
import { faultActive } from "../util/faults.js";
import type {
  ContinuousLabelDecodeResult, ContinuousLabelRow, ContinuousLabelScores, DiscreteLabelDecodeResult, DiscreteLabelRow,
  DiscreteLabelScores, KSelection, LabelDecodeCounts, LabelDecodeResult, LabelNeighbour,
} from "./types.js";

export type LabelSpec =
  | { kind: "continuous"; /** `[n_samples, dim]` */ data: Float32Array; dim: number; columns?: string[] }
  | { kind: "discrete"; /** `[n_samples]` class per sample (negative = none) */ data: Int32Array; class_names?: string[] };

/** Which samples train the decoder and which are decoded. Ranges are half-open [start, end). */
export type SampleSplit =
  | { train_mask: ArrayLike<boolean | number>; /** default: every sample not in train_mask */ test_mask?: ArrayLike<boolean | number> }
  | { train_ranges: [number, number][]; test_ranges: [number, number][] };

export interface LabelDecodeInput {
  /** `[n_samples, dim]` float32: an embedding or raw activity. */
  features: Float32Array;
  n_samples: number;
  dim: number;
  labels: LabelSpec;
  split: SampleSplit;
  timestamps?: Float64Array;
  /** Fixed k (skips the validation choice). */
  k?: number;
  k_grid?: readonly number[];
  /** Fixed distance (default: chosen on the validation samples with the preprocessing and k). */
  metric?: KnnMetric;
  /** Preprocessing candidates (default all that apply; ["none"] reproduces the decoder before preprocessing was chosen). */
  preprocessings?: readonly Preprocessing[];
  features_source?: string;
}

export const LABEL_DECODE_DEFAULTS = {
  k_grid: DEFAULT_K_GRID,
  features_source: "features",
};

/** Fraction of the training samples (the last ones in time) held out to choose k. */
const VALIDATION_FRACTION = 0.2;
/** Neighbour label vectors are included in rows up to this many label columns. */
const MAX_NEIGHBOUR_LABEL_DIM = 16;

/** Decodes the labels of the test samples; see the module doc for the protocol. */
export function decodeLabels(input: LabelDecodeInput): LabelDecodeResult {
  checkFeatureShape(input.features, input.n_samples, input.dim, "Label decoding");
  checkLabels(input.labels, input.n_samples);
  const opts = {
    k_grid: input.k_grid ?? LABEL_DECODE_DEFAULTS.k_grid,
    features_source: input.features_source ?? LABEL_DECODE_DEFAULTS.features_source,
  };
  const parts = splitSamples(input.split, input.n_samples);
  const usable = usableSamples(input);
  const rows = selectRows(parts, usable);
  if (rows.train.length === 0) {
    throw new UserError("Label decoding: the training part has no usable samples (finite features and labels).", "Pass a split whose training part contains labelled samples.");
  }
  if (rows.test.length === 0) {
    throw new UserError("Label decoding: the test part is empty (no usable samples).", "Pass test_mask / test_ranges covering labelled samples the model did not train on.");
  }
  const task = input.labels.kind === "continuous" ? continuousTask(input.labels) : discreteTask(input.labels);
  // A fixed k is still validated with the other settings, unless the fitting part is too small for it.
  const selection = input.k !== undefined && fitSize(rows.train.length) < Math.max(1, input.k)
    ? fixedSettings(input.k, rows.train.length, "Label decoding", input.metric)
    : selectLabelSettings(input, input.k !== undefined ? [input.k] : opts.k_grid, rows.train, task);
  const k = selection.chosen_k;
  const data = preprocess(input.features, input.dim, selection.preprocessing, rows.train);
  const result = knn({ queries: data, references: data, dim: input.dim, k, metric: selection.metric,
    query_rows: rows.test, reference_rows: rows.train });
  const common = {
    features_source: opts.features_source,
    feature_dim: input.dim,
    metric: selection.metric,
    preprocessing: selection.preprocessing,
    k,
    k_selection: selection,
    counts: { ...rows.counts, n_train: rows.train.length, n_test: rows.test.length } satisfies LabelDecodeCounts,
    protocol: describeProtocol(selection, rows.train.length, rows.test.length, input.labels.kind, opts.features_source),
  };
  return task.finish(result, rows, input.timestamps, common);
}

function checkLabels(labels: LabelSpec, n: number): void {
  const dim = labels.kind === "continuous" ? labels.dim : 1;
  if (!Number.isInteger(dim) || dim < 1 || labels.data.length !== n * dim) {
    throw new UserError(
      `Label decoding: ${labels.kind} labels have ${labels.data.length} values, expected ${n} samples × ${dim}.`,
      "Pass labels with one row per feature row (continuous: row-major [n_samples, dim]).",
    );
  }
}

/** Train / test membership per sample from masks or ranges; the parts must not overlap. */
function splitSamples(split: SampleSplit, n: number): { train: Uint8Array; test: Uint8Array } {
  const train = new Uint8Array(n), test = new Uint8Array(n);
  if ("train_mask" in split) {
    if (split.train_mask.length !== n || (split.test_mask && split.test_mask.length !== n)) {
      throw new UserError(`Label decoding: split masks must have one entry per sample (${n}).`, "Pass train_mask (and test_mask) of length n_samples.");
    }
    for (let i = 0; i < n; i++) {
      train[i] = split.train_mask[i] ? 1 : 0;
      test[i] = split.test_mask ? (split.test_mask[i] ? 1 : 0) : 1 - train[i];
    }
  } else {
    fillRanges(train, split.train_ranges, "train_ranges");
    fillRanges(test, split.test_ranges, "test_ranges");
  }
  for (let i = 0; i < n; i++) {
    if (train[i] && test[i]) {
      throw new UserError(
        `Label decoding: sample ${i} is in both the training and the test part.`,
        "Pass disjoint train and test parts (decode only samples the model did not train on).",
      );
    }
  }
  return { train, test };
}

function fillRanges(mask: Uint8Array, ranges: [number, number][], what: string): void {
  for (const [s, e] of ranges) {
    if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e > mask.length || s > e) {
      throw new UserError(`Label decoding: ${what} entry [${s}, ${e}) is not inside [0, ${mask.length}).`, "Pass half-open [start, end) sample ranges with 0 ≤ start ≤ end ≤ n_samples.");
    }
    mask.fill(1, s, e);
  }
}

/** 1 where the features are finite and the label is present (finite / non-negative class). */
function usableSamples(input: LabelDecodeInput): Uint8Array {
  const usable = finiteRowMask(input.features, input.n_samples, input.dim, "Label decoding");
  const labels = input.labels;
  for (let i = 0; i < input.n_samples; i++) {
    if (!usable[i]) continue;
    if (labels.kind === "discrete") {
      if (labels.data[i] < 0) usable[i] = 0;
      continue;
    }
    for (let c = 0; c < labels.dim; c++) if (!Number.isFinite(labels.data[i * labels.dim + c])) usable[i] = 0;
  }
  return usable;
}

interface LabelRows {
  train: Int32Array;
  test: Int32Array;
  counts: Pick<LabelDecodeCounts, "unused" | "excluded_train" | "excluded_test">;
}

function selectRows(parts: { train: Uint8Array; test: Uint8Array }, usable: Uint8Array): LabelRows {
  const train: number[] = [], test: number[] = [];
  const counts = { unused: 0, excluded_train: 0, excluded_test: 0 };
  for (let i = 0; i < usable.length; i++) {
    if (!parts.train[i] && !parts.test[i]) counts.unused++;
    else if (!usable[i]) parts.train[i] ? counts.excluded_train++ : counts.excluded_test++;
    else (parts.train[i] ? train : test).push(i);
  }
  return { train: Int32Array.from(train), test: Int32Array.from(test), counts };
}

type CommonFields = Omit<LabelDecodeResult, "kind" | "scores" | "chance" | "rows" | "warnings">;

/** What differs between continuous and discrete labels: validation score, and turning neighbours into a result. */
interface LabelTask {
  criterion: string;
  /** Criterion (higher is better) and record scores of predictions from the first k neighbours. */
  evaluate(result: KnnResult, truthRows: Int32Array, k: number): { criterion_value: number; scores: Record<string, number | null> };
  finish(result: KnnResult, rows: LabelRows, timestamps: Float64Array | undefined, common: CommonFields): LabelDecodeResult;
}

/** Training samples used for fitting during the selection (the first 80%, in time order). */
function fitSize(nTrain: number): number {
  return nTrain - Math.max(1, Math.round(nTrain * VALIDATION_FRACTION));
}

/** Chooses preprocessing, distance and k on the last 20% of the training samples; `grid` is [k] when k is fixed. */
function selectLabelSettings(input: LabelDecodeInput, grid: readonly number[], train: Int32Array, task: LabelTask): KSelection {
  const nFit = fitSize(train.length);
  const nVal = train.length - nFit;
  if (nFit < 1) {
    throw new UserError(
      `Label decoding: choosing k needs at least 2 training samples (fit + validation); there are ${train.length}.`,
      "Pass a fixed k, or a larger training part.",
    );
  }
  const fit = train.subarray(0, nFit), validation = train.subarray(nFit);
  const { ks, skipped } = usableGrid(grid, nFit, "Label decoding");
  return selectConfig({
    ks, skipped, better: "higher", criterion: task.criterion,
    validation: `last ${nVal} training samples in time order, samples ${validation[0]}–${validation[nVal - 1]}; fit on the first ${nFit}`,
    n_fit: nFit, n_validation: nVal,
    configs: candidateConfigs(applicablePreprocessings(input.features, input.dim, fit).filter((p) => !input.preprocessings || input.preprocessings.includes(p)), input.metric),
    k_method: input.k !== undefined ? "fixed" : "validation",
    user_metric: input.metric !== undefined,
    evaluator: (config) => {
      const data = preprocess(input.features, input.dim, config.preprocessing, fit);
      const result = knn({ queries: data, references: data, dim: input.dim, k: ks[ks.length - 1], metric: config.metric,
        query_rows: validation, reference_rows: fit });
      return (k) => task.evaluate(result, validation, k);
    },
  });
}

// ------------------------------------------------------------------ continuous labels

function continuousTask(labels: Extract<LabelSpec, { kind: "continuous" }>): LabelTask {
  const dim = labels.dim;
  const columns = labels.columns ?? Array.from({ length: dim }, (_, c) => `label_${c}`);
  const predict = (result: KnnResult, k: number): Float64Array => {
    const out = new Float64Array(result.n_queries * dim);
    const one = new Float64Array(dim);
    for (let q = 0; q < result.n_queries; q++) {
      neighbourMean(labels.data, dim, result.indices, q * result.k, k, one);
      out.set(one, q * dim);
    }
    return out;
  };
  return {
    criterion: "largest mean r2 over label columns on the validation samples",
    evaluate(result, truthRows, k) {
      const s = regressionScores(predict(result, k), labels.data, truthRows, dim, columns);
      return { criterion_value: s.r2_mean, scores: { r2_mean: s.r2_mean } };
    },
    finish(result, rows, timestamps, common): ContinuousLabelDecodeResult {
      const pred = faultActive("majority-decoder") ? trainMeanPrediction(labels.data, dim, rows.train, result.n_queries) : predict(result, result.k);
      const scores = regressionScores(pred, labels.data, rows.test, dim, columns);
      const chance = trainMeanChance(labels.data, dim, rows, columns);
      const out: ContinuousLabelRow[] = Array.from(rows.test, (sample, q) => {
        const truth = Array.from(labels.data.subarray(sample * dim, sample * dim + dim));
        const predicted = Array.from(pred.subarray(q * dim, q * dim + dim));
        return {
          sample, time_s: timeOf(timestamps, sample), true_label: truth, predicted,
          error: predicted.map((p, c) => p - truth[c]),
          neighbours: neighboursOf(result, q, (n) => (dim <= MAX_NEIGHBOUR_LABEL_DIM ? Array.from(labels.data.subarray(n * dim, n * dim + dim)) : undefined)),
        };
      });
      const warnings = scores.r2.flatMap((_, c) =>
        columnVariance(labels.data, rows.test, dim, c) === 0 ? [`label column ${columns[c]} is constant in the test part; its r2 is 1 or 0 by sklearn's convention.`] : []);
      return { kind: "labels_continuous", ...common, scores, chance, rows: out, warnings };
    },
  };
}

/** sklearn r2_score per column (constant truth: 1 if predicted exactly, else 0) and median |error|. */
function regressionScores(pred: Float64Array, labels: Float32Array, truthRows: Int32Array, dim: number, columns: string[]): ContinuousLabelScores {
  const n = truthRows.length;
  const r2: number[] = [], mae: number[] = [];
  for (let c = 0; c < dim; c++) {
    let mean = 0;
    for (const s of truthRows) mean += labels[s * dim + c];
    mean /= n;
    let ssRes = 0, ssTot = 0;
    const abs: number[] = [];
    truthRows.forEach((s, q) => {
      const y = labels[s * dim + c];
      const e = pred[q * dim + c] - y;
      ssRes += e * e;
      ssTot += (y - mean) ** 2;
      abs.push(Math.abs(e));
    });
    r2.push(ssTot > 0 ? 1 - ssRes / ssTot : ssRes === 0 ? 1 : 0);
    mae.push(median(abs));
  }
  return { n_test: n, columns, r2, r2_mean: r2.reduce((a, b) => a + b, 0) / dim, median_abs_error: mae };
}

function trainMeanChance(labels: Float32Array, dim: number, rows: LabelRows, columns: string[]): ContinuousLabelDecodeResult["chance"] {
  const mean = new Float64Array(dim);
  for (const s of rows.train) for (let c = 0; c < dim; c++) mean[c] += labels[s * dim + c] / rows.train.length;
  const pred = new Float64Array(rows.test.length * dim);
  for (let q = 0; q < rows.test.length; q++) pred.set(mean, q * dim);
  const s = regressionScores(pred, labels, rows.test, dim, columns);
  return { r2: s.r2, r2_mean: s.r2_mean, median_abs_error: s.median_abs_error, formula: "predict the training mean of each label column for every test sample" };
}

function columnVariance(labels: Float32Array, rows: Int32Array, dim: number, c: number): number {
  let mean = 0;
  for (const s of rows) mean += labels[s * dim + c] / rows.length;
  let v = 0;
  for (const s of rows) v += (labels[s * dim + c] - mean) ** 2;
  return v;
}

// ------------------------------------------------------------------ discrete labels

function discreteTask(labels: Extract<LabelSpec, { kind: "discrete" }>): LabelTask {
  // Class values → dense indices 0..C−1 for voting.
  const classes = [...new Set(Array.from(labels.data).filter((c) => c >= 0))].sort((a, b) => a - b);
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const dense = Int32Array.from(labels.data, (c) => (c >= 0 ? classIndex.get(c)! : -1));
  const predict = (result: KnnResult, k: number) => {
    const voter = new Voter(classes.length);
    const neighbourClasses = Int32Array.from(result.indices, (row) => dense[row]);
    return Array.from({ length: result.n_queries }, (_, q) => voter.vote(neighbourClasses, q * result.k, k));
  };
  return {
    criterion: "largest accuracy on the validation samples",
    evaluate(result, truthRows, k) {
      const votes = predict(result, k);
      const acc = votes.filter((v, q) => v.label === dense[truthRows[q]]).length / votes.length;
      return { criterion_value: acc, scores: { accuracy: acc } };
    },
    finish(result, rows, timestamps, common): DiscreteLabelDecodeResult {
      const votes = faultActive("majority-decoder") ? majorityVotes(dense, rows.train, classes.length, result.n_queries) : predict(result, result.k);
      const confusion = classes.map(() => new Array<number>(classes.length).fill(0));
      const out: DiscreteLabelRow[] = Array.from(rows.test, (sample, q) => {
        const truth = dense[sample], predicted = votes[q].label;
        confusion[truth][predicted]++;
        return {
          sample, time_s: timeOf(timestamps, sample), true_label: classes[truth], predicted: classes[predicted],
          correct: truth === predicted, confidence: votes[q].votes / result.k,
          neighbours: neighboursOf(result, q, (n) => labels.data[n]),
        };
      });
      const correct = out.filter((r) => r.correct).length;
      const scores: DiscreteLabelScores = {
        n_test: out.length, accuracy: correct / out.length, classes, confusion,
        ...(labels.class_names ? { class_names: classes.map((c) => labels.class_names![c] ?? String(c)) } : {}),
      };
      return { kind: "labels_discrete", ...common, scores, chance: majorityChance(confusion, classes), rows: out, warnings: [] };
    },
  };
}

/** The `majority-decoder` fault (src/util/faults.ts, negative evals only): every query gets the training mean. */
function trainMeanPrediction(data: Float32Array, dim: number, train: Int32Array, nQueries: number): Float64Array {
  const mean = new Float64Array(dim);
  for (const r of train) for (let c = 0; c < dim; c++) mean[c] += data[r * dim + c] / train.length;
  const out = new Float64Array(nQueries * dim);
  for (let q = 0; q < nQueries; q++) out.set(mean, q * dim);
  return out;
}

/** The `majority-decoder` fault for classes: every query gets the most common training class (ties: the lowest). */
function majorityVotes(dense: Int32Array, train: Int32Array, nClasses: number, nQueries: number): { label: number; votes: number }[] {
  const counts = new Array<number>(nClasses).fill(0);
  for (const r of train) if (dense[r] >= 0) counts[dense[r]]++;
  const label = counts.indexOf(Math.max(...counts));
  return Array.from({ length: nQueries }, () => ({ label, votes: 0 }));
}

function majorityChance(confusion: number[][], classes: number[]): DiscreteLabelDecodeResult["chance"] {
  const totals = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const n = totals.reduce((a, b) => a + b, 0);
  let best = 0;
  for (let i = 1; i < totals.length; i++) if (totals[i] > totals[best]) best = i;
  return { accuracy: totals[best] / n, majority_class: classes[best], formula: "share of the test set's most frequent class (the best constant guess)" };
}

// ------------------------------------------------------------------ shared

function neighboursOf(result: KnnResult, q: number, labelOf: (row: number) => number | number[] | undefined): LabelNeighbour[] {
  const out: LabelNeighbour[] = [];
  for (let j = 0; j < result.k; j++) {
    const row = result.indices[q * result.k + j];
    const label = labelOf(row);
    out.push({ train_sample: row, distance: result.distances[q * result.k + j], ...(label === undefined ? {} : { label }) });
  }
  return out;
}

function describeProtocol(selection: KSelection, nTrain: number, nTest: number, kind: LabelSpec["kind"], source: string): string {
  const model = kind === "continuous" ? "kNN regression (mean of neighbours' labels)" : "kNN classification (majority vote)";
  return `${model}; ${describeK(selection)}; fit on ${nTrain} training samples of ${source}, decoding ${nTest} held-out samples.`;
}
