import test from "node:test";
import assert from "node:assert/strict";
import { truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseNpy, readNpyFile, writeNpy } from "../../src/data/formats/npy.js";
import { UserError } from "../../src/util/errors.js";
import { encode, npyBytes, tmpDir } from "./helpers.js";

type Setter = (dv: DataView, off: number, v: number, le: boolean) => void;
const CASES: { kind: string; size: number; values: number[]; set: Setter; ctor: string }[] = [
  { kind: "i1", size: 1, values: [1, -2, 127, -128], set: (d, o, v) => d.setInt8(o, v), ctor: "Int8Array" },
  { kind: "u1", size: 1, values: [0, 1, 200, 255], set: (d, o, v) => d.setUint8(o, v), ctor: "Uint8Array" },
  { kind: "i2", size: 2, values: [1, -2, 32767, -32768], set: (d, o, v, le) => d.setInt16(o, v, le), ctor: "Int16Array" },
  { kind: "u2", size: 2, values: [0, 1, 513, 65535], set: (d, o, v, le) => d.setUint16(o, v, le), ctor: "Uint16Array" },
  { kind: "i4", size: 4, values: [1, -2, 2147483647, -2147483648], set: (d, o, v, le) => d.setInt32(o, v, le), ctor: "Int32Array" },
  { kind: "u4", size: 4, values: [0, 1, 4294967295, 65536], set: (d, o, v, le) => d.setUint32(o, v, le), ctor: "Uint32Array" },
  { kind: "i8", size: 8, values: [1, -2, 2 ** 53, -(2 ** 53)], set: (d, o, v, le) => d.setBigInt64(o, BigInt(v), le), ctor: "Float64Array" },
  { kind: "u8", size: 8, values: [0, 1, 2 ** 40 + 3, 2 ** 53], set: (d, o, v, le) => d.setBigUint64(o, BigInt(v), le), ctor: "Float64Array" },
  { kind: "f4", size: 4, values: [1.5, -2.25, 2 ** 100, 0], set: (d, o, v, le) => d.setFloat32(o, v, le), ctor: "Float32Array" },
  { kind: "f8", size: 8, values: [1.5, -2.25, 1e300, Math.PI], set: (d, o, v, le) => d.setFloat64(o, v, le), ctor: "Float64Array" },
];

for (const c of CASES) {
  for (const le of [true, false]) {
    test(`parseNpy reads ${le ? "<" : ">"}${c.kind} into ${c.ctor}`, () => {
      const descr = (c.size === 1 ? "|" : le ? "<" : ">") + c.kind;
      const bytes = npyBytes(descr, [2, 2], encode(c.values, c.size, (dv, o, v) => c.set(dv, o, v, le)));
      const a = parseNpy(bytes, "x.npy");
      assert.equal(a.data.constructor.name, c.ctor);
      assert.deepEqual(a.shape, [2, 2]);
      assert.deepEqual(Array.from(a.data), c.values);
      assert.equal(a.dtype[0], c.size === 1 ? "|" : "<", "dtype is reported in native byte order");
    });
  }
}

test("parseNpy reads bool as Uint8Array 0/1", () => {
  const a = parseNpy(npyBytes("|b1", [3], Uint8Array.from([1, 0, 1])), "b.npy");
  assert.ok(a.data instanceof Uint8Array);
  assert.deepEqual(Array.from(a.data), [1, 0, 1]);
  assert.equal(a.dtype, "|b1");
});

test("parseNpy widens float16 (both byte orders, subnormal, inf, nan) to Float32Array", () => {
  const halves = [0x3c00, 0xc000, 0x3800, 0x7bff, 0x7c00, 0x0001, 0x7e00];
  for (const le of [true, false]) {
    const a = parseNpy(npyBytes(le ? "<f2" : ">f2", [7], encode(halves, 2, (d, o, v) => d.setUint16(o, v, le))), "h.npy");
    assert.ok(a.data instanceof Float32Array);
    assert.deepEqual(Array.from(a.data).slice(0, 6), [1, -2, 0.5, 65504, Infinity, 2 ** -24]);
    assert.ok(Number.isNaN(a.data[6]));
  }
});

test("int64 beyond 2^53 is refused with a UserError", () => {
  for (const [descr, v] of [["<i8", 2n ** 53n + 1n], ["<i8", -(2n ** 53n) - 1n], ["<u8", 2n ** 63n]] as const) {
    const raw = new Uint8Array(16);
    const dv = new DataView(raw.buffer);
    dv.setBigInt64(0, 7n, true);
    if (descr === "<u8") dv.setBigUint64(8, v, true);
    else dv.setBigInt64(8, v, true);
    assert.throws(() => parseNpy(npyBytes(descr, [2], raw), "big.npy"), (e) => e instanceof UserError && /2\^53/.test(e.message) && /big\.npy/.test(e.message));
  }
});

test("Fortran-order arrays are converted to C order (2-D and 3-D)", () => {
  // C-order values 0..5 of a 2x3 array; Fortran storage lists column by column.
  const f2 = [0, 3, 1, 4, 2, 5];
  const a = parseNpy(npyBytes("<i4", [2, 3], encode(f2, 4, (d, o, v) => d.setInt32(o, v, true)), { fortran: true }), "f.npy");
  assert.deepEqual(Array.from(a.data), [0, 1, 2, 3, 4, 5]);
  // 3-D: element (i,j,k) of shape (2,3,4) has C value i*12 + j*4 + k; Fortran offset i + 2j + 6k.
  const shape = [2, 3, 4];
  const fortran = new Array<number>(24);
  for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) fortran[i + 2 * j + 6 * k] = i * 12 + j * 4 + k;
  const b = parseNpy(npyBytes(">f8", shape, encode(fortran, 8, (d, o, v) => d.setFloat64(o, v, false)), { fortran: true }), "f3.npy");
  assert.deepEqual(Array.from(b.data), Array.from({ length: 24 }, (_, i) => i));
});

test("header versions 2.0 and 3.0 and scalar shapes are read", () => {
  for (const version of [2, 3] as const) {
    const a = parseNpy(npyBytes("<f4", [3], encode([1, 2, 3], 4, (d, o, v) => d.setFloat32(o, v, true)), { version }), "v.npy");
    assert.deepEqual(Array.from(a.data), [1, 2, 3]);
  }
  const s = parseNpy(npyBytes("<f8", [], encode([42], 8, (d, o, v) => d.setFloat64(o, v, true))), "s.npy");
  assert.deepEqual(s.shape, []);
  assert.deepEqual(Array.from(s.data), [42]);
});

test("truncated .npy (declared shape larger than the data) fails before allocating", () => {
  // Declares 10^5 x 10^5 float64 = 80 GB with 16 bytes of data: must be a UserError, not an allocation.
  const bytes = npyBytes("<f8", [100000, 100000], new Uint8Array(16));
  assert.throws(() => parseNpy(bytes, "trunc.npy"), (e) => e instanceof UserError && /truncated/.test(e.message) && /80000000000 bytes/.test(e.message));
  const path = join(tmpDir(), "trunc.npy");
  writeFileSync(path, bytes);
  assert.throws(() => readNpyFile(path), (e) => e instanceof UserError && /truncated/.test(e.message));
  // Off by one element.
  assert.throws(() => parseNpy(npyBytes("<i4", [3], new Uint8Array(8)), "short.npy"), UserError);
});

test("object, unicode and structured dtypes are refused with clear messages", () => {
  assert.throws(() => parseNpy(npyBytes("|O", [2], new Uint8Array(16)), "o.npy"), (e) => e instanceof UserError && /Python objects/.test(e.message));
  assert.throws(() => parseNpy(npyBytes("<U3", [2], new Uint8Array(24)), "u.npy"), (e) => e instanceof UserError && /unicode strings/.test(e.message));
  const structured = "{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (2,), }";
  assert.throws(() => parseNpy(npyBytes("", [2], new Uint8Array(16), { dict: structured }), "r.npy"), (e) => e instanceof UserError && /structured/.test(e.message));
  assert.throws(() => parseNpy(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), "junk.npy"), (e) => e instanceof UserError && /magic/.test(e.message));
});

test("writeNpy produces numpy's exact v1 header, padded to 64 bytes", () => {
  const out = writeNpy({ dtype: "<f4", shape: [2, 3], data: [0, 1, 2, 3, 4, 5] });
  // Header bytes as written by numpy 2.4 np.save(np.arange(6, dtype='<f4').reshape(2, 3)).
  const expected = "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + " ".repeat(58) + "\n";
  assert.equal(Buffer.from(out.subarray(0, 128)).toString("latin1"), expected);
  assert.equal(out.length, 128 + 24);
  const one = writeNpy({ dtype: "<i8", shape: [3], data: [0, 1, 2] });
  assert.equal(Buffer.from(one.subarray(0, 80)).toString("latin1"), "\x93NUMPY\x01\x00v\x00{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }" + " ".repeat(13));
});

test("writeNpy round-trips every writable dtype through parseNpy", () => {
  const cases: [string, number[]][] = [
    ["<f4", [1.5, -2, 0.25]],
    ["<f8", [Math.PI, -1e-300, 7]],
    ["<i4", [1, -2, 2147483647]],
    ["<i8", [2 ** 53, -5, 0]],
    ["|u1", [0, 128, 255]],
    ["|b1", [1, 0, 1]],
  ];
  for (const [dtype, values] of cases) {
    const back = parseNpy(writeNpy({ dtype, shape: [3], data: values }), "rt.npy");
    assert.equal(back.dtype, dtype);
    assert.deepEqual(Array.from(back.data), values);
  }
  // Typed-array inputs (copied byte for byte when the layout matches), including views with an offset.
  const f32 = Float32Array.of(9, 1.5, -2, 0.25).subarray(1);
  assert.deepEqual(Array.from(parseNpy(writeNpy({ dtype: "<f4", shape: [3], data: f32 }), "t.npy").data), [1.5, -2, 0.25]);
  const u8 = Uint8Array.of(7, 0, 128, 255).subarray(1);
  assert.deepEqual(Array.from(parseNpy(writeNpy({ dtype: "|u1", shape: [3], data: u8 }), "t.npy").data), [0, 128, 255]);
  assert.deepEqual(Array.from(parseNpy(writeNpy({ dtype: "<f8", shape: [2], data: Float32Array.of(0.5, 3) }), "t.npy").data), [0.5, 3]);
  assert.throws(() => writeNpy({ dtype: "<i4", shape: [1], data: [1.5] }), UserError);
  assert.throws(() => writeNpy({ dtype: "<f4", shape: [2, 2], data: [1] }), UserError);
  assert.throws(() => writeNpy({ dtype: "<c8", shape: [1], data: [1] }), UserError);
});

test("readNpyFile reads from disk like parseNpy", () => {
  const path = join(tmpDir(), "a.npy");
  const bytes = npyBytes(">i2", [2, 2], encode([1, -1, 300, -300], 2, (d, o, v) => d.setInt16(o, v, false)), { fortran: true });
  writeFileSync(path, bytes);
  assert.deepEqual(readNpyFile(path), parseNpy(bytes, path));
  assert.deepEqual(Array.from(readNpyFile(path).data), [1, 300, -1, -300]);
});

test("header lies are clear UserErrors: 1e12 elements, bad dims, header length, trailing data, bad dtypes", () => {
  const lies: [Uint8Array, RegExp][] = [
    [npyBytes("<f4", [1e12], new Uint8Array(16)), /truncated.*4000000000000 bytes/],
    [npyBytes("<f8", [2 ** 40, 2 ** 40], new Uint8Array(16)), /too large/],
    [npyBytes("<f4", [3], new Uint8Array(12), { dict: "{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }" }), /invalid dimension '-3'/],
    [npyBytes("<f4", [3], new Uint8Array(12), { dict: "{'descr': '<f4', 'fortran_order': False, 'shape': (1.5,), }" }), /invalid dimension '1\.5'/],
    [npyBytes("<f4", [3], new Uint8Array(12), { dict: "{'descr': '<f4', 'fortran_order': False, 'shape': (0x3,), }" }), /invalid dimension '0x3'/],
    [npyBytes("<f4", [3], new Uint8Array(12), { dict: "{'descr': '<f4', 'fortran_order': False, 'shape': (3e0,), }" }), /invalid dimension '3e0'/],
    [npyBytes("<f4", [3], new Uint8Array(20)), /corrupt: its header declares shape \(3\) of <f4 = 12 bytes, but 20 bytes of data follow/],
    [npyBytes("<f3", [3], new Uint8Array(12)), /unsupported dtype '<f3'/],
    [npyBytes("<b2", [3], new Uint8Array(12)), /unsupported dtype/],
    [npyBytes("<c16", [3], new Uint8Array(48)), /complex numbers/],
    [npyBytes("<f4", [3], new Uint8Array(12), { dict: "{'descr': '<f4', 'shape': (3,), }" }), /no 'fortran_order'/],
  ];
  for (const [bytes, pattern] of lies) assert.throws(() => parseNpy(bytes, "lie.npy"), (e) => e instanceof UserError && /lie\.npy/.test(e.message) && pattern.test(e.message), String(pattern));
  // A v2 header whose length field claims 4 GiB: refused unread, in memory and on disk.
  const huge = npyBytes("<f4", [3], new Uint8Array(12), { version: 2 });
  new DataView(huge.buffer).setUint32(8, 0xfffffff0, true);
  assert.throws(() => parseNpy(huge, "hdr.npy"), (e) => e instanceof UserError && /header claims to be 4294967292 bytes/.test(e.message));
  const dir = tmpDir();
  writeFileSync(join(dir, "hdr.npy"), huge);
  assert.throws(() => readNpyFile(join(dir, "hdr.npy")), (e) => e instanceof UserError && /header claims/.test(e.message));
  // A v1 header length shorter than the header text: the dict is cut and its entries are missing.
  const short = npyBytes("<f4", [3], new Uint8Array(12));
  new DataView(short.buffer).setUint16(8, 20, true);
  assert.throws(() => parseNpy(short, "cut.npy"), (e) => e instanceof UserError && /no '(shape|descr|fortran_order)' entry/.test(e.message));
});

test("Fortran order and big-endian data are read correctly, also together on disk", () => {
  const shape = [2, 3];
  const cOrder = [1, 2, 3, 4, 5, 6];
  const fOrder = [1, 4, 2, 5, 3, 6];
  const path = join(tmpDir(), "fbe.npy");
  writeFileSync(path, npyBytes(">f4", shape, encode(fOrder, 4, (d, o, v) => d.setFloat32(o, v, false)), { fortran: true }));
  const a = readNpyFile(path);
  assert.deepEqual(a.shape, shape);
  assert.equal(a.dtype, "<f4");
  assert.deepEqual(Array.from(a.data), cOrder);
});

test("the declared size is held to the caller's budget before anything is allocated", () => {
  const path = join(tmpDir(), "budget.npy");
  writeFileSync(path, npyBytes("<f4", [1024, 256], new Uint8Array(1024 * 256 * 4)));
  assert.equal(readNpyFile(path, "budget.npy", 2 * 1024 ** 2).data.length, 1024 * 256);
  assert.throws(
    () => readNpyFile(path, "budget.npy", 1024 ** 2 - 1),
    (e) => e instanceof UserError && e.code === "limit_exceeded" && /budget\.npy.*needs 1048576 bytes.*load budget of 1048575 bytes/.test(e.message) && /--max-load-bytes/.test(e.message),
  );
  // More data than one array can hold (a sparse 5 GiB file): refused before allocating.
  const sparse = join(tmpDir(), "sparse.npy");
  const header = npyBytes("<f4", [5 * 2 ** 28], new Uint8Array(0));
  writeFileSync(sparse, header);
  truncateSync(sparse, header.length + 5 * 2 ** 30);
  assert.throws(() => readNpyFile(sparse, "sparse.npy"), (e) => e instanceof UserError && /sparse\.npy.*more than one array can hold/.test(e.message));
  // Decoding that widens (float16 → float32) or reorders (Fortran) counts the second array too.
  const halves = npyBytes("<f2", [1024], new Uint8Array(2048));
  assert.throws(() => parseNpy(halves, "h.npy", { budgetBytes: 4096 }), (e) => e instanceof UserError && /needs 6144 bytes/.test(e.message));
  assert.equal(parseNpy(halves, "h.npy", { budgetBytes: 6144 }).data.length, 1024);
});

test("parseNpy with an owned, aligned buffer decodes in place; otherwise it copies", () => {
  const bytes = writeNpy({ dtype: "<f4", shape: [4], data: [1, 2, 3, 4] });
  const owned = parseNpy(bytes, "o.npy", { owned: true });
  assert.equal(owned.data.buffer, bytes.buffer);
  assert.deepEqual(Array.from(owned.data), [1, 2, 3, 4]);
  const copied = parseNpy(bytes, "c.npy");
  assert.notEqual(copied.data.buffer, bytes.buffer);
  // Unaligned data in an owned buffer are copied to an aligned one.
  const shifted = new Uint8Array(bytes.length + 1);
  shifted.set(bytes, 1);
  assert.deepEqual(Array.from(parseNpy(shifted.subarray(1), "u.npy", { owned: true }).data), [1, 2, 3, 4]);
});
