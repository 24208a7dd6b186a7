/**
 * Options and context for loading recordings (re-exported by src/data/load.ts, which is where callers
 * should import them from). Kept in their own module so every loader can import the types without
 * importing the dispatcher.
 *
 * The options are one zod schema, LOAD_OPTIONS_SCHEMA: its `.describe()` texts are written for a
 * model (the load_recording tool's input schema is `source` plus these fields), the JSDoc comments
 * are for programmers, and LoadOptions is its output type, so the tool and the loaders cannot drift
 * apart. `loadRecording` still checks the enumerations itself for callers that skip the schema.
 */
import os from "node:os";
import { z } from "zod";
import { CancelledError } from "../util/errors.js";

/** Formats a caller may force with `LoadOptions.format` (otherwise detected from magic bytes / extension). */
export const LOAD_FORMATS = ["npy", "npz", "hdf5", "nwb", "nwb-allen-2p-v1", "nwb-allen-2p-v2", "nwb-allen-neuropixels", "nwb-standard", "builtin"] as const;
export type LoadFormat = (typeof LOAD_FORMATS)[number];

/** Roles an array can play in the `.npz` / generic-HDF5 convention (see docs/DATA.md). */
export const ARRAY_ROLES = ["neural", "timestamps", "frame", "repeat", "continuous", "discrete", "movie", "frame_features", "sampling_rate_hz", "unit_ids"] as const;
export type ArrayRole = (typeof ARRAY_ROLES)[number];

/**
 * What to do with NaN/±Inf values in `neural` (and continuous labels):
 * - "error" (default): refuse the recording, reporting how many values and units are affected;
 * - "zero": replace them by 0;
 * - "interpolate": linear interpolation in time per unit/column (edges copy the nearest finite value;
 *   a unit with no finite value becomes 0);
 * - "drop_units": remove every unit that has a non-finite value (not allowed for continuous labels).
 */
export const NAN_POLICIES = ["error", "zero", "interpolate", "drop_units"] as const;
export type NanPolicy = (typeof NAN_POLICIES)[number];

/** Where to take the stimulus movie from, when it is not (or should not be) the file's own template. */
const MOVIE_SOURCE_SCHEMA = z.object({
  /** Local path or http(s) URL: a `.npy` [F,H,W] uint8, an `.npz` (member `movie`), an HDF5/NWB file, or a folder of PNG/JPEG frames. */
  path: z.string().min(1).max(4096).describe("Path or URL."),
  /** HDF5 dataset path (NWB files default to the stimulus template of `LoadOptions.stimulus`). */
  dataset: z.string().max(512).optional().describe("HDF5 dataset path."),
  /** Frames per second of the movie (default 30). */
  frame_rate_hz: z.number().positive().max(1000).optional().describe("Movie frames per second (default 30)."),
});
export type MovieSource = z.output<typeof MOVIE_SOURCE_SCHEMA>;

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
const NEUROPIXELS_SCHEMA = z
  .object({
    /** Bin rate in Hz (uniform bins over the presentations, default 120 = 4 bins per 30 Hz movie frame), or "per_frame" (one bin per presentation row). */
    bin: z.union([z.number().positive().max(10000), z.literal("per_frame")]).optional().describe("Bin rate in Hz (default 120) or per_frame."),
    /** Presentation rows [start, end) to use (default [0, 9000): the first block of 10 repeats, as CEBRA). */
    rows: z.array(z.number().int().min(0).max(10_000_000)).length(2).optional().describe("Presentation rows [start, end) (default [0, 9000])."),
    /** Apply the unit quality filter (default true). */
    quality_filter: z.boolean().optional().describe("Unit quality filter (default true)."),
    /** Override some quality thresholds (see QualityThresholds). */
    quality: z
      .object({
        isi_violations_max: z.number().min(0).optional().describe("Max ISI violations ratio (default 0.5)."),
        presence_ratio_min: z.number().min(0).max(1).optional().describe("Min presence ratio (default 0.95)."),
        amplitude_cutoff_max: z.number().min(0).optional().describe("Max amplitude cutoff (default 0.1)."),
        quality: z.string().nullable().optional().describe("Unit quality label (default good; null = any)."),
      })
      .optional()
      .describe("Unit quality thresholds (AllenSDK defaults)."),
    /** Keep only units whose area (electrode `location`, e.g. "VISp") is in this list. */
    areas: z.array(z.string().min(1).max(64)).max(50).optional().describe('Keep units in these areas, e.g. ["VISp"].'),
  })
  .describe("Allen Neuropixels NWB: binning, presentations, unit quality.");
export type NeuropixelsOptions = z.output<typeof NEUROPIXELS_SCHEMA>;

/** Parameters of the built-in simulator by name (see src/data/builtin/params.ts, which checks every name and value). */
const BUILTIN_PARAMS_SCHEMA = z
  .record(z.string(), z.union([z.number(), z.string()]))
  .describe(
    "builtin:allen-like parameters, e.g. {n_cells: 300, seed: 1}; all: resource builtin://allen-like/parameters.",
  );
export type BuiltinParams = z.output<typeof BUILTIN_PARAMS_SCHEMA>;

/** Options of `loadRecording`. Every field is optional; defaults are documented per field and in docs/DATA.md. */
export const LOAD_OPTIONS_SCHEMA = z.object({
  /** Force the format instead of detecting it (magic bytes, then extension). "nwb" auto-detects the NWB layout. */
  format: z.enum(LOAD_FORMATS).optional().describe("Force the format (default: detected)."),
  /** `.npz` member names / HDF5 dataset paths per role, overriding the defaults (`neural`, `timestamps`, ...). */
  keys: z
    .partialRecord(z.enum(ARRAY_ROLES), z.string().min(1).max(512))
    .describe("Array name (npz member / HDF5 path) per role (default: role name).")
    .optional(),
  /** Layout of the `neural` array in `.npz`/`.npy`/generic HDF5: "time_major" [T,N] (default) or "unit_major" [N,T]. */
  neural_layout: z.enum(["time_major", "unit_major"]).optional().describe("neural is [T,N] (time_major, default) or [N,T]."),
  /** Sampling rate in Hz; overrides the file. Default: from the file, else from timestamps, else 30 Hz with a warning. */
  sampling_rate_hz: z.number().positive().max(100_000).optional().describe("Hz (default: from file/timestamps, else 30)."),
  /** Names of the continuous label columns (`.npz`/`.npy`/generic HDF5), e.g. ["position"]. Default c0, c1, … */
  continuous_columns: z.array(z.string().min(1).max(128)).min(1).max(1024).optional().describe('Label column names, e.g. ["position"] (default c0, c1, …).'),
  /** Modality for `.npz`/`.npy`/generic HDF5 (default: "spikes" for integer data, else "other"). */
  modality: z.enum(["calcium", "spikes", "other"]).optional().describe("Default: spikes for integer data, else other."),
  /** What the neural values are for `.npz`/`.npy`/generic HDF5 (default: "spike_counts" for integer data, else "unknown"). */
  signal: z.string().min(1).max(64).optional().describe("dff, events, spike_counts, rates … (default by dtype)."),
  /** NaN/Inf handling (default "error"); see NanPolicy. */
  nan_policy: z.enum(NAN_POLICIES).optional().describe("NaN/Inf in neural (default error)."),
  /** Stimulus movie: a path/URL or MovieSource overriding the file's template; false = do not load any movie. */
  movie: z
    .union([z.literal(false), z.string().min(1).max(4096), MOVIE_SOURCE_SCHEMA])
    .describe("Path/URL: .npy [F,H,W] uint8, .npz, NWB/HDF5 or frame folder; false = none (default: the file's).")
    .optional(),
  /** Standard NWB 2.x: the neural series to read, by name, path or Container/name ("units" = the Units table). Default: DfOverF, else Fluorescence, else Units. */
  series: z.string().min(1).max(512).optional().describe("NWB neural series (default DfOverF, Fluorescence, units)."),
  /** Standard NWB 2.x Units: bin width in ms (default: the movie presentations' duration, else a behaviour series' rate, else 25 ms). */
  bin_ms: z.number().positive().max(600_000).optional().describe("NWB units bin, ms (default label rate or 25)."),
  /** Allen stimulus name for NWB files (default "natural_movie_one"). */
  stimulus: z.string().min(1).max(128).optional().describe("Allen stimulus name (default natural_movie_one)."),
  /**
   * Allen 2P NWB: keep only the samples recorded while the stimulus movie was on screen (default true,
   * giving CEBRA's movie-aligned layout: repeats × frames). false keeps the whole session with frame = -1 outside.
   */
  restrict_to_stimulus: z.boolean().optional().describe("Allen 2P: only samples during the movie (default true)."),
  /** Allen Neuropixels binning, block and quality options. */
  neuropixels: NEUROPIXELS_SCHEMA.optional(),
  /** Built-in simulator parameters for source "builtin:allen-like". */
  builtin: BUILTIN_PARAMS_SCHEMA.optional(),
  /** Keep samples with timestamps in [start, end) seconds. */
  time_range: z.object({ start: z.number().optional().describe("Start, s (inclusive)."), end: z.number().optional().describe("End, s (exclusive).") }).optional().describe("Keep samples with timestamps in [start, end)."),
  /** Keep samples of these repeat indices only (repeat labels are kept as they are). */
  repeats: z.array(z.number().int().min(0).max(100_000)).min(1).max(1000).optional().describe("Keep only these repeats."),
  /** Sample `count` units with a seeded RNG (with replacement if `replace`, as CEBRA's pseudo-mice). */
  select_units: z
    .object({
      count: z.number().int().min(1).max(100_000).describe("Units to keep."),
      seed: z.number().int().min(0).max(4294967295).optional().describe("Random seed (default 0)."),
      replace: z.boolean().optional().describe("Sample with replacement (CEBRA pseudo-mice)."),
    })
    .optional()
    .describe("Randomly sample units."),
  /**
   * Remote files (http(s) URLs, dandi: sources): by default an HDF5/NWB file of at least
   * IntakeLimits.lazyMinBytes is read lazily with HTTP range requests when the server supports them,
   * anything else downloaded whole; "whole" always downloads the file (src/data/remote/).
   */
  download: z.literal("whole").optional().describe("URLs: fetch whole, no range reads."),
  /** Z-score each unit over time after all other steps. */
  zscore: z.boolean().optional().describe("Z-score each unit over time (last step)."),
});

/** Options of `loadRecording`: the output of LOAD_OPTIONS_SCHEMA (every field optional). */
export type LoadOptions = z.output<typeof LOAD_OPTIONS_SCHEMA>;

/** What the server lends the loaders: path policy, download cache and limits, cancellation. */
/**
 * Limits on what one load may download, decompress and allocate (docs/SECURITY.md lists each with its
 * default and the flag or environment variable that changes it).
 */
export interface IntakeLimits {
  /** Largest download in bytes. */
  maxDownloadBytes: number;
  downloadTimeoutMs: number;
  maxRedirects: number;
  /**
   * Fetch URLs whose host resolves to a loopback, private, link-local, multicast or unspecified
   * address. Off by default (SSRF guard); `--allow-private-urls` / CEBRA_MCP_ALLOW_PRIVATE_URLS=1.
   */
  allowPrivateUrls: boolean;
  /**
   * Most bytes of array data one load may decompress or read (archives are checked against it from
   * their directory before anything is inflated). The effective budget is the smaller of this and half
   * the memory free when the load starts.
   */
  maxLoadBytes: number;
  /**
   * Largest accepted expansion (uncompressed : compressed bytes) of an archive member or compressed
   * dataset once it is larger than INFLATE_RATIO_GRACE_BYTES; beyond it the input is a decompression bomb.
   */
  maxInflateRatio: number;
  /** V8 heap budget of the loading worker, in MB (Worker resourceLimits.maxOldGenerationSizeMb). */
  loadWorkerHeapMb: number;
  /** Longest a load (in its worker, downloads included) may take before the worker is stopped. */
  loadTimeoutMs: number;
  /**
   * Longest one call into the HDF5 library may run before the loading worker is stopped (a corrupted
   * file can make it loop; reads are sliced to ≤ 64 MiB per call, see formats/hdf5-watch.ts).
   */
  nativeStallMs: number;
  /** Base URL of the DANDI REST API for dandi: sources (CEBRA_MCP_DANDI_API; default https://api.dandiarchive.org/api). */
  dandiApi: string;
  /** Remote HDF5 files at least this large are read lazily over range requests (smaller ones are downloaded whole). */
  lazyMinBytes: number;
  /** Size cap of the block cache of remote files read lazily (`<cacheDir>/remote/`, least recently fetched blocks evicted first). */
  remoteCacheBytes: number;
}

export const DEFAULT_INTAKE_LIMITS: IntakeLimits = {
  maxDownloadBytes: 2 * 1024 ** 3,
  downloadTimeoutMs: 10 * 60 * 1000,
  maxRedirects: 5,
  allowPrivateUrls: false,
  maxLoadBytes: 8 * 1024 ** 3,
  maxInflateRatio: 900,
  loadWorkerHeapMb: 1024,
  loadTimeoutMs: 30 * 60 * 1000,
  nativeStallMs: 15 * 1000,
  dandiApi: "https://api.dandiarchive.org/api",
  lazyMinBytes: 32 * 1024 * 1024,
  remoteCacheBytes: 2 * 1024 ** 3,
};

/** Members and datasets smaller than this (uncompressed) are not held to maxInflateRatio. */
export const INFLATE_RATIO_GRACE_BYTES = 64 * 1024 * 1024;

/** The byte budget of a load: `limits.maxLoadBytes`, and at most half the memory free right now. */
export function loadBudgetBytes(limits: Pick<IntakeLimits, "maxLoadBytes">, freeBytes: number = os.freemem()): number {
  return Math.min(limits.maxLoadBytes, Math.floor(freeBytes / 2));
}

export interface LoadContext extends IntakeLimits {
  /** Throws a UserError if `absPath` is outside the allowed roots. Called for every local path read. */
  checkPath(absPath: string): void;
  /** Workspace cache directory; downloads go to `<cacheDir>/downloads/`. */
  cacheDir: string;
  signal?: AbortSignal;
  /** Bytes fetched over the network so far (one float64, shared memory so that other threads can read it for progress). */
  fetchedBytes?: Float64Array;
}

/** Throw CancelledError if the signal was aborted (called between long steps). */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError("load cancelled");
}
