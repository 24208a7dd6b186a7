/**
 * Choosing k for a kNN decoder from a grid by validation, as the CEBRA demos do: fit on part of the
 * training samples, score each k on the held-out validation part, keep the best (ties → smaller k),
 * then the caller refits on all training samples with that k.
 */
import { UserError } from "../util/errors.js";
import type { KScore, KSelection } from "./types.js";

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
    n_fit: plan.n_fit, n_validation: plan.n_validation, k_scores, skipped_k: plan.skipped,
  };
}

/** One phrase saying how k was set, for protocol descriptions. */
export function describeK(selection: KSelection): string {
  if (selection.method === "fixed") return `k = ${selection.chosen_k} (fixed)`;
  const grid = selection.k_scores.map((s) => s.k).join(", ");
  return `k = ${selection.chosen_k} chosen from {${grid}} by ${selection.criterion} (validation: ${selection.validation})`;
}
