/**
 * The Recording model: one type that every part of cebra-mcp uses (loaders, the built-in
 * simulator, the engine, decoding, rendering, tools). Arrays are flat typed arrays, row-major.
 */
import { UserError } from "../util/errors.js";

/** Where the data came from and everything done to it since. */
export interface Provenance {
  /** Local absolute path, http(s) URL, or `builtin:<name>`. */
  source: string;
  /** e.g. "npz", "npy", "nwb-allen-2p-v1", "nwb-allen-2p-v2", "nwb-allen-neuropixels", "nwb-standard", "hdf5", "builtin", "workspace". */
  format: string;
  /** SHA-256 (hex) of the source bytes; for builtin recordings, of the canonical parameter JSON. */
  sha256: string;
  /** Datasets / keys / HDF5 paths that were read, in order. */
  keys_read: string[];
  /** Every preprocessing step applied, in order. */
  preprocessing: PreprocessingStep[];
  /** ISO timestamp of the load. */
  loaded_at: string;
  /** For URLs: the cached file in the workspace. */
  cached_path?: string;
  /** For builtin recordings: the full generator parameters (seed included). */
  generator?: Record<string, unknown>;
  /** Free-form extra facts from the source (session type, area, genotype...). */
  source_metadata?: Record<string, unknown>;
}

export interface PreprocessingStep {
  /** e.g. "zscore", "select_units", "time_range", "repeat_range", "bin_spikes", "unit_quality_filter", "nan_policy". */
  op: string;
  params: Record<string, unknown>;
  /** Short human-readable description. */
  note?: string;
}

/** A stimulus movie: `[F, H, W]` uint8 grayscale, frame-major. */
export interface Movie {
  frames: Uint8Array;
  n_frames: number;
  height: number;
  width: number;
  frame_rate_hz: number;
  /** Where the frames came from (NWB template path, .npy file, folder, builtin generator). */
  source: string;
}

interface ContinuousLabels {
  /** `[T, dim]` float32, row-major. */
  data: Float32Array;
  dim: number;
  columns: string[];
}

interface DiscreteLabels {
  /** `[T]` int labels. */
  data: Int32Array;
  name: string;
  /** Optional names for label values 0..K-1. */
  class_names?: string[];
}

export interface FrameFeatures {
  /** `[F, dim]` float32 per movie frame. */
  data: Float32Array;
  dim: number;
  columns: string[];
  /** How they were computed (e.g. "builtin:gabor-energy-pca-v1", "npz:frame_features"). */
  method: string;
}

export type Modality = "calcium" | "spikes" | "other";

export interface Recording {
  /** `[T, N]` float32, time-major (row t = all units at sample t). */
  neural: Float32Array;
  n_samples: number;
  n_neurons: number;
  sampling_rate_hz: number;
  /** `[T]` seconds. */
  timestamps: Float64Array;
  /** One id per unit (column of `neural`). */
  unit_ids: string[];
  /** Per-unit metadata columns, each of length N (e.g. area, cell_type, quality, responsive). */
  unit_metadata: Record<string, (string | number | boolean)[]>;
  modality: Modality;
  /** What the values are: "dff", "events", "spike_counts", "rates", "zscored", ... */
  signal: string;
  continuous?: ContinuousLabels;
  discrete?: DiscreteLabels;
  /** Movie frame index shown at each sample, `-1` where no frame was shown. `[T]`. */
  frame?: Int32Array;
  /** Repeat / trial index at each sample, `-1` outside any repeat. `[T]`. */
  repeat?: Int32Array;
  movie?: Movie;
  frame_features?: FrameFeatures;
  provenance: Provenance;
  /** Non-fatal problems found while loading (shown to the user). */
  warnings: string[];
}

/** Sorted distinct repeat indices (>= 0) present in a recording, or [] if none. */
export function repeatsOf(rec: Pick<Recording, "repeat">): number[] {
  if (!rec.repeat) return [];
  const seen = new Set<number>();
  for (const r of rec.repeat) if (r >= 0) seen.add(r);
  return [...seen].sort((a, b) => a - b);
}

/** Number of distinct movie frames referenced by `frame` (max index + 1), or the movie's frame count. */
export function nFramesOf(rec: Pick<Recording, "frame" | "movie">): number {
  if (rec.movie) return rec.movie.n_frames;
  if (!rec.frame) return 0;
  let m = -1;
  for (const f of rec.frame) if (f > m) m = f;
  return m + 1;
}

/**
 * The named columns of continuous labels (all columns when `names` is omitted), as a new `[T, k]` array.
 * An unknown name is a UserError listing the columns there are.
 */
export function selectContinuous(labels: ContinuousLabels, names?: readonly string[]): ContinuousLabels {
  const cols = names === undefined
    ? labels.columns.map((_, i) => i)
    : names.map((name) => {
        const i = labels.columns.indexOf(name);
        if (i < 0) throw new UserError(`Continuous label column '${name}' does not exist.`, `Use one of: ${labels.columns.join(", ")}.`);
        return i;
      });
  const T = labels.data.length / labels.dim;
  const k = cols.length;
  const data = new Float32Array(T * k);
  for (let t = 0; t < T; t++) for (let j = 0; j < k; j++) data[t * k + j] = labels.data[t * labels.dim + cols[j]];
  return { data, dim: k, columns: cols.map((i) => labels.columns[i]) };
}
