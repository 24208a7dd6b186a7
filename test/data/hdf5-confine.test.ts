/**
 * HDF5 confinement and read budgets (src/data/formats/hdf5-confine.ts, hdf5.ts).
 *
 * Fixtures (scripts/make-hdf5-escape-fixtures.py, committed): root/*.h5 whose /neural lives in
 * outside/secret.* (float32 777.25) through external storage, an external link, or a virtual dataset.
 * Each escape is first shown to work with raw h5wasm (positive control: without the guard, the outside
 * bytes come back), then refused through Hdf5Reader with the outside value in no message.
 */
import test, { after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import h5wasm from "h5wasm/node";
import { Hdf5Reader, h5Ready, loadGenericHdf5 } from "../../src/data/formats/hdf5.js";
import { UserError } from "../../src/util/errors.js";
import { put, range, tmpDir, writeH5 } from "./helpers.js";

/** The source tree's fixtures (tests run from dist/test/data). */
const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), "../../../test/fixtures");
const SECRET = 777.25;

const base = tmpDir("cebra-h5-confine-");
cpSync(join(FIXTURES, "hdf5-escape"), base, { recursive: true });
const root = join(base, "root");
const outside = join(base, "outside");
after(() => rmSync(base, { recursive: true, force: true }));

/** Raw h5wasm read of `dataset` in `file` (no reader open, so no guard), from `cwd`. */
async function rawRead(file: string, dataset: string, cwd = process.cwd()): Promise<number[]> {
  await h5Ready();
  const before = process.cwd();
  process.chdir(cwd);
  try {
    const f = new h5wasm.File(file, "r");
    try {
      const ds = f.get(dataset) as InstanceType<typeof h5wasm.Dataset>;
      return Array.from(ds.value as Float32Array);
    } finally {
      f.close();
    }
  } finally {
    process.chdir(before);
  }
}

/** Loads `file` as generic HDF5 with `neural` at `key` through Hdf5Reader, from `cwd`; returns the error. */
async function refusal(file: string, key: string, cwd = process.cwd()): Promise<UserError> {
  const before = process.cwd();
  process.chdir(cwd);
  try {
    const r = await Hdf5Reader.open(file, file);
    try {
      loadGenericHdf5(r, { keys: { neural: key } });
    } finally {
      r.close();
    }
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    return e;
  } finally {
    process.chdir(before);
  }
  assert.fail(`${file} loaded`);
}

function assertNoSecret(text: string): void {
  assert.doesNotMatch(text, /777/, "the outside file's value appears");
  assert.doesNotMatch(text, /HDF5-DIAG|\/__w\/|#0\d\d:/, "an HDF5 error stack appears");
}

const CASES: { file: string; key: string; kind: RegExp; other: RegExp; cwd?: string }[] = [
  { file: "external-storage.h5", key: "/neural", kind: /via external storage/, other: /outside\/secret\.bin/, cwd: root },
  { file: "external-link.h5", key: "/neural", kind: /via an external link/, other: /outside\/secret\.h5/ },
  { file: "external-link-group.h5", key: "/data/neural", kind: /via an external link/, other: /outside\/secret\.h5/ },
  { file: "vds.h5", key: "/neural", kind: /via a virtual dataset/, other: /outside\/secret\.h5:neural/ },
  { file: "vds-missing.h5", key: "/neural", kind: /via a virtual dataset/, other: /outside\/missing\.h5:neural/ },
];

test("positive controls: without the guard, h5wasm reads the outside file through each escape", async () => {
  for (const c of CASES.filter((c) => !c.file.includes("missing"))) {
    const values = await rawRead(join(root, c.file), c.key, c.cwd ?? base);
    assert.equal(values.length, 80, c.file);
    assert.ok(values.every((v) => v === SECRET), `${c.file} did not read the secret`);
  }
  // A VDS whose source is missing silently reads fill values: why it is refused from its metadata.
  assert.ok((await rawRead(join(root, "vds-missing.h5"), "/neural")).every((v) => v === 0));
});

test("each escape is refused by name: the dataset, the way, the other file; no outside value", async () => {
  for (const c of CASES) {
    const file = join(root, c.file);
    const e = await refusal(file, c.key, c.cwd);
    assert.match(e.message, new RegExp(`${c.file}:${c.key} keeps its data in another file`), e.message);
    assert.match(e.message, c.kind, e.message);
    assert.match(e.message, c.other, e.message);
    assert.match(e.message, /reads only the file you named/);
    assert.match(e.fix, /Copy the data into the file/);
    assertNoSecret(`${e.message} ${e.fix}`);
  }
});

test("while a reader is open HDF5 opens no other file; nested readers release their paths one by one", async () => {
  const plain = join(base, "plain.h5");
  await writeH5(plain, (f) => put(f, "/neural", Float32Array.from(range(8), (i) => i), { shape: [4, 2] }));
  const secret = join(outside, "secret.h5");
  const a = await Hdf5Reader.open(plain, "a");
  const b = await Hdf5Reader.open(plain, "b");
  const m = await Hdf5Reader.open(join(root, "vds.h5"), "movie");
  assert.throws(() => new h5wasm.File(secret, "r"), "the guard let HDF5 open a file no reader named");
  a.close();
  assert.deepEqual(Array.from(b.readNumeric("/neural", "f32").data), range(8));
  assert.deepEqual(Array.from(m.readNumeric("/timestamps", "f64").data).length, 20);
  b.close();
  b.close(); // closing twice releases once
  assert.throws(() => new h5wasm.File(plain, "r"), "a closed reader's path stays open to HDF5 while another reader is open");
  m.close();
  // No reader open: h5wasm is ours again (fixture writers, tests).
  assert.equal((await rawRead(secret, "/neural"))[0], SECRET);
});

test("HDF5 errors leak no file descriptors (h5wasm's error handler leaves its tmpfile open)", async () => {
  const fds = () => readdirSync("/proc/self/fd").length;
  await refusal(join(root, "external-link-group.h5"), "/data/nothing"); // warm up
  const before = fds();
  for (let i = 0; i < 100; i++) await refusal(join(root, "external-storage.h5"), "/neural", root);
  assert.ok(fds() - before < 5, `${fds() - before} descriptors leaked over 100 HDF5 errors`);
});

test("budgets: a read or a reader's running total over the load budget is refused", async () => {
  const file = join(base, "budget.h5");
  await writeH5(file, (f) => {
    put(f, "/a", new Float32Array(1000));
    put(f, "/b", new Float32Array(1000));
  });
  const r = await Hdf5Reader.open(file, "budget.h5", { limits: { maxLoadBytes: 6000, maxInflateRatio: 200 } });
  try {
    assert.equal(r.readNumeric("/a", "f32").data.length, 1000);
    assert.throws(
      () => r.readNumeric("/b", "f32"),
      (e) => e instanceof UserError && /Reading budget\.h5:\/b \(3\.9 KiB, after 3\.9 KiB already read\) would exceed the load budget of 5\.9 KiB/.test(e.message) && /--max-load-bytes/.test(e.fix),
    );
    assert.equal(r.readNumeric("/b", "f32", { ranges: [[0, 100]] }).data.length, 100);
  } finally {
    r.close();
  }
});

test("decompression bombs: a gzip chunk that inflates to 128 MiB is refused before one byte is read", async () => {
  const file = join(FIXTURES, "hdf5-bomb", "chunk-bomb.h5");
  const r = await Hdf5Reader.open(file, "chunk-bomb.h5");
  try {
    assert.deepEqual(r.shape("/neural"), [128 * 1024, 1024]);
    for (const ranges of [undefined, [[0, 10]] as [number, number][]]) {
      assert.throws(
        () => r.readNumeric("/neural", "u8", { ranges }),
        (e) => e instanceof UserError && /chunk-bomb\.h5:\/neural is stored in chunks of 128\.0 MiB each/.test(e.message) && /decompression bomb/.test(e.message),
      );
    }
    assert.equal(r.readNumeric("/timestamps", "f64").data.length, 20);
  } finally {
    r.close();
  }
  // With a ratio that admits it, the chunk limit still holds for chunks over 256 MiB only: this one reads.
  const lax = await Hdf5Reader.open(file, "chunk-bomb.h5", { limits: { maxLoadBytes: 1024 ** 3, maxInflateRatio: 10_000 } });
  try {
    assert.equal(lax.readNumeric("/neural", "u8", { ranges: [[0, 10]] }).data.length, 10 * 1024);
  } finally {
    lax.close();
  }
});

test("decompression bombs: many datasets each under the grace size add up to a refused total", async () => {
  const file = join(base, "many.h5");
  // 5 gzip-chunked datasets of 20 MiB zeros each (~100 KB on disk in all), written chunk by chunk.
  await writeH5(file, (f) => {
    for (let i = 0; i < 5; i++) put(f, `/d${i}`, new Uint8Array(20 * 1024 * 1024), { chunks: [1024 * 1024] });
  });
  const r = await Hdf5Reader.open(file, "many.h5", { limits: { maxLoadBytes: 8 * 1024 ** 3, maxInflateRatio: 200 } });
  try {
    for (let i = 0; i < 3; i++) assert.equal(r.readNumeric(`/d${i}`, "u8").data.length, 20 * 1024 * 1024);
    assert.throws(
      () => r.readNumeric("/d3", "u8"),
      (e) => e instanceof UserError && /many\.h5:\/d3 declares 20\.0 MiB of data \(80\.0 MiB with what was read before\) in a .* file, more than 200× its size: refused as a decompression bomb/.test(e.message),
    );
  } finally {
    r.close();
  }
});
