/**
 * Reading a PyTorch checkpoint (`torch.save`'s zip format, what CEBRA's `save` writes) as hostile input,
 * without Python and without running anything in it.
 *
 * The file is a zip (formats/zip.ts: directory checked, declared sizes held to a byte budget before
 * anything is inflated, CRC verified) holding `<name>/data.pkl` (the object, a pickle), `<name>/byteorder`
 * and one member `<name>/data/<key>` per storage. The pickle is read by a data-only interpreter
 * (pickle.ts) whose globals are the allow-list below: no looser than `torch.load(weights_only=True)`
 * with CEBRA 0.6.1's `CEBRA_LOAD_SAFE_GLOBALS` (Offset, TorchVersion, numpy dtypes). Tensors come back
 * as `TorchTensor` descriptions; `tensorData` materialises a float32 one, its offset, shape and strides
 * checked against its storage.
 */
import { UserError } from "../util/errors.js";
import { bytesSource, ZipArchive, type ZipEntry, type ZipLimits, type ZipWording } from "./formats/zip.js";
import { PyObject, unpickle } from "./pickle.js";

/** Globals a CEBRA checkpoint may name (module.name); anything else is refused by name. */
export const CHECKPOINT_GLOBALS: ReadonlySet<string> = new Set([
  "collections.OrderedDict",
  "torch._utils._rebuild_tensor_v2",
  "torch._utils._rebuild_parameter",
  ...["Float", "Double", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool"].map((t) => `torch.${t}Storage`),
  "torch.torch_version.TorchVersion",
  "cebra.data.datatypes.Offset",
  "numpy.dtype",
  ...["Int32", "Int64", "Float32", "Float64"].map((t) => `numpy.dtypes.${t}DType`),
]);

/** Bytes per element of each storage type. */
const ELEMENT_BYTES: Record<string, number> = {
  FloatStorage: 4, DoubleStorage: 8, HalfStorage: 2, BFloat16Storage: 2, LongStorage: 8, IntStorage: 4, ShortStorage: 2, CharStorage: 1, ByteStorage: 1, BoolStorage: 1,
};

/** A storage as the pickle names it (its bytes are the zip member `data/<key>`). */
export interface TorchStorage {
  key: string;
  /** "FloatStorage", … */
  type: string;
  numel: number;
}

/** A tensor as the pickle describes it (not yet read). */
export interface TorchTensor {
  kind: "tensor";
  storage: TorchStorage;
  offset: number;
  shape: number[];
  stride: number[];
}

export function isTensor(v: unknown): v is TorchTensor {
  return typeof v === "object" && v !== null && (v as TorchTensor).kind === "tensor";
}

/** An opened checkpoint: the object (plain values, `TorchTensor`s, `PyObject`s) and its storages. */
export interface TorchCheckpoint {
  object: unknown;
  /** Reads a float32 tensor (a UserError names `what` if it is another type or does not fit its storage). */
  tensorData(t: TorchTensor, what: string): Float32Array;
  close(): void;
}

export interface CheckpointLimits extends ZipLimits {
  /** Most pickle opcodes (default 10 million). */
  maxOps?: number;
}

const FIX = "Pass a model saved by CEBRA 0.6 (cebra_model.save(path), the default sklearn backend).";

/** How the zip reader words its refusals for a checkpoint (its defaults advise re-saving .npz arrays). */
const SAVE_AGAIN = "The file is damaged or not a PyTorch checkpoint; save the model again with cebra_model.save(path).";
const CHECKPOINT_WORDING: ZipWording = { archive: "PyTorch (zip) checkpoint", refuseFix: SAVE_AGAIN, limitFix: SAVE_AGAIN, ratioFix: SAVE_AGAIN, corruptFix: SAVE_AGAIN };

/** Opens a checkpoint held in memory (the caller bounds its size). */
export function openTorchCheckpointBytes(bytes: Uint8Array, name: string, limits: CheckpointLimits): TorchCheckpoint {
  const zipLimits = { ...limits, wording: CHECKPOINT_WORDING };
  return readCheckpoint(ZipArchive.open(bytesSource(bytes), name, zipLimits), name, zipLimits);
}

function readCheckpoint(zip: ZipArchive, name: string, limits: CheckpointLimits): TorchCheckpoint {
  try {
    const pkl = zip.entries.find((e) => /^[^/]+\/data\.pkl$/.test(e.name));
    if (!pkl) throw new UserError(`${name} is a zip without <name>/data.pkl, so it is not a PyTorch checkpoint.`, FIX);
    const prefix = pkl.name.slice(0, -"data.pkl".length);
    const order = zip.get(`${prefix}byteorder`);
    if (order) {
      const b = Buffer.from(zip.read(order)).toString("latin1");
      if (b !== "little") throw new UserError(`${name} was written on a ${b}-endian machine; only little-endian checkpoints are read.`, "Save the model on a little-endian machine (x86, ARM).");
    }
    const storages = new Map<string, TorchStorage>();
    const persistentLoad = (pid: unknown): TorchStorage => {
      if (!Array.isArray(pid) || pid[0] !== "storage" || pid.length !== 5) throw new UserError(`${name}: a persistent id is not a storage reference.`, FIX);
      const [, type, key, , numel] = pid as [string, unknown, unknown, unknown, unknown];
      const cls = type instanceof PyObject ? "" : (type as { global?: string })?.global ?? "";
      const t = cls.startsWith("torch.") ? cls.slice(6) : "";
      if (!(t in ELEMENT_BYTES) || typeof key !== "string" || !/^[0-9]+$/.test(key) || typeof numel !== "number" || !Number.isInteger(numel) || numel < 0) {
        throw new UserError(`${name}: a storage reference is malformed.`, FIX);
      }
      const have = storages.get(key);
      if (have && (have.type !== t || have.numel !== numel)) throw new UserError(`${name}: storage ${key} is described twice, differently.`, FIX);
      const s = have ?? { key, type: t, numel };
      storages.set(key, s);
      return s;
    };
    const object = unpickle(zip.read(pkl), {
      name, globals: CHECKPOINT_GLOBALS, persistentLoad, maxOps: limits.maxOps,
      reduce: (cls, args) => {
        if (cls === "torch._utils._rebuild_tensor_v2") return rebuildTensor(args, name);
        if (cls === "torch._utils._rebuild_parameter") return isTensor(args[0]) ? args[0] : undefined;
        if (cls === "collections.OrderedDict") return new Map(Array.isArray(args[0]) ? args[0].filter((p): p is [unknown, unknown] => Array.isArray(p) && p.length === 2) : []);
        if (cls === "torch.torch_version.TorchVersion") return typeof args[0] === "string" ? args[0] : undefined;
        return undefined;
      },
    });
    const cache = new Map<string, Uint8Array>();
    const storageBytes = (s: TorchStorage, what: string): Uint8Array => {
      const hit = cache.get(s.key);
      if (hit) return hit;
      const entry: ZipEntry | undefined = zip.get(`${prefix}data/${s.key}`);
      if (!entry) throw new UserError(`${name}: the storage of ${what} (data/${s.key}) is missing from the archive.`, FIX);
      const need = s.numel * ELEMENT_BYTES[s.type];
      if (entry.size !== need) throw new UserError(`${name}: the storage of ${what} holds ${entry.size} bytes, but ${s.numel} ${s.type} elements need ${need}; the file is damaged.`, FIX);
      const bytes = zip.read(entry);
      cache.set(s.key, bytes);
      return bytes;
    };
    return {
      object,
      tensorData(t, what) {
        if (t.storage.type !== "FloatStorage") {
          throw new UserError(`${name}: ${what} is a ${t.storage.type.replace("Storage", "")} tensor; only float32 weights are read.`, "Convert the model to float32 in Python (model.float()) and save it again.");
        }
        const n = t.shape.reduce((a, b) => a * b, 1);
        // The largest element index the view reaches must lie inside the storage.
        const last = t.offset + t.shape.reduce((a, d, i) => a + (d > 0 ? (d - 1) * t.stride[i] : 0), 0);
        if (n > t.storage.numel || (n > 0 && last >= t.storage.numel)) {
          throw new UserError(`${name}: ${what} (shape [${t.shape.join(", ")}], offset ${t.offset}) reaches past its storage of ${t.storage.numel} elements; the file is damaged.`, FIX);
        }
        const raw = storageBytes(t.storage, what);
        const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
        const out = new Float32Array(n);
        const idx = new Array<number>(t.shape.length).fill(0);
        for (let i = 0; i < n; i++) {
          let src = t.offset;
          for (let d = 0; d < idx.length; d++) src += idx[d] * t.stride[d];
          out[i] = all[src];
          for (let d = idx.length - 1; d >= 0; d--) {
            if (++idx[d] < t.shape[d]) break;
            idx[d] = 0;
          }
        }
        return out;
      },
      close: () => zip.close(),
    };
  } catch (e) {
    zip.close();
    throw e;
  }
}

/** `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])` → a tensor description. */
function rebuildTensor(args: unknown[], name: string): TorchTensor {
  const [storage, offset, shape, stride] = args as [TorchStorage, unknown, unknown, unknown];
  const ints = (v: unknown) => Array.isArray(v) && v.length <= 8 && v.every((x) => typeof x === "number" && Number.isInteger(x) && x >= 0);
  if (typeof storage !== "object" || storage === null || typeof storage.key !== "string" || typeof offset !== "number" || !Number.isInteger(offset) || offset < 0
    || !ints(shape) || !ints(stride) || (shape as number[]).length !== (stride as number[]).length) {
    throw new UserError(`${name}: a tensor's description (storage, offset, shape, strides) is malformed.`, FIX);
  }
  return { kind: "tensor", storage, offset, shape: shape as number[], stride: stride as number[] };
}
