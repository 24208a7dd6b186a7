/**
 * Choosing a kNN decoder's settings by validation, as the CEBRA demos choose k: fit on part of the
 * training samples, score every candidate on the held-out validation part, keep the best, then the caller
 * refits on all training samples with it. The candidates are (preprocessing × distance × k): every
 * decoder (the embedding and each control) runs this same selection, so each comparison is between
 * decoders tuned equally hard on data the test never touches. Ties → the earlier candidate (preprocessing
 * none, sqrt, zscore; metric cosine, euclidean, correlation; smaller k).
 */
import { UserError } from "../util/errors.js";
import { KNN_METRICS, type KnnMetric } from "./knn.js";
import { PREPROCESSING_WORDS, type Preprocessing } from "./preprocess.js";
import type { ConfigScore, KScore, KSelection } from "./types.js";

/** The demo grid plus 4 and 16 (CEBRA's `KNNDecoder.iter_hyperparams` {1,4,9,16,25} ∪ the Allen {1,9,25,49}). */
export const DEFAULT_K_GRID: readonly number[] = [1, 4, 9, 16, 25, 49];

/** Grid values usable with `nFit` fitting rows (sorted, distinct) and the ones skipped as too large. */
export function usableGrid(grid: readonly number[], nFit: number, what: string): { ks: number[]; skipped: number[] } {
  for (const k of grid) {
    if (!Number.isInteger(k) || k < 1) {
      throw new UserError(`${what}: k grid value ${k} is not a positive integer.`, "Pass k_grid as positive integers, e.g. [1, 4, 9, 16, 25, 49].");
    }
  }
  const sorted = [...new Set(grid)].sort((a, b) => a - b);
  const ks = sorted.filter((k) => k <= nFit);
  const skipped = sorted.filter((k) => k > nFit);
  if (sorted.length === 0) throw new UserError(`${what}: the k grid is empty.`, "Pass k_grid with at least one value, or pass k.");
  if (ks.length === 0) {
    throw new UserError(
      `${what}: every k in the grid (${sorted.join(", ")}) exceeds the ${nFit} samples available for fitting during k selection.`,
      `Pass a fixed k ≤ ${nFit}, or use more training data.`,
    );
  }
  return { ks, skipped };
}

/** A fixed k from the caller, checked against the training set size. */
export function fixedK(k: number, nTrain: number, what: string): KSelection {
  if (!Number.isInteger(k) || k < 1 || k > nTrain) {
    throw new UserError(
      `${what}: k = ${k} but there are ${nTrain} training samples.`,
      `Pass an integer k between 1 and ${nTrain}, or omit k to choose it by validation.`,
    );
  }
  return {
    method: "fixed", chosen_k: k, criterion: "k given by the caller", validation: "none",
    n_fit: nTrain, n_validation: 0, k_scores: [], skipped_k: [],
    ...defaultConfig(),
  };
}

/** Settings without a validation split: cosine on the features as given. */
function defaultConfig(): Pick<KSelection, "metric" | "preprocessing" | "metric_source" | "preprocessing_source" | "config_scores"> {
  return { metric: "cosine", preprocessing: "none", metric_source: "default", preprocessing_source: "default", config_scores: [] };
}

/** `fixedK` with the caller's metric (when given) and no preprocessing: for decoders with no validation split. */
export function fixedSettings(k: number, nTrain: number, what: string, metric: KnnMetric | undefined): KSelection {
  const s = fixedK(k, nTrain, what);
  return metric ? { ...s, metric, metric_source: "user" } : s;
}

/** One decoder configuration besides k. */
export interface DecoderConfig {
  preprocessing: Preprocessing;
  metric: KnnMetric;
}

/** The candidate configurations: each applicable preprocessing × each metric (or the caller's metric only). */
export function candidateConfigs(preprocessings: readonly Preprocessing[], userMetric: KnnMetric | undefined): DecoderConfig[] {
  const metrics = userMetric ? [userMetric] : KNN_METRICS;
  return preprocessings.flatMap((preprocessing) => metrics.map((metric) => ({ preprocessing, metric })));
}

interface ConfigPlan extends Omit<ValidationPlan, "evaluate"> {
  configs: DecoderConfig[];
  /** Builds the evaluation of one configuration (typically one kNN search at the largest k). */
  evaluator: (config: DecoderConfig) => ValidationPlan["evaluate"];
  /** Whether k came from the grid ("validation") or the caller ("fixed", a one-value grid). */
  k_method: "fixed" | "validation";
  user_metric: boolean;
}

/** Evaluates every configuration and k; keeps the best (earliest among equals). */
export function selectConfig(plan: ConfigPlan): KSelection {
  if (plan.configs.length === 0) {
    throw new UserError("Decoder selection: no preprocessing candidate applies to these features.", "Allow preprocessing \"none\" (it always applies).");
  }
  let best: { selection: KSelection; config: DecoderConfig } | null = null;
  const config_scores: ConfigScore[] = [];
  for (const config of plan.configs) {
    const selection = selectK({ ...plan, evaluate: plan.evaluator(config) });
    const top = selection.k_scores.find((s) => s.k === selection.chosen_k)!;
    config_scores.push({ ...config, k: top.k, criterion_value: top.criterion_value });
    const bestValue = best ? best.selection.k_scores.find((s) => s.k === best!.selection.chosen_k)!.criterion_value : 0;
    const improves = !best || (plan.better === "lower" ? top.criterion_value < bestValue : top.criterion_value > bestValue);
    if (improves) best = { selection, config };
  }
  if (!best) throw new Error("unreachable: no best configuration");
  return {
    ...best.selection,
    method: plan.k_method,
    metric: best.config.metric,
    preprocessing: best.config.preprocessing,
    metric_source: plan.user_metric ? "user" : "validation",
    preprocessing_source: "validation",
    config_scores,
  };
}

interface ValidationPlan {
  ks: number[];
  skipped: number[];
  /** Score of one k: the criterion value plus other scores for the record. */
  evaluate: (k: number) => { criterion_value: number; scores: Record<string, number | null> };
  /** Whether lower or higher criterion values are better. */
  better: "lower" | "higher";
  criterion: string;
  validation: string;
  n_fit: number;
  n_validation: number;
}

/** Evaluates every k and keeps the best (the first, i.e. smallest, among equals). */
export function selectK(plan: ValidationPlan): KSelection {
  const k_scores: KScore[] = plan.ks.map((k) => ({ k, ...plan.evaluate(k) }));
  let best = k_scores[0];
  for (const s of k_scores) {
    const improves = plan.better === "lower" ? s.criterion_value < best.criterion_value : s.criterion_value > best.criterion_value;
    if (improves) best = s;
  }
  return {
    method: "validation", chosen_k: best.k, criterion: plan.criterion, validation: plan.validation,
    n_fit: plan.n_fit, n_validation: plan.n_validation, k_scores, skipped_k: plan.skipped, ...defaultConfig(),
  };
}

/** One phrase saying how the distance, preprocessing and k were set, for protocol descriptions. */
export function describeK(selection: KSelection): string {
  const metric = `${selection.metric} distance${selection.metric_source === "user" ? " (fixed by the user)" : ""}`;
  const features = `features ${PREPROCESSING_WORDS[selection.preprocessing]}`;
  const k = selection.method === "fixed" ? `k = ${selection.chosen_k} (fixed)` : `k = ${selection.chosen_k}`;
  if (selection.preprocessing_source === "default") return `${metric}, ${features}, ${k}`;
  const grid = selection.method === "fixed" ? "" : ` × k ∈ {${selection.k_scores.map((s) => s.k).join(", ")}}`;
  const metrics = [...new Set(selection.config_scores.map((c) => c.metric))].join("/");
  const preps = [...new Set(selection.config_scores.map((c) => c.preprocessing))].join("/");
  return `${metric}, ${features}, ${k}: chosen from preprocessing {${preps}} × metric {${metrics}}${grid} by ${selection.criterion} (validation: ${selection.validation})`;
}
