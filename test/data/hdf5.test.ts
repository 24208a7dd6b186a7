import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Hdf5Reader, isHdf5, loadGenericHdf5, readTimeMajor } from "../../src/data/formats/hdf5.js";
import type { LoadOptions } from "../../src/data/options.js";
import { UserError } from "../../src/util/errors.js";
import { put, range, tmpDir, writeH5 } from "./helpers.js";

const dir = tmpDir("cebra-h5-");
const T = 50;
const N = 7;
const value = (t: number, n: number) => t * 10 + n + 0.5;

const plain = join(dir, "plain.h5");
const custom = join(dir, "custom.h5");
const ready = Promise.all([
  writeH5(plain, (f) => {
    put(f, "/neural", Float64Array.from({ length: T * N }, (_, i) => value(Math.floor(i / N), i % N)), { shape: [T, N] });
    put(f, "/frame", Int32Array.from(range(T), (t) => t % 10));
    put(f, "/sampling_rate_hz", Float64Array.of(20));
    put(f, "/names", ["a", "b"]);
  }),
  writeH5(custom, (f) => {
    // Unit-major [N, T], gzip-chunked, under a nested group; int64 labels.
    put(f, "/data/activity", Float32Array.from({ length: T * N }, (_, i) => value(i % T, Math.floor(i / T))), { shape: [N, T], chunks: [2, 16] });
    put(f, "/data/labels/movie_frame", BigInt64Array.from(range(T), (t) => BigInt(t % 5)));
    put(f, "/data/time", Float64Array.from(range(T), (t) => 2 + t * 0.1));
    put(f, "/data/pos", Float32Array.from(range(2 * T), (i) => i), { shape: [T, 2] });
  }),
]);

async function withReader<R>(path: string, fn: (r: Hdf5Reader) => R, maxSliceBytes?: number): Promise<R> {
  await ready;
  const r = await Hdf5Reader.open(path, path, { maxSliceBytes });
  try {
    return fn(r);
  } finally {
    r.close();
  }
}

function assertValues(neural: Float32Array): void {
  for (const [t, n] of [[0, 0], [3, 6], [T - 1, 2]]) assert.equal(neural[t * N + n], value(t, n));
}

test("generic HDF5 with the default names at the root", async () => {
  const rec = await withReader(plain, (r) => loadGenericHdf5(r, {}));
  assert.equal(rec.n_samples, T);
  assert.equal(rec.n_neurons, N);
  assertValues(rec.neural);
  assert.equal(rec.sampling_rate_hz, 20);
  assert.equal(rec.timestamps[T - 1], (T - 1) / 20);
  assert.deepEqual(Array.from(rec.frame!.subarray(0, 12)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
  assert.equal(rec.provenance.format, "hdf5");
  assert.deepEqual(rec.provenance.keys_read, ["neural", "sampling_rate_hz", "frame"]);
});

test("generic HDF5 with caller-named paths and neural_layout unit_major", async () => {
  const opts: LoadOptions = {
    keys: { neural: "/data/activity", frame: "/data/labels/movie_frame", timestamps: "/data/time", continuous: "/data/pos" },
    neural_layout: "unit_major",
  };
  const rec = await withReader(custom, (r) => loadGenericHdf5(r, opts));
  assertValues(rec.neural);
  assert.deepEqual(Array.from(rec.frame!.subarray(0, 6)), [0, 1, 2, 3, 4, 0]);
  assert.ok(Math.abs(rec.sampling_rate_hz - 10) < 1e-9, "rate from the timestamps");
  assert.equal(rec.continuous!.dim, 2);
  assert.deepEqual(rec.continuous!.columns, ["c0", "c1"]);
  assert.deepEqual(rec.provenance.keys_read, ["/data/activity", "/data/time", "/data/labels/movie_frame", "/data/pos"]);
});

test("a missing neural dataset lists the file's datasets and suggests keys", async () => {
  await assert.rejects(
    withReader(custom, (r) => loadGenericHdf5(r, {})),
    (e) => e instanceof UserError && /no dataset 'neural'/.test(e.message) && /\/data\/activity \(7×50\)/.test(e.message) && /keys: \{ neural/.test(e.fix),
  );
});

test("non-numeric datasets and out-of-range slices are UserErrors", async () => {
  await withReader(plain, (r) => {
    assert.throws(() => r.readNumeric("/names", "f32"), (e) => e instanceof UserError && /not a numeric dataset/.test(e.message));
    assert.throws(() => r.readNumeric("/frame", "f32", { ranges: [[40, 60]] }), (e) => e instanceof UserError && /outside/.test(e.message));
    assert.deepEqual(r.readStrings("/names"), ["a", "b"]);
  });
});

test("reads in small slices give the same data as one read (row slices and unit-major blocks)", async () => {
  const whole = await withReader(custom, (r) => r.readNumeric("/data/activity", "f32").data);
  const sliced = await withReader(custom, (r) => r.readNumeric("/data/activity", "f32").data, 3 * T * 4);
  assert.deepEqual(sliced, whole);
  const tm = await withReader(custom, (r) => readTimeMajor(r, "/data/activity", true, 5, 45, "fix").data, 40 * 4 * 2);
  assert.equal(tm.length, 40 * N);
  for (let t = 0; t < 40; t++) for (let n = 0; n < N; n++) assert.equal(tm[t * N + n], value(t + 5, n));
});

test("an HDF5 file behind a 512-byte userblock (MAT 7.3) is detected and read", async () => {
  await ready;
  const mat = join(dir, "v73.mat");
  writeFileSync(mat, Buffer.concat([Buffer.alloc(512, 0x20), readFileSync(plain)]));
  assert.ok(isHdf5(readFileSync(mat)));
  assert.ok(!isHdf5(readFileSync(plain).subarray(1)));
  const rec = await withReader(mat, (r) => loadGenericHdf5(r, {}));
  assertValues(rec.neural);
});

test("a dataset declaring more data than the file can hold is refused before allocating", async () => {
  const path = join(dir, "huge.h5");
  await writeH5(path, (f) => {
    const ds = f.create_dataset({ name: "neural", data: Float32Array.of(1, 2), maxshape: [null], chunks: [1024] });
    ds.resize([4e11]); // 1.6 TB declared, no chunk written
  });
  await assert.rejects(
    withReader(path, (r) => r.readNumeric("/neural", "f32")),
    (e) => e instanceof UserError && /declares 1490\.1 GiB of data in a .* file, more than 900× its size: refused as a decompression bomb/.test(e.message),
  );
});

test("a file that is not HDF5 fails to open with a UserError", async () => {
  const junk = join(dir, "junk.h5");
  writeFileSync(junk, "not hdf5 at all");
  await assert.rejects(Hdf5Reader.open(junk, junk), (e) => e instanceof UserError && /could not be opened as HDF5/.test(e.message));
});
