/**
 * Choosing which decoded samples a rendering shows: a sample range, an evenly spaced count within
 * it, or an explicit list. Deterministic (no randomness), so the same request shows the same frames.
 */
import { UserError } from "../util/errors.js";
import type { DecodedRow, SampleSelection } from "./types.js";

/** `k` indices evenly spaced over [0, n) including both ends (k ≥ n returns all). */
export function evenlySpaced(n: number, k: number): number[] {
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  if (k <= 0) return [];
  if (k === 1) return [Math.floor((n - 1) / 2)];
  return Array.from({ length: k }, (_, i) => Math.round((i * (n - 1)) / (k - 1)));
}

/** Rows chosen by a selection, sorted by time, plus notes on what was chosen. */
interface SelectedRows {
  rows: DecodedRow[];
  /** Rows in the requested range before thinning to `count`. */
  in_range: number;
  notes: string[];
}

/** How a layout selects by default. */
export interface SelectionLimits {
  /** Samples shown when the selection gives no count. */
  default_count: number;
  /** Most samples the layout shows. */
  max_count: number;
  /** Without count and end, take the first default_count consecutive samples (animations) instead of spreading them. */
  contiguous_default?: boolean;
  /**
   * Acceptance window in frames: when given, a thinned selection is stratified so that decodes outside
   * the window (|error| ≥ window) make up half of it when there are that many (the `pairs` layout, whose
   * point is to compare a wrong frame with what was on screen), with a note giving their true share.
   */
  stratify_window?: number;
}

/**
 * Apply a selection to decoded rows: explicit samples, or a range thinned to an evenly spaced
 * count (layout default when absent; consecutive samples for contiguous layouts).
 * `max_count` caps requests (with a note). Throws UserError when nothing is selected.
 */
export function selectRows(rows: readonly DecodedRow[], sel: SampleSelection | undefined, limits: SelectionLimits): SelectedRows {
  const { default_count: defaultCount, max_count: maxCount } = limits;
  if (rows.length === 0) throw new UserError("No decoded samples to render (rows is empty).", "Run decoding first, or pass its rows.");
  const sorted = [...rows].sort((a, b) => a.sample - b.sample);
  const notes: string[] = [];
  if (sel?.samples && sel.samples.length > 0) return { rows: pickSamples(sorted, sel.samples, maxCount, notes), in_range: sel.samples.length, notes };
  const inRange = sliceRange(sorted, sel?.start, sel?.end);
  if (limits.contiguous_default && sel?.count === undefined && sel?.end === undefined && inRange.length > defaultCount) {
    const run = inRange.slice(0, defaultCount);
    notes.push(`showing ${defaultCount} consecutive samples ${run[0]!.sample}–${run[run.length - 1]!.sample}; pass end or count to choose others`);
    return { rows: run, in_range: inRange.length, notes };
  }
  let count = sel?.count ?? defaultCount;
  if (!Number.isInteger(count) || count < 1) {
    throw new UserError(`Sample count ${count} is not a positive integer.`, "Pass count ≥ 1, or omit it for the layout's default.");
  }
  if (count > maxCount) {
    notes.push(`requested ${count} samples; this layout shows at most ${maxCount}`);
    count = maxCount;
  }
  if (limits.stratify_window !== undefined && count < inRange.length) {
    const stratified = stratify(inRange, count, limits.stratify_window, notes);
    if (stratified) return { rows: stratified, in_range: inRange.length, notes };
  }
  const picked = evenlySpaced(inRange.length, count).map((i) => inRange[i]!);
  if (picked.length < inRange.length) notes.push(`showing ${picked.length} of ${inRange.length} samples in the range, evenly spaced`);
  return { rows: picked, in_range: inRange.length, notes };
}

/**
 * `count` rows: up to half from the decodes outside the window, the rest from the others, each evenly
 * spaced in time, sorted by sample; null when the range holds only one kind (plain spacing then).
 */
function stratify(inRange: DecodedRow[], count: number, window: number, notes: string[]): DecodedRow[] | null {
  const outside = (r: DecodedRow) => r.error !== null && Math.abs(r.error) >= window;
  const wrong = inRange.filter(outside);
  const rest = inRange.filter((r) => !outside(r));
  if (wrong.length === 0 || rest.length === 0) return null;
  const nWrong = Math.min(wrong.length, Math.max(1, Math.floor(count / 2)));
  const nRest = Math.min(rest.length, count - nWrong);
  const picked = [...evenlySpaced(wrong.length, nWrong).map((i) => wrong[i]!), ...evenlySpaced(rest.length, nRest).map((i) => rest[i]!)];
  picked.sort((a, b) => a.sample - b.sample);
  const share = ((100 * wrong.length) / inRange.length).toFixed(1);
  notes.push(
    `showing ${nWrong} decodes outside the ±${window}-frame window and ${nRest} others, each evenly spaced in time (stratified so wrong decodes can be compared with the frame on screen; ${wrong.length} of the ${inRange.length} samples in the range, ${share}%, are outside)`,
  );
  return picked;
}

function sliceRange(sorted: DecodedRow[], start: number | undefined, end: number | undefined): DecodedRow[] {
  const lo = start ?? -Infinity;
  const hi = end ?? Infinity;
  const inRange = sorted.filter((r) => r.sample >= lo && r.sample < hi);
  if (inRange.length === 0) {
    const first = sorted[0]!.sample;
    const last = sorted[sorted.length - 1]!.sample;
    throw new UserError(
      `Sample range [${start ?? "start"}, ${end ?? "end"}) contains no decoded samples (decoded samples span ${first}–${last}).`,
      `Choose start/end within ${first}–${last + 1}.`,
    );
  }
  return inRange;
}

function pickSamples(sorted: DecodedRow[], samples: number[], maxCount: number, notes: string[]): DecodedRow[] {
  const bySample = new Map(sorted.map((r) => [r.sample, r]));
  const missing = samples.filter((s) => !bySample.has(s));
  if (missing.length > 0) {
    throw new UserError(
      `Samples ${missing.slice(0, 10).join(", ")}${missing.length > 10 ? ", …" : ""} were not decoded.`,
      `Pick samples from the decoded set (${sorted[0]!.sample}–${sorted[sorted.length - 1]!.sample}), or use start/end/count.`,
    );
  }
  const unique = [...new Set(samples)].sort((a, b) => a - b);
  const kept = unique.length > maxCount ? evenlySpaced(unique.length, maxCount).map((i) => unique[i]!) : unique;
  if (kept.length < unique.length) notes.push(`requested ${unique.length} samples; showing ${kept.length}, evenly spaced`);
  return kept.map((s) => bySample.get(s)!);
}
