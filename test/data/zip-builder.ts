/**
 * Zip archives written byte by byte for tests, including decompression bombs built without ever
 * holding their uncompressed bytes: a member of `zeros` zero bytes is deflated as one sync-flushed
 * segment of 1 MiB of zeros repeated (each segment is self-contained and byte-aligned, so the
 * concatenation is a valid deflate stream), so a 2 GiB member costs ~2 MB of file and ~2 s of CRC.
 * Directory fields can be overridden to build lying, overlapping or hostile archives.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { constants, crc32, deflateRawSync } from "node:zlib";

export interface BuildMember {
  name: string;
  /** Literal content (before `zeros`). */
  data?: Uint8Array;
  /** Zero bytes after `data` (deflated members only for large counts; never materialised). */
  zeros?: number;
  /** 0 = stored, 8 = deflate (default 8). */
  method?: number;
  /** Uncompressed size written in both headers (default: the true size). */
  declaredSize?: number;
  /** CRC-32 written in both headers (default: the true CRC). */
  crc?: number;
  /** General-purpose flags (bit 0 = encrypted). */
  flags?: number;
  /** Central-directory overrides. */
  central?: { compressedSize?: number; localOffset?: number };
  /** Raw compressed body to write instead of the deflated content (sizes still from content unless overridden). */
  rawBody?: Uint8Array;
}

const SEGMENT = 1024 * 1024;
let zeroSegment: Uint8Array | undefined;
let zeroBuffer: Uint8Array | undefined;

/** A deflate segment (non-final block, sync-flushed) of `bytes`. */
function segment(bytes: Uint8Array): Uint8Array {
  return deflateRawSync(bytes, { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
}

/** The compressed body pieces of a member and its true size and CRC. */
function body(m: BuildMember): { pieces: { bytes: Uint8Array; times: number }[]; size: number; crc: number; compressed: number } {
  const data = m.data ?? new Uint8Array(0);
  const zeros = m.zeros ?? 0;
  zeroBuffer ??= new Uint8Array(SEGMENT);
  let crc = crc32(data);
  const full = Math.floor(zeros / SEGMENT);
  for (let i = 0; i < full; i++) crc = crc32(zeroBuffer, crc);
  const rest = zeros - full * SEGMENT;
  crc = crc32(zeroBuffer.subarray(0, rest), crc);
  const size = data.length + zeros;
  let pieces: { bytes: Uint8Array; times: number }[];
  if ((m.method ?? 8) === 0) {
    if (zeros > 64 * SEGMENT) throw new Error("stored members of more than 64 MiB of zeros are not built");
    const all = new Uint8Array(size);
    all.set(data);
    pieces = [{ bytes: all, times: 1 }];
  } else {
    zeroSegment ??= segment(zeroBuffer);
    pieces = [
      { bytes: segment(data), times: 1 },
      { bytes: zeroSegment, times: full },
      { bytes: segment(zeroBuffer.subarray(0, rest)), times: 1 },
      { bytes: deflateRawSync(new Uint8Array(0)), times: 1 },
    ];
  }
  if (m.rawBody) pieces = [{ bytes: m.rawBody, times: 1 }];
  const compressed = pieces.reduce((a, p) => a + p.bytes.length * p.times, 0);
  return { pieces, size, crc: crc >>> 0, compressed };
}

const u16 = (v: number) => { const b = new Uint8Array(2); new DataView(b.buffer).setUint16(0, v, true); return b; };
const u32 = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); return b; };
const u64 = (v: number) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(v), true); return b; };
const cat = (xs: Uint8Array[]) => { const out = new Uint8Array(xs.reduce((a, x) => a + x.length, 0)); let o = 0; for (const x of xs) { out.set(x, o); o += x.length; } return out; };

/**
 * Writes a zip to `file`. `zip64`: "local" = numpy's savez layout (zip64 extra in every local header,
 * plain central directory); "full" = zip64 extras in the central directory plus the ZIP64 end record
 * and locator (needed for members of 4 GiB and more). Returns the file's size.
 */
export function writeZip(file: string, members: BuildMember[], zip64: "none" | "local" | "full" = "local"): number {
  const fd = openSync(file, "w");
  let offset = 0;
  const write = (b: Uint8Array) => {
    writeSync(fd, b);
    offset += b.length;
  };
  const central: Uint8Array[] = [];
  try {
    for (const m of members) {
      const b = body(m);
      const method = m.method ?? 8;
      const size = m.declaredSize ?? b.size;
      const crc = m.crc ?? b.crc;
      const flags = m.flags ?? 0;
      const name = new TextEncoder().encode(m.name);
      const localZip64 = zip64 !== "none";
      const localExtra = localZip64 ? cat([u16(1), u16(16), u64(size), u64(b.compressed)]) : new Uint8Array(0);
      const start = offset;
      write(cat([
        u32(0x04034b50), u16(localZip64 ? 45 : 20), u16(flags), u16(method), u16(0), u16(0x21), u32(crc),
        u32(localZip64 ? 0xffffffff : b.compressed), u32(localZip64 ? 0xffffffff : size), u16(name.length), u16(localExtra.length), name, localExtra,
      ]));
      for (const p of b.pieces) for (let i = 0; i < p.times; i++) write(p.bytes);
      const cSize = m.central?.compressedSize ?? b.compressed;
      const lOff = m.central?.localOffset ?? start;
      const full = zip64 === "full";
      const centralExtra = full ? cat([u16(1), u16(24), u64(size), u64(cSize), u64(lOff)]) : new Uint8Array(0);
      central.push(cat([
        u32(0x02014b50), u16(45), u16(localZip64 ? 45 : 20), u16(flags), u16(method), u16(0), u16(0x21), u32(crc),
        u32(full ? 0xffffffff : cSize), u32(full ? 0xffffffff : size), u16(name.length), u16(centralExtra.length), u16(0), u16(0), u16(0), u32(0),
        u32(full ? 0xffffffff : lOff), name, centralExtra,
      ]));
    }
    const cdOffset = offset;
    const cd = cat(central);
    write(cd);
    if (zip64 === "full") {
      const z64 = offset;
      write(cat([u32(0x06064b50), u64(44), u16(45), u16(45), u32(0), u32(0), u64(members.length), u64(members.length), u64(cd.length), u64(cdOffset)]));
      write(cat([u32(0x07064b50), u32(0), u64(z64), u32(1)]));
    }
    write(cat([u32(0x06054b50), u16(0), u16(0), u16(members.length), u16(members.length), u32(cd.length), u32(cdOffset), u16(0)]));
    return offset;
  } finally {
    closeSync(fd);
  }
}

/** A `.npy` v1 header (padded to 64 bytes) declaring `shape` of `dtype`, without data. */
export function npyHeader(dtype: string, shape: number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const text = dict + " ".repeat(total - 10 - dict.length - 1) + "\n";
  return cat([Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0), u16(text.length), new TextEncoder().encode(text)]);
}

/**
 * A `neural.npy` member of float32 [rows, cols] zeros, `bytes` of data in all (rounded down to whole
 * rows of 1024 columns), deflated: a decompression bomb with an honest header.
 */
export function zeroNeural(name: string, bytes: number, extra: Partial<BuildMember> = {}): BuildMember {
  const cols = 1024;
  const rows = Math.floor(bytes / (4 * cols));
  return { name, data: npyHeader("<f4", [rows, cols]), zeros: rows * cols * 4, ...extra };
}
