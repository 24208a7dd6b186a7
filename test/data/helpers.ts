/**
 * Shared helpers for the data tests: temp folders, a LoadContext, hand-built .npy bytes,
 * and h5wasm writing helpers (intermediate groups, typed datasets).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, sep } from "node:path";
import h5wasm from "h5wasm/node";
import { UserError } from "../../src/util/errors.js";
import { h5Ready } from "../../src/data/formats/hdf5.js";
import { DEFAULT_INTAKE_LIMITS, type LoadContext } from "../../src/data/load.js";
import type { Recording } from "../../src/data/recording.js";

export type H5File = InstanceType<typeof h5wasm.File>;

const made: string[] = [];

/** A fresh temp folder, removed when the test process exits. */
export function tmpDir(prefix = "cebra-data-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (made.length === 0) process.once("exit", () => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
  made.push(dir);
  return dir;
}

/** A LoadContext that allows paths under `root` only (as the server does) and caches in `root/.cache`. */
export function ctxFor(root: string, over: Partial<LoadContext> = {}): LoadContext {
  const base = resolve(root);
  return {
    checkPath(p: string) {
      const abs = resolve(p);
      if (abs !== base && !abs.startsWith(base + sep)) throw new UserError(`Path ${abs} is outside the allowed roots.`, `Use a path under ${base}.`, "path_not_allowed");
    },
    cacheDir: join(base, ".cache"),
    ...DEFAULT_INTAKE_LIMITS,
    maxDownloadBytes: 10 * 1024 * 1024,
    downloadTimeoutMs: 30000,
    maxRedirects: 3,
    ...over,
  };
}

/**
 * Hand-built .npy bytes (independent of writeNpy): header dict from the arguments, version 1/2/3,
 * padded to 64 bytes, followed by `data`.
 */
export function npyBytes(descr: string, shape: number[], data: Uint8Array, o: { fortran?: boolean; version?: 1 | 2 | 3; dict?: string } = {}): Uint8Array {
  const version = o.version ?? 1;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  const dict = o.dict ?? `{'descr': '${descr}', 'fortran_order': ${o.fortran ? "True" : "False"}, 'shape': ${shapeText}, }`;
  const pre = version === 1 ? 10 : 12;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const text = dict + " ".repeat(total - pre - dict.length - 1) + "\n";
  const out = new Uint8Array(total + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, text.length, true);
  else dv.setUint32(8, text.length, true);
  out.set(new TextEncoder().encode(text), pre);
  out.set(data, total);
  return out;
}

/** Bytes of `values` encoded with `write` (a DataView setter) at `size` bytes each. */
export function encode(values: number[], size: number, write: (dv: DataView, off: number, v: number) => void): Uint8Array {
  const out = new Uint8Array(values.length * size);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => write(dv, i * size, v));
  return out;
}

/** Open a new HDF5 file for writing (h5wasm "w" mode), run `build`, close it. */
export async function writeH5(path: string, build: (f: H5File) => void): Promise<void> {
  await h5Ready();
  const f = new h5wasm.File(path, "w");
  try {
    build(f);
  } finally {
    f.close();
  }
}

/** Create every missing group on the way to `path` (a group path, no dataset name). */
export function ensureGroups(f: H5File, path: string): void {
  let cur = "";
  for (const part of path.split("/").filter(Boolean)) {
    cur += `/${part}`;
    if (!f.get(cur)) f.create_group(cur);
  }
}

/** Create dataset `path` (groups created as needed). */
export function put(f: H5File, path: string, data: Parameters<H5File["create_dataset"]>[0]["data"], o: { shape?: number[]; dtype?: string; chunks?: number[] } = {}): void {
  const slash = path.lastIndexOf("/");
  const dir = path.slice(0, slash);
  if (dir) ensureGroups(f, dir);
  const parent = dir ? (f.get(dir) as InstanceType<typeof h5wasm.Group>) : f;
  parent.create_dataset({
    name: path.slice(slash + 1),
    data,
    shape: o.shape ?? null,
    dtype: o.dtype ?? null,
    ...(o.chunks ? { chunks: o.chunks, compression: "gzip" as const } : {}),
  });
}

/** Integer range [0, n). */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * A small in-memory Recording: neural[t, n] = t * 100 + n, 10 Hz, optional labels via `over`.
 */
export function makeRecording(T: number, N: number, over: Partial<Recording> = {}): Recording {
  return {
    neural: Float32Array.from({ length: T * N }, (_, i) => Math.floor(i / N) * 100 + (i % N)),
    n_samples: T,
    n_neurons: N,
    sampling_rate_hz: 10,
    timestamps: Float64Array.from({ length: T }, (_, t) => t / 10),
    unit_ids: Array.from({ length: N }, (_, n) => `u${n}`),
    unit_metadata: { area: Array.from({ length: N }, (_, n) => (n % 2 ? "VISl" : "VISp")) },
    modality: "other",
    signal: "unknown",
    provenance: { source: "mem", format: "test", sha256: "", keys_read: [], preprocessing: [], loaded_at: "" },
    warnings: [],
    ...over,
  };
}
