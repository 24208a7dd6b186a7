/**
 * Valid seed files the mutators start from, written once per run into `<base>/root/seeds/`:
 * `.npy` (several dtypes, format versions 1/2/3, C and Fortran order, both byte orders), `.npz`
 * (stored, deflated, numpy-style zip64 local extras), plain HDF5 (contiguous and chunked+gzip), the
 * three Allen NWB layouts, and HDF5 escapes: external links to a file outside the root (built with
 * h5wasm), a dataset declaring terabytes over unallocated chunks, and every `*.h5` under
 * test/fixtures/hdf5-escape/ when that folder exists (external storage, VDS; made with h5py).
 *
 * Files outside the root (`<base>/outside/`) hold the sentinel value SECRET in every element, so a
 * load or an error message that shows it has read outside the root.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import h5wasm from "h5wasm/node";
import { writeNpy } from "../../src/data/formats/npy.js";
import { writeNpz } from "../../src/data/formats/npz.js";
import { npyBytes, put, writeH5 } from "../data/helpers.js";
import { writeAllen2pV1, writeAllen2pV2, writeAllenNeuropixels } from "../data/nwb-fixtures.js";
import { buildZip, memberOf } from "./zip.js";

export type Loader = "npy" | "npz" | "hdf5";

export interface Seed {
  name: string;
  loader: Loader;
  /** File extension, with the dot. */
  ext: string;
  /** Path of the seed file (under the root). */
  file: string;
  /** Hostile as it is (reads outside the root, or declares terabytes): must be refused. */
  hostile?: boolean;
}

/** The value every element of the files outside the root holds. */
export const SECRET = 98765;
/** The value of the repository's escape fixtures' outside files (test/fixtures/hdf5-escape/outside). */
export const FIXTURE_SECRET = 777.25;

const T = 120;
const N = 12;
const F = 10;

/** The repository's escape fixtures (h5py-made), relative to dist/test/fuzz/. */
const ESCAPE_FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../test/fixtures/hdf5-escape");

function values(n: number, k = 1): number[] {
  return Array.from({ length: n }, (_, i) => ((i * 37 + k * 11) % 97) - 20 + (i % 7) * 0.25);
}

/** Bytes of a value array in a numpy dtype (for hand-built .npy headers), little or big endian. */
function encodeAs(descr: string, data: number[], fortranShape?: [number, number]): Uint8Array {
  const big = descr[0] === ">";
  const kind = descr[1];
  const size = Number(descr.slice(2));
  let src = data;
  if (fortranShape) {
    const [r, c] = fortranShape;
    src = Array.from({ length: r * c }, (_, i) => data[(i % r) * c + Math.floor(i / r)]);
  }
  const out = new Uint8Array(src.length * size);
  const dv = new DataView(out.buffer);
  src.forEach((v, i) => {
    const o = i * size;
    const le = !big;
    if (kind === "f" && size === 2) dv.setUint16(o, f16(v), le);
    else if (kind === "f" && size === 4) dv.setFloat32(o, v, le);
    else if (kind === "f") dv.setFloat64(o, v, le);
    else if (kind === "b") dv.setUint8(o, v > 0 ? 1 : 0);
    else {
      const n = Math.round(v);
      if (size === 1) kind === "i" ? dv.setInt8(o, n) : dv.setUint8(o, Math.abs(n) % 256);
      else if (size === 2) kind === "i" ? dv.setInt16(o, n, le) : dv.setUint16(o, Math.abs(n), le);
      else if (size === 4) kind === "i" ? dv.setInt32(o, n, le) : dv.setUint32(o, Math.abs(n), le);
      else kind === "i" ? dv.setBigInt64(o, BigInt(n), le) : dv.setBigUint64(o, BigInt(Math.abs(n)), le);
    }
  });
  return out;
}

/** float16 bits of v (round toward zero is enough for seeds). */
function f16(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  if (exp <= 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | ((x >>> 13) & 0x3ff);
}

/** The time stamped into seed files (zip entry times, HDF5 object times): fixed, so seeds are byte-identical on every run. */
const SEED_TIME = Date.UTC(2026, 0, 1);

/**
 * Writes every seed under `<root>/seeds` (and the outside files under `outside`); returns them. Seeds
 * are byte-identical from run to run (a case id means the same bytes on every run of the same tree):
 * HDF5 object times come from h5wasm's clock, which reads Date.now (pinned while the seeds are
 * written), and zip entry times are overwritten.
 */
export async function buildSeeds(root: string, outside: string): Promise<Seed[]> {
  const now = Date.now;
  Date.now = () => SEED_TIME;
  try {
    return await writeSeeds(root, outside);
  } finally {
    Date.now = now;
  }
}

/** Sets every entry time of a zip archive (local headers and central directory) to 1980-01-01. */
function pinZipTimes(b: Uint8Array): Uint8Array {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let eocd = b.length - 22;
  while (eocd >= 0 && dv.getUint32(eocd, true) !== 0x06054b50) eocd--;
  let p = dv.getUint32(eocd + 16, true);
  for (let k = dv.getUint16(eocd + 10, true); k > 0; k--) {
    dv.setUint32(p + 12, 0x21, true);
    dv.setUint32(dv.getUint32(p + 42, true) + 10, 0x21, true);
    p += 46 + dv.getUint16(p + 28, true) + dv.getUint16(p + 30, true) + dv.getUint16(p + 32, true);
  }
  return b;
}

async function writeSeeds(root: string, outside: string): Promise<Seed[]> {
  const dir = path.join(root, "seeds");
  mkdirSync(dir, { recursive: true });
  mkdirSync(outside, { recursive: true });
  const seeds: Seed[] = [];
  const add = (name: string, loader: Loader, ext: string, bytes: Uint8Array | null, hostile = false) => {
    const file = path.join(dir, name + ext);
    if (bytes) writeBytes(file, bytes);
    seeds.push({ name, loader, ext, file, hostile: hostile || undefined });
  };

  // .npy: dtypes, versions, orders, byte orders.
  const data = values(T * N);
  add("npy-f4-writer", "npy", ".npy", writeNpy({ dtype: "<f4", shape: [T, N], data }));
  const variants: [string, string, 1 | 2 | 3, boolean][] = [
    ["npy-f8-v1", "<f8", 1, false],
    ["npy-f4-v2-fortran", "<f4", 2, true],
    ["npy-i2-v3", "<i2", 3, false],
    ["npy-i4-big", ">i4", 1, false],
    ["npy-f8-big-fortran", ">f8", 1, true],
    ["npy-u1", "|u1", 1, false],
    ["npy-f2", "<f2", 1, false],
    ["npy-i8", "<i8", 2, false],
    ["npy-u2-big", ">u2", 1, false],
    ["npy-b1", "|b1", 1, false],
  ];
  for (const [name, descr, version, fortran] of variants) {
    add(name, "npy", ".npy", npyBytes(descr, [T, N], encodeAs(descr, data, fortran ? [T, N] : undefined), { version, fortran }));
  }

  // .npz: the named-array convention, stored and deflated, and numpy-style zip64 local extras.
  const arrays = {
    neural: { dtype: "<f4", shape: [T, N], data },
    timestamps: { dtype: "<f8", shape: [T], data: Array.from({ length: T }, (_, t) => t / 30) },
    frame: { dtype: "<i8", shape: [T], data: Array.from({ length: T }, (_, t) => t % F) },
    repeat: { dtype: "<i8", shape: [T], data: Array.from({ length: T }, (_, t) => Math.floor(t / F)) },
    continuous: { dtype: "<f4", shape: [T, 2], data: values(T * 2, 3) },
    movie: { dtype: "|u1", shape: [F, 4, 6], data: Array.from({ length: F * 24 }, (_, i) => (i * 13) % 256) },
  };
  add("npz-stored", "npz", ".npz", pinZipTimes(writeNpz(arrays)));
  add("npz-deflated", "npz", ".npz", pinZipTimes(writeNpz(arrays, { compress: true })));
  add("npz-neural-only", "npz", ".npz", pinZipTimes(writeNpz({ neural: arrays.neural }, { compress: true })));
  add(
    "npz-zip64-numpy",
    "npz",
    ".npz",
    buildZip(Object.entries(arrays).map(([k, a], i) => ({ ...memberOf(`${k}.npy`, writeNpy(a), i % 2 === 1), zip64Local: true }))),
  );

  // HDF5: generic layout, contiguous and chunked+gzip; Allen NWB layouts.
  await writeH5(path.join(dir, "h5-generic.h5"), (f) => {
    put(f, "/neural", Float32Array.from(data), { shape: [T, N] });
    put(f, "/timestamps", Float64Array.from(arrays.timestamps.data));
    put(f, "/frame", BigInt64Array.from(arrays.frame.data, BigInt));
    put(f, "/movie", Uint8Array.from(arrays.movie.data), { shape: [F, 4, 6], dtype: "<B" });
  });
  add("h5-generic", "hdf5", ".h5", null);
  await writeH5(path.join(dir, "h5-chunked.h5"), (f) => {
    put(f, "/neural", Float32Array.from(data), { shape: [T, N], chunks: [16, N] });
    put(f, "/timestamps", Float64Array.from(arrays.timestamps.data), { chunks: [32] });
  });
  add("h5-chunked", "hdf5", ".h5", null);
  await writeAllen2pV1(path.join(dir, "nwb-2p-v1.nwb"), undefined, { chunks: true });
  add("nwb-2p-v1", "hdf5", ".nwb", null);
  await writeAllen2pV2(path.join(dir, "nwb-2p-v2.nwb"));
  add("nwb-2p-v2", "hdf5", ".nwb", null);
  await writeAllenNeuropixels(path.join(dir, "nwb-neuropixels.nwb"));
  add("nwb-neuropixels", "hdf5", ".nwb", null);

  // HDF5 escapes: external links to a file outside the root, whose every value is SECRET.
  const secret = path.join(outside, "fuzz-secret.h5");
  await writeH5(secret, (f) => {
    put(f, "/neural", Float32Array.from({ length: T * N }, () => SECRET), { shape: [T, N] });
    put(f, "/frame", BigInt64Array.from({ length: T }, () => BigInt(SECRET)));
    put(f, "/timestamps", Float64Array.from({ length: T }, (_, t) => SECRET + t));
  });
  await writeH5(path.join(dir, "h5-extlink-neural.h5"), (f) => {
    f.create_external_link(secret, "/neural", "neural");
  });
  add("h5-extlink-neural", "hdf5", ".h5", null, true);
  await writeH5(path.join(dir, "h5-extlink-frame.h5"), (f) => {
    put(f, "/neural", Float32Array.from(data), { shape: [T, N] });
    put(f, "/movie", Uint8Array.from(arrays.movie.data), { shape: [F, 4, 6], dtype: "<B" });
    f.create_external_link(secret, "/frame", "frame");
    f.create_external_link(secret, "/timestamps", "timestamps");
  });
  add("h5-extlink-frame", "hdf5", ".h5", null, true);
  await writeH5(path.join(dir, "h5-extlink-relative.h5"), (f) => {
    f.create_external_link(path.relative(dir, secret), "/neural", "neural");
  });
  add("h5-extlink-relative", "hdf5", ".h5", null, true);

  // A dataset that declares 1e12 elements over unallocated chunks (a few KB on disk).
  await writeH5(path.join(dir, "h5-huge-declared.h5"), (f) => {
    f.create_dataset({ name: "neural", data: new Float32Array(16 * 16), shape: [16, 16], maxshape: [null, null], chunks: [16, 16], compression: "gzip" });
    (f.get("neural") as InstanceType<typeof h5wasm.Dataset>).resize([1_000_000, 1_000_000]);
  });
  add("h5-huge-declared", "hdf5", ".h5", null, true);

  // Fixtures made with h5py by the HDF5 confinement work (external storage, links, VDS). They name
  // "../outside/secret.*" relative to their own folder (external storage: relative to the process's
  // working directory, the root), so they go in the root itself and their outside files in `outside`,
  // next to it. Mutated cases are written to <root>/cases/, for which "../outside" is <root>/outside:
  // the secret files go there too, so that a case that got through the HDF5 guard would show 777.25
  // (any file but the one named is refused, inside a root or not).
  const fixtureRoot = path.join(ESCAPE_FIXTURES, "root");
  if (existsSync(fixtureRoot)) {
    const fixtureOutside = path.join(ESCAPE_FIXTURES, "outside");
    mkdirSync(path.join(root, "outside"), { recursive: true });
    for (const name of readdirSync(fixtureOutside).sort()) {
      copyFileSync(path.join(fixtureOutside, name), path.join(outside, name));
      copyFileSync(path.join(fixtureOutside, name), path.join(root, "outside", name));
    }
    for (const name of readdirSync(fixtureRoot).sort()) {
      if (!name.endsWith(".h5")) continue;
      const file = path.join(root, `fixture-${name}`);
      copyFileSync(path.join(fixtureRoot, name), file);
      seeds.push({ name: `fixture-${name.slice(0, -3)}`, loader: "hdf5", ext: ".h5", file, hostile: true });
    }
  }

  return seeds;
}

/** The bytes of a seed. */
export function seedBytes(seed: Seed): Uint8Array {
  return new Uint8Array(readFileSync(seed.file));
}

function writeBytes(file: string, bytes: Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, bytes);
}
