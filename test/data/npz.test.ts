import test from "node:test";
import assert from "node:assert/strict";
import { crc32, deflateRawSync } from "node:zlib";
import { npzArrays, readNpz, readNpzMembers, writeNpz } from "../../src/data/formats/npz.js";
import { writeNpy } from "../../src/data/formats/npy.js";
import { UserError } from "../../src/util/errors.js";

interface Entry {
  name: string;
  data: Uint8Array;
  method: 0 | 8;
  /** Override the uncompressed size declared in the central directory. */
  declaredSize?: number;
}

/**
 * A zip archive written byte by byte. `zip64: "local"` mimics numpy's savez (zipfile force_zip64):
 * local headers carry sizes 0xFFFFFFFF plus a zip64 extra field (0x0001, 16 bytes) while the central
 * directory has plain sizes. `zip64: "full"` also puts zip64 extras in the central directory and adds
 * the zip64 end-of-central-directory record and locator.
 */
function buildZip(entries: Entry[], zip64: "none" | "local" | "full"): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const u16 = (v: number) => { const b = new Uint8Array(2); new DataView(b.buffer).setUint16(0, v, true); return b; };
  const u32 = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); return b; };
  const u64 = (v: number) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(v), true); return b; };
  const cat = (xs: Uint8Array[]) => { const out = new Uint8Array(xs.reduce((a, x) => a + x.length, 0)); let o = 0; for (const x of xs) { out.set(x, o); o += x.length; } return out; };
  for (const e of entries) {
    const body = e.method === 8 ? new Uint8Array(deflateRawSync(e.data)) : e.data;
    const name = new TextEncoder().encode(e.name);
    const crc = crc32(e.data);
    const size = e.declaredSize ?? e.data.length;
    const localZip64 = zip64 !== "none";
    const localExtra = localZip64 ? cat([u16(1), u16(16), u64(size), u64(body.length)]) : new Uint8Array(0);
    const local = cat([
      u32(0x04034b50), u16(localZip64 ? 45 : 20), u16(0), u16(e.method), u16(0), u16(0x21), u32(crc),
      u32(localZip64 ? 0xffffffff : body.length), u32(localZip64 ? 0xffffffff : size), u16(name.length), u16(localExtra.length), name, localExtra,
    ]);
    const full = zip64 === "full";
    const centralExtra = full ? cat([u16(1), u16(24), u64(size), u64(body.length), u64(offset)]) : new Uint8Array(0);
    central.push(cat([
      u32(0x02014b50), u16(45), u16(localZip64 ? 45 : 20), u16(0), u16(e.method), u16(0), u16(0x21), u32(crc),
      u32(full ? 0xffffffff : body.length), u32(full ? 0xffffffff : size), u16(name.length), u16(centralExtra.length), u16(0), u16(0), u16(0), u32(0),
      u32(full ? 0xffffffff : offset), name, centralExtra,
    ]));
    parts.push(local, body);
    offset += local.length + body.length;
  }
  const cd = cat(central);
  const tail: Uint8Array[] = [];
  if (zip64 === "full") {
    const z64Offset = offset + cd.length;
    tail.push(cat([u32(0x06064b50), u64(44), u16(45), u16(45), u32(0), u32(0), u64(entries.length), u64(entries.length), u64(cd.length), u64(offset)]));
    tail.push(cat([u32(0x07064b50), u32(0), u64(z64Offset), u32(1)]));
  }
  tail.push(cat([u32(0x06054b50), u16(0), u16(0), u16(entries.length), u16(entries.length), u32(cd.length), u32(offset), u16(0)]));
  return cat([...parts, cd, ...tail]);
}

const neural = writeNpy({ dtype: "<f4", shape: [3, 2], data: [1, 2, 3, 4, 5, 6] });
const frame = writeNpy({ dtype: "<i8", shape: [3], data: [0, 1, 2] });

for (const zip64 of ["none", "local", "full"] as const) {
  for (const method of [0, 8] as const) {
    test(`npz with ${method ? "deflated" : "stored"} members and zip64=${zip64} is read`, () => {
      const zip = buildZip([{ name: "neural.npy", data: neural, method }, { name: "frame.npy", data: frame, method }], zip64);
      const arrays = readNpz(zip, "t.npz");
      assert.deepEqual(Object.keys(arrays).sort(), ["frame", "neural"]);
      assert.deepEqual(arrays.neural.shape, [3, 2]);
      assert.deepEqual(Array.from(arrays.neural.data), [1, 2, 3, 4, 5, 6]);
      assert.deepEqual(Array.from(arrays.frame.data), [0, 1, 2]);
    });
  }
}

test("writeNpz stores (method 0) or deflates (method 8) and reads back", () => {
  const arrays = { neural: { dtype: "<f4", shape: [2, 2], data: [0.5, 1, 1.5, 2] }, movie: { dtype: "|u1", shape: [1, 2, 2], data: [0, 64, 128, 255] } };
  for (const compress of [false, true]) {
    const zip = writeNpz(arrays, { compress });
    assert.equal(new DataView(zip.buffer, zip.byteOffset).getUint16(8, true), compress ? 8 : 0, "compression method of the first member");
    const back = readNpz(zip, "w.npz");
    assert.deepEqual(Array.from(back.neural.data), [0.5, 1, 1.5, 2]);
    assert.deepEqual(back.movie.shape, [1, 2, 2]);
    assert.deepEqual(Array.from(back.movie.data), [0, 64, 128, 255]);
  }
});

test("members declaring impossible uncompressed sizes are refused before inflating", () => {
  const big = buildZip([{ name: "neural.npy", data: neural, method: 8, declaredSize: 2 ** 31 }], "none");
  assert.throws(() => readNpzMembers(big, "bomb.npz"), (e) => e instanceof UserError && /impossible/.test(e.message) && /bomb\.npz/.test(e.message));
  const stored = buildZip([{ name: "neural.npy", data: neural, method: 0, declaredSize: neural.length + 1000 }], "none");
  assert.throws(() => readNpzMembers(stored, "stored.npz"), UserError);
});

test("non-.npy members are skipped; unparsed members do not break lazy reading", () => {
  const strings = new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]); // never parsed
  const zip = buildZip([{ name: "neural.npy", data: neural, method: 0 }, { name: "notes.txt", data: new Uint8Array([65]), method: 0 }, { name: "labels.npy", data: strings, method: 0 }], "none");
  const arrays = npzArrays(zip, "lazy.npz");
  assert.equal(arrays.has("notes"), false);
  assert.equal(arrays.has("labels"), true);
  assert.deepEqual(Array.from(arrays.read("neural", "f64").data), [1, 2, 3, 4, 5, 6]);
  assert.throws(() => arrays.read("labels", "f32"), UserError);
});

test("a file that is not a zip is a UserError", () => {
  assert.throws(() => readNpz(new Uint8Array(100), "zero.npz"), (e) => e instanceof UserError && /zero\.npz/.test(e.message));
});
