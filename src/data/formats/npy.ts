/**
 * NumPy `.npy` reading and writing (own code, no dependency).
 *
 * Reading accepts header versions 1–3, dtypes b1, i1/u1, i2/u2, i4/u4, i8/u8, f2, f4, f8 in either
 * byte order, and C or Fortran order. Data always come back in C order and native (little-endian)
 * byte order. float16 is widened to Float32Array; int64/uint64 become Float64Array when every value
 * is an exactly representable integer (|v| ≤ 2^53), otherwise the file is refused.
 * The declared shape × itemsize is checked against the bytes present (fewer is "truncated", more is
 * refused too) and against the caller's byte budget BEFORE anything is allocated, so a truncated or
 * hostile header cannot trigger a giant allocation; headers over 1 MiB are refused unread.
 *
 * Writing produces a version-1 header padded to 64 bytes, little-endian, C order, which
 * `numpy.load` reads directly (used to hand embeddings to numpy users).
 *
 * NPY_FORMAT is the `.npy` entry of the format registry (formats/index.ts).
 */
import { constants as bufferConstants } from "node:buffer";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { UserError } from "../../util/errors.js";
import { lazyArrays, recordingFromArrays, type NdArray, type TypedArray } from "../arrays.js";
import { loadBudgetBytes } from "../options.js";
import type { FileFormat } from "./format.js";


/** What the header of a `.npy` file declares. */
interface NpyHeader {
  /** Normalised descr: byte-order char "<" or "|" (always little-endian after reading), kind, size. */
  dtype: string;
  kind: "b" | "i" | "u" | "f";
  itemsize: number;
  bigEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
  /** Number of elements (product of shape; 1 for a scalar). */
  count: number;
  /** Byte offset of the data from the start of the file. */
  dataOffset: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const SUPPORTED = "b1, i1, u1, i2, u2, i4, u4, i8, u8, f2, f4, f8";
const MAX_EXACT_BIG = 2n ** 53n;
/** Longest header accepted (numpy writes under 100 bytes for numeric arrays; np.load caps it at 10,000). */
const MAX_HEADER_BYTES = 1024 * 1024;

/** True if `bytes` starts with the `.npy` magic string. */
function isNpy(bytes: Uint8Array): boolean {
  return MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Parse the header of a `.npy` file. `bytes` needs to hold at least the header
 * (the first 64 bytes are enough to learn the header length; see {@link npyHeaderLength}).
 */
function parseNpyHeader(bytes: Uint8Array, name: string): NpyHeader {
  const headerEnd = npyHeaderLength(bytes, name);
  if (bytes.length < headerEnd) {
    throw new UserError(`${name}: the .npy header is truncated (needs ${headerEnd} bytes, file has ${bytes.length}).`, "Re-save the array with numpy.save.");
  }
  const major = bytes[6];
  const start = major === 1 ? 10 : 12;
  const text = new TextDecoder(major >= 3 ? "utf-8" : "latin1").decode(bytes.subarray(start, headerEnd));
  const descr = parseDescr(text, name);
  const fortranOrder = parseFortranOrder(text, name);
  const shape = parseShape(text, name);
  const count = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count)) {
    throw new UserError(`${name}: declared shape (${shape.join(", ")}) is too large.`, "Check that the file is a valid .npy array.");
  }
  return { ...descr, fortranOrder, shape, count, dataOffset: headerEnd };
}

/** Total header size in bytes (magic + version + length field + header text) from the first 12 bytes. */
export function npyHeaderLength(bytes: Uint8Array, name: string): number {
  if (bytes.length < 10 || !isNpy(bytes)) {
    throw new UserError(`${name} is not a .npy file (missing the \\x93NUMPY magic).`, "Pass a file written by numpy.save, or name the format with the `format` option.");
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major === 1) return 10 + view.getUint16(8, true);
  if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new UserError(`${name}: the .npy header is truncated.`, "Re-save the array with numpy.save.");
    const len = 12 + view.getUint32(8, true);
    if (len > MAX_HEADER_BYTES) {
      throw new UserError(`${name}: the .npy header claims to be ${len} bytes long, more than the ${MAX_HEADER_BYTES} read; the file is corrupt or not a numeric array.`, "Re-save the array with numpy.save.");
    }
    return len;
  }
  throw new UserError(`${name}: unsupported .npy format version ${major}.${bytes[7]}.`, "Re-save the array with numpy.save (format versions 1.0–3.0 are supported).");
}

function parseDescr(text: string, name: string): Pick<NpyHeader, "dtype" | "kind" | "itemsize" | "bigEndian"> {
  if (/['"]descr['"]\s*:\s*\[/.test(text)) {
    throw new UserError(`${name} holds a structured (record) array, which cannot be loaded as numbers.`, "Save each field as its own numeric array (e.g. np.savez(path, neural=arr['neural'], ...)).");
  }
  const m = /['"]descr['"]\s*:\s*(['"])(.*?)\1/.exec(text);
  if (!m) throw new UserError(`${name}: the .npy header has no 'descr' entry.`, "Re-save the array with numpy.save.");
  const descr = m[2];
  const d = /^([<>|=])([biuf])(\d+)$/.exec(descr);
  if (!d) {
    throw new UserError(`${name} has dtype '${descr}' (${describeDtypeKind(descr)}), which is not numeric.`, `Convert it to a numeric dtype (${SUPPORTED}) before saving, e.g. arr.astype(np.float32).`);
  }
  const kind = d[2] as NpyHeader["kind"];
  const itemsize = Number(d[3]);
  const valid = kind === "b" ? itemsize === 1 : kind === "f" ? [2, 4, 8].includes(itemsize) : [1, 2, 4, 8].includes(itemsize);
  if (!valid) {
    throw new UserError(`${name} has unsupported dtype '${descr}'.`, `Convert it to one of ${SUPPORTED} before saving.`);
  }
  const bigEndian = d[1] === ">" && itemsize > 1;
  return { dtype: `${itemsize === 1 ? "|" : "<"}${kind}${itemsize}`, kind, itemsize, bigEndian };
}

function describeDtypeKind(descr: string): string {
  const k = descr.replace(/^[<>|=]/, "")[0];
  const kinds: Record<string, string> = { O: "Python objects", U: "unicode strings", S: "byte strings", V: "raw/void", M: "datetimes", m: "timedeltas", c: "complex numbers" };
  return kinds[k] ?? "unknown kind";
}

function parseFortranOrder(text: string, name: string): boolean {
  const m = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  if (!m) throw new UserError(`${name}: the .npy header has no 'fortran_order' entry.`, "Re-save the array with numpy.save.");
  return m[1] === "True";
}

function parseShape(text: string, name: string): number[] {
  const m = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!m) throw new UserError(`${name}: the .npy header has no 'shape' entry.`, "Re-save the array with numpy.save.");
  const parts = m[1].split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  return parts.map((p) => {
    const n = /^\d+L?$/.test(p) ? Number(p.replace(/L$/, "")) : NaN;
    if (!Number.isSafeInteger(n)) throw new UserError(`${name}: invalid dimension '${p}' in the .npy shape.`, "Re-save the array with numpy.save.");
    return n;
  });
}

/** Bytes of data the header declares. */
function npyDataBytes(h: NpyHeader): number {
  return h.count * h.itemsize;
}

/** Bytes a decoded array needs: the raw data, plus a second array when it is widened or reordered. */
function npyMemoryBytes(h: NpyHeader): number {
  const raw = npyDataBytes(h);
  const widened = h.kind === "f" && h.itemsize === 2 ? 4 * h.count : h.itemsize === 8 && h.kind !== "f" ? 8 * h.count : 0;
  const reordered = h.fortranOrder && h.shape.length > 1 ? Math.max(raw, widened) : 0;
  return raw + widened + reordered;
}

/**
 * Refuses data that do not match the header (fewer bytes: truncated; more: corrupt) and arrays
 * whose decoding would pass `budgetBytes`; runs before anything is allocated.
 */
function checkData(h: NpyHeader, available: number, name: string, budgetBytes: number): void {
  const need = npyDataBytes(h);
  if (need > available) {
    throw new UserError(
      `${name} is truncated: its header declares shape (${h.shape.join(", ")}) of ${h.dtype} = ${need} bytes, but only ${Math.max(0, available)} bytes of data follow.`,
      "Re-download or re-save the file; it was cut short.",
    );
  }
  if (need < available) {
    throw new UserError(
      `${name} is corrupt: its header declares shape (${h.shape.join(", ")}) of ${h.dtype} = ${need} bytes, but ${available} bytes of data follow.`,
      "Re-save the array with numpy.save (the header does not describe the data).",
    );
  }
  if (need > bufferConstants.MAX_LENGTH) {
    throw new UserError(
      `${name}: the array (shape (${h.shape.join(", ")}) of ${h.dtype}) holds ${need} bytes, more than one array can hold here (${bufferConstants.MAX_LENGTH} bytes).`,
      "Save it in parts (e.g. one file per block of time) or as HDF5, or load a subset of it.",
      "limit_exceeded",
    );
  }
  const memory = npyMemoryBytes(h);
  if (memory > budgetBytes) {
    throw new UserError(
      `${name}: the array (shape (${h.shape.join(", ")}) of ${h.dtype}) needs ${memory} bytes of memory to read, more than the load budget of ${budgetBytes} bytes (the smaller of --max-load-bytes and half the free memory).`,
      "Load a part of it (save a smaller slice), free memory, or raise the budget with --max-load-bytes SIZE (env CEBRA_MCP_MAX_LOAD_BYTES).",
      "limit_exceeded",
    );
  }
}

/** Shape and dtype an `.npy` header declares, from the file's first bytes (`head` holds the whole header). */
export function npyInfo(head: Uint8Array, name: string): { shape: number[]; dtype: string; dataBytes: number; headerBytes: number } {
  const h = parseNpyHeader(head, name);
  return { shape: h.shape, dtype: h.dtype, dataBytes: npyDataBytes(h), headerBytes: h.dataOffset };
}

/**
 * Parse a whole `.npy` file held in memory. `owned`: the caller gives `bytes` up (a fresh buffer
 * nobody else uses), so the data are decoded in place when aligned, without a copy.
 */
export function parseNpy(bytes: Uint8Array, name: string, opts: { owned?: boolean; budgetBytes?: number } = {}): NdArray {
  const h = parseNpyHeader(bytes, name);
  checkData(h, bytes.length - h.dataOffset, name, opts.budgetBytes ?? Infinity);
  const start = bytes.byteOffset + h.dataOffset;
  const raw =
    opts.owned && start % h.itemsize === 0
      ? bytes.subarray(h.dataOffset, h.dataOffset + npyDataBytes(h))
      : // slice() copies into a fresh, aligned ArrayBuffer that we then own and may byte-swap in place.
        bytes.slice(h.dataOffset, h.dataOffset + npyDataBytes(h));
  return decodeNpyData(h, raw, name);
}

/**
 * Read a `.npy` file from disk: header first, sizes checked against the file size and
 * `budgetBytes`, then the data read straight into one buffer (no second copy of the file).
 */
export function readNpyFile(path: string, name = path, budgetBytes = Infinity): NdArray {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const head = new Uint8Array(Math.min(size, 16));
    readSync(fd, head, 0, head.length, 0);
    const headerLen = npyHeaderLength(head, name);
    if (headerLen > size) throw new UserError(`${name}: the .npy header is truncated.`, "Re-save the array with numpy.save.");
    const headerBytes = new Uint8Array(headerLen);
    readFully(fd, headerBytes, 0);
    const h = parseNpyHeader(headerBytes, name);
    checkData(h, size - h.dataOffset, name, budgetBytes);
    const raw = new Uint8Array(npyDataBytes(h));
    readFully(fd, raw, h.dataOffset);
    return decodeNpyData(h, raw, name);
  } finally {
    closeSync(fd);
  }
}

/** The `.npy` recording format: one array, the neural data (read whole; `keys.neural` names it in messages). */
export const NPY_FORMAT: FileFormat = {
  name: "npy",
  signature: isNpy,
  extensions: [".npy"],
  async load(file, opts, ctx) {
    const key = opts.keys?.neural ?? "neural";
    const nd = readNpyFile(file.path, file.name, loadBudgetBytes(ctx));
    return recordingFromArrays(lazyArrays(file.name, new Map([[key, () => nd]])), opts, { format: "npy", noun: "member" });
  },
};

function readFully(fd: number, into: Uint8Array, position: number): void {
  const step = 1 << 30;
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, Math.min(step, into.length - done), position + done);
    if (n === 0) throw new UserError(`File ended early while reading ${into.length} bytes.`, "Re-download or re-save the file.");
    done += n;
  }
}

/**
 * Turn raw data bytes (exactly `count × itemsize`, in a buffer the caller gives up) into a C-order,
 * native-endian NdArray.
 */
function decodeNpyData(h: NpyHeader, raw: Uint8Array, name: string): NdArray {
  if (h.bigEndian) swapBytes(raw, h.itemsize);
  let data = typedView(h, raw, name);
  if (h.fortranOrder && h.shape.length > 1) data = fortranToC(data, h.shape);
  return { dtype: h.dtype, shape: h.shape.slice(), data };
}

/** Reverse the bytes of every `itemsize`-byte element in place. */
function swapBytes(bytes: Uint8Array, itemsize: number): void {
  if (itemsize === 1) return;
  for (let i = 0; i + itemsize <= bytes.length; i += itemsize) {
    for (let a = i, b = i + itemsize - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

function typedView(h: NpyHeader, raw: Uint8Array, name: string): TypedArray {
  const buf = raw.buffer as ArrayBuffer;
  const off = raw.byteOffset;
  const n = h.count;
  switch (`${h.kind}${h.itemsize}`) {
    case "b1":
    case "u1":
      return new Uint8Array(buf, off, n);
    case "i1":
      return new Int8Array(buf, off, n);
    case "i2":
      return new Int16Array(buf, off, n);
    case "u2":
      return new Uint16Array(buf, off, n);
    case "i4":
      return new Int32Array(buf, off, n);
    case "u4":
      return new Uint32Array(buf, off, n);
    case "f4":
      return new Float32Array(buf, off, n);
    case "f8":
      return new Float64Array(buf, off, n);
    case "f2":
      return halfToFloat32(new Uint16Array(buf, off, n));
    case "i8":
    case "u8":
      return int64ToFloat64(new Uint32Array(buf, off, 2 * n), h.kind === "i", name);
    default:
      throw new UserError(`${name}: unsupported dtype ${h.dtype}.`, `Use one of ${SUPPORTED}.`);
  }
}

/** Convert IEEE-754 half floats (as raw uint16) to Float32Array. */
function halfToFloat32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const h = src[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) out[i] = sign * frac * 2 ** -24;
    else if (exp === 31) out[i] = frac ? NaN : sign * Infinity;
    else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/**
 * Convert little-endian 64-bit integers (given as pairs of uint32 words) to exact Numbers.
 * Throws a UserError at the first value beyond ±2^53.
 */
function int64ToFloat64(words: Uint32Array, signed: boolean, name: string): Float64Array {
  const n = words.length / 2;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const lo = words[2 * i];
    const hiU = words[2 * i + 1];
    const hi = signed ? hiU | 0 : hiU;
    // Exact iff -2^53 <= v <= 2^53: hi in [-2^21, 2^21), or v = 2^53 exactly.
    if ((hi >= 2097152 || hi < -2097152) && !(hi === 2097152 && lo === 0)) throw tooLargeInteger(name, i);
    out[i] = hi * 4294967296 + lo;
  }
  return out;
}

function tooLargeInteger(name: string, index: number): UserError {
  return new UserError(`${name}: 64-bit integer at flat index ${index} is beyond ±2^53 and cannot be represented exactly.`, "Store these values as float64 or as smaller integers (e.g. re-index ids to 0..N-1).");
}

/** Convert BigInt64Array/BigUint64Array values to exact Numbers (UserError beyond ±2^53). */
export function bigIntsToFloat64(src: BigInt64Array | BigUint64Array, name: string): Float64Array {
  const out = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (v > MAX_EXACT_BIG || v < -MAX_EXACT_BIG) throw tooLargeInteger(name, i);
    out[i] = Number(v);
  }
  return out;
}

/** Reorder a column-major (Fortran) array of the given shape to row-major (C) order. */
function fortranToC<T extends TypedArray>(src: T, shape: number[]): T {
  const nd = shape.length;
  const out = new (src.constructor as new (n: number) => T)(src.length);
  // Fortran strides (elements): stride[0] = 1, stride[k] = stride[k-1] * shape[k-1].
  const fStride = new Array<number>(nd);
  fStride[0] = 1;
  for (let k = 1; k < nd; k++) fStride[k] = fStride[k - 1] * shape[k - 1];
  const idx = new Array<number>(nd).fill(0);
  let fOff = 0;
  for (let c = 0; c < src.length; c++) {
    out[c] = src[fOff];
    // Increment the C-order multi-index (last axis fastest), updating the Fortran offset.
    for (let k = nd - 1; k >= 0; k--) {
      idx[k]++;
      fOff += fStride[k];
      if (idx[k] < shape[k]) break;
      fOff -= fStride[k] * shape[k];
      idx[k] = 0;
    }
  }
  return out;
}

/** dtypes {@link writeNpy} can write, with the typed array each one stores. */
const WRITERS: Record<string, { itemsize: number; integer: boolean }> = {
  "<f4": { itemsize: 4, integer: false },
  "<f8": { itemsize: 8, integer: false },
  "<i4": { itemsize: 4, integer: true },
  "<i8": { itemsize: 8, integer: true },
  "|u1": { itemsize: 1, integer: true },
  "|b1": { itemsize: 1, integer: true },
};

/** Writable dtypes, e.g. for error messages and tool schemas. */
const WRITABLE_DTYPES = Object.keys(WRITERS);

/**
 * Serialise an array as a `.npy` file (v1 header padded to 64 bytes, little-endian, C order).
 * `dtype` is one of "<f4", "<f8", "<i4", "<i8", "|u1", "|b1" ("f4", "u1"... are accepted too).
 * Values are converted to the dtype; integer dtypes require integer values.
 */
export function writeNpy(arr: { dtype: string; shape: number[]; data: ArrayLike<number> }): Uint8Array {
  const dtype = normaliseWriteDtype(arr.dtype);
  const spec = WRITERS[dtype];
  const count = arr.shape.reduce((a, b) => a * b, 1);
  if (count !== arr.data.length) {
    throw new UserError(`writeNpy: shape (${arr.shape.join(", ")}) has ${count} elements but the data has ${arr.data.length}.`, "Pass data whose length matches the shape.");
  }
  const header = npyHeaderBytes(dtype, arr.shape);
  const out = new Uint8Array(header.length + count * spec.itemsize);
  out.set(header, 0);
  const same = SAME_LAYOUT[dtype];
  if (same && arr.data instanceof same) {
    // Same element type on a little-endian host: copy the bytes as they are.
    const d = arr.data as TypedArray;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), header.length);
  } else {
    writeValues(new DataView(out.buffer, header.length), dtype, arr.data, spec.integer);
  }
  return out;
}

/** Typed arrays whose in-memory bytes already are the dtype's little-endian encoding. */
const SAME_LAYOUT: Record<string, new (n: number) => TypedArray> = { "<f4": Float32Array, "<f8": Float64Array, "<i4": Int32Array, "|u1": Uint8Array };

function normaliseWriteDtype(dtype: string): string {
  const short = dtype.replace(/^[<|=]/, "");
  const match = WRITABLE_DTYPES.find((d) => d.slice(1) === short);
  if (!match) throw new UserError(`writeNpy cannot write dtype '${dtype}'.`, `Use one of ${WRITABLE_DTYPES.join(", ")}.`);
  return match;
}

function writeValues(view: DataView, dtype: string, data: ArrayLike<number>, integer: boolean): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (integer && !Number.isInteger(v)) {
      throw new UserError(`writeNpy: value ${v} at index ${i} is not an integer but dtype ${dtype} is.`, "Round the data or write a float dtype.");
    }
    switch (dtype) {
      case "<f4": view.setFloat32(4 * i, v, true); break;
      case "<f8": view.setFloat64(8 * i, v, true); break;
      case "<i4": view.setInt32(4 * i, v, true); break;
      case "<i8": view.setBigInt64(8 * i, BigInt(v), true); break;
      case "|b1": view.setUint8(i, v ? 1 : 0); break;
      default: view.setUint8(i, v); break;
    }
  }
}

/** The v1 header bytes (magic, version, length, dict), padded with spaces to a multiple of 64 bytes. */
function npyHeaderBytes(dtype: string, shape: number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const body = dict + " ".repeat(total - 10 - dict.length - 1) + "\n";
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, body.length, true);
  for (let i = 0; i < body.length; i++) out[10 + i] = body.charCodeAt(i);
  return out;
}
