/**
 * Result types of the decoders (snake_case, plain numbers/arrays/strings: ready for JSON) and the
 * helpers that shrink them for MCP tool results: `summarizeDecoding` (scores + controls + chance, no rows)
 * and `truncateRows` (the first n provenance rows with a count of the rest).
 *
 * Decoding here is retrieval: a kNN decoder outputs a label (a movie frame index, a class, a position)
 * that some training samples had; every row says which training samples voted for it.
 */
import type { KnnMetric } from "./knn.js";
import type { Preprocessing } from "./preprocess.js";
import { BOOTSTRAP, compareDecoders, comparisonSentence, type Comparison } from "./compare.js";

// ------------------------------------------------------------------ k selection

/** Validation score of one candidate k. */
export interface KScore {
  k: number;
  /** The selection criterion's value (see `KSelection.criterion`). */
  criterion_value: number;
  /** Other scores at this k on the validation samples (accuracy, errors, r2…), for the record. */
  scores: Record<string, number | null>;
}

export interface KSelection {
  /** "fixed" when the caller passed k; "validation" when chosen from the grid. */
  method: "fixed" | "validation";
  chosen_k: number;
  /** e.g. "smallest sum of |frame error| on the validation repeat", "largest accuracy on the validation samples". */
  criterion: string;
  /** Which samples were the validation set and which were fitted, e.g. "repeat 8; fit on repeats 0, …, 7". */
  validation: string;
  n_fit: number;
  n_validation: number;
  /** Every grid k that was evaluated, in grid order. */
  k_scores: KScore[];
  /** Grid values that were skipped because they exceed the fitting set. */
  skipped_k: number[];
  /** The distance and preprocessing used, chosen with k by the same validation (see `config_scores`). */
  metric: KnnMetric;
  preprocessing: Preprocessing;
  /** "validation": chosen by the criterion; "user": the caller fixed the metric; "default": no validation split (cosine, as given). */
  metric_source: "validation" | "user" | "default";
  preprocessing_source: "validation" | "default";
  /** Every (preprocessing, metric) candidate with its best k and that k's criterion value, in candidate order. */
  config_scores: ConfigScore[];
}

/** Validation result of one (preprocessing, metric) candidate at its best k. */
export interface ConfigScore {
  preprocessing: Preprocessing;
  metric: KnnMetric;
  k: number;
  criterion_value: number;
}

// ------------------------------------------------------------------ movie frames

export interface FrameScores {
  /** Scored test samples (known, in-range target frame). */
  n_test: number;
  /** Fraction with |predicted − true| < window frames (strict, no wrap-around), CEBRA's Allen metric. */
  accuracy: number;
  /** Fraction with predicted = true. */
  exact_accuracy: number;
  median_abs_error: number;
  mean_abs_error: number;
  window: number;
}

/** What a decoder guessing uniformly over the movie's frames scores on the same test targets. */
export interface FrameChance {
  n_frames: number;
  accuracy: number;
  exact_accuracy: number;
  mean_abs_error: number;
  /** The formulas used (plain text). */
  formula: string;
}

interface FrameNeighbour {
  /** Sample index of the training row (first sample of the frame's bins when bins were averaged). */
  train_sample: number;
  repeat: number;
  /** The frame this neighbour voted for (its target: its frame + lag_frames). */
  frame: number;
  distance: number;
}

export interface FrameDecodeRow {
  /** Sample index (first sample of the frame's bins when bins were averaged). */
  sample: number;
  /** Bins averaged into this row (1 unless `average_frame_bins`). */
  n_bins: number;
  time_s: number | null;
  /** Target frame (frame at the sample + lag_frames), null where no frame was shown. */
  true_frame: number | null;
  predicted_frame: number;
  /** predicted − true (frames), null where true_frame is null. */
  error: number | null;
  /** Vote share of the predicted frame among the k neighbours. */
  confidence: number;
  /** The k neighbours, nearest first. */
  neighbours: FrameNeighbour[];
}

export interface FrameDecodeCounts {
  /** Training rows (after bin averaging) used in the final fit. */
  n_train: number;
  /** Test rows decoded (scored + unlabelled). */
  n_test_rows: number;
  /** Test rows with no frame shown (decoded, not scored). */
  unlabelled_test: number;
  /** Rows whose lagged frame falls outside the movie, dropped. */
  excluded_lag_train: number;
  excluded_lag_test: number;
  /** Rows with a non-finite feature value, dropped. */
  excluded_nonfinite_train: number;
  excluded_nonfinite_test: number;
}

export interface FrameDecodeResult {
  kind: "frames";
  /** What was decoded from, e.g. "embedding", "raw activity (per sample)". */
  features_source: string;
  feature_dim: number;
  metric: KnnMetric;
  preprocessing: Preprocessing;
  k: number;
  k_selection: KSelection;
  train_repeats: number[];
  test_repeat: number;
  validation_repeat: number | null;
  lag_frames: number;
  window: number;
  average_frame_bins: boolean;
  n_frames: number;
  counts: FrameDecodeCounts;
  scores: FrameScores;
  chance: FrameChance;
  rows: FrameDecodeRow[];
  /** One-paragraph description of the protocol that produced these numbers. */
  protocol: string;
  warnings: string[];
}

// ------------------------------------------------------------------ labels (no movie)

export interface ContinuousLabelScores {
  n_test: number;
  columns: string[];
  /** sklearn r2_score per column (a constant true column scores 1 if predicted exactly, else 0). */
  r2: number[];
  r2_mean: number;
  median_abs_error: number[];
}

export interface DiscreteLabelScores {
  n_test: number;
  accuracy: number;
  /** Class values in the order used by `confusion`. */
  classes: number[];
  class_names?: string[];
  /** confusion[i][j] = test samples of class classes[i] predicted as classes[j]. */
  confusion: number[][];
}

export interface LabelNeighbour {
  train_sample: number;
  distance: number;
  /** The neighbour's label: a class, or the label vector when it has at most 16 columns. */
  label?: number | number[];
}

export interface ContinuousLabelRow {
  sample: number;
  time_s: number | null;
  true_label: number[];
  predicted: number[];
  /** predicted − true per column. */
  error: number[];
  neighbours: LabelNeighbour[];
}

export interface DiscreteLabelRow {
  sample: number;
  time_s: number | null;
  true_label: number;
  predicted: number;
  correct: boolean;
  confidence: number;
  neighbours: LabelNeighbour[];
}

export interface LabelDecodeCounts {
  n_train: number;
  n_test: number;
  /** Samples in neither part of the split. */
  unused: number;
  /** Dropped for a non-finite feature or label (or a negative class). */
  excluded_train: number;
  excluded_test: number;
}

interface LabelDecodeBase {
  features_source: string;
  feature_dim: number;
  metric: KnnMetric;
  preprocessing: Preprocessing;
  k: number;
  k_selection: KSelection;
  counts: LabelDecodeCounts;
  protocol: string;
  warnings: string[];
}

export interface ContinuousLabelDecodeResult extends LabelDecodeBase {
  kind: "labels_continuous";
  scores: ContinuousLabelScores;
  /** Predicting the training mean for every test sample. */
  chance: { r2: number[]; r2_mean: number; median_abs_error: number[]; formula: string };
  rows: ContinuousLabelRow[];
}

export interface DiscreteLabelDecodeResult extends LabelDecodeBase {
  kind: "labels_discrete";
  scores: DiscreteLabelScores;
  /** Rate of the test set's most frequent class (the best any constant guess can do). */
  chance: { accuracy: number; majority_class: number; formula: string };
  rows: DiscreteLabelRow[];
}

export type LabelDecodeResult = ContinuousLabelDecodeResult | DiscreteLabelDecodeResult;
export type DecodeResult = FrameDecodeResult | LabelDecodeResult;

// ------------------------------------------------------------------ controls

/** A control that could not be computed, and why (e.g. the shuffled-label CEBRA model was not trained). */
interface ControlNotRun {
  status: "not_run";
  reason: string;
}

export type ControlOutcome<R extends DecodeResult = DecodeResult> = { status: "ok"; result: R } | ControlNotRun;

type ControlName = "raw_per_sample" | "raw_window_averaged" | "shuffled_labels" | "untrained_encoder";

/** Controls that accompany a decoding result; every one uses the main result's protocol. */
export type DecodeControls = Partial<Record<ControlName, ControlOutcome>>;

const CONTROL_DESCRIPTIONS: Record<ControlName, string> = {
  raw_per_sample: "kNN on the raw activity of each sample (no model), same protocol.",
  raw_window_averaged:
    "kNN on raw activity averaged over the model's receptive field (the samples the model sees per output), same protocol.",
  shuffled_labels:
    "CEBRA trained with the frame→label mapping permuted, decoded with the same protocol; should be near chance.",
  untrained_encoder:
    "The same architecture at its initialisation (same seed, no training), decoded with the same protocol: what training added over the architecture's window and random features.",
};

export function controlOk<R extends DecodeResult>(result: R): ControlOutcome<R> {
  return { status: "ok", result };
}

export function controlNotRun(reason: string): ControlNotRun {
  return { status: "not_run", reason };
}

// ------------------------------------------------------------------ summaries

type ScoresOf<R extends DecodeResult> = R["scores"];
type ChanceOf<R extends DecodeResult> = R["chance"];

/** The settings a decoder ended with, as chosen on validation (or fixed by the user). */
export interface DecoderSettings {
  metric: KnnMetric;
  preprocessing: Preprocessing;
  k: number;
  /** "validation", "user" (metric fixed by the caller) or "default" (no validation split). */
  metric_source: KSelection["metric_source"];
}

interface ControlSummary {
  description: string;
  status: "ok" | "not_run";
  reason?: string;
  features_source?: string;
  k?: number;
  settings?: DecoderSettings;
  scores?: ScoresOf<DecodeResult>;
  /** The main decoder minus this control on their common test samples, with its bootstrap interval. */
  comparison?: Comparison;
  /** The comparison in words. */
  comparison_text?: string;
}

/** Names of the controls in sentences (others: their key in words). */
const CONTROL_WORDS: Record<string, string> = {
  raw_per_sample: "the raw per-sample control",
  raw_window_averaged: "the window-averaged raw control",
  shuffled_labels: "the shuffled-label control",
  untrained_encoder: "the untrained-encoder control",
};

export function controlWords(name: string): string {
  return CONTROL_WORDS[name] ?? `the ${name.replace(/_/g, " ")} control`;
}

function settingsOf(r: DecodeResult): DecoderSettings {
  return { metric: r.metric, preprocessing: r.preprocessing, k: r.k, metric_source: r.k_selection.metric_source };
}

/** Compact view of a decoding: what was decoded, how, the scores, chance and every control. */
export interface DecodingSummary {
  kind: DecodeResult["kind"];
  features_source: string;
  metric: KnnMetric;
  k: number;
  settings: DecoderSettings;
  k_criterion: string;
  k_scores: { k: number; criterion_value: number }[];
  /** Validation score of each (preprocessing, metric) candidate at its best k. */
  config_scores: KSelection["config_scores"];
  scores: ScoresOf<DecodeResult>;
  chance: ChanceOf<DecodeResult>;
  controls: Partial<Record<ControlName, ControlSummary>>;
  /** How the comparisons' intervals were computed. */
  comparison_method: string;
  protocol: string;
  /** Warnings of the result and controls, plus protocol mismatches between them. */
  warnings: string[];
}

/** Scores, chance and controls of a decoding, without the per-sample rows. */
export function summarizeDecoding(result: DecodeResult, controls: DecodeControls = {}): DecodingSummary {
  const warnings = [...result.warnings];
  const summaries: Partial<Record<ControlName, ControlSummary>> = {};
  for (const name of Object.keys(controls) as ControlName[]) {
    const outcome = controls[name];
    if (!outcome) continue;
    const description = CONTROL_DESCRIPTIONS[name];
    if (outcome.status === "not_run") {
      summaries[name] = { description, status: "not_run", reason: outcome.reason };
      continue;
    }
    const c = outcome.result;
    const comparison = compareDecoders(result, c) ?? undefined;
    summaries[name] = {
      description, status: "ok", features_source: c.features_source, k: c.k, settings: settingsOf(c), scores: c.scores,
      ...(comparison ? { comparison, comparison_text: comparisonSentence(mainWords(result), controlWords(name), comparison) } : {}),
    };
    for (const w of c.warnings) warnings.push(`${name}: ${w}`);
    for (const m of protocolMismatches(result, c)) warnings.push(`${name}: protocol differs from the main decoding (${m}).`);
  }
  return {
    kind: result.kind,
    features_source: result.features_source,
    metric: result.metric,
    k: result.k,
    settings: settingsOf(result),
    k_criterion: result.k_selection.criterion,
    k_scores: result.k_selection.k_scores.map((s) => ({ k: s.k, criterion_value: s.criterion_value })),
    config_scores: result.k_selection.config_scores,
    scores: result.scores,
    chance: result.chance,
    controls: summaries,
    comparison_method:
      `difference in the headline score (main − control) on the test samples both decoded; ${BOOTSTRAP.level * 100}% interval from a paired ` +
      `moving-block bootstrap (${BOOTSTRAP.resamples} resamples, seed ${BOOTSTRAP.seed}, about ${BOOTSTRAP.n_blocks} blocks of consecutive test samples); ` +
      "stronger/weaker when the interval excludes 0.",
    protocol: result.protocol,
    warnings,
  };
}

/** "CEBRA embedding" → "the CEBRA embedding" for sentences. */
function mainWords(r: DecodeResult): string {
  return /^(the|a|an) /i.test(r.features_source) ? r.features_source : `the ${r.features_source}`;
}

/**
 * Protocol fields that must agree between a decoding and its controls for the comparison to be fair. The
 * distance, preprocessing and k may differ: the protocol is that each decoder chooses them by the same
 * validation (a control stuck with the embedding's distance would be handicapped, not matched). The
 * selection itself must agree: k fixed or chosen, and the metric fixed by the user or not.
 */
function protocolMismatches(main: DecodeResult, control: DecodeResult): string[] {
  const out: string[] = [];
  if (main.kind !== control.kind) out.push(`kind ${control.kind} vs ${main.kind}`);
  const a = main.k_selection, b = control.k_selection;
  if (a.method !== b.method) out.push(`k ${b.method} vs ${a.method}`);
  if (a.metric_source !== b.metric_source) out.push(`metric ${b.metric_source} vs ${a.metric_source}`);
  if (a.metric_source === "user" && main.metric !== control.metric) out.push(`metric ${control.metric} vs ${main.metric}`);
  if (main.kind === "frames" && control.kind === "frames") {
    const fields = ["test_repeat", "validation_repeat", "lag_frames", "window", "average_frame_bins", "n_frames"] as const;
    for (const f of fields) if (main[f] !== control[f]) out.push(`${f} ${control[f]} vs ${main[f]}`);
    if (main.train_repeats.join(",") !== control.train_repeats.join(",")) out.push("train_repeats");
  } else if (main.scores.n_test !== control.scores.n_test) {
    out.push(`n_test ${control.scores.n_test} vs ${main.scores.n_test}`);
  }
  return out;
}

interface TruncatedRows<T> {
  rows: T[];
  /** Rows in the full result. */
  total: number;
  /** Rows left out (total − rows.length). */
  omitted: number;
}

/** The first `n` rows (for MCP results, where thousands of provenance rows would swamp the client). */
export function truncateRows<T>(rows: readonly T[], n: number): TruncatedRows<T> {
  const keep = Math.max(0, Math.min(rows.length, Math.floor(n)));
  return { rows: rows.slice(0, keep), total: rows.length, omitted: rows.length - keep };
}
