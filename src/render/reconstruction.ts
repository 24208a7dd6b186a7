/**
 * `renderReconstruction`: turns decoded rows + the stimulus movie into images of the "reconstructed
 * video". The reconstruction is RETRIEVAL — every decoded tile is the movie frame at the decoded
 * index — and every image says so, with per-tile provenance (time, decoded/true index, error,
 * confidence). Previews fit the MCP client budget; full-resolution versions are returned for disk.
 */
import { UserError } from "../util/errors.js";
import { renderAnimationFullResolution, renderAnimationPreview } from "./animation.js";
import { resolveBudget, type ImageBudget } from "./budget.js";
import { validateMovie } from "./canvas.js";
import { fontWarning } from "./fonts.js";
import { validateRows } from "./labels.js";
import { selectRows, type SelectionLimits } from "./selection.js";
import { renderSheetFullResolution, renderSheetPreview, type SheetKind } from "./tile-sheet.js";
import { renderTimeline } from "./timeline.js";
import type { DecodedRow, MovieFrames, ReconstructionImage, ReconstructionSummary, RenderResult, SampleSelection } from "./types.js";

export type ReconstructionLayout = "side_by_side" | "contact_sheet" | "pairs" | "animation" | "timeline";

/** Default and maximum number of samples per layout (animations default to consecutive samples). */
export const LAYOUT_SAMPLE_LIMITS: Readonly<Record<ReconstructionLayout, SelectionLimits>> = Object.freeze({
  side_by_side: { default_count: 8, max_count: 48 },
  contact_sheet: { default_count: 24, max_count: 150 },
  pairs: { default_count: 12, max_count: 60 },
  animation: { default_count: 60, max_count: 300, contiguous_default: true },
  timeline: { default_count: 5000, max_count: 5000 },
});

export interface RenderReconstructionOptions {
  /** Decoded samples (any order); the selection picks which are shown. */
  rows: readonly DecodedRow[];
  /** Stimulus movie; required for every layout except `timeline`. */
  movie?: MovieFrames;
  summary: ReconstructionSummary;
  layout: ReconstructionLayout;
  selection?: SampleSelection;
  /** Limits for the previews (defaults: CLIENT_IMAGE_BUDGET; may only tighten). */
  budget?: Partial<ImageBudget>;
  /** Animation playback rate in frames per second; default: the movie's frame rate. */
  fps?: number;
  /** Also render full-resolution versions (default true). */
  full_resolution?: boolean;
}

/** Browsers show animation frames shorter than this for 100 ms, so shorter delays are raised. */
const MIN_DELAY_MS = 20;

/** Render decoded rows in one layout; see the module comment. Throws UserError on bad input. */
export async function renderReconstruction(o: RenderReconstructionOptions): Promise<RenderResult<ReconstructionImage>> {
  const limits = LAYOUT_SAMPLE_LIMITS[o.layout];
  if (!limits) {
    throw new UserError(`Unknown layout "${o.layout}".`, `Use one of: ${Object.keys(LAYOUT_SAMPLE_LIMITS).join(", ")}.`);
  }
  validateSummary(o.summary);
  if (o.movie) validateMovie(o.movie);
  else if (o.layout !== "timeline") {
    throw new UserError(`Layout "${o.layout}" needs the stimulus movie, but none was given.`, "Load a recording that includes its movie, or use layout \"timeline\".");
  }
  validateRows(o.rows, o.movie);
  const budget = resolveBudget(o.budget);
  // pairs exist to compare wrong decodes with the frame on screen: its selection includes them.
  const selected = selectRows(o.rows, o.selection, o.layout === "pairs" ? { ...limits, stratify_window: o.summary.window_frames } : limits);
  const notes = [...selected.notes];
  const result = await renderLayout(o, selected.rows, budget, notes);
  const fonts = fontWarning();
  if (fonts) notes.push(fonts);
  return { ...result, notes };
}

async function renderLayout(
  o: RenderReconstructionOptions,
  rows: DecodedRow[],
  budget: ImageBudget,
  notes: string[],
): Promise<Omit<RenderResult<ReconstructionImage>, "notes">> {
  const wantFull = o.full_resolution ?? true;
  if (o.layout === "timeline") {
    const { preview, full } = await renderTimeline({ rows, summary: o.summary, n_frames: o.movie?.n_frames, total_rows: o.rows.length }, budget, notes);
    return { images: [preview], full_resolution: wantFull ? [full] : [] };
  }
  const movie = o.movie!;
  if (o.layout === "animation") {
    const req = { rows, movie, summary: o.summary, delay_ms: animationDelay(o.fps ?? movie.frame_rate_hz, notes) };
    notes.push(playbackNote(rows, req.delay_ms));
    const preview = await renderAnimationPreview(req, budget, notes);
    return { images: [preview], full_resolution: wantFull ? await renderAnimationFullResolution(req) : [] };
  }
  const req = { kind: o.layout as SheetKind, rows, movie, summary: o.summary, total_rows: o.rows.length };
  const preview = await renderSheetPreview(req, budget, notes);
  return { images: [preview], full_resolution: wantFull ? [await renderSheetFullResolution(req)] : [] };
}

function validateSummary(s: ReconstructionSummary): void {
  if (!(s.window_frames > 0)) {
    throw new UserError(`summary.window_frames must be a positive number of frames, got ${s.window_frames}.`, "Pass the decoder's acceptance window (CEBRA uses 30 frames = 1 s).");
  }
  if (s.accuracy !== undefined && !(s.accuracy >= 0 && s.accuracy <= 1)) {
    throw new UserError(`summary.accuracy must be a fraction in [0, 1], got ${s.accuracy}.`, "Pass accuracy as a fraction (0.72, not 72).");
  }
}

/** Page delay in ms for a playback rate: 1000 / fps, raised to MIN_DELAY_MS. */
function animationDelay(fps: number, notes: string[]): number {
  if (!(fps > 0)) throw new UserError(`Animation frame rate ${fps} is not positive.`, "Pass fps > 0, or omit it to use the movie's frame rate.");
  const delay = Math.round(1000 / fps);
  if (delay >= MIN_DELAY_MS) return delay;
  notes.push(`${fps} fps would need ${delay} ms pages; raised to ${MIN_DELAY_MS} ms (browsers slow shorter delays to 100 ms)`);
  return MIN_DELAY_MS;
}

/** How playback speed relates to real time, from the median spacing of the shown samples. */
function playbackNote(rows: DecodedRow[], delayMs: number): string {
  const dts = rows.slice(1).map((r, i) => r.time_s - rows[i]!.time_s).sort((a, b) => a - b);
  if (dts.length === 0) return `animation: one page shown for ${delayMs} ms`;
  const dt = dts[Math.floor(dts.length / 2)]!;
  const speed = (dt * 1000) / delayMs;
  return `animation: samples are ${dt.toFixed(3)} s apart and each page shows ${delayMs} ms, so playback runs at ${speed.toFixed(2)}× real time`;
}
