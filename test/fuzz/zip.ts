/**
 * A small zip writer for the fuzz harness: stored and deflated members, numpy-style zip64 extras,
 * and sizes that lie (the central directory, the local header and the real stream may all disagree).
 *
 * Zip bombs are built without materialising their content: a raw-deflate segment of 1 MiB of zeros
 * (ending in a full flush, so it is self-contained and byte-aligned) is repeated k times and closed
 * with an empty final block; the CRC of the zeros is computed with zlib's crc32_combine method
 * (GF(2) matrices), not by reading k MiB.
 */
import zlib from "node:zlib";

export interface ZipMember {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  /** The member's bytes as they are stored (compressed for method 8). */
  data: Uint8Array;
  crc: number;
  /** True uncompressed size. */
  size: number;
  /** Uncompressed size written in the local header / central directory (default: the true size). */
  localSize?: number;
  centralSize?: number;
  /** Compressed size written (default: data.length). */
  localCompressed?: number;
  centralCompressed?: number;
  /** Write sizes as 0xFFFFFFFF with a zip64 extra in the local header (numpy's np.savez does). */
  zip64Local?: boolean;
  /** Same for the central directory. */
  zip64Central?: boolean;
}

const MIB = 1024 * 1024;
const U32 = 0xffffffff;

/** A member from plain bytes, stored or deflated (level 6, as np.savez_compressed). */
export function memberOf(name: string, bytes: Uint8Array, deflate: boolean): ZipMember {
  const data = deflate ? new Uint8Array(zlib.deflateRawSync(bytes, { level: 6 })) : bytes;
  return { name, method: deflate ? 8 : 0, data, crc: zlib.crc32(bytes), size: bytes.length };
}

let zeroSegment: Uint8Array | null = null;

/** Raw deflate of 1 MiB of zeros, non-final, byte-aligned (full flush): repeatable. */
function zeroMiB(): Uint8Array {
  zeroSegment ??= new Uint8Array(zlib.deflateRawSync(Buffer.alloc(MIB), { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH }));
  return zeroSegment;
}

/**
 * A deflated member whose content is `head` followed by `zeroMiBs` MiB of zeros: about 1 KiB stored
 * per MiB inflated (a ratio near deflate's 1032:1 limit).
 */
export function bombMember(name: string, head: Uint8Array, zeroMiBs: number): ZipMember {
  const headSeg = new Uint8Array(zlib.deflateRawSync(head, { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH }));
  const seg = zeroMiB();
  const data = new Uint8Array(headSeg.length + seg.length * zeroMiBs + 2);
  data.set(headSeg, 0);
  for (let i = 0; i < zeroMiBs; i++) data.set(seg, headSeg.length + i * seg.length);
  data[data.length - 2] = 0x03; // final fixed-Huffman block holding only end-of-block
  data[data.length - 1] = 0x00;
  const size = head.length + zeroMiBs * MIB;
  return { name, method: 8, data, crc: crcZerosAfter(zlib.crc32(head), zeroMiBs * MIB), size };
}

/** Serialises members into a zip archive (local headers, central directory, end record). */
export function buildZip(members: readonly ZipMember[], o: { commentLie?: boolean; eocd?: Partial<{ count: number; cdSize: number; cdOffset: number }> } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, "utf8");
    const lSize = m.localSize ?? m.size;
    const lComp = m.localCompressed ?? m.data.length;
    const lExtra = m.zip64Local ? zip64Extra([lSize, lComp]) : new Uint8Array(0);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(m.zip64Local ? 45 : 20, 4);
    local.writeUInt16LE(0, 6);
    local.writeUInt16LE(m.method, 8);
    local.writeUInt32LE(0x21, 10); // 1980-01-01 00:00:02 DOS time/date
    local.writeUInt32LE(m.crc >>> 0, 14);
    local.writeUInt32LE(m.zip64Local ? U32 : lComp % 2 ** 32, 18);
    local.writeUInt32LE(m.zip64Local ? U32 : lSize % 2 ** 32, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(lExtra.length, 28);
    parts.push(local, name, lExtra, m.data);

    const cSize = m.centralSize ?? m.size;
    const cComp = m.centralCompressed ?? m.data.length;
    const big = m.zip64Central || cSize >= U32 || cComp >= U32;
    const cExtra = big ? zip64Extra([cSize, cComp]) : new Uint8Array(0);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(big ? 45 : 20, 4);
    cd.writeUInt16LE(big ? 45 : 20, 6);
    cd.writeUInt16LE(m.method, 10);
    cd.writeUInt32LE(0x21, 12);
    cd.writeUInt32LE(m.crc >>> 0, 16);
    cd.writeUInt32LE(big ? U32 : cComp, 20);
    cd.writeUInt32LE(big ? U32 : cSize, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt16LE(cExtra.length, 30);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name, cExtra);
    offset += 30 + name.length + lExtra.length + m.data.length;
  }
  const cdBytes = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE((o.eocd?.count ?? members.length) & 0xffff, 8);
  eocd.writeUInt16LE((o.eocd?.count ?? members.length) & 0xffff, 10);
  eocd.writeUInt32LE((o.eocd?.cdSize ?? cdBytes.length) >>> 0, 12);
  eocd.writeUInt32LE((o.eocd?.cdOffset ?? offset) >>> 0, 16);
  return new Uint8Array(Buffer.concat([...parts, cdBytes, eocd]));
}

/** A zip64 extended-information extra field holding the given 64-bit values. */
function zip64Extra(values: number[]): Uint8Array {
  const b = Buffer.alloc(4 + 8 * values.length);
  b.writeUInt16LE(0x0001, 0);
  b.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(Math.max(0, Math.floor(v))), 4 + 8 * i));
  return b;
}

// crc32 of `crc`'s data followed by n zero bytes (zlib's crc32_combine with an all-zero second part).
function gf2Times(mat: Uint32Array, vec: number): number {
  let sum = 0;
  for (let i = 0; vec; i++, vec >>>= 1) if (vec & 1) sum ^= mat[i];
  return sum >>> 0;
}
function gf2Square(square: Uint32Array, mat: Uint32Array): void {
  for (let n = 0; n < 32; n++) square[n] = gf2Times(mat, mat[n]);
}

/** CRC-32 of (data with CRC `crc`) followed by `n` zero bytes. */
export function crcZerosAfter(crc: number, n: number): number {
  if (n <= 0) return crc >>> 0;
  // The CRC register is pre/post-inverted; zero bytes advance the inverted register linearly.
  let reg = (crc ^ U32) >>> 0;
  const odd = new Uint32Array(32);
  const even = new Uint32Array(32);
  odd[0] = 0xedb88320;
  for (let i = 1, row = 1; i < 32; i++, row <<= 1) odd[i] = row >>> 0;
  gf2Square(even, odd); // 2 zero bits
  gf2Square(odd, even); // 4 zero bits
  let len = n;
  do {
    gf2Square(even, odd);
    if (len & 1) reg = gf2Times(even, reg);
    len = Math.floor(len / 2);
    if (!len) break;
    gf2Square(odd, even);
    if (len & 1) reg = gf2Times(odd, reg);
    len = Math.floor(len / 2);
  } while (len);
  return (reg ^ U32) >>> 0;
}
