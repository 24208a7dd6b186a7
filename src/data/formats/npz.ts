/**
 * NumPy `.npz` archives (np.savez / np.savez_compressed): a zip of `.npy` members, read with our own
 * budgeted zip reader (zip.ts: directory checked first, members inflated lazily as streams with the
 * running total capped) and parsed with our own `.npy` parser. Also a writer for tests and workspace
 * exports (fflate's zipSync), and NPZ_FORMAT, the `.npz` entry of the format registry (formats/index.ts).
 */
import { zipSync, type Zippable } from "fflate";
import { UserError } from "../../util/errors.js";
import { type NamedArrays, type NdArray, recordingFromArrays, toKind } from "../arrays.js";
import { ARRAY_ROLES, DEFAULT_INTAKE_LIMITS, INFLATE_RATIO_GRACE_BYTES, loadBudgetBytes, type IntakeLimits, type LoadOptions } from "../options.js";
import type { FileFormat, SourceFile } from "./format.js";
import { npyHeaderLength, npyInfo, parseNpy, writeNpy } from "./npy.js";
import { bytesSource, ZipArchive, type ZipEntry, type ZipLimits } from "./zip.js";

/** True if the bytes start with a zip local-file header ("PK\x03\x04") or an empty-archive record. */
function isZip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5) && (bytes[3] === 4 || bytes[3] === 6);
}

/** The zip reader's limits for one load (the defaults when no limits are given). */
export function zipLimits(limits: Pick<IntakeLimits, "maxLoadBytes" | "maxInflateRatio"> = DEFAULT_INTAKE_LIMITS): ZipLimits {
  return { budgetBytes: loadBudgetBytes(limits), maxInflateRatio: limits.maxInflateRatio, ratioGraceBytes: INFLATE_RATIO_GRACE_BYTES };
}

/** The `.npy` members of an archive by array name (".npy" stripped). */
function npyMembers(zip: ZipArchive): Map<string, ZipEntry> {
  const members = new Map<string, ZipEntry>();
  for (const e of zip.entries) if (e.name.endsWith(".npy")) members.set(e.name.slice(0, -4), e);
  return members;
}

/**
 * The `.npy` members of an opened archive as named arrays: `has` and `list` read the directory only,
 * `info` inflates only the member's header, `read` inflates the member once (budgeted, see zip.ts)
 * and parses it in place. The archive must stay open while the arrays are used.
 */
function archiveArrays(zip: ZipArchive, name: string): NamedArrays {
  const members = npyMembers(zip);
  const parsed = new Map<string, NdArray>();
  const entry = (key: string): ZipEntry => {
    const e = members.get(key);
    if (!e) throw new UserError(`${name} has no member '${key}'.`, `Use one of: ${[...members.keys()].join(", ")}.`);
    return e;
  };
  const get = (key: string): NdArray => {
    let a = parsed.get(key);
    if (!a) {
      const e = entry(key);
      a = parseNpy(zip.read(e), `${name}:${key}`, { owned: true });
      parsed.set(key, a);
    }
    return a;
  };
  const info = (key: string) => {
    const a = parsed.get(key);
    if (a) return { shape: a.shape, dtype: a.dtype };
    const e = entry(key);
    const label = `${name}:${key}`;
    const head = zip.head(e, npyHeaderLength(zip.head(e, 12), label));
    const { shape, dtype, dataBytes, headerBytes } = npyInfo(head, label);
    if (headerBytes + dataBytes !== e.size) {
      throw new UserError(`${label}: its header declares ${dataBytes} bytes of data but the member holds ${Math.max(0, e.size - headerBytes)}.`, "Re-save the archive with numpy.savez.");
    }
    return { shape, dtype };
  };
  return {
    name,
    has: (key) => members.has(key),
    info,
    read: (key, kind) => {
      const a = get(key);
      return { shape: a.shape, data: toKind(a.data, kind, `${name}:${key}`) };
    },
    list: () => [...members.keys()],
  };
}

/** Opens an archive held in memory (directory checked); a non-zip is a UserError naming it. */
function openBytes(bytes: Uint8Array, name: string, limits?: Pick<IntakeLimits, "maxLoadBytes" | "maxInflateRatio">): ZipArchive {
  return ZipArchive.open(bytesSource(bytes), name, zipLimits(limits));
}

/**
 * Unzip an `.npz` held in memory and return its `.npy` members by array name (".npy" stripped). The
 * members' total declared size is checked against the budget before anything is inflated.
 */
export function readNpzMembers(bytes: Uint8Array, name: string, limits?: Pick<IntakeLimits, "maxLoadBytes" | "maxInflateRatio">): Map<string, Uint8Array> {
  const zip = openBytes(bytes, name, limits);
  const members = npyMembers(zip);
  zip.checkDeclared([...members.values()]);
  const out = new Map<string, Uint8Array>();
  for (const [key, e] of members) out.set(key, zip.read(e));
  return out;
}

/** The members of an `.npz` held in memory as lazily inflated, lazily parsed named arrays. */
export function npzArrays(bytes: Uint8Array, name: string, limits?: Pick<IntakeLimits, "maxLoadBytes" | "maxInflateRatio">): NamedArrays {
  return archiveArrays(openBytes(bytes, name, limits), name);
}

/**
 * Runs `use` on the `.npy` members of the archive at `file`, read through one file descriptor with
 * positioned reads (closed afterwards); `toRead`, the members `use` will read, are checked against the
 * load budget from their declared sizes before anything is inflated.
 */
export function withNpzFile<T>(file: SourceFile, limits: Pick<IntakeLimits, "maxLoadBytes" | "maxInflateRatio">, toRead: readonly string[], use: (arrays: NamedArrays) => T): T {
  const zip = ZipArchive.openFile(file.path, file.name, zipLimits(limits));
  try {
    const members = npyMembers(zip);
    zip.checkDeclared(toRead.flatMap((key) => members.get(key) ?? []));
    return use(archiveArrays(zip, file.name));
  } finally {
    zip.close();
  }
}

/** The array names `recordingFromArrays` reads for `opts` (one per role; missing ones are skipped). */
function roleKeys(opts: LoadOptions): string[] {
  const roles = ARRAY_ROLES.filter((role) => role !== "movie" || opts.movie === undefined);
  return [...new Set(roles.map((role) => opts.keys?.[role] ?? role))];
}

/**
 * The `.npz` recording format: members in the named-array convention (docs/DATA.md). Only the members
 * for the roles being read are inflated, after their total declared size was checked against the budget.
 */
export const NPZ_FORMAT: FileFormat = {
  name: "npz",
  signature: isZip,
  extensions: [".npz"],
  async load(file, opts, ctx) {
    return withNpzFile(file, ctx, roleKeys(opts), (arrays) => recordingFromArrays(arrays, opts, { format: "npz", noun: "member" }));
  },
};

/** Parse every member of an `.npz` (fails on any non-numeric member). */
export function readNpz(bytes: Uint8Array, name: string): Record<string, NdArray> {
  const out: Record<string, NdArray> = {};
  for (const [key, data] of readNpzMembers(bytes, name)) out[key] = parseNpy(data, `${name}:${key}`, { owned: true });
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
