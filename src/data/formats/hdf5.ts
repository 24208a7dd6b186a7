/**
 * HDF5 access through h5wasm (Node build: positioned reads on the host file, nothing loaded up front),
 * plus the generic-HDF5 loader (caller-named dataset paths, same roles as the `.npz` convention).
 *
 * Every read goes through {@link Hdf5Reader}: it records the paths read (for provenance), reads in
 * slices of at most 64 MiB along the first axis (h5wasm's wasm32 heap caps single reads at 2 GiB; the stall watchdog),
 * converts int64 (BigInt64Array) to exact Numbers, and turns every h5wasm/HDF5 failure (corrupted or
 * truncated files, unsupported compression filters, float16, non-numeric types) into a UserError naming
 * the file and the dataset (hdf5-errors.ts), never an HDF5 error stack.
 *
 * Confinement (hdf5-confine.ts): HDF5 may open only the file named to {@link Hdf5Reader.open}; a
 * dataset kept in another file (external storage, external link, virtual dataset) is refused by name.
 * Budgets: no read, and no reader's running total, may exceed the load budget (loadBudgetBytes), and a
 * dataset (or chunk) larger than INFLATE_RATIO_GRACE_BYTES may not exceed the file's size times
 * maxInflateRatio: the file's size bounds its compressed storage, so more is a decompression bomb (or a
 * huge shape over unwritten storage, which HDF5 reads as fill values).
 * Reads are synchronous (h5wasm); callers may run loaders in a worker thread.
 */
import { statSync } from "node:fs";
import h5wasm, { ExternalLink } from "h5wasm/node";
import { UserError } from "../../util/errors.js";
import { recordingFromArrays, toKind, transposeInto, type KindArrays, type NamedArrays, type NumericKind, type TypedArray } from "../arrays.js";
import { bigIntsToFloat64 } from "./npy.js";
import { allowOpen, blockedOpens, clearBlocked, installConfinement } from "./hdf5-confine.js";
import { escapeError, hdf5Failure, hdf5OpenFailure, type EscapeKind } from "./hdf5-errors.js";
import { wrapNativeCalls } from "./hdf5-watch.js";
import { installRemoteFs, remoteFileSize, takeRemoteFailure } from "../remote/vfs.js";
import { DEFAULT_INTAKE_LIMITS, INFLATE_RATIO_GRACE_BYTES, loadBudgetBytes, throwIfCancelled, type IntakeLimits, type LoadContext, type LoadOptions } from "../options.js";
import type { Recording } from "../recording.js";
import type { SourceFile } from "./format.js";

type H5File = InstanceType<typeof h5wasm.File>;
type H5Dataset = InstanceType<typeof h5wasm.Dataset>;
type H5Group = InstanceType<typeof h5wasm.Group>;
type H5Metadata = H5Dataset["metadata"];

/** Largest single slice read from HDF5 (small enough that one native call stays far below the stall limit, hdf5-watch.ts). */
const MAX_SLICE_BYTES = 64 * 1024 * 1024;
/**
 * Largest chunk HDF5 may decompress: a partial read inflates whole chunks inside h5wasm's wasm heap
 * (at most 2 GiB, never given back), which no JS-side limit sees. Real files use chunks of kilobytes
 * to a few megabytes.
 */
const MAX_CHUNK_BYTES = 256 * 1024 * 1024;

/** The limits a reader enforces. */
export type Hdf5Limits = Pick<IntakeLimits, "maxLoadBytes" | "maxInflateRatio">;

/** How {@link Hdf5Reader.open} reads. */
export interface Hdf5OpenOptions {
  signal?: AbortSignal;
  /** Load budget and inflate ratio (default DEFAULT_INTAKE_LIMITS). */
  limits?: Hdf5Limits;
  /** Largest single slice in bytes (default 64 MiB; smaller in tests). */
  maxSliceBytes?: number;
}

/** HDF5 type classes (H5T_class_t) we read as numbers. */
const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_STRING = 3;
const H5T_ENUM = 8;

let ready: Promise<void> | null = null;

/**
 * Initialise h5wasm once, make HDF5 errors (e.g. unsupported filters) throw instead of returning
 * garbage (the error stack goes into the exception; nothing is printed), confine file opens, and let a
 * watchdog see every native call (hdf5-watch.ts).
 */
export function h5Ready(): Promise<void> {
  ready ??= h5wasm.ready.then((Module) => {
    Module.activate_throwing_error_handler();
    // Remote files (src/data/remote/vfs.ts) first, so that the confinement wraps them too.
    installRemoteFs();
    installConfinement();
    wrapNativeCalls(Module as unknown as Record<string, unknown>);
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
  /** Bytes read so far (held to the load budget). */
  private bytesRead = 0;
  private closed = false;

  private constructor(
    private readonly file: H5File,
    /** File name for messages. */
    readonly name: string,
    /** Size of the file in bytes (bounds what its compressed datasets can hold). */
    private readonly fileBytes: number,
    /** Ends this reader's permission to open its file (hdf5-confine.ts). */
    private readonly release: () => void,
    private readonly budgetBytes: number,
    private readonly maxInflateRatio: number,
    private readonly signal?: AbortSignal,
    /** Largest single slice in bytes (default {@link MAX_SLICE_BYTES}; smaller in tests). */
    readonly maxSliceBytes = MAX_SLICE_BYTES,
  ) {}

  /**
   * Open `path` read-only (`name` is used in messages). While the reader is open HDF5 may open this
   * exact path (and the paths of other open readers), no other file. `path` may be the virtual path of
   * a remote file read lazily (src/data/remote/vfs.ts).
   */
  static async open(path: string, name: string, opts: Hdf5OpenOptions = {}): Promise<Hdf5Reader> {
    await h5Ready();
    const limits = opts.limits ?? DEFAULT_INTAKE_LIMITS;
    const release = allowOpen(path);
    try {
      const fileBytes = remoteFileSize(path) ?? statSync(path).size;
      clearBlocked();
      const file = new h5wasm.File(path, "r");
      return new Hdf5Reader(file, name, fileBytes, release, loadBudgetBytes(limits), limits.maxInflateRatio, opts.signal, opts.maxSliceBytes ?? MAX_SLICE_BYTES);
    } catch (e) {
      release();
      clearBlocked();
      throw takeRemoteFailure() ?? hdf5OpenFailure(name, e);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.file.close();
    } catch {
      // Closing a damaged file can fail after its data was read or refused; nothing is left to release in HDF5.
    } finally {
      this.release();
      clearBlocked();
    }
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
    return g instanceof h5wasm.Group ? this.call(p, "list the members of", () => (g as H5Group).keys()) : [];
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
    return this.meta(this.dataset(p, fix), p).shape ?? [];
  }

  /** numpy-style dtype ("<f4", "<i8", "|u1", ...) of dataset `p`, or "other" for non-numeric types. */
  dtype(p: string): string {
    const m = this.meta(this.dataset(p, "Check the dataset path."), p);
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
    const m = this.meta(ds, p);
    this.checkNumeric(m, p);
    this.checkReadable(m, p);
    this.noteRead(p);
    const full = m.shape ?? [];
    if (full.length === 0) {
      this.charge(p, m.size);
      return { shape: [], data: toKind(this.guard(p, () => scalarArray(ds.value)), kind, this.what(p)) };
    }
    const ranges = resolveRanges(full, opts.ranges ?? [], this.what(p));
    const shape = ranges.map(([a, b]) => b - a);
    const rowElems = shape.slice(1).reduce((a, b) => a * b, 1);
    const total = shape[0] * rowElems;
    this.charge(p, total * m.size);
    const out = allocKind(kind, total);
    const rowsPerSlice = Math.max(1, Math.floor(this.maxSliceBytes / Math.max(1, rowElems * m.size)));
    const rest = ranges.slice(1);
    for (let r0 = ranges[0][0]; r0 < ranges[0][1]; r0 += rowsPerSlice) {
      throwIfCancelled(this.signal);
      const r1 = Math.min(ranges[0][1], r0 + rowsPerSlice);
      const block = this.guard(p, () => asNumbers(ds.slice([[r0, r1], ...rest]), this.what(p)));
      if (block.length !== (r1 - r0) * rowElems) throw new UserError(`${this.what(p)} returned ${block.length} values where its shape promises ${(r1 - r0) * rowElems}.`, "The file is corrupted; re-download or re-export it.");
      out.set(toKind(block, kind, this.what(p)), (r0 - ranges[0][0]) * rowElems);
    }
    return { shape, data: out };
  }

  /** Read a string dataset (fixed-length or variable-length) as JS strings, trailing NULs/spaces stripped. */
  readStrings(p: string, fix = "Check the dataset path."): string[] {
    const ds = this.dataset(p, fix);
    const m = this.meta(ds, p);
    if (m.type !== H5T_STRING) throw new UserError(`${this.what(p)} is not a string dataset.`, fix);
    this.checkReadable(m, p);
    this.noteRead(p);
    this.charge(p, (m.shape ?? []).reduce((a, b) => a * b, 1) * Math.max(m.size, 16));
    const v = this.guard(p, () => ds.value);
    const list = Array.isArray(v) ? v : [v];
    return list.map((s) => String(s).replace(/[\0\s]+$/, ""));
  }

  /** First value of a string or numeric dataset as text, or undefined if absent/unreadable. */
  readText(p: string): string | undefined {
    if (!this.isDataset(p)) return undefined;
    try {
      const ds = this.dataset(p, "");
      if (this.meta(ds, p).type === H5T_STRING) return this.readStrings(p)[0];
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
    return this.call(p, `read attribute ${name} of`, () => {
      const a = (e as H5Dataset).attrs[name];
      return a ? a.value : undefined;
    });
  }

  /** Up to `limit` dataset paths with shapes, for error messages (entries that cannot be read are left out). */
  listDatasets(limit = 40): string[] {
    const out: string[] = [];
    let paths: string[];
    try {
      paths = this.call("/", "list the datasets of", () => this.file.paths());
    } catch {
      return out;
    }
    for (const p of paths) {
      if (out.length >= limit) {
        out.push("...");
        break;
      }
      const abs = p.startsWith("/") ? p : `/${p}`;
      try {
        const e = this.entity(abs);
        if (e instanceof h5wasm.Dataset) out.push(`${abs} (${(this.meta(e as H5Dataset, abs).shape ?? []).join("×") || "scalar"})`);
      } catch {
        // an external link or a damaged entry: not listed
      }
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

  /**
   * The object at `p`, or null when there is none. Refuses (UserError) a path that is, or passes
   * through, an external link (the guard keeps HDF5 from opening the target, so h5wasm reports the
   * link itself, or fails below it), and a path HDF5 fails to look up (damaged structures).
   */
  private entity(p: string) {
    clearBlocked();
    let e: ReturnType<H5File["get"]> | undefined;
    let failure: { error: unknown } | undefined;
    try {
      e = this.file.get(p);
    } catch (error) {
      const remote = takeRemoteFailure();
      if (remote) throw remote;
      failure = { error };
    }
    if (e instanceof ExternalLink) throw escapeError(this.what(p), "an external link", [e.filename]);
    if (e instanceof h5wasm.Dataset || e instanceof h5wasm.Group) return e;
    const blocked = blockedOpens();
    // Missing or unreadable: an external link on the way down explains it; a path through a dataset
    // or a missing group is simply absent; an HDF5 error below intact groups means damaged structures.
    const parts = p.split("/").filter(Boolean);
    let parentIsGroup = true;
    for (let i = 1; i < parts.length && parentIsGroup; i++) {
      const prefix = `/${parts.slice(0, i).join("/")}`;
      let link: unknown;
      try {
        link = this.file.get(prefix);
      } catch (error) {
        if (blocked.length) throw escapeError(this.what(p), "an external link", blocked);
        throw hdf5Failure(this.what(prefix), "look up", error);
      }
      if (link instanceof ExternalLink) throw escapeError(this.what(p), "an external link", [link.filename]);
      parentIsGroup = link instanceof h5wasm.Group;
    }
    if (blocked.length) throw escapeError(this.what(p), "an external link", blocked);
    if (failure && parentIsGroup && parts.length > 0) throw hdf5Failure(this.what(p), "look up", failure.error);
    return null;
  }

  /** Metadata of `ds` (shape, type), with HDF5 failures as UserErrors. */
  private meta(ds: H5Dataset, p: string): H5Metadata {
    return this.call(p, "read the header of", () => ds.metadata);
  }

  /**
   * Refuse, before any byte is read, a dataset whose data lies in other files (a virtual dataset: with
   * its sources missing HDF5 would silently return fill values) or whose chunks are too large to inflate.
   */
  private checkReadable(m: H5Metadata, p: string): void {
    const sources = (m as { virtual_sources?: { file_name: string; dset_name: string }[] }).virtual_sources;
    if (sources && sources.length) {
      throw escapeError(this.what(p), "a virtual dataset", sources.map((s) => `${s.file_name}:${s.dset_name}`));
    }
    const chunks = m.chunks;
    if (chunks && chunks.length) {
      const chunkBytes = chunks.reduce((a, b) => a * b, 1) * m.size;
      if (chunkBytes > MAX_CHUNK_BYTES || this.isBomb(chunkBytes)) {
        throw new UserError(
          `${this.what(p)} is stored in chunks of ${formatBytes(chunkBytes)} each; cebra-mcp decompresses at most ${formatBytes(MAX_CHUNK_BYTES)} per chunk and no more than ${this.maxInflateRatio}× the file's ${formatBytes(this.fileBytes)} (more is treated as a decompression bomb).`,
          "Re-save the dataset with smaller chunks (h5py: chunks=True picks sizes of about 1 MB).",
        );
      }
    }
  }

  /** True if `bytes` of data cannot have come from this file's compressed storage at an honest ratio. */
  private isBomb(bytes: number): boolean {
    return bytes > INFLATE_RATIO_GRACE_BYTES && bytes > this.fileBytes * this.maxInflateRatio;
  }

  /**
   * Count a read of `bytes` against the budgets before it happens: the inflate ratio and the load
   * budget, both for the reader's running total (many datasets just under the grace size add up), so a
   * corrupt or hostile shape cannot trigger a giant allocation.
   */
  private charge(p: string, bytes: number): void {
    if (this.isBomb(this.bytesRead + bytes)) {
      const total = this.bytesRead ? ` (${formatBytes(this.bytesRead + bytes)} with what was read before)` : "";
      throw new UserError(
        `${this.what(p)} declares ${formatBytes(bytes)} of data${total} in a ${formatBytes(this.fileBytes)} file, more than ${this.maxInflateRatio}× its size: refused as a decompression bomb (or a corrupted shape).`,
        "If the data is genuine, re-save it with less compression, or raise CEBRA_MCP_MAX_INFLATE_RATIO.",
      );
    }
    if (this.bytesRead + bytes > this.budgetBytes) {
      throw new UserError(
        `Reading ${this.what(p)} (${formatBytes(bytes)}${this.bytesRead ? `, after ${formatBytes(this.bytesRead)} already read` : ""}) would exceed the load budget of ${formatBytes(this.budgetBytes)} (--max-load-bytes, and at most half the free memory).`,
        "Load part of the recording (time_range, keys naming smaller datasets), free memory, or raise --max-load-bytes (CEBRA_MCP_MAX_LOAD_BYTES).",
      );
    }
    this.bytesRead += bytes;
  }

  private checkNumeric(m: H5Metadata, p: string): void {
    if (m.type !== H5T_INTEGER && m.type !== H5T_FLOAT && m.type !== H5T_ENUM) {
      throw new UserError(`${this.what(p)} is not a numeric dataset (HDF5 type class ${m.type}).`, "Point the option at a numeric dataset.");
    }
    if (m.type === H5T_FLOAT && m.size === 2) {
      throw new UserError(`${this.what(p)} is float16, which h5wasm cannot read.`, "Re-save the dataset as float32.");
    }
  }

  /** Run an h5wasm call that reads data of `p`: a refused open means external storage, anything else a UserError with its likely cause. */
  private guard<T>(p: string, fn: () => T): T {
    return this.call(p, "read", fn, "external storage");
  }

  /**
   * Run an h5wasm call that reads structure (metadata, names, attributes) of `p`, or with `escape`
   * "external storage" its data: a refused open of another file becomes the escape error, anything
   * else a UserError with its likely cause.
   */
  private call<T>(p: string, action: string, fn: () => T, escape: EscapeKind = "an external link"): T {
    clearBlocked();
    try {
      return fn();
    } catch (e) {
      if (e instanceof UserError) throw e;
      const remote = takeRemoteFailure();
      if (remote) throw remote;
      const blocked = blockedOpens();
      if (blocked.length) throw escapeError(this.what(p), escape, blocked);
      throw hdf5Failure(this.what(p), action, e);
    }
  }
}

function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
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
 * datasets ([N, T], e.g. Allen NWB 1.x dF/F) are read in blocks of units (≤ 64 MiB each) and
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
  const reader = await Hdf5Reader.open(file.path, file.name, { signal: ctx.signal, limits: ctx });
  try {
    return fn(reader);
  } finally {
    reader.close();
  }
}
