/**
 * Mutators: from a valid seed and a case's random generator, the bytes (and load options) of one
 * fuzz case. Generic byte mutations (bit flips, splices, duplications, deletions, truncation,
 * interesting values) apply to every format; `.npy` headers get lies (huge or negative shapes, bad
 * dtypes, Fortran order, byte order, header length, version); `.npz` archives get member-level
 * mutations, zip bombs (single and multi-member, streaming-built), size lies between the central
 * directory, the local headers and the stream, zip64 lies, end-record lies, nested zips and duplicate
 * members; HDF5 files get corruption aimed at the superblock and object headers, and the escape seeds
 * (external links/storage, VDS) are also loaded as they are.
 */
import zlib from "node:zlib";
import type { LoadOptions } from "../../src/data/load.js";
import { caseRng, type Rng } from "./rng.js";
import { seedBytes, type Loader, type Seed } from "./seeds.js";
import { bombMember, buildZip, memberOf, type ZipMember } from "./zip.js";

export interface FuzzCase {
  /** "SEED:INDEX": replays with `--case`. */
  id: string;
  seed: string;
  loader: Loader;
  ext: string;
  /** What was done to the seed, in order. */
  mutations: string[];
  bytes: Uint8Array;
  opts: LoadOptions;
  /** Built from a seed that is hostile as it is (HDF5 escapes, huge declared sizes). */
  hostile: boolean;
}

const enc = new TextEncoder();
const dec = new TextDecoder("latin1");

/** Builds case `index` of run `runSeed` (a pure function of both and the seed files). */
export function makeCase(runSeed: number, index: number, seeds: readonly Seed[]): FuzzCase {
  const rng = caseRng(runSeed, index);
  const loader = rng.weighted<Loader>([[35, "npy"], [35, "npz"], [30, "hdf5"]]);
  const pool = seeds.filter((s) => s.loader === loader);
  const hostile = pool.filter((s) => s.hostile);
  const seed = hostile.length && rng.chance(0.2) ? rng.pick(hostile) : rng.pick(pool.filter((s) => !s.hostile));
  const mutations: string[] = [];
  let bytes = seedBytes(seed);
  if (loader === "npy") bytes = mutateNpy(rng, bytes, mutations);
  else if (loader === "npz") bytes = mutateNpz(rng, bytes, seeds, mutations);
  else bytes = mutateHdf5(rng, bytes, seed.hostile === true, mutations);
  const opts = rng.chance(0.2) ? randomOptions(rng, mutations) : {};
  return { id: `${runSeed}:${index}`, seed: seed.name, loader, ext: seed.ext, mutations, bytes, opts, hostile: seed.hostile === true };
}

// ---------- generic byte mutations ----------

const INTERESTING = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe];
const INTERESTING32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x10000, 0xffff];

/** An offset, half the time inside `hot` (e.g. the header), else anywhere. */
function offset(rng: Rng, len: number, hot?: [number, number]): number {
  if (len === 0) return 0;
  if (hot && rng.chance(0.5)) return Math.min(len - 1, hot[0] + rng.int(Math.max(1, hot[1] - hot[0])));
  return rng.int(len);
}

function byteMutation(rng: Rng, b: Uint8Array, out: string[], hot?: [number, number]): Uint8Array {
  const kind = rng.weighted([[30, "flip"], [10, "set"], [10, "set32"], [10, "splice"], [10, "dup"], [8, "delete"], [12, "truncate"], [5, "append"]] as const);
  const len = b.length;
  switch (kind) {
    case "flip": {
      const c = b.slice();
      const k = rng.range(1, 16);
      const at: number[] = [];
      for (let i = 0; i < k; i++) {
        const o = offset(rng, len, hot);
        c[o] ^= 1 << rng.int(8);
        at.push(o);
      }
      out.push(`flip${k}@${at.slice(0, 4).join(",")}${k > 4 ? ",…" : ""}`);
      return c;
    }
    case "set": {
      const c = b.slice();
      const o = offset(rng, len, hot);
      const n = rng.range(1, 8);
      const v = rng.pick(INTERESTING);
      c.fill(v, o, Math.min(len, o + n));
      out.push(`set${n}@${o}=${v}`);
      return c;
    }
    case "set32": {
      const c = b.slice();
      const o = Math.min(Math.max(0, len - 4), offset(rng, len, hot));
      const v = rng.pick(INTERESTING32);
      if (len >= 4) new DataView(c.buffer).setUint32(o, v, rng.chance(0.8));
      out.push(`set32@${o}=0x${v.toString(16)}`);
      return c;
    }
    case "splice": {
      const c = b.slice();
      const from = rng.int(len);
      const n = Math.min(len - from, rng.range(1, 512));
      const to = offset(rng, len, hot);
      c.set(b.subarray(from, from + Math.min(n, len - to)), to);
      out.push(`splice${n}:${from}->${to}`);
      return c;
    }
    case "dup": {
      const from = rng.int(len);
      const n = Math.min(len - from, rng.range(1, 4096));
      const at = rng.int(len + 1);
      out.push(`dup${n}:${from}@${at}`);
      return concat(b.subarray(0, at), b.subarray(from, from + n), b.subarray(at));
    }
    case "delete": {
      const from = offset(rng, len, hot);
      const n = rng.range(1, 1024);
      out.push(`delete${n}@${from}`);
      return concat(b.subarray(0, from), b.subarray(Math.min(len, from + n)));
    }
    case "truncate": {
      const at = rng.chance(0.3) && hot ? offset(rng, len, hot) : rng.int(len);
      out.push(`truncate@${at}`);
      return b.slice(0, at);
    }
    case "append": {
      const n = rng.range(1, 2048);
      const junk = new Uint8Array(n);
      for (let i = 0; i < n; i++) junk[i] = rng.int(256);
      out.push(`append${n}`);
      return concat(b, junk);
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// ---------- .npy ----------

const SHAPE_LIES = [
  "(1000000, 1000000)", "(1000000000000,)", "(-1, 12)", "(120, -12)", "(1e12, 1)", "()", "(0, 12)", "(120, 0)", "(0,)",
  "(9007199254740993, 1)", "(4294967297, 1)", "(2147483648, 2)", "(12, 120)", "(121, 12)", "(119, 12)", "(1, 1)", "(120, 12.5)",
  "(0x10, 12)", "(120 12)", "(120, 12, 1)", "(1, 120, 12)", "(120, 12, 2, 2)", `(${Array(40).fill(1).join(", ")})`, "(120, 12,,)", "(120L, 12L)",
  "(99999999999999999999999, 1)", "(NaN, 12)", "(Infinity,)",
];
const DESCR_LIES = ["<c16", "|O", "<U8", ">f2", "|V8", "<M8[ns]", "<m8", "<f16", "<i3", ">b1", "=f4", "<f4 ", "|S4", ">i8", "<u8", "", "<", "f4", "<f4<f4", "|b2", "<u1", ">f4", "<f8", "|i1"];

interface NpyParts {
  version: number;
  dict: string;
  data: Uint8Array;
}

function splitNpy(b: Uint8Array): NpyParts | null {
  if (b.length < 12 || b[0] !== 0x93) return null;
  const version = b[6];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const start = version === 1 ? 10 : 12;
  const hlen = version === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  if (start + hlen > b.length) return null;
  return { version, dict: dec.decode(b.subarray(start, start + hlen)), data: b.subarray(start + hlen) };
}

function joinNpy(p: NpyParts, lenLie?: number): Uint8Array {
  const start = p.version === 1 ? 10 : 12;
  const text = enc.encode(p.dict);
  const out = new Uint8Array(start + text.length + p.data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, p.version, 0]);
  const dv = new DataView(out.buffer);
  const len = lenLie ?? text.length;
  if (p.version === 1) dv.setUint16(8, len & 0xffff, true);
  else dv.setUint32(8, len >>> 0, true);
  out.set(text, start);
  out.set(p.data, start + text.length);
  return out;
}

/** One to three stacked mutations of a `.npy` file: header lies or byte mutations (the header is the hot zone). */
export function mutateNpy(rng: Rng, bytes: Uint8Array, out: string[]): Uint8Array {
  let b = bytes;
  const n = rng.weighted([[60, 1], [30, 2], [10, 3]] as const);
  for (let i = 0; i < n; i++) b = rng.chance(0.55) ? npyHeaderLie(rng, b, out) : byteMutation(rng, b, out, [0, 128]);
  return b;
}

function npyHeaderLie(rng: Rng, b: Uint8Array, out: string[]): Uint8Array {
  const p = splitNpy(b);
  if (!p) return byteMutation(rng, b, out, [0, 128]);
  const kind = rng.weighted([[25, "shape"], [20, "descr"], [8, "fortran"], [8, "endian"], [10, "hlen"], [6, "version"], [10, "dict"], [8, "data"], [5, "structured"]] as const);
  switch (kind) {
    case "shape": {
      const s = rng.pick(SHAPE_LIES);
      out.push(`npy.shape=${s.length > 30 ? s.slice(0, 27) + "…" : s}`);
      return joinNpy({ ...p, dict: p.dict.replace(/(['"]shape['"]\s*:\s*)\([^)]*\)/, `$1${s}`) });
    }
    case "descr": {
      const d = rng.pick(DESCR_LIES);
      out.push(`npy.descr=${JSON.stringify(d)}`);
      return joinNpy({ ...p, dict: p.dict.replace(/(['"]descr['"]\s*:\s*)(['"]).*?\2/, `$1'${d}'`) });
    }
    case "fortran": {
      const v = rng.pick(["True", "False", "1", "None", "'yes'"]);
      out.push(`npy.fortran=${v}`);
      return joinNpy({ ...p, dict: p.dict.replace(/(['"]fortran_order['"]\s*:\s*)\w+/, `$1${v}`) });
    }
    case "endian": {
      out.push("npy.byteorder-swap");
      return joinNpy({ ...p, dict: p.dict.replace(/(['"]descr['"]\s*:\s*['"])([<>|=])/, (_, a: string, o: string) => a + (o === "<" ? ">" : o === ">" ? "<" : rng.pick(["<", ">"]))) });
    }
    case "hlen": {
      const real = enc.encode(p.dict).length;
      const lie = rng.pick([0, 1, 5, real - 1, real + 1, real + 64, 0xffff, 0xffffffff, 100_000_000, 2 ** 31]);
      out.push(`npy.hlen=${lie}`);
      return joinNpy(p, lie);
    }
    case "version": {
      const v = rng.pick([0, 1, 2, 3, 4, 255]);
      out.push(`npy.version=${v}`);
      const c = b.slice();
      c[6] = v;
      return c;
    }
    case "dict": {
      const dicts = [
        "{}",
        "{'descr': '<f4', 'shape': (120, 12), }",
        "{'descr': '<f4', 'fortran_order': False, }",
        "{'fortran_order': False, 'shape': (120, 12), }",
        "not a dict at all",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (120, 12), 'shape': (1000000000, 1000000000), }",
        "{'descr': {'descr': '<f4'}, 'fortran_order': False, 'shape': (120, 12), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': ((120, 12), 12), }",
        "{" + "'x': 1, ".repeat(2000) + "'descr': '<f4', 'fortran_order': False, 'shape': (120, 12), }",
        "\u0000".repeat(64),
      ];
      const d = rng.pick(dicts);
      out.push(`npy.dict=${JSON.stringify(d.slice(0, 40))}`);
      return joinNpy({ ...p, dict: d.padEnd(Math.ceil((d.length + 11) / 64) * 64 - 11, " ") + "\n" });
    }
    case "data": {
      const cut = rng.chance(0.5);
      const n = rng.range(1, Math.max(1, p.data.length));
      out.push(cut ? `npy.data-cut${n}` : `npy.data-extra${n}`);
      return joinNpy({ ...p, data: cut ? p.data.subarray(0, Math.max(0, p.data.length - n)) : concat(p.data, new Uint8Array(n)) });
    }
    case "structured": {
      out.push("npy.structured");
      return joinNpy({ ...p, dict: p.dict.replace(/(['"]descr['"]\s*:\s*)(['"]).*?\2/, "$1[('a', '<f4'), ('b', '<i8')]") });
    }
  }
}

// ---------- .npz ----------

/** Reads the members of a zip we wrote (or numpy wrote): name and uncompressed bytes via the central directory. */
function npzMembers(b: Uint8Array): { name: string; bytes: Uint8Array }[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let eocd = -1;
  for (let i = b.length - 22; i >= 0; i--) if (dv.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
  if (eocd < 0) return [];
  const count = dv.getUint16(eocd + 10, true);
  let p = dv.getUint32(eocd + 16, true);
  const out: { name: string; bytes: Uint8Array }[] = [];
  for (let k = 0; k < count; k++) {
    const method = dv.getUint16(p + 10, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    const local = dv.getUint32(p + 42, true);
    const name = dec.decode(b.subarray(p + 46, p + 46 + nameLen));
    const lNameLen = dv.getUint16(local + 26, true);
    const lExtraLen = dv.getUint16(local + 28, true);
    let comp = dv.getUint32(p + 20, true);
    if (comp === 0xffffffff) comp = Number(dv.getBigUint64(p + 46 + nameLen + 12, true));
    const start = local + 30 + lNameLen + lExtraLen;
    const raw = b.subarray(start, start + comp);
    out.push({ name, bytes: method === 8 ? inflate(raw) : raw });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

function inflate(raw: Uint8Array): Uint8Array {
  return new Uint8Array(zlib.inflateRawSync(raw));
}

/** A `.npy` header declaring a float32 array of `bytes` bytes (shape [bytes/4/16, 16] or 1-D). */
function bombHeader(bytes: number, rng: Rng): Uint8Array {
  const count = Math.floor(bytes / 4);
  const shape = rng.chance(0.5) && count % 16 === 0 ? `(${count / 16}, 16)` : `(${count},)`;
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  return joinNpy({ version: 1, dict: dict.padEnd(total - 11, " ") + "\n", data: new Uint8Array(0) });
}

const MIB = 1024 * 1024;

/** A bomb member holding a valid-looking npy of about `mib` MiB of zeros. */
function bomb(name: string, mib: number, rng: Rng): ZipMember {
  const head = bombHeader(mib * MIB, rng);
  return bombMember(name, head, mib);
}

export function mutateNpz(rng: Rng, bytes: Uint8Array, seeds: readonly Seed[], out: string[]): Uint8Array {
  const kind = rng.weighted([
    [30, "member"], [28, "bytes"], [3, "bomb1"], [2, "bombN"], [4, "sizelie"], [5, "nested"], [5, "zip64"], [5, "eocd"], [3, "dupname"], [3, "foreign"], [2, "none"],
  ] as const);
  const members = npzMembers(bytes);
  const deflate = rng.chance(0.5);
  const rebuild = (ms: ZipMember[], o?: Parameters<typeof buildZip>[1]) => buildZip(ms, o);
  switch (kind) {
    case "none":
      out.push("npz.as-is");
      return bytes;
    case "bytes": {
      let b = bytes;
      const n = rng.weighted([[70, 1], [30, 2]] as const);
      for (let i = 0; i < n; i++) b = byteMutation(rng, b, out, [Math.max(0, b.length - 512), b.length]);
      return b;
    }
    case "member": {
      const target = rng.int(members.length);
      out.push(`npz.member=${members[target].name}`);
      const ms = members.map((m, i) => memberOf(m.name, i === target ? mutateNpy(rng, m.bytes, out) : m.bytes, deflate));
      return rebuild(ms);
    }
    case "bomb1": {
      const mib = rng.weighted([[3, 64], [3, 256], [4, 1024], [2, 2048], [2, 4095]] as const);
      out.push(`npz.bomb1=${mib}MiB`);
      const extra = rng.chance(0.5) ? members.filter((m) => m.name !== "neural.npy").map((m) => memberOf(m.name, m.bytes, deflate)) : [];
      return rebuild([bomb("neural.npy", mib, rng), ...extra]);
    }
    case "bombN": {
      const k = rng.range(2, 6);
      const mib = rng.pick([256, 512, 1024]);
      const names = ["neural.npy", "timestamps.npy", "a0.npy", "a1.npy", "a2.npy", "a3.npy"];
      const ms = names.slice(0, k).map((n) => bomb(n, mib, rng));
      if (rng.chance(0.5)) ms.reverse();
      out.push(`npz.bombN=${k}x${mib}MiB`);
      return rebuild(ms);
    }
    case "sizelie": {
      // The stream inflates to much more (or less) than the directory and local header declare.
      const mib = rng.pick([64, 512, 1024]);
      const m = bomb("neural.npy", mib, rng);
      const small = rng.pick([0, 100, 4096, 65536, 1_000_000]);
      const where = rng.pick(["central", "local", "both"] as const);
      if (where !== "local") m.centralSize = small;
      if (where !== "central") m.localSize = small;
      if (rng.chance(0.3)) m.centralCompressed = rng.pick([0, 10, m.data.length * 2]);
      out.push(`npz.sizelie=${mib}MiB declared ${small} in ${where}`);
      return rebuild([m]);
    }
    case "nested": {
      const inner = rng.chance(0.5) ? bytes : rebuild([bomb("neural.npy", rng.pick([64, 1024]), rng)]);
      const name = rng.pick(["neural.npy", "inner.npz", "neural.npz"]);
      out.push(`npz.nested=${name}${inner === bytes ? "" : "(bomb)"}`);
      return rebuild([memberOf(name, inner, deflate)]);
    }
    case "zip64": {
      const ms = members.map((m) => memberOf(m.name, m.bytes, deflate));
      const t = ms[rng.int(ms.length)];
      const lie = rng.pick([2 ** 40, 2 ** 53 - 1, 2 ** 62, 0, 1, t.size * 1000]);
      const where = rng.pick(["local", "central", "both"] as const);
      if (where !== "central") { t.zip64Local = true; t.localSize = lie; }
      if (where !== "local") { t.zip64Central = true; t.centralSize = lie; }
      out.push(`npz.zip64 ${t.name} size=${lie} in ${where}`);
      return rebuild(ms);
    }
    case "eocd": {
      const ms = members.map((m) => memberOf(m.name, m.bytes, deflate));
      const field = rng.pick(["count", "cdSize", "cdOffset"] as const);
      const v = rng.pick([0, 1, 0xffff, 0xffffffff, 12345, 7]);
      out.push(`npz.eocd.${field}=${v}`);
      return rebuild(ms, { eocd: { [field]: v } });
    }
    case "dupname": {
      const ms = members.map((m) => memberOf(m.name, m.bytes, deflate));
      const other = memberOf("neural.npy", mutateNpy(rng, members[0].bytes, out), deflate);
      out.push("npz.duplicate-neural");
      return rebuild(rng.chance(0.5) ? [...ms, other] : [other, ...ms]);
    }
    case "foreign": {
      const donors = seeds.filter((s) => s.loader !== "npz" && !s.hostile);
      const donor = rng.pick(donors);
      out.push(`npz.foreign=${donor.name}`);
      return rebuild([memberOf("neural.npy", seedBytes(donor), deflate)]);
    }
  }
}

// ---------- HDF5 ----------

const H5_SIGNATURES = ["OHDR", "OCHK", "TREE", "HEAP", "SNOD", "GCOL", "BTHD", "BTLF", "FRHP", "FHDB", "FHIB", "FSHD", "FSSE"].map((s) => enc.encode(s));

/** Offsets of HDF5 structure signatures (object headers, B-trees, heaps) in the file. */
function signatureOffsets(b: Uint8Array): number[] {
  const at: number[] = [];
  for (let i = 0; i + 4 <= b.length; i++) {
    if (b[i] < 0x42 || b[i] > 0x54) continue;
    for (const s of H5_SIGNATURES) if (b[i] === s[0] && b[i + 1] === s[1] && b[i + 2] === s[2] && b[i + 3] === s[3]) at.push(i);
  }
  return at;
}

export function mutateHdf5(rng: Rng, bytes: Uint8Array, hostile: boolean, out: string[]): Uint8Array {
  if (hostile && rng.chance(0.5)) {
    out.push("h5.as-is");
    return bytes;
  }
  if (rng.chance(0.2)) {
    const lied = hdf5DimsLie(rng, bytes, out);
    if (lied) return lied;
  }
  const zone = rng.weighted([[30, "superblock"], [40, "structure"], [30, "anywhere"]] as const);
  let hot: [number, number] | undefined;
  if (zone === "superblock") hot = [0, 96];
  else if (zone === "structure") {
    const sigs = signatureOffsets(bytes);
    if (sigs.length) {
      const s = rng.pick(sigs);
      hot = [s, s + 64];
    }
  }
  out.push(`h5.${zone}${hot ? `[${hot[0]}]` : ""}`);
  let b = bytes;
  const n = rng.weighted([[60, 1], [30, 2], [10, 3]] as const);
  for (let i = 0; i < n; i++) b = byteMutation(rng, b, out, hot);
  return b;
}

/**
 * Offsets of the dimension arrays of HDF5 dataspace messages: version 1 (1, rank, flags, 5 reserved
 * bytes, then rank 8-byte sizes) and version 2 (2, rank, flags, type, then the sizes), rank 1–3, with
 * plausible sizes (1 … 10⁷). Returns [offset of the first size, rank, has max sizes].
 */
function dataspaces(b: Uint8Array): [number, number, boolean][] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const found: [number, number, boolean][] = [];
  for (let i = 0; i + 40 <= b.length; i++) {
    const v = b[i];
    const rank = b[i + 1];
    const flags = b[i + 2];
    if ((v !== 1 && v !== 2) || rank < 1 || rank > 3 || flags > 1) continue;
    if (v === 1 && (b[i + 3] | b[i + 4] | b[i + 5] | b[i + 6] | b[i + 7]) !== 0) continue;
    if (v === 2 && b[i + 3] !== 1) continue; // simple dataspace
    const at = i + (v === 1 ? 8 : 4);
    if (at + 8 * rank * (flags ? 2 : 1) > b.length) continue;
    let ok = true;
    for (let k = 0; k < rank; k++) {
      const d = dv.getBigUint64(at + 8 * k, true);
      if (d < 1n || d > 10_000_000n) ok = false;
    }
    if (ok) found.push([at, rank, flags === 1]);
  }
  return found;
}

/** Rewrites one dimension of a dataspace message: 10¹², 2⁶³, 0, ×1000, +1 (and the max size with it, or not). */
function hdf5DimsLie(rng: Rng, b: Uint8Array, out: string[]): Uint8Array | null {
  const spaces = dataspaces(b);
  if (!spaces.length) return null;
  const [at, rank, hasMax] = rng.pick(spaces);
  const k = rng.int(rank);
  const c = b.slice();
  const dv = new DataView(c.buffer);
  const old = dv.getBigUint64(at + 8 * k, true);
  const lie = rng.pick([10n ** 12n, 2n ** 63n, 0n, old * 1000n, old + 1n, 2n ** 32n + old, 0xffffffffffffffffn]);
  dv.setBigUint64(at + 8 * k, lie, true);
  if (hasMax && rng.chance(0.5)) dv.setBigUint64(at + 8 * (rank + k), lie, true);
  out.push(`h5.dims@${at}[${k}]=${lie}`);
  return c;
}

// ---------- options ----------

function randomOptions(rng: Rng, out: string[]): LoadOptions {
  const o = rng.pick<LoadOptions>([
    { format: "npy" }, { format: "npz" }, { format: "hdf5" }, { format: "nwb" }, { format: "nwb-allen-2p-v1" }, { format: "nwb-allen-neuropixels" },
    { neural_layout: "unit_major" }, { nan_policy: "interpolate" }, { nan_policy: "drop_units" }, { movie: false }, { zscore: true },
    { keys: { neural: "timestamps" } }, { keys: { neural: "movie" } }, { keys: { frame: "neural" } }, { select_units: { count: 5, seed: 1 } },
    { time_range: { start: 1, end: 2 } }, { repeats: [1] }, { restrict_to_stimulus: false },
  ]);
  out.push(`opts=${JSON.stringify(o)}`);
  return o;
}
