/**
 * The named-array convention shared by `.npz`, plain `.npy` and generic HDF5 files: arrays called
 * `neural`, `timestamps`, `frame`, `repeat`, `continuous`, `discrete`, `movie`, `frame_features`,
 * `sampling_rate_hz`, `unit_ids` (names overridable with `LoadOptions.keys`) become one Recording.
 * Also the numeric conversions every loader uses (to float32/float64/int32/uint8 with checks), and
 * NdArray, the n-dimensional array every reader produces (here rather than in formats/npy.ts so the
 * `.npy` format entry can build on this module without an import cycle).
 */
import { UserError } from "../util/errors.js";
import type { ArrayRole, LoadOptions } from "./options.js";
import type { Modality, Provenance, Recording } from "./recording.js";

/** The typed arrays an NdArray can hold (no BigInt arrays: 64-bit integers become Float64Array). */
export type TypedArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

/** An n-dimensional array: numpy descr (e.g. "<f4"), shape, data in C order and native byte order. */
export interface NdArray {
  dtype: string;
  shape: number[];
  data: TypedArray;
}

export type NumericKind = "f32" | "f64" | "i32" | "u8";
export interface KindArrays {
  f32: Float32Array;
  f64: Float64Array;
  i32: Int32Array;
  u8: Uint8Array;
}

/** A file seen as a set of named numeric arrays (npz members or HDF5 datasets). */
export interface NamedArrays {
  /** File name for messages. */
  readonly name: string;
  /** Whether the key exists. */
  has(key: string): boolean;
  /** Shape and numpy-style dtype ("<f4", "<i8", ...) of an existing key. */
  info(key: string): { shape: number[]; dtype: string };
  /** Read a key converted to the requested kind (with range/integrality checks). */
  read<K extends NumericKind>(key: string, kind: K): { shape: number[]; data: KindArrays[K] };
  /** Short listing of the available keys with shapes, for error messages. */
  list(): string[];
}

/** Default key per role. */
const DEFAULT_KEYS: Record<ArrayRole, string> = {
  neural: "neural",
  timestamps: "timestamps",
  frame: "frame",
  repeat: "repeat",
  continuous: "continuous",
  discrete: "discrete",
  movie: "movie",
  frame_features: "frame_features",
  sampling_rate_hz: "sampling_rate_hz",
  unit_ids: "unit_ids",
};

/** Default sampling rate assumed when nothing else says (Allen 2P imaging rate). */
export const DEFAULT_SAMPLING_RATE_HZ = 30;
/** Default frame rate of stimulus movies. */
export const DEFAULT_MOVIE_RATE_HZ = 30;

/** Provenance with only the loader-known parts filled; load.ts completes source, sha256 and loaded_at. */
export function loaderProvenance(format: string, keys_read: string[], source_metadata?: Record<string, unknown>): Provenance {
  return { source: "", format, sha256: "", keys_read, preprocessing: [], loaded_at: "", ...(source_metadata ? { source_metadata } : {}) };
}

/**
 * Convert a numeric typed array to the requested kind. Integer kinds require integral values in range
 * (a UserError names `what` otherwise). Returns the input itself when it already has the right type.
 */
export function toKind<K extends NumericKind>(data: TypedArray, kind: K, what: string): KindArrays[K] {
  switch (kind) {
    case "f32":
      return (data instanceof Float32Array ? data : new Float32Array(data)) as KindArrays[K];
    case "f64":
      return (data instanceof Float64Array ? data : new Float64Array(data)) as KindArrays[K];
    case "i32":
      if (data instanceof Int32Array) return data as KindArrays[K];
      checkIntegral(data, -2147483648, 2147483647, what, "int32");
      return new Int32Array(data) as KindArrays[K];
    default:
      if (data instanceof Uint8Array) return data as KindArrays[K];
      checkIntegral(data, 0, 255, what, "uint8 (0..255)");
      return new Uint8Array(data) as KindArrays[K];
  }
}

function checkIntegral(data: TypedArray, lo: number, hi: number, what: string, target: string): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isInteger(v) || v < lo || v > hi) {
      throw new UserError(`${what}: the value at flat index ${i} is not a ${target} integer (fractional, non-finite or out of range).`, `Store ${what} as integers in ${target} range.`);
    }
  }
}

/**
 * Write the transpose of `src` ([rows, cols] row-major) into `dst` (row stride `dstStride`) at column
 * offset `dstCol`: dst[c * dstStride + dstCol + r] = src[r * cols + c]. Used to turn unit-major blocks
 * into time-major data.
 */
export function transposeInto(src: ArrayLike<number>, rows: number, cols: number, dst: Float32Array, dstStride: number, dstCol: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) dst[c * dstStride + dstCol + r] = src[base + c];
  }
}

/** Everything recordingFromArrays needs besides the arrays. */
interface ArraysContext {
  /** Provenance format name ("npz", "npy", "hdf5"). */
  format: string;
  /** Whether keys name HDF5 datasets (changes wording of messages). */
  noun: "member" | "dataset";
}

/** Build a Recording from named arrays following the convention (see docs/DATA.md). */
export function recordingFromArrays(src: NamedArrays, opts: LoadOptions, cx: ArraysContext): Recording {
  const keys = { ...DEFAULT_KEYS, ...(opts.keys ?? {}) };
  const keysRead: string[] = [];
  const warnings: string[] = [];
  const read = <K extends NumericKind>(role: ArrayRole, kind: K) => {
    keysRead.push(keys[role]);
    return src.read(keys[role], kind);
  };
  const optional = (role: ArrayRole) => src.has(keys[role]);

  if (!optional("neural")) {
    throw new UserError(
      `${src.name} has no ${cx.noun} '${keys.neural}' for the neural data. It holds: ${src.list().join("; ") || "nothing"}.`,
      `Name the ${cx.noun} holding the [T, N] activity with the option keys: { neural: "<name>" }.`,
    );
  }
  const neuralDtype = src.info(keys.neural).dtype;
  const neural = neuralMatrix(read("neural", "f32"), opts.neural_layout ?? "time_major", `${src.name}:${keys.neural}`);
  const T = neural.rows;
  const N = neural.cols;

  const timestamps = optional("timestamps") ? read("timestamps", "f64").data : undefined;
  const fileRate = optional("sampling_rate_hz") ? scalarOf(read("sampling_rate_hz", "f64"), `${src.name}:${keys.sampling_rate_hz}`) : undefined;
  const rate = chooseSamplingRate(opts.sampling_rate_hz, fileRate, timestamps, warnings);
  const integerData = /^[<|][iub]/.test(neuralDtype);

  const rec: Recording = {
    neural: neural.data,
    n_samples: T,
    n_neurons: N,
    sampling_rate_hz: rate,
    timestamps: timestamps ?? regularTimestamps(T, rate),
    unit_ids: optional("unit_ids") ? Array.from(read("unit_ids", "f64").data, (v) => String(v)) : Array.from({ length: N }, (_, i) => String(i)),
    unit_metadata: {},
    modality: opts.modality ?? ((integerData ? "spikes" : "other") as Modality),
    signal: opts.signal ?? (integerData ? "spike_counts" : "unknown"),
    provenance: loaderProvenance(cx.format, keysRead),
    warnings,
  };
  if (optional("frame")) rec.frame = read("frame", "i32").data;
  if (optional("repeat")) rec.repeat = read("repeat", "i32").data;
  if (optional("continuous")) {
    const c = read("continuous", "f32");
    const dim = c.shape.length > 1 ? c.shape.slice(1).reduce((a, b) => a * b, 1) : 1;
    rec.continuous = { data: c.data, dim, columns: continuousColumns(opts.continuous_columns, dim) };
  }
  if (optional("discrete")) rec.discrete = { data: read("discrete", "i32").data, name: keys.discrete };
  if (optional("movie") && opts.movie === undefined) rec.movie = movieFromArray(read("movie", "u8"), `${cx.format}:${keys.movie}`, movieRate(opts), `${src.name}:${keys.movie}`);
  if (optional("frame_features")) {
    const f = read("frame_features", "f32");
    const dim = f.shape.length > 1 ? f.shape.slice(1).reduce((a, b) => a * b, 1) : 1;
    rec.frame_features = { data: f.data, dim, columns: Array.from({ length: dim }, (_, i) => `f${i}`), method: `${cx.format}:${keys.frame_features}` };
  }
  return rec;
}

/** Frame rate requested for a movie in the options (default 30 Hz). */
export function movieRate(opts: LoadOptions): number {
  return typeof opts.movie === "object" && opts.movie.frame_rate_hz ? opts.movie.frame_rate_hz : DEFAULT_MOVIE_RATE_HZ;
}

/** A [F, H, W] uint8 array as a Movie (UserError unless 3-D). */
export function movieFromArray(arr: { shape: number[]; data: Uint8Array }, source: string, frameRate: number, what: string) {
  if (arr.shape.length !== 3) {
    throw new UserError(`${what} has shape (${arr.shape.join(", ")}); a movie must be [frames, height, width] uint8.`, "Save the movie as a 3-D uint8 grayscale array.");
  }
  const [n_frames, height, width] = arr.shape;
  return { frames: arr.data, n_frames, height, width, frame_rate_hz: frameRate, source };
}

function neuralMatrix(arr: { shape: number[]; data: Float32Array }, layout: "time_major" | "unit_major", what: string): { data: Float32Array; rows: number; cols: number } {
  const shape = arr.shape.length === 1 ? [arr.shape[0], 1] : arr.shape;
  if (shape.length !== 2) {
    throw new UserError(`${what} has shape (${arr.shape.join(", ")}); neural data must be 2-D [samples, units].`, "Reshape it to [T, N] before saving.");
  }
  if (layout === "time_major") return { data: arr.data, rows: shape[0], cols: shape[1] };
  const [n, t] = shape;
  const out = new Float32Array(n * t);
  transposeInto(arr.data, n, t, out, n, 0);
  return { data: out, rows: t, cols: n };
}

function scalarOf(arr: { shape: number[]; data: Float64Array }, what: string): number {
  if (arr.data.length !== 1) throw new UserError(`${what} should be a single number but has shape (${arr.shape.join(", ")}).`, "Store the sampling rate as a scalar.");
  return arr.data[0];
}

/** Pick the sampling rate: option, then file value, then median timestamp step, then 30 Hz (with a warning). */
function chooseSamplingRate(option: number | undefined, fromFile: number | undefined, timestamps: Float64Array | undefined, warnings: string[]): number {
  if (option !== undefined) return option;
  if (fromFile !== undefined) return fromFile;
  const dt = timestamps ? medianStep(timestamps) : NaN;
  // Rounded to 9 significant digits: timestamps t/10 would otherwise give 10.000000000000036 Hz.
  if (dt > 0) return Number((1 / dt).toPrecision(9));
  warnings.push(`No sampling rate in the file or options; assumed ${DEFAULT_SAMPLING_RATE_HZ} Hz. Pass sampling_rate_hz if that is wrong.`);
  return DEFAULT_SAMPLING_RATE_HZ;
}

/** Column names for a `[T, dim]` continuous label array: the given names, or c0, c1, … */
function continuousColumns(names: string[] | undefined, dim: number): string[] {
  if (names === undefined) return Array.from({ length: dim }, (_, i) => `c${i}`);
  if (names.length !== dim || new Set(names).size !== names.length) {
    throw new UserError(
      `continuous_columns has ${names.length} name(s)${new Set(names).size !== names.length ? " with duplicates" : ""}, but the continuous labels have ${dim} column(s).`,
      `Pass ${dim} distinct names, one per column, or omit continuous_columns.`,
    );
  }
  return names;
}

/** Median of successive differences (NaN if fewer than two values). */
export function medianStep(x: ArrayLike<number>): number {
  if (x.length < 2) return NaN;
  const d = new Float64Array(x.length - 1);
  for (let i = 1; i < x.length; i++) d[i - 1] = x[i] - x[i - 1];
  d.sort();
  const m = d.length >> 1;
  return d.length % 2 ? d[m] : (d[m - 1] + d[m]) / 2;
}

/** t / rate for t = 0..T-1. */
function regularTimestamps(T: number, rate: number): Float64Array {
  const ts = new Float64Array(T);
  for (let t = 0; t < T; t++) ts[t] = t / rate;
  return ts;
}

/**
 * NamedArrays over in-memory arrays that are parsed on first use (npz members, a plain .npy).
 * Members that are never asked for are never parsed, so e.g. a string array beside the data is ignored.
 */
export function lazyArrays(name: string, entries: Map<string, () => NdArray>): NamedArrays {
  const parsed = new Map<string, NdArray>();
  const get = (key: string): NdArray => {
    let a = parsed.get(key);
    if (!a) {
      const make = entries.get(key);
      if (!make) throw new UserError(`${name} has no member '${key}'.`, `Use one of: ${[...entries.keys()].join(", ")}.`);
      a = make();
      parsed.set(key, a);
    }
    return a;
  };
  return {
    name,
    has: (key) => entries.has(key),
    info: (key) => ({ shape: get(key).shape, dtype: get(key).dtype }),
    read: (key, kind) => {
      const a = get(key);
      return { shape: a.shape, data: toKind(a.data, kind, `${name}:${key}`) };
    },
    list: () => [...entries.keys()],
  };
}

/** Rows `rows` of a row-major [*, cols] array, in that order, as a new array of the same type. */
export function gatherRows<T extends Float32Array | Float64Array | Int32Array>(src: T, cols: number, rows: ArrayLike<number>): T {
  const out = new (src.constructor as new (n: number) => T)(rows.length * cols);
  for (let i = 0; i < rows.length; i++) out.set(src.subarray(rows[i] * cols, rows[i] * cols + cols), i * cols);
  return out;
}
