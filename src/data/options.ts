/**
 * Options and context for loading recordings (re-exported by src/data/load.ts, which is where callers
 * should import them from). Kept in their own module so every loader can import the types without
 * importing the dispatcher.
 */
import { CancelledError } from "../util/errors.js";
import type { Modality } from "./recording.js";
import type { generateAllenLike } from "./builtin/index.js";

/** Formats a caller may force with `LoadOptions.format` (otherwise detected from magic bytes / extension). */
export type LoadFormat =
  | "npy"
  | "npz"
  | "hdf5"
  | "nwb"
  | "nwb-allen-2p-v1"
  | "nwb-allen-2p-v2"
  | "nwb-allen-neuropixels"
  | "builtin";

export const LOAD_FORMATS: readonly LoadFormat[] = ["npy", "npz", "hdf5", "nwb", "nwb-allen-2p-v1", "nwb-allen-2p-v2", "nwb-allen-neuropixels", "builtin"];

/** Roles an array can play in the `.npz` / generic-HDF5 convention (see docs/DATA.md). */
export type ArrayRole =
  | "neural"
  | "timestamps"
  | "frame"
  | "repeat"
  | "continuous"
  | "discrete"
  | "movie"
  | "frame_features"
  | "sampling_rate_hz"
  | "unit_ids";

export const ARRAY_ROLES: readonly ArrayRole[] = ["neural", "timestamps", "frame", "repeat", "continuous", "discrete", "movie", "frame_features", "sampling_rate_hz", "unit_ids"];

/**
 * What to do with NaN/±Inf values in `neural` (and continuous labels):
 * - "error" (default): refuse the recording, reporting how many values and units are affected;
 * - "zero": replace them by 0;
 * - "interpolate": linear interpolation in time per unit/column (edges copy the nearest finite value;
 *   a unit with no finite value becomes 0);
 * - "drop_units": remove every unit that has a non-finite value (not allowed for continuous labels).
 */
export type NanPolicy = "error" | "zero" | "interpolate" | "drop_units";

export const NAN_POLICIES: readonly NanPolicy[] = ["error", "zero", "interpolate", "drop_units"];

/** Where to take the stimulus movie from, when it is not (or should not be) the file's own template. */
export interface MovieSource {
  /** Local path or http(s) URL: a `.npy` [F,H,W] uint8, an `.npz` (member `movie`), an HDF5/NWB file, or a folder of PNG/JPEG frames. */
  path: string;
  /** HDF5 dataset path (NWB files default to the stimulus template of `LoadOptions.stimulus`). */
  dataset?: string;
  /** Frames per second of the movie (default 30). */
  frame_rate_hz?: number;
}

/** Unit quality thresholds for Allen Neuropixels units (AllenSDK / CEBRA defaults shown). */
export interface QualityThresholds {
  /** Keep units with isi_violations ≤ this (default 0.5). */
  isi_violations_max: number;
  /** Keep units with presence_ratio ≥ this (default 0.95). */
  presence_ratio_min: number;
  /** Keep units with amplitude_cutoff ≤ this (default 0.1). */
  amplitude_cutoff_max: number;
  /** Keep units whose `quality` equals this (default "good"); null accepts any. */
  quality: string | null;
}

export const DEFAULT_QUALITY: QualityThresholds = { isi_violations_max: 0.5, presence_ratio_min: 0.95, amplitude_cutoff_max: 0.1, quality: "good" };

/** How Allen Neuropixels spike times become a `[T, N]` count matrix. */
export interface NeuropixelsOptions {
  /** Bin rate in Hz (uniform bins over the presentations, default 120 = 4 bins per 30 Hz movie frame), or "per_frame" (one bin per presentation row). */
  bin?: number | "per_frame";
  /** Presentation rows [start, end) to use (default [0, 9000): the first block of 10 repeats, as CEBRA). */
  rows?: [number, number];
  /** Apply the unit quality filter (default true). */
  quality_filter?: boolean;
  /** Override some quality thresholds. */
  quality?: Partial<QualityThresholds>;
  /** Keep only units whose area (electrode `location`, e.g. "VISp") is in this list. */
  areas?: string[];
}

/** Parameters of the built-in simulator (see src/data/builtin). */
export type BuiltinParams = NonNullable<Parameters<typeof generateAllenLike>[0]>;

/** Options of `loadRecording`. Every field is optional; defaults are documented per field and in docs/DATA.md. */
export interface LoadOptions {
  /** Force the format instead of detecting it (magic bytes, then extension). "nwb" auto-detects the NWB layout. */
  format?: LoadFormat;
  /** `.npz` member names / HDF5 dataset paths per role, overriding the defaults (`neural`, `timestamps`, ...). */
  keys?: Partial<Record<ArrayRole, string>>;
  /** Layout of the `neural` array in `.npz`/`.npy`/generic HDF5: "time_major" [T,N] (default) or "unit_major" [N,T]. */
  neural_layout?: "time_major" | "unit_major";
  /** Sampling rate in Hz; overrides the file. Default: from the file, else from timestamps, else 30 Hz with a warning. */
  sampling_rate_hz?: number;
  /** Names of the continuous label columns (`.npz`/`.npy`/generic HDF5), e.g. ["position"]. Default c0, c1, … */
  continuous_columns?: string[];
  /** Modality for `.npz`/`.npy`/generic HDF5 (default: "spikes" for integer data, else "other"). */
  modality?: Modality;
  /** What the neural values are for `.npz`/`.npy`/generic HDF5 (default: "spike_counts" for integer data, else "unknown"). */
  signal?: string;
  /** NaN/Inf handling (default "error"). */
  nan_policy?: NanPolicy;
  /** Stimulus movie: a path/URL or MovieSource overriding the file's template; false = do not load any movie. */
  movie?: string | MovieSource | false;
  /** Allen stimulus name for NWB files (default "natural_movie_one"). */
  stimulus?: string;
  /**
   * Allen 2P NWB: keep only the samples recorded while the stimulus movie was on screen (default true,
   * giving CEBRA's movie-aligned layout: repeats × frames). false keeps the whole session with frame = -1 outside.
   */
  restrict_to_stimulus?: boolean;
  /** Allen Neuropixels binning, block and quality options. */
  neuropixels?: NeuropixelsOptions;
  /** Built-in simulator parameters for source "builtin:allen-like". */
  builtin?: BuiltinParams;
  /** Keep samples with timestamps in [start, end) seconds. */
  time_range?: { start?: number; end?: number };
  /** Keep samples of these repeat indices only (repeat labels are kept as they are). */
  repeats?: number[];
  /** Sample `count` units with a seeded RNG (with replacement if `replace`, as CEBRA's pseudo-mice). */
  select_units?: { count: number; seed?: number; replace?: boolean };
  /** Z-score each unit over time after all other steps. */
  zscore?: boolean;
}

/** What the server lends the loaders: path policy, download cache and limits, cancellation. */
export interface LoadContext {
  /** Throws a UserError if `absPath` is outside the allowed roots. Called for every local path read. */
  checkPath(absPath: string): void;
  /** Workspace cache directory; downloads go to `<cacheDir>/downloads/`. */
  cacheDir: string;
  maxDownloadBytes: number;
  downloadTimeoutMs: number;
  maxRedirects: number;
  signal?: AbortSignal;
}

/** Throw CancelledError if the signal was aborted (called between long steps). */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError("load cancelled");
}
