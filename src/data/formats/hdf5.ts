/**
 * HDF5 access through h5wasm (Node build: positioned reads on the host file, nothing loaded up front),
 * plus the generic-HDF5 loader (caller-named dataset paths, same roles as the `.npz` convention).
 *
 * Every read goes through {@link Hdf5Reader}: it records the paths read (for provenance), reads in
 * slices of at most 256 MB along the first axis (h5wasm's wasm32 heap caps single reads at 2 GiB),
 * converts int64 (BigInt64Array) to exact Numbers, and turns h5wasm/HDF5 failures (unsupported
 * compression filters, float16, non-numeric types) into UserErrors naming the file and the dataset.
 * Reads are synchronous (h5wasm); callers may run loaders in a worker thread.
 */
import { statSync } from "node:fs";
import h5wasm from "h5wasm/node";
import { UserError } from "../../util/errors.js";
import { recordingFromArrays, toKind, transposeInto, type KindArrays, type NamedArrays, type NumericKind, type TypedArray } from "../arrays.js";
import { bigIntsToFloat64 } from "./npy.js";
import { throwIfCancelled, type LoadContext, type LoadOptions } from "../options.js";
import type { Recording } from "../recording.js";
import type { SourceFile } from "./format.js";

type H5File = InstanceType<typeof h5wasm.File>;
type H5Dataset = InstanceType<typeof h5wasm.Dataset>;
type H5Group = InstanceType<typeof h5wasm.Group>;

/** Largest single slice read from HDF5. */
const MAX_SLICE_BYTES = 256 * 1024 * 1024;
/** Deflate cannot expand data more than ~1032:1; nothing in an HDF5 file can exceed this ratio. */
const MAX_EXPANSION = 1032;

/** HDF5 type classes (H5T_class_t) we read as numbers. */
const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_STRING = 3;
const H5T_ENUM = 8;

let ready: Promise<void> | null = null;

/** Initialise h5wasm once and make HDF5 errors (e.g. unsupported filters) throw instead of returning garbage. */
export function h5Ready(): Promise<void> {
  ready ??= h5wasm.ready.then((Module) => {
    Module.activate_throwing_error_handler();
  });
  return ready;
}

/** HDF5 signature "\x89HDF\r\n\x1a\n". */
const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** True if `bytes` holds the HDF5 signature at offset 0 or after a 512/1024/2048-byte userblock (MAT 7.3). */
export function isHdf5(bytes: Uint8Array): boolean {
  return [0, 512, 1024, 2048].some((off) => HDF5_MAGIC.every((b, i) => bytes[off + i] === b));
}

/** Per-axis [start, end) ranges; missing axes are read whole. */
export type Ranges = [number, number][];

/** Read access to one open HDF5 file with provenance tracking. Close it with {@link Hdf5Reader.close}. */
export class Hdf5Reader {
  /** Dataset paths read so far, in order. */
  readonly keysRead: string[] = [];

  private constructor(
    private readonly file: H5File,
    /** File name for messages. */
    readonly name: string,
    /** Size of the file in bytes (bounds what a dataset can plausibly hold). */
    private readonly fileBytes: number,
    private readonly signal?: AbortSignal,
    /** Largest single slice in bytes (default {@link MAX_SLICE_BYTES}; smaller in tests). */
    readonly maxSliceBytes = MAX_SLICE_BYTES,
  ) {}

  /** Open `path` read-only (`name` is used in messages). */
  static async open(path: string, name: string, signal?: AbortSignal, maxSliceBytes = MAX_SLICE_BYTES): Promise<Hdf5Reader> {
    await h5Ready();
    try {
      return new Hdf5Reader(new h5wasm.File(path, "r"), name, statSync(path).size, signal, maxSliceBytes);
    } catch (e) {
      throw new UserError(`${name} could not be opened as HDF5 (${firstLine(e)}).`, "Check that the file is a complete HDF5/NWB file (re-download it if it was cut short).");
    }
  }

  close(): void {
    this.file.close();
  }

  /** True if a dataset or group exists at `p` (intermediate groups may be missing). */
  has(p: string): boolean {
    return this.entity(p) !== null;
  }

  /** True if `p` is a dataset. */
  isDataset(p: string): boolean {
    return this.entity(p) instanceof h5wasm.Dataset;
  }

  /** True if `p` is a group. */
  isGroup(p: string): boolean {
    return this.entity(p) instanceof h5wasm.Group;
  }

  /** Names of the children of group `p` ([] if it is not a group). */
  children(p: string): string[] {
    const g = this.entity(p);
    return g instanceof h5wasm.Group ? (g as H5Group).keys() : [];
  }

  /** The dataset at `p`, or a UserError naming the path and the file with `fix`. */
  dataset(p: string, fix: string): H5Dataset {
    const e = this.entity(p);
    if (!(e instanceof h5wasm.Dataset)) {
      throw new UserError(`${this.name} has no dataset ${p}${e ? " (it is a group)" : ""}.`, fix);
    }
    return e as H5Dataset;
  }

  /** Shape of dataset `p` ([] for a scalar). */
  shape(p: string, fix = "Check the dataset path."): number[] {
    return this.dataset(p, fix).shape ?? [];
  }

  /** numpy-style dtype ("<f4", "<i8", "|u1", ...) of dataset `p`, or "other" for non-numeric types. */
  dtype(p: string): string {
    const m = this.dataset(p, "Check the dataset path.").metadata;
    if (m.type === H5T_FLOAT) return `<f${m.size}`;
    if (m.type === H5T_INTEGER || m.type === H5T_ENUM) return `${m.size === 1 ? "|" : "<"}${m.signed ? "i" : "u"}${m.size}`;
    return "other";
  }

  /**
   * Read numeric dataset `p` (optionally a hyperslab) converted to `kind`, in slices of at most
   * {@link MAX_SLICE_BYTES} along the first axis.
   */
  readNumeric<K extends NumericKind>(p: string, kind: K, opts: { ranges?: Ranges; fix?: string } = {}): { shape: number[]; data: KindArrays[K] } {
    const ds = this.dataset(p, opts.fix ?? "Check the dataset path.");
    this.checkNumeric(ds, p);
    this.noteRead(p);
    const full = ds.shape ?? [];
    if (full.length === 0) return { shape: [], data: toKind(this.guard(p, () => scalarArray(ds.value)), kind, this.what(p)) };
    const ranges = resolveRanges(full, opts.ranges ?? [], this.what(p));
    const shape = ranges.map(([a, b]) => b - a);
    const rowElems = shape.slice(1).reduce((a, b) => a * b, 1);
    const total = shape[0] * rowElems;
    this.checkPlausibleSize(p, total * ds.metadata.size);
    const out = allocKind(kind, total);
    const rowsPerSlice = Math.max(1, Math.floor(this.maxSliceBytes / Math.max(1, rowElems * ds.metadata.size)));
    const rest = ranges.slice(1);
    for (let r0 = ranges[0][0]; r0 < ranges[0][1]; r0 += rowsPerSlice) {
      throwIfCancelled(this.signal);
      const r1 = Math.min(ranges[0][1], r0 + rowsPerSlice);
      const block = this.guard(p, () => asNumbers(ds.slice([[r0, r1], ...rest]), this.what(p)));
      out.set(toKind(block, kind, this.what(p)), (r0 - ranges[0][0]) * rowElems);
    }
    return { shape, data: out };
  }

  /** Read a string dataset (fixed-length or variable-length) as JS strings, trailing NULs/spaces stripped. */
  readStrings(p: string, fix = "Check the dataset path."): string[] {
    const ds = this.dataset(p, fix);
    if (ds.metadata.type !== H5T_STRING) throw new UserError(`${this.what(p)} is not a string dataset.`, fix);
    this.noteRead(p);
    const v = this.guard(p, () => ds.value);
    const list = Array.isArray(v) ? v : [v];
    return list.map((s) => String(s).replace(/[\0\s]+$/, ""));
  }

  /** First value of a string or numeric dataset as text, or undefined if absent/unreadable. */
  readText(p: string): string | undefined {
    if (!this.isDataset(p)) return undefined;
    try {
      const ds = this.dataset(p, "");
      if (ds.metadata.type === H5T_STRING) return this.readStrings(p)[0];
      const v = this.readNumeric(p, "f64").data;
      return v.length > 0 ? String(v[0]) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Text of each named path that exists (missing ones are left out); for file metadata. */
  readTexts(fields: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, p] of Object.entries(fields)) {
      const v = this.readText(p);
      if (v !== undefined && v !== "") out[key] = v;
    }
    return out;
  }

  /** Value of attribute `name` on object `p`, or undefined. */
  attr(p: string, name: string): unknown {
    const e = this.entity(p);
    if (!e || !("attrs" in e)) return undefined;
    const a = (e as H5Dataset).attrs[name];
    return a ? a.value : undefined;
  }

  /** Up to `limit` dataset paths with shapes and dtypes, for error messages. */
  listDatasets(limit = 40): string[] {
    const out: string[] = [];
    for (const p of this.guard("/", () => this.file.paths())) {
      if (out.length >= limit) {
        out.push("...");
        break;
      }
      const e = this.entity(p);
      const abs = p.startsWith("/") ? p : `/${p}`;
      if (e instanceof h5wasm.Dataset) out.push(`${abs} (${((e as H5Dataset).shape ?? []).join("×") || "scalar"})`);
    }
    return out;
  }

  /** "file:/path" for messages. */
  what(p: string): string {
    return `${this.name}:${p}`;
  }

  private noteRead(p: string): void {
    if (!this.keysRead.includes(p)) this.keysRead.push(p);
  }

  private entity(p: string) {
    try {
      return this.file.get(p);
    } catch {
      return null;
    }
  }

  /**
   * Refuse reads larger than the file could hold even at deflate's maximum ratio (~1032:1), so a
   * corrupt or hostile shape cannot trigger a giant allocation.
   */
  private checkPlausibleSize(p: string, bytes: number): void {
    if (bytes > this.fileBytes * MAX_EXPANSION + MAX_SLICE_BYTES) {
      throw new UserError(`${this.what(p)} declares ${bytes} bytes of data, more than a ${this.fileBytes}-byte file can hold.`, "The file is corrupt or truncated; re-download it.");
    }
  }

  private checkNumeric(ds: H5Dataset, p: string): void {
    const m = ds.metadata;
    if (m.type !== H5T_INTEGER && m.type !== H5T_FLOAT && m.type !== H5T_ENUM) {
      throw new UserError(`${this.what(p)} is not a numeric dataset (HDF5 type class ${m.type}).`, "Point the option at a numeric dataset.");
    }
    if (m.type === H5T_FLOAT && m.size === 2) {
      throw new UserError(`${this.what(p)} is float16, which h5wasm cannot read.`, "Re-save the dataset as float32.");
    }
  }

  /** Run an h5wasm call, converting library errors into a UserError naming the dataset. */
  private guard<T>(p: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(
        `Could not read ${this.what(p)}: ${firstLine(e)}.`,
        "If the dataset uses a compression filter other than gzip/szip/shuffle (e.g. lzf or blosc), re-save it with gzip (h5py: compression='gzip').",
      );
    }
  }
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const lines = msg.split("\n").map((l) => l.trim()).filter(Boolean);
  // HDF5 error stacks: the most specific message is the last "#NNN: ... in fn(): message" line.
  const diag = lines.filter((l) => /^#\d+:/.test(l));
  const last = diag.length ? diag[diag.length - 1].replace(/^.*\):\s*/, "") : lines[0] ?? "unknown error";
  return last.slice(0, 200);
}

function resolveRanges(shape: number[], ranges: Ranges, what: string): Ranges {
  return shape.map((n, axis) => {
    const [a, b] = ranges[axis] ?? [0, n];
    if (!(Number.isInteger(a) && Number.isInteger(b) && 0 <= a && a <= b && b <= n)) {
      throw new UserError(`${what}: range [${a}, ${b}) on axis ${axis} is outside the dataset's ${n} entries.`, "Request a range inside the dataset.");
    }
    return [a, b] as [number, number];
  });
}

function allocKind<K extends NumericKind>(kind: K, n: number): KindArrays[K] {
  const ctor = { f32: Float32Array, f64: Float64Array, i32: Int32Array, u8: Uint8Array }[kind];
  return new ctor(n) as KindArrays[K];
}

/** h5wasm output → our numeric typed array (BigInt arrays → exact Float64Array). */
function asNumbers(v: unknown, what: string): TypedArray {
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return bigIntsToFloat64(v, what);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof Uint8ClampedArray)) return v as TypedArray;
  throw new UserError(`${what} did not read as a numeric array.`, "Point the option at a numeric dataset.");
}

function scalarArray(v: unknown): TypedArray {
  if (typeof v === "bigint") return Float64Array.of(Number(v));
  if (typeof v === "number" || typeof v === "boolean") return Float64Array.of(Number(v));
  return v as TypedArray;
}

/**
 * Read samples [t0, t1) of a 2-D activity dataset as time-major float32 [t1 - t0, N]. `unitMajor`
 * datasets ([N, T], e.g. Allen NWB 1.x dF/F) are read in blocks of units (≤ 256 MB each) and
 * transposed block by block, so memory stays at the output size plus one block.
 */
export function readTimeMajor(reader: Hdf5Reader, path: string, unitMajor: boolean, t0: number, t1: number, fix: string): { data: Float32Array; n_units: number } {
  const shape = reader.shape(path, fix);
  if (shape.length !== 2) throw new UserError(`${reader.what(path)} has shape (${shape.join(", ")}); expected a 2-D activity matrix.`, fix);
  if (!unitMajor) return { data: reader.readNumeric(path, "f32", { ranges: [[t0, t1]], fix }).data, n_units: shape[1] };
  const n = shape[0];
  const len = t1 - t0;
  const out = new Float32Array(len * n);
  const unitsPerBlock = Math.max(1, Math.floor(reader.maxSliceBytes / Math.max(1, len * 4)));
  for (let u0 = 0; u0 < n; u0 += unitsPerBlock) {
    const u1 = Math.min(n, u0 + unitsPerBlock);
    const block = reader.readNumeric(path, "f32", { ranges: [[u0, u1], [t0, t1]], fix }).data;
    transposeInto(block, u1 - u0, len, out, n, u0);
  }
  return { data: out, n_units: n };
}

/** An HDF5 file as named arrays, where keys are dataset paths. */
function hdf5Arrays(reader: Hdf5Reader): NamedArrays {
  return {
    name: reader.name,
    has: (key) => reader.isDataset(key),
    info: (key) => ({ shape: reader.shape(key), dtype: reader.dtype(key) }),
    read: (key, kind) => reader.readNumeric(key, kind),
    list: () => reader.listDatasets(),
  };
}

/** Generic HDF5: the named-array convention with dataset paths from `opts.keys` (defaults `/neural`, ...). */
export function loadGenericHdf5(reader: Hdf5Reader, opts: LoadOptions): Recording {
  return recordingFromArrays(hdf5Arrays(reader), opts, { format: "hdf5", noun: "dataset" });
}

/** Opens `file`, runs `fn` on the reader and closes it again. */
export async function withHdf5<T>(file: SourceFile, ctx: LoadContext, fn: (reader: Hdf5Reader) => T): Promise<T> {
  const reader = await Hdf5Reader.open(file.path, file.name, ctx.signal);
  try {
    return fn(reader);
  } finally {
    reader.close();
  }
}
