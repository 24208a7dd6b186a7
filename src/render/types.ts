/**
 * Plain-data inputs and outputs of the renderers. Rendering never imports decoding code: a
 * decoding result satisfies these interfaces structurally (rows + movie + summary facts), so
 * the data flow stays one-way (decode → render).
 */

/** One decoded sample: which movie frame the decoder picked, and (when known) which was on screen. */
export interface DecodedRow {
  /** Sample index in the recording (row of the neural matrix). */
  sample: number;
  /** Time of the sample in seconds. */
  time_s: number;
  /** Movie frame that was actually on screen, or null where none was shown / unknown. */
  true_frame: number | null;
  /** Movie frame index chosen by the decoder (kNN on the embedding). */
  predicted_frame: number;
  /** predicted − true in frames (signed: + = decoded later in the movie), or null where true_frame is null. */
  error: number | null;
  /** Decoder confidence in [0, 1] (e.g. fraction of neighbours that agree). */
  confidence: number;
}

/** The stimulus movie, `[F, H, W]` uint8 grayscale, frame-major (a `Movie` from src/data satisfies it). */
export interface MovieFrames {
  frames: Uint8Array;
  n_frames: number;
  height: number;
  width: number;
  frame_rate_hz: number;
  source?: string;
}

/** Facts about the decoding behind a reconstruction that go into its captions (provenance); not decode's `DecodingSummary`. */
export interface ReconstructionSummary {
  decoding_id: string;
  recording_id?: string;
  model_id?: string;
  /** Fraction of test samples with |error| < window_frames, in [0, 1]. */
  accuracy?: number;
  /** Acceptance window in frames: a decoded frame is "correct" when |error| < window_frames (CEBRA: 30 = 1 s). */
  window_frames: number;
  /** Short decoder description, e.g. "kNN (k=1, cosine)". */
  decoder?: string;
  /** Accuracy a decoder guessing frames uniformly would reach with the same window, in [0, 1]. */
  chance_accuracy?: number;
  /** The controls decoded with the same protocol: accuracy in [0, 1], or why the control was not computed. */
  controls?: AccuracyReference[];
}

/** One control of a decoding, as drawn and stated beside its accuracy. */
export interface AccuracyReference {
  /** Short name, e.g. "raw activity, window-averaged". */
  name: string;
  accuracy?: number;
  /** Set when the control was not computed (then accuracy is absent). */
  not_run?: string;
}

/** Which samples to show: a sample-index range, an evenly spaced count within it, or explicit samples. */
export interface SampleSelection {
  /** First sample index (inclusive) of the range; default: first row. */
  start?: number;
  /** Last sample index (exclusive) of the range; default: after the last row. */
  end?: number;
  /** How many samples to show, evenly spaced over the range; default depends on the layout. */
  count?: number;
  /** Explicit sample indices (overrides start/end/count); each must be present in the rows. */
  samples?: number[];
}

/** Provenance of one shown time step: which sample, which frame was on screen, which was retrieved. */
export interface FrameShown {
  sample: number;
  true_frame: number | null;
  predicted_frame: number;
}

/** Where a movie tile sits in a rendered image (pixel coordinates, excluding the coloured border). */
export interface TileRegion {
  /** Animation page (0-based) the tile is on; absent for still images. */
  page?: number;
  sample: number;
  role: "true" | "decoded";
  /** Movie frame drawn in this tile (null: placeholder, no frame was on screen). */
  frame: number | null;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** An encoded image that fits the client budget (inline preview). */
export interface PreviewImage {
  data: Buffer;
  mime_type: string;
  width: number;
  height: number;
}

/** A preview of a reconstruction, with the time steps it shows (in display order). */
export interface ReconstructionImage extends PreviewImage {
  frames_shown: FrameShown[];
  /** Tile positions (for animations: positions within the page named by `page`). */
  regions: TileRegion[];
  /** Number of pages (1 for still images). */
  pages: number;
}

/** A full-resolution image for the caller to write to disk (not size-limited). */
export interface FullResolutionImage {
  /** Suggested file name, e.g. "reconstruction-side_by_side.png". */
  name: string;
  data: Buffer;
  mime_type: string;
  width: number;
  height: number;
  frames_shown?: FrameShown[];
}

/** What every renderer returns: inline previews within budget, full-resolution files, and notes. */
export interface RenderResult<I extends PreviewImage = PreviewImage> {
  images: I[];
  full_resolution: FullResolutionImage[];
  /** Human-readable facts about what was done (sample reduction, re-encoding, upscaling, fonts). */
  notes: string[];
}
