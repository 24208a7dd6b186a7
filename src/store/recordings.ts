/**
 * Recordings as workspace artifacts, so a restarted server can reload them. Arrays are stored as
 * `.npy` files (numpy can open them directly), all other fields in `recording.json`; the manifest's
 * `meta` is the RecordingSummary (shapes, labels, provenance) shown by listings and `recording://{id}`.
 * Recently used recordings stay in an in-memory LRU cache.
 */
import type { NdArray, TypedArray } from "../data/arrays.js";
import { readNpyFile, writeNpy } from "../data/formats/npy.js";
import { NO_SIGNAL } from "../data/validate.js";
import { roundTo } from "../util/stats.js";
import { nFramesOf, repeatsOf, type Modality, type Movie, type Provenance, type Recording } from "../data/recording.js";
import { LruCache } from "./lru.js";
import type { Workspace } from "./workspace.js";

/** A stimulus movie without its frames. */
type MovieInfo = Omit<Movie, "frames">;

/** Shapes, labels and provenance of a recording: what tools and the `recording://` resource report. */
export interface RecordingSummary {
  n_samples: number;
  n_neurons: number;
  sampling_rate_hz: number;
  duration_s: number;
  modality: Modality;
  signal: string;
  /** Distinct repeat indices (0 if the recording has no repeat labels). */
  n_repeats: number;
  /** Distinct movie frames (0 if no frame labels and no movie). */
  n_frames: number;
  has_movie: boolean;
  movie?: MovieInfo;
  /** Names of the label columns available for conditioning and decoding. */
  label_columns: { continuous: string[]; discrete: string[]; frame_features: string[] };
  /** Per-unit metadata fields (area, cell_type ...). */
  unit_metadata_columns: string[];
  warnings: string[];
  provenance: Provenance;
}

/** Non-array fields of a recording, stored as `recording.json`. */
interface RecordingFields {
  n_samples: number;
  n_neurons: number;
  sampling_rate_hz: number;
  unit_ids: string[];
  unit_metadata: Recording["unit_metadata"];
  modality: Modality;
  signal: string;
  continuous?: { dim: number; columns: string[] };
  discrete?: { name: string; class_names?: string[] };
  movie?: MovieInfo;
  frame_features?: { dim: number; columns: string[]; method: string };
  provenance: Provenance;
  warnings: string[];
}

interface RecordingStoreOptions {
  /** Bytes of recording data kept in memory (default 1 GiB). */
  cacheBytes?: number;
  /** Recordings kept in memory (default 8). */
  cacheEntries?: number;
}

const FIELDS_FILE = "recording.json";

/** Summarises a recording (cheap; no array copies). */
export function summarizeRecording(rec: Recording): RecordingSummary {
  const movie = rec.movie ? movieInfo(rec.movie) : undefined;
  return {
    n_samples: rec.n_samples,
    n_neurons: rec.n_neurons,
    sampling_rate_hz: rec.sampling_rate_hz,
    duration_s: durationOf(rec),
    modality: rec.modality,
    signal: rec.signal,
    n_repeats: repeatsOf(rec).length,
    n_frames: nFramesOf(rec),
    has_movie: rec.movie !== undefined,
    ...(movie ? { movie } : {}),
    label_columns: {
      continuous: rec.continuous?.columns ?? [],
      discrete: rec.discrete ? [rec.discrete.name] : [],
      frame_features: rec.frame_features?.columns ?? [],
    },
    unit_metadata_columns: Object.keys(rec.unit_metadata),
    warnings: rec.warnings,
    provenance: rec.provenance,
  };
}

/** One line for listings, e.g. "builtin:allen-like calcium dff: 120 units × 3600 samples @ 30 Hz (120 s), 10 repeats × 360 frames, movie". */
export function recordingOneLine(s: RecordingSummary): string {
  const parts = [`${s.provenance.source} ${s.modality} ${s.signal}: ${s.n_neurons} units × ${s.n_samples} samples @ ${s.sampling_rate_hz} Hz (${s.duration_s} s)`];
  if (s.n_repeats > 0 || s.n_frames > 0) parts.push(`${s.n_repeats} repeats × ${s.n_frames} frames`);
  if (s.has_movie) parts.push("movie");
  return parts.join(", ");
}

/** True when the load found no neural signal at all (every unit constant): training on it is refused. */
export function lacksNeuralSignal(s: RecordingSummary): boolean {
  return s.warnings.some((w) => w.includes(NO_SIGNAL));
}

/** Saves and loads recordings in a workspace. */
export class RecordingStore {
  private readonly cache: LruCache<string, Recording>;

  constructor(private readonly workspace: Workspace, opts: RecordingStoreOptions = {}) {
    this.cache = new LruCache(opts.cacheBytes ?? 1024 ** 3, opts.cacheEntries ?? 8, recordingBytes);
  }

  /** Persists `rec` as a new recording artifact; returns its id. The recording is also cached. */
  async saveRecording(rec: Recording, opts: { parents?: string[] } = {}): Promise<string> {
    const summary = summarizeRecording(rec);
    const draft = await this.workspace.begin("recording");
    try {
      for (const [name, arr] of arraysOf(rec)) await draft.writeFile(name, writeNpy(arr));
      await draft.writeFile(FIELDS_FILE, JSON.stringify(fieldsOf(rec)));
      await draft.commit({ summary: recordingOneLine(summary), meta: summary, parents: opts.parents ?? [] });
    } catch (e) {
      await draft.abort();
      throw e;
    }
    this.cache.set(draft.id, rec);
    return draft.id;
  }

  /** Loads recording `id` (from the cache, or from its files). UserError if there is no such recording. */
  async loadRecordingArtifact(id: string): Promise<Recording> {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const rec = await this.readFromDisk(id);
    this.cache.set(id, rec);
    return rec;
  }

  /** The summary of recording `id` (from its manifest; no arrays are read). */
  async summary(id: string): Promise<RecordingSummary> {
    return (await this.workspace.get<RecordingSummary>(id, "recording")).meta;
  }

  /** Drops recording `id` from the memory cache (e.g. after it was removed from the workspace). */
  forget(id: string): void {
    this.cache.delete(id);
  }

  private async readFromDisk(id: string): Promise<Recording> {
    const manifest = await this.workspace.get(id, "recording");
    const f = await this.workspace.readJson<RecordingFields>(id, FIELDS_FILE);
    const has = (name: string) => manifest.files[name] !== undefined;
    const read = (name: string) => readNpyFile(this.workspace.filePath(id, name), `${id}/${name}`);
    const T = f.n_samples;
    const rec: Recording = {
      neural: asType(read("neural.npy"), Float32Array, [T, f.n_neurons]),
      n_samples: T,
      n_neurons: f.n_neurons,
      sampling_rate_hz: f.sampling_rate_hz,
      timestamps: asType(read("timestamps.npy"), Float64Array, [T]),
      unit_ids: f.unit_ids,
      unit_metadata: f.unit_metadata,
      modality: f.modality,
      signal: f.signal,
      provenance: f.provenance,
      warnings: f.warnings,
    };
    if (f.continuous && has("continuous.npy")) {
      rec.continuous = { data: asType(read("continuous.npy"), Float32Array, [T, f.continuous.dim]), dim: f.continuous.dim, columns: f.continuous.columns };
    }
    if (f.discrete && has("discrete.npy")) {
      rec.discrete = { data: asType(read("discrete.npy"), Int32Array, [T]), name: f.discrete.name, ...(f.discrete.class_names ? { class_names: f.discrete.class_names } : {}) };
    }
    if (has("frame.npy")) rec.frame = asType(read("frame.npy"), Int32Array, [T]);
    if (has("repeat.npy")) rec.repeat = asType(read("repeat.npy"), Int32Array, [T]);
    if (f.movie && has("movie.npy")) {
      const m = f.movie;
      rec.movie = { ...m, frames: asType(read("movie.npy"), Uint8Array, [m.n_frames, m.height, m.width]) };
    }
    if (f.frame_features && has("frame_features.npy")) {
      const ff = f.frame_features;
      rec.frame_features = { ...ff, data: asType(read("frame_features.npy"), Float32Array, [-1, ff.dim]) };
    }
    return rec;
  }
}

/** The arrays of a recording as (file name, npy array) pairs. */
function arraysOf(rec: Recording): [string, NdArray][] {
  const T = rec.n_samples;
  const out: [string, NdArray][] = [
    ["neural.npy", { dtype: "<f4", shape: [T, rec.n_neurons], data: rec.neural }],
    ["timestamps.npy", { dtype: "<f8", shape: [T], data: rec.timestamps }],
  ];
  if (rec.continuous) out.push(["continuous.npy", { dtype: "<f4", shape: [T, rec.continuous.dim], data: rec.continuous.data }]);
  if (rec.discrete) out.push(["discrete.npy", { dtype: "<i4", shape: [T], data: rec.discrete.data }]);
  if (rec.frame) out.push(["frame.npy", { dtype: "<i4", shape: [T], data: rec.frame }]);
  if (rec.repeat) out.push(["repeat.npy", { dtype: "<i4", shape: [T], data: rec.repeat }]);
  if (rec.movie) {
    const m = rec.movie;
    out.push(["movie.npy", { dtype: "|u1", shape: [m.n_frames, m.height, m.width], data: m.frames }]);
  }
  if (rec.frame_features) {
    const ff = rec.frame_features;
    out.push(["frame_features.npy", { dtype: "<f4", shape: [ff.data.length / ff.dim, ff.dim], data: ff.data }]);
  }
  return out;
}

/** A movie's size and origin, without its frames. */
function movieInfo(m: Movie): MovieInfo {
  return { n_frames: m.n_frames, height: m.height, width: m.width, frame_rate_hz: m.frame_rate_hz, source: m.source };
}

function fieldsOf(rec: Recording): RecordingFields {
  const ff = rec.frame_features;
  return {
    n_samples: rec.n_samples,
    n_neurons: rec.n_neurons,
    sampling_rate_hz: rec.sampling_rate_hz,
    unit_ids: rec.unit_ids,
    unit_metadata: rec.unit_metadata,
    modality: rec.modality,
    signal: rec.signal,
    ...(rec.continuous ? { continuous: { dim: rec.continuous.dim, columns: rec.continuous.columns } } : {}),
    ...(rec.discrete ? { discrete: { name: rec.discrete.name, ...(rec.discrete.class_names ? { class_names: rec.discrete.class_names } : {}) } } : {}),
    ...(rec.movie ? { movie: movieInfo(rec.movie) } : {}),
    ...(ff ? { frame_features: { dim: ff.dim, columns: ff.columns, method: ff.method } } : {}),
    provenance: rec.provenance,
    warnings: rec.warnings,
  };
}

/**
 * Checks the stored array has the expected shape (-1 = any) and returns its data as typed array `Ctor`
 * (the store writes exactly these dtypes, so this is a check, not a conversion, for files it wrote).
 */
function asType<T extends TypedArray>(arr: NdArray, Ctor: new (n: number) => T, shape: number[]): T {
  const ok = arr.shape.length === shape.length && shape.every((d, i) => d < 0 || arr.shape[i] === d);
  if (!ok) throw new Error(`stored array has shape (${arr.shape.join(", ")}), expected (${shape.join(", ")})`);
  if (arr.data instanceof Ctor) return arr.data;
  const out = new Ctor(arr.data.length);
  for (let i = 0; i < arr.data.length; i++) out[i] = arr.data[i]!;
  return out;
}

function durationOf(rec: Recording): number {
  const seconds = rec.n_samples / rec.sampling_rate_hz;
  return roundTo(seconds, 3);
}

function recordingBytes(rec: Recording): number {
  let n = rec.neural.byteLength + rec.timestamps.byteLength;
  n += rec.continuous?.data.byteLength ?? 0;
  n += rec.discrete?.data.byteLength ?? 0;
  n += rec.frame?.byteLength ?? 0;
  n += rec.repeat?.byteLength ?? 0;
  n += rec.movie?.frames.byteLength ?? 0;
  n += rec.frame_features?.data.byteLength ?? 0;
  return n;
}
