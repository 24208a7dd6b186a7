/**
 * A zip reader for `.npz` archives and PyTorch checkpoints that treats the archive as hostile input
 * (own code; fflate only supplies the streaming inflater). Its refusals name the archive kind and the fix
 * through `ZipLimits.wording` (`.npz` by default).
 *
 * Opening an archive reads only its directory: the end-of-central-directory record (and the ZIP64
 * record and locator when a field overflows), every central-directory entry (ZIP64 extra fields
 * included) and every local header, through positioned reads of a file descriptor or a buffer; the
 * member data stay on disk. The directory is refused when it is inconsistent: members outside the
 * file or overlapping each other or the directory, duplicate names, encryption, compression methods
 * other than stored (0) and deflate (8), stored members whose two sizes differ, or declared sizes that
 * deflate cannot produce.
 *
 * Reading a member is budgeted. `checkDeclared` holds the members about to be read to the byte budget
 * (their total declared uncompressed size) and to the inflate-ratio limit BEFORE anything is inflated;
 * `read` inflates one member as a stream from 64 KiB input pieces into a buffer of exactly the
 * declared size and stops as soon as the output would pass it (declared sizes can lie), keeps the
 * archive's running total within the budget, and verifies the size and CRC-32 at the end. A member
 * whose bytes start with a zip signature is refused as a nested archive.
 */
import { constants as bufferConstants } from "node:buffer";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { crc32 } from "node:zlib";
import { Inflate } from "fflate";
import { UserError } from "../../util/errors.js";

/** One member as the central directory describes it (local header checked). */
export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: 0 | 8;
  crc32: number;
  compressedSize: number;
  /** Declared uncompressed size. */
  size: number;
  /** Offset of the local header. */
  localOffset: number;
  /** Offset of the member's (compressed) data. */
  dataOffset: number;
}

/** Where the archive's bytes come from: positioned reads. */
interface ZipSource {
  readonly size: number;
  /** Reads up to `into.length` bytes at `position`; returns how many were read (0 at the end). */
  read(into: Uint8Array, position: number): number;
  close(): void;
}

/** What reading members may use. */
export interface ZipLimits {
  /** Most bytes all members read from this archive may inflate to, together. */
  budgetBytes: number;
  /** Largest declared uncompressed : compressed ratio of a member larger than `ratioGraceBytes`. */
  maxInflateRatio: number;
  /** Members smaller than this (uncompressed) are not held to maxInflateRatio. */
  ratioGraceBytes: number;
  /** How refusals read (default `NPZ_WORDING`). */
  wording?: ZipWording;
}

/** Deflate cannot expand data by more than ~1032:1 (plus a little for tiny members). */
const DEFLATE_MAX_RATIO = 1032;
const DEFLATE_SLACK = 1024;
const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
/** Largest central directory read into memory (≈ 1 million members). */
const MAX_DIRECTORY_BYTES = 64 * 1024 * 1024;
const MAX_MEMBERS = 100_000;
const PIECE = 64 * 1024;

/** How the reader's refusals name the archive and what they advise: an `.npz` recording and a PyTorch checkpoint differ in the fix. */
export interface ZipWording {
  /** What a file that cannot be read is not, as in "x is not a readable <archive>". */
  archive: string;
  /** Fix for a malformed or unsupported archive. */
  refuseFix: string;
  /** Fix when the members to read exceed the byte budget. */
  limitFix: string;
  /** Fix when a member passes the inflate-ratio limit. */
  ratioFix: string;
  /** Fix for a member whose data are damaged. */
  corruptFix: string;
}

/** The wording for `.npz` recordings (the default). */
export const NPZ_WORDING: ZipWording = {
  archive: ".npz/zip archive",
  refuseFix: "Re-save the arrays with numpy.savez or numpy.savez_compressed (a plain, unencrypted zip of .npy members).",
  limitFix:
    "If the archive is genuine, raise the load budget with --max-load-bytes SIZE (env CEBRA_MCP_MAX_LOAD_BYTES) on a machine with enough free memory, or save the arrays uncompressed (numpy.savez) or as separate .npy files.",
  ratioFix:
    "Dense recordings compress far less than this (an almost-empty spike-count matrix can come close); if the archive is genuine, raise the limit with the environment variable CEBRA_MCP_MAX_INFLATE_RATIO or save it uncompressed with numpy.savez.",
  corruptFix: "Re-download the file or re-save it with numpy.savez.",
};

/** An archive's name in messages, with the wording of its refusals. */
interface Label {
  name: string;
  wording: ZipWording;
}

/** Reads from a file descriptor (not closed by the source unless `owned`). */
export function fdSource(fd: number, owned = false): ZipSource {
  const size = fstatSync(fd).size;
  return {
    size,
    read: (into, position) => (into.length === 0 ? 0 : readSync(fd, into, 0, into.length, position)),
    close: () => {
      if (owned) closeSync(fd);
    },
  };
}

/** Reads from bytes already in memory. */
export function bytesSource(bytes: Uint8Array): ZipSource {
  return {
    size: bytes.length,
    read: (into, position) => {
      const n = Math.max(0, Math.min(into.length, bytes.length - position));
      into.set(bytes.subarray(position, position + n));
      return n;
    },
    close: () => {},
  };
}

function le(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A zip archive opened for budgeted reading (see the module comment). */
export class ZipArchive {
  readonly name: string;
  readonly entries: readonly ZipEntry[];
  private readonly label: Label;
  private readonly source: ZipSource;
  private readonly limits: ZipLimits;
  private readonly byName: Map<string, ZipEntry>;
  /** Bytes inflated (or copied) so far by `read`. */
  private used = 0;

  private constructor(source: ZipSource, label: Label, limits: ZipLimits, entries: ZipEntry[]) {
    this.source = source;
    this.name = label.name;
    this.label = label;
    this.limits = limits;
    this.entries = entries;
    this.byName = new Map(entries.map((e) => [e.name, e]));
  }

  /** Reads and checks the directory of `source` (closed again if this throws). */
  static open(source: ZipSource, name: string, limits: ZipLimits): ZipArchive {
    try {
      const label = { name, wording: limits.wording ?? NPZ_WORDING };
      return new ZipArchive(source, label, limits, readDirectory(source, label));
    } catch (e) {
      source.close();
      throw e;
    }
  }

  /** Opens the archive at `path` (read through one descriptor, closed by `close`). */
  static openFile(path: string, name: string, limits: ZipLimits): ZipArchive {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (e) {
      throw new UserError(`Could not open ${name} (${(e as Error).message}).`, "Check that the file exists and is readable.");
    }
    return ZipArchive.open(fdSource(fd, true), name, limits);
  }

  get(memberName: string): ZipEntry | undefined {
    return this.byName.get(memberName);
  }

  close(): void {
    this.source.close();
  }

  /**
   * Refuses, before any inflation, members whose declared sizes together exceed what is left of the
   * budget, or whose declared expansion passes maxInflateRatio.
   */
  checkDeclared(entries: readonly ZipEntry[]): void {
    let total = 0;
    for (const e of entries) {
      if (e.method === 8 && e.size > this.limits.ratioGraceBytes && e.size > e.compressedSize * this.limits.maxInflateRatio) {
        const ratio = Math.round(e.size / Math.max(1, e.compressedSize));
        throw new UserError(
          `${this.name}: member ${e.name} would inflate ${e.compressedSize} bytes to ${e.size} bytes (${ratio}:1), more than the limit of ${this.limits.maxInflateRatio}:1; this looks like a decompression bomb and nothing was inflated.`,
          this.label.wording.ratioFix,
          "limit_exceeded",
        );
      }
      total += e.size;
    }
    const left = this.limits.budgetBytes - this.used;
    if (total > left) {
      const names = entries.map((e) => e.name).join(", ");
      throw new UserError(
        `${this.name}: the members to read (${names}) declare ${total} bytes uncompressed, more than the load budget allows (${left} of ${this.limits.budgetBytes} bytes left: the smaller of --max-load-bytes and half the free memory); nothing was inflated.`,
        this.label.wording.limitFix,
        "limit_exceeded",
      );
    }
  }

  /**
   * The member's uncompressed bytes in a fresh buffer of exactly its declared size, inflated as a
   * stream and stopped at the first byte beyond that size; size and CRC-32 verified.
   */
  read(entry: ZipEntry): Uint8Array {
    this.checkDeclared([entry]);
    if (entry.size > bufferConstants.MAX_LENGTH) {
      throw new UserError(
        `${this.name}: member ${entry.name} is ${entry.size} bytes uncompressed, more than one array can hold here (${bufferConstants.MAX_LENGTH} bytes).`,
        "Save the array in parts (separate .npy files) or as HDF5, or load a subset of it.",
        "limit_exceeded",
      );
    }
    const out = new Uint8Array(entry.size);
    this.used += entry.size;
    const got = this.stream(entry, out, true);
    if (got !== entry.size) throw this.corrupt(entry, `it holds ${got} bytes, not the ${entry.size} its directory entry declares`);
    if (crc32(out) >>> 0 !== entry.crc32) throw this.corrupt(entry, "its CRC-32 does not match the directory (the data are damaged)");
    return out;
  }

  /** The first `n` uncompressed bytes of a member (fewer if it is shorter); no CRC check. */
  head(entry: ZipEntry, n: number): Uint8Array {
    const out = new Uint8Array(Math.min(n, entry.size));
    const got = this.stream(entry, out, false);
    return out.subarray(0, got);
  }

  /**
   * Fills `out` with the member's first bytes. `whole`: the member must end exactly at out.length
   * (more output is an error); otherwise reading stops once `out` is full. Returns the bytes written.
   */
  private stream(entry: ZipEntry, out: Uint8Array, whole: boolean): number {
    let filled = 0;
    let over = false;
    const take = (chunk: Uint8Array) => {
      const room = out.length - filled;
      if (chunk.length > room) over = true;
      out.set(chunk.length > room ? chunk.subarray(0, room) : chunk, filled);
      filled += Math.min(room, chunk.length);
    };
    const inflater = entry.method === 8 ? new Inflate((chunk) => take(chunk)) : undefined;
    const piece = new Uint8Array(PIECE);
    let pos = 0;
    let checked = false;
    try {
      // A whole deflated member is pushed to its end (more output than declared is an error);
      // otherwise reading stops once `out` is full.
      while (pos < entry.compressedSize && !over && !(filled === out.length && !(whole && inflater))) {
        const view = piece.subarray(0, Math.min(PIECE, entry.compressedSize - pos));
        readExactly(this.source, view, entry.dataOffset + pos, this.label);
        pos += view.length;
        if (inflater) inflater.push(view.slice(), pos === entry.compressedSize);
        else take(view);
        if (!checked && filled >= 4) {
          checked = true;
          this.refuseNested(entry, out);
        }
      }
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw this.corrupt(entry, `its compressed data are invalid or truncated (${(e as Error).message})`);
    }
    if (whole && over) {
      throw new UserError(
        `${this.name}: member ${entry.name} inflates to more than the ${entry.size} bytes its directory entry declares; inflation was stopped there. The archive is corrupt or hostile.`,
        this.label.wording.refuseFix,
        "limit_exceeded",
      );
    }
    return filled;
  }

  private refuseNested(entry: ZipEntry, out: Uint8Array): void {
    if (out[0] === 0x50 && out[1] === 0x4b && ((out[2] === 3 && out[3] === 4) || (out[2] === 5 && out[3] === 6) || (out[2] === 7 && out[3] === 8))) {
      throw new UserError(`${this.name}: member ${entry.name} is itself a zip archive (nested archive), which is not read.`, this.label.wording.refuseFix, "unsupported");
    }
  }

  private corrupt(entry: ZipEntry, why: string): UserError {
    return new UserError(`${this.name}: member ${entry.name} is corrupt: ${why}.`, this.label.wording.corruptFix);
  }
}

function readExactly(source: ZipSource, into: Uint8Array, position: number, label: Label): void {
  let done = 0;
  while (done < into.length) {
    const n = source.read(into.subarray(done), position + done);
    if (n === 0) throw new UserError(`${label.name} is truncated: it ended while reading ${into.length} bytes at offset ${position}.`, "Re-download the file; it was cut short.");
    done += n;
  }
}

function notZip(label: Label, why: string): UserError {
  return new UserError(`${label.name} is not a readable ${label.wording.archive} (${why}).`, label.wording.refuseFix);
}

/** Reads `n` bytes at `position`, refusing ranges outside the file. */
function at(source: ZipSource, position: number, n: number, label: Label, what: string): Uint8Array {
  if (position < 0 || n < 0 || position + n > source.size) throw notZip(label, `its ${what} lies outside the file`);
  const out = new Uint8Array(n);
  readExactly(source, out, position, label);
  return out;
}

interface Directory {
  count: number;
  size: number;
  offset: number;
  /** Where the directory must end (the ZIP64 record or the end record). */
  end: number;
}

function findEnd(source: ZipSource, label: Label): Directory {
  if (source.size < 22) throw notZip(label, "too short to be a zip archive");
  const tailLen = Math.min(source.size, 22 + 65535);
  const tailStart = source.size - tailLen;
  const tail = at(source, tailStart, tailLen, label, "end record");
  const view = le(tail);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (view.getUint32(i, true) === EOCD_SIG && i + 22 + view.getUint16(i + 20, true) <= tail.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw notZip(label, "no end-of-central-directory record");
  const disk = view.getUint16(eocd + 4, true);
  const cdDisk = view.getUint16(eocd + 6, true);
  let count = view.getUint16(eocd + 10, true);
  let size = view.getUint32(eocd + 12, true);
  let offset = view.getUint32(eocd + 16, true);
  let end = tailStart + eocd;
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff || (eocd >= 20 && view.getUint32(eocd - 20, true) === ZIP64_LOCATOR_SIG)) {
    if (eocd < 20 || view.getUint32(eocd - 20, true) !== ZIP64_LOCATOR_SIG) throw notZip(label, "its ZIP64 end record is missing");
    const recOffset = safe(view.getBigUint64(eocd - 20 + 8, true), label);
    const rec = le(at(source, recOffset, 56, label, "ZIP64 end record"));
    if (rec.getUint32(0, true) !== ZIP64_EOCD_SIG) throw notZip(label, "its ZIP64 end record is damaged");
    count = safe(rec.getBigUint64(32, true), label);
    size = safe(rec.getBigUint64(40, true), label);
    offset = safe(rec.getBigUint64(48, true), label);
    end = recOffset;
  } else if (disk !== 0 || cdDisk !== 0) {
    throw notZip(label, "it is a multi-part (spanned) archive");
  }
  if (offset + size > end) throw notZip(label, "its central directory lies outside the file");
  if (size > MAX_DIRECTORY_BYTES || count > MAX_MEMBERS) throw notZip(label, `its directory lists ${count} members in ${size} bytes, more than the ${MAX_MEMBERS} members read`);
  return { count, size, offset, end };
}

function safe(v: bigint, label: Label): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw notZip(label, "a ZIP64 size or offset is impossibly large");
  return Number(v);
}

function readDirectory(source: ZipSource, label: Label): ZipEntry[] {
  const dir = findEnd(source, label);
  const cd = at(source, dir.offset, dir.size, label, "central directory");
  const view = le(cd);
  const entries: ZipEntry[] = [];
  const seen = new Set<string>();
  let p = 0;
  for (let i = 0; i < dir.count; i++) {
    if (p + 46 > cd.length || view.getUint32(p, true) !== CENTRAL_SIG) throw notZip(label, `central directory entry ${i} is damaged`);
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    let compressedSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let localOffset = view.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen + commentLen > cd.length) throw notZip(label, `central directory entry ${i} is damaged`);
    const rawName = cd.subarray(p + 46, p + 46 + nameLen);
    const memberName = new TextDecoder(flags & 0x800 ? "utf-8" : "latin1").decode(rawName);
    const extra = le(cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen));
    // ZIP64 extra field (0x0001): the 64-bit values of the fields set to 0xFFFFFFFF, in this order.
    for (let q = 0; q + 4 <= extra.byteLength; ) {
      const id = extra.getUint16(q, true);
      const len = extra.getUint16(q + 2, true);
      if (id === 1) {
        let r = q + 4;
        const next = () => {
          if (r + 8 > q + 4 + len || r + 8 > extra.byteLength) throw notZip(label, `the ZIP64 field of member ${memberName} is damaged`);
          const v = safe(extra.getBigUint64(r, true), label);
          r += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localOffset === 0xffffffff) localOffset = next();
      }
      q += 4 + len;
    }
    p += 46 + nameLen + extraLen + commentLen;
    if (flags & 0x41) throw new UserError(`${label.name}: member ${memberName} is encrypted, which is not supported.`, label.wording.refuseFix, "unsupported");
    if (method !== 0 && method !== 8) {
      throw new UserError(`${label.name}: member ${memberName} uses compression method ${method}; only stored (0) and deflate (8) are read.`, label.wording.refuseFix, "unsupported");
    }
    if (seen.has(memberName)) throw notZip(label, `member ${memberName} appears twice`);
    seen.add(memberName);
    if (method === 0 && size !== compressedSize) {
      throw notZip(label, `stored member ${memberName} declares ${size} bytes but stores ${compressedSize}; the archive is corrupt`);
    }
    if (method === 8 && size > compressedSize * DEFLATE_MAX_RATIO + DEFLATE_SLACK) {
      throw new UserError(
        `${label.name}: member ${memberName} declares ${size} bytes uncompressed from ${compressedSize} stored bytes, which is impossible for deflate; the archive is corrupt or hostile and nothing was inflated.`,
        label.wording.refuseFix,
        "limit_exceeded",
      );
    }
    const local = le(at(source, localOffset, 30, label, `local header of member ${memberName}`));
    if (local.getUint32(0, true) !== LOCAL_SIG) throw notZip(label, `the local header of member ${memberName} is missing`);
    const localNameLen = local.getUint16(26, true);
    const dataOffset = localOffset + 30 + localNameLen + local.getUint16(28, true);
    const localName = at(source, localOffset + 30, localNameLen, label, `local header of member ${memberName}`);
    if (localNameLen !== nameLen || localName.some((b, k) => b !== rawName[k])) throw notZip(label, `the local header of member ${memberName} names another file`);
    entries.push({ name: memberName, method, crc32: crc, compressedSize, size, localOffset, dataOffset });
  }
  // Members lie before the central directory and never overlap one another.
  const spans = [...entries].sort((a, b) => a.localOffset - b.localOffset);
  for (let k = 0; k < spans.length; k++) {
    const e = spans[k];
    const end = e.dataOffset + e.compressedSize;
    if (end > dir.offset) throw notZip(label, `member ${e.name} extends past the start of the central directory`);
    if (k + 1 < spans.length && end > spans[k + 1].localOffset) throw notZip(label, `members ${e.name} and ${spans[k + 1].name} overlap`);
  }
  return entries;
}
