/**
 * NumPy `.npz` archives (np.savez / np.savez_compressed): a zip of `.npy` members, read with fflate
 * (stored and deflated members, including numpy's zip64 local-header extra fields) and parsed with
 * our own `.npy` parser. Also a writer for tests and workspace exports, and NPZ_FORMAT, the `.npz`
 * entry of the format registry (formats/index.ts).
 */
import { readFile } from "node:fs/promises";
import { unzipSync, zipSync, type UnzipFileInfo, type Zippable } from "fflate";
import { UserError } from "../../util/errors.js";
import { lazyArrays, recordingFromArrays, type NamedArrays, type NdArray } from "../arrays.js";
import type { FileFormat, SourceFile } from "./format.js";
import { parseNpy, writeNpy } from "./npy.js";

/** Deflate cannot expand data by more than ~1032:1; larger declared sizes are corrupt or hostile. */
const MAX_DEFLATE_RATIO = 1032;

/** True if the bytes start with a zip local-file header ("PK\x03\x04") or an empty-archive record. */
function isZip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5) && (bytes[3] === 4 || bytes[3] === 6);
}

/**
 * Unzip an `.npz` and return its `.npy` members by array name (".npy" stripped). Declared member sizes
 * are checked against the compressed bytes before anything is inflated.
 */
export function readNpzMembers(bytes: Uint8Array, name: string): Map<string, Uint8Array> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: (f) => f.name.endsWith(".npy") && checkDeclaredSize(f, name) });
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${name} is not a readable .npz/zip archive (${(e as Error).message}).`, "Re-save it with numpy.savez or numpy.savez_compressed.");
  }
  const members = new Map<string, Uint8Array>();
  for (const [file, data] of Object.entries(files)) members.set(file.slice(0, -4), data);
  return members;
}

function checkDeclaredSize(f: UnzipFileInfo, name: string): boolean {
  const limit = f.compression === 0 ? f.size : f.size * MAX_DEFLATE_RATIO + 1024;
  if (f.originalSize > limit) {
    throw new UserError(
      `${name}: member ${f.name} declares ${f.originalSize} bytes uncompressed from ${f.size} stored bytes, which is impossible; the archive is corrupt.`,
      "Re-save the archive with numpy.savez.",
    );
  }
  return true;
}

/** The members of an `.npz` as lazily parsed named arrays. */
export function npzArrays(bytes: Uint8Array, name: string): NamedArrays {
  const members = readNpzMembers(bytes, name);
  const entries = new Map<string, () => NdArray>();
  for (const [key, data] of members) entries.set(key, () => parseNpy(data, `${name}:${key}`));
  return lazyArrays(name, entries);
}

/** The bytes of a whole file (an `.npz` is unzipped in memory). */
export async function readWhole(file: SourceFile): Promise<Uint8Array> {
  try {
    return await readFile(file.path);
  } catch (e) {
    throw new UserError(`Could not read ${file.name} (${(e as Error).message}).`, "Files over 2 GiB cannot be read whole; save the arrays as separate .npy files or as HDF5.");
  }
}

/** The `.npz` recording format: members in the named-array convention (docs/DATA.md). */
export const NPZ_FORMAT: FileFormat = {
  name: "npz",
  signature: isZip,
  extensions: [".npz"],
  async load(file, opts) {
    return recordingFromArrays(npzArrays(await readWhole(file), file.name), opts, { format: "npz", noun: "member" });
  },
};

/** Parse every member of an `.npz` (fails on any non-numeric member). */
export function readNpz(bytes: Uint8Array, name: string): Record<string, NdArray> {
  const out: Record<string, NdArray> = {};
  for (const [key, data] of readNpzMembers(bytes, name)) out[key] = parseNpy(data, `${name}:${key}`);
  return out;
}

/**
 * Write arrays as an `.npz` (`name.npy` members). `compress` deflates like np.savez_compressed;
 * otherwise members are stored like np.savez.
 */
export function writeNpz(arrays: Record<string, { dtype: string; shape: number[]; data: ArrayLike<number> }>, opts: { compress?: boolean } = {}): Uint8Array {
  const files: Zippable = {};
  for (const [key, arr] of Object.entries(arrays)) files[`${key}.npy`] = writeNpy(arr);
  return zipSync(files, { level: opts.compress ? 6 : 0 });
}
