/**
 * Words drawn onto reconstructions: per-tile labels, captions with provenance, the retrieval
 * statement, and the colour code for correct / incorrect decodes. Kept in one place so every
 * layout says the same honest thing the same way.
 */
import { UserError } from "../util/errors.js";
import type { DecodedRow, MovieFrames, ReconstructionSummary } from "./types.js";

/** Printed on every image that shows decoded frames. */
export const RETRIEVAL_STATEMENT =
  "Decoded frames are retrieved from the stimulus movie by the decoded index (kNN on the embedding), not generated.";

/** Whether a decoded frame is inside the acceptance window (|error| < window), outside, or unknown. */
export type DecodeStatus = "within" | "outside" | "unknown";

export const STATUS_COLOUR: Record<DecodeStatus, string> = { within: "#1a9641", outside: "#d7191c", unknown: "#8c8c8c" };
const STATUS_MARK: Record<DecodeStatus, string> = { within: "✓", outside: "✗", unknown: "?" };

/** CEBRA's criterion: correct when |predicted − true| < window (strictly), unknown without a true frame. */
export function decodeStatus(row: DecodedRow, windowFrames: number): DecodeStatus {
  if (row.error === null || row.true_frame === null) return "unknown";
  return Math.abs(row.error) < windowFrames ? "within" : "outside";
}

/** The three label lines under a decoded tile: time, decoded and true index, error and confidence. */
export function decodedTileLines(row: DecodedRow, windowFrames: number): string[] {
  const status = decodeStatus(row, windowFrames);
  const truth = row.true_frame === null ? "true n/a" : `true #${row.true_frame}`;
  const err = row.error === null ? "err n/a" : `err ${row.error > 0 ? "+" : ""}${formatError(row.error)} fr`;
  return [
    `t=${row.time_s.toFixed(2)} s (sample ${row.sample})`,
    `decoded #${row.predicted_frame} · ${truth}`,
    `${err} ${STATUS_MARK[status]} · conf ${row.confidence.toFixed(2)}`,
  ];
}

function formatError(error: number): string {
  return Number.isInteger(error) ? String(error) : error.toFixed(1);
}

/** Title line naming the decoding run. */
export function titleLine(summary: ReconstructionSummary, layoutName: string): string {
  return `Decoded video (${layoutName}) · decoding ${summary.decoding_id}`;
}

/** Provenance line: recording, model, decoder, accuracy, how many samples are shown. */
export function provenanceLine(summary: ReconstructionSummary, shown: number, total: number): string {
  const parts: string[] = [];
  if (summary.recording_id) parts.push(`recording ${summary.recording_id}`);
  if (summary.model_id) parts.push(`model ${summary.model_id}`);
  if (summary.decoder) parts.push(summary.decoder);
  if (summary.accuracy !== undefined) {
    parts.push(`accuracy ${(summary.accuracy * 100).toFixed(1)}% (|error| < ${summary.window_frames} frames, all test samples)`);
  }
  parts.push(`showing ${shown} of ${total} decoded samples`);
  return parts.join(" · ");
}

/**
 * The reference points that make the accuracy readable: chance and each control of this decoding
 * (or that it was not computed). Undefined when the summary carries neither.
 */
export function referenceLine(summary: ReconstructionSummary): string | undefined {
  const parts: string[] = [];
  if (summary.chance_accuracy !== undefined) parts.push(`chance ${pct(summary.chance_accuracy)}`);
  for (const c of summary.controls ?? []) parts.push(c.accuracy === undefined ? `${c.name}: not computed` : `${c.name} ${pct(c.accuracy)}`);
  if (parts.length === 0) return undefined;
  return `Compare with: ${parts.join(" · ")} (same window and test samples).`;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** How the signed error in tile labels reads. */
export const ERROR_KEY = "err = decoded − true in frames (+ = decoded frame later in the movie, − = earlier)";

/** Explains the border colours. */
export function borderLegend(windowFrames: number): string {
  return `Border: green ✓ = |error| < ${windowFrames} frames; red ✗ = |error| ≥ ${windowFrames}; grey ? = no true frame on screen.`;
}

/** Throw a UserError naming the first row whose frame indices are outside the movie. */
export function validateRows(rows: readonly DecodedRow[], movie: MovieFrames | undefined): void {
  if (!movie) return;
  const bad = rows.find(
    (r) =>
      !inMovie(r.predicted_frame, movie.n_frames) || (r.true_frame !== null && !inMovie(r.true_frame, movie.n_frames)),
  );
  if (bad) {
    throw new UserError(
      `Sample ${bad.sample}: frame index (decoded ${bad.predicted_frame}, true ${bad.true_frame}) is outside the movie's 0–${movie.n_frames - 1}.`,
      "Decode against the same recording whose movie is rendered.",
    );
  }
}

function inMovie(frame: number, nFrames: number): boolean {
  return Number.isInteger(frame) && frame >= 0 && frame < nFrames;
}
