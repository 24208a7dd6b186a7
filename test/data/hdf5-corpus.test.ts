/**
 * Corrupted HDF5/NWB corpus: valid files (the NWB fixture builders, a generic file with contiguous and
 * gzip-chunked datasets) damaged deterministically (truncations at many offsets, byte flips in the
 * superblock, in B-trees, heaps and symbol-table nodes found by their signatures, in object headers and
 * in chunk data) and loaded through loadRecording. Every outcome must be a Recording or a UserError
 * whose message is one clear text: no HDF5 error stack ("HDF5-DIAG", "#000:", "major:"), no C source
 * path ("/__w/"), no JS internal error.
 */
import test, { after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import h5wasm from "h5wasm/node";
import { Hdf5Reader } from "../../src/data/formats/hdf5.js";
import { loadRecording } from "../../src/data/load.js";
import { UserError } from "../../src/util/errors.js";
import { ctxFor, put, range, tmpDir, writeH5 } from "./helpers.js";
import { writeAllen2pV1, writeAllen2pV2, writeAllenNeuropixels } from "./nwb-fixtures.js";

/** The source tree's fixtures (tests run from dist/test/data). */
const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), "../../../test/fixtures");
const dir = process.env.CEBRA_CORPUS_DIR ?? tmpDir("cebra-h5-corpus-");
after(() => {
  if (!process.env.CEBRA_CORPUS_DIR) rmSync(dir, { recursive: true, force: true });
});

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Offsets of every occurrence of an ASCII signature. */
function find(bytes: Uint8Array, sig: string): number[] {
  const s = Buffer.from(sig);
  const out: number[] = [];
  for (let i = Buffer.from(bytes).indexOf(s); i >= 0; i = Buffer.from(bytes).indexOf(s, i + 1)) out.push(i);
  return out;
}

interface Variant {
  name: string;
  bytes: Uint8Array;
}

/** About 60 damaged copies of `bytes`. */
function variants(seedName: string, bytes: Uint8Array, seed: number): Variant[] {
  const r = rng(seed);
  const out: Variant[] = [];
  const n = bytes.length;
  const flip = (name: string, offsets: number[], mask?: number) => {
    const b = bytes.slice();
    for (const o of offsets) if (o >= 0 && o < n) b[o] ^= mask ?? 1 + Math.floor(r() * 255);
    out.push({ name: `${seedName} ${name}`, bytes: b });
  };
  // Truncations: inside the superblock, at structure boundaries, and at fractions of the file.
  for (const cut of [0, 7, 8, 40, 96, 200, 512, 800, 1024, 2048, 4096]) if (cut < n) out.push({ name: `${seedName} truncated at ${cut}`, bytes: bytes.slice(0, cut) });
  for (const f of [0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 0.97, 0.99]) out.push({ name: `${seedName} truncated at ${f}`, bytes: bytes.slice(0, Math.floor(n * f)) });
  out.push({ name: `${seedName} truncated by 1`, bytes: bytes.slice(0, n - 1) });
  // Superblock: every byte of the first 96 in groups, and a few all-ones masks.
  for (let o = 8; o < 96; o += 8) flip(`superblock byte ${o}`, [o, o + 1]);
  for (const o of [8, 9, 13, 16, 24, 32, 40, 48]) flip(`superblock 0xff at ${o}`, [o], 0xff);
  // Structures found by signature: B-tree nodes, local heaps, symbol-table nodes, global heaps.
  for (const sig of ["TREE", "HEAP", "SNOD", "GCOL", "OHDR", "BTHD", "FRHP"]) {
    const at = find(bytes, sig);
    for (const o of at.slice(0, 3)) {
      flip(`${sig}@${o} signature`, [o + 1]);
      flip(`${sig}@${o} header`, [o + 5 + Math.floor(r() * 12)]);
      flip(`${sig}@${o} body`, [o + 16 + Math.floor(r() * 48), o + 16 + Math.floor(r() * 48)]);
    }
  }
  // Random flips anywhere (object headers, messages, data, chunk data).
  for (let i = 0; i < 20; i++) flip(`random flips ${i}`, range(1 + Math.floor(r() * 4)).map(() => Math.floor(r() * n)));
  // Chunk / raw data near the end of the file.
  for (let i = 0; i < 6; i++) flip(`tail flip ${i}`, [n - 1 - Math.floor(r() * Math.min(n, 4096))]);
  return out;
}

function assertClear(name: string, e: unknown): void {
  assert.ok(e instanceof UserError, `${name}: not a UserError: ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`.slice(0, 2000));
  const text = `${e.message}\n${e.fix}`;
  assert.doesNotMatch(text, /HDF5-DIAG|\/__w\/|#0\d\d:|\bmajor:|\bminor:|\.c line \d+/, `${name}: raw HDF5 error: ${text.slice(0, 1500)}`);
  assert.ok(!e.message.includes("\n"), `${name}: multi-line message: ${e.message.slice(0, 1500)}`);
}

test("corrupted HDF5/NWB files load or fail with one clear UserError (≥ 200 variants)", async () => {
  const seeds: [string, string, Record<string, unknown>][] = [];
  const v1 = join(dir, "v1.nwb");
  await writeAllen2pV1(v1, undefined, { chunks: true });
  seeds.push(["allen-2p-v1", v1, {}]);
  const v2 = join(dir, "v2.nwb");
  await writeAllen2pV2(v2);
  seeds.push(["allen-2p-v2", v2, {}]);
  const np = join(dir, "np.nwb");
  await writeAllenNeuropixels(np);
  seeds.push(["neuropixels", np, {}]);
  const plain = join(dir, "plain.h5");
  await writeH5(plain, (f) => {
    put(f, "/neural", Float32Array.from(range(400), (i) => i % 17), { shape: [100, 4], chunks: [10, 4] });
    put(f, "/timestamps", Float64Array.from(range(100), (t) => t / 20));
    put(f, "/frame", Int32Array.from(range(100), (t) => t % 10));
    put(f, "/labels/pos", Float32Array.from(range(200), (i) => i), { shape: [100, 2] });
    put(f, "/names", ["a", "b"]);
  });
  seeds.push(["generic", plain, { keys: { continuous: "/labels/pos" } }]);

  const ctx = ctxFor(dir);
  let total = 0;
  let loaded = 0;
  const reasons = new Map<string, number>();
  for (const [seedName, path, opts] of seeds) {
    const bytes = new Uint8Array(readFileSync(path));
    await loadRecording(path, opts, ctx); // the seed itself loads
    for (const [i, v] of variants(seedName, bytes, total + 1).entries()) {
      const file = join(dir, `${seedName}-${i}${path.endsWith(".nwb") ? ".nwb" : ".h5"}`);
      writeFileSync(file, v.bytes);
      total++;
      const t0 = Date.now();
      try {
        await loadRecording(file, opts, ctx);
        loaded++;
      } catch (e) {
        assertClear(v.name, e);
        const key = (e as UserError).message.replace(/\/[^\s:]*\.(nwb|h5)/g, "<file>").replace(/\d+/g, "N").slice(0, 90);
        reasons.set(key, (reasons.get(key) ?? 0) + 1);
      }
      assert.ok(Date.now() - t0 < 20_000, `${v.name} took ${Date.now() - t0} ms`);
    }
  }
  assert.ok(total >= 200, `${total} variants`);
  if (process.env.CEBRA_CORPUS_REPORT) {
    console.log(`${total} variants, ${loaded} loaded`);
    for (const [k, n] of [...reasons].sort((a, b) => b[1] - a[1])) console.log(n, k);
  }
});

test("absent paths in an intact file are absent, not errors; a damaged local heap is a clear look-up error", async () => {
  const file = join(dir, "links.h5");
  await writeH5(file, (f) => {
    put(f, "/neural", Float32Array.of(1, 2, 3, 4), { shape: [2, 2] });
    f.create_group("g");
    const g = f.get("g") as InstanceType<typeof h5wasm.Group>;
    g.create_soft_link("/nowhere", "broken");
    g.create_soft_link("/neural", "soft");
  });
  const r = await Hdf5Reader.open(file, "links.h5");
  try {
    for (const p of ["/neural/x", "/neural/x/y", "/g/broken", "/g/broken/x", "/g/soft/x", "/missing/a/b", "", "/g/../neural"]) assert.equal(r.has(p), false, p);
    assert.equal(r.isDataset("/g/soft"), true);
  } finally {
    r.close();
  }
  // An h5py file with a version-0 superblock (symbol tables with local heaps), its heap overwritten.
  const bytes = readFileSync(join(FIXTURES, "hdf5-escape", "outside", "secret.h5"));
  const heap = bytes.indexOf("HEAP");
  assert.ok(heap > 0);
  const damaged = join(dir, "heap.h5");
  writeFileSync(damaged, bytes.map((b, i) => (i > heap && i < heap + 40 ? b ^ 0xff : b)));
  await assert.rejects(loadRecording(damaged, {}, ctxFor(dir)), (e) => {
    assertClear("damaged heap", e);
    return /Could not look up .*heap\.h5:\S+: the file looks corrupted/.test((e as Error).message) && /h5dump/.test((e as UserError).fix);
  });
});
