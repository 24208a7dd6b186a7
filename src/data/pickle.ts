/**
 * A restricted, data-only pickle interpreter for what `torch.save` writes (pickle protocol 2, plus the
 * few protocol 3–5 opcodes a newer pickler may emit). It never executes anything: it builds plain values
 * (numbers, strings, arrays for lists and tuples, Maps for dicts), and every GLOBAL names a class or
 * function on an allow-list (`PickleOptions.globals`) that is turned into a plain description
 * (`PyCall`, `PyObject`) or, for the handful it knows (`reduce`), a value. An unknown global, an
 * unknown opcode, a truncated stream or a stream past its limits is a UserError.
 *
 * Python values as JavaScript values: None → null, bool → boolean, int → number (bigint beyond 2^53),
 * float → number, str → string, bytes → Uint8Array, list and tuple → array, dict → Map, set → array.
 */
import { UserError } from "../util/errors.js";

/** A call of an allowed global the interpreter has no value for: `cls(...args)`, then `BUILD` state. */
export class PyObject {
  state: unknown = undefined;
  constructor(readonly cls: string, readonly args: unknown[]) {}
}

export interface PickleOptions {
  /** What the file is called in messages. */
  name: string;
  /** Allowed globals, "module.name" (e.g. "collections.OrderedDict"). */
  globals: ReadonlySet<string>;
  /** Turns BINPERSID's persistent id into a value (torch: storages). */
  persistentLoad: (pid: unknown) => unknown;
  /** Values for REDUCE/NEWOBJ of allowed globals; return undefined to keep a `PyObject`. */
  reduce?: (cls: string, args: unknown[]) => unknown;
  /** Most opcodes executed (default 10 million). */
  maxOps?: number;
  /** Deepest nesting of containers in the result (default 100). */
  maxDepth?: number;
  /** Most containers (lists, tuples, dicts, sets, objects) built (default 1 million; a CEBRA checkpoint builds hundreds). */
  maxObjects?: number;
}

const MARK = Symbol("mark");
type Global = { global: string };

/** Reads the pickle in `bytes` (STOP ends it) into plain values; see the module comment. */
export function unpickle(bytes: Uint8Array, opts: PickleOptions): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fix = "Pass a model saved by CEBRA (cebra_model.save(path)); the server reads only that data, never arbitrary pickles.";
  const bad = (why: string) => new UserError(`${opts.name}: ${why}; it is not a CEBRA checkpoint this server will read.`, fix);
  const maxOps = opts.maxOps ?? 10_000_000;
  const maxObjects = opts.maxObjects ?? 1_000_000;
  let objects = 0;
  /** Counts a container built by the pickle (memory: millions of tiny dicts cost gigabytes). */
  const made = <T>(v: T): T => {
    if (++objects > maxObjects) throw new UserError(`${opts.name}: the pickle builds more than ${maxObjects} lists, dicts or objects.`, "A CEBRA checkpoint builds far fewer; this file is not one the server will read.", "limit_exceeded");
    return v;
  };
  let pos = 0;
  let ops = 0;
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const need = (n: number) => {
    if (n < 0 || pos + n > bytes.length) throw bad(`the pickle is truncated at byte ${pos} (needs ${n} more bytes)`);
  };
  const u8 = () => (need(1), bytes[pos++]);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.length)) throw bad(`a length of ${v} bytes is longer than the file`);
    return Number(v);
  };
  const take = (n: number) => (need(n), bytes.subarray((pos += n) - n, pos));
  const text = (n: number) => {
    const b = take(n);
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(b);
    } catch {
      throw bad(`a string at byte ${pos - n} is not valid UTF-8`);
    }
  };
  const pop = () => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1])) throw bad("the pickle pops an empty stack");
    const v = stack.pop();
    if (v === MARK) throw bad("the pickle pops a mark");
    return v;
  };
  const top = () => {
    if (stack.length === 0) throw bad("the pickle reads an empty stack");
    return stack[stack.length - 1];
  };
  const popMark = () => {
    const m = marks.pop();
    if (m === undefined) throw bad("the pickle has no mark to pop to");
    const items = stack.splice(m);
    items.shift();
    return items;
  };
  const global = (module: string, name: string): Global => {
    const full = `${module}.${name}`;
    if (!opts.globals.has(full)) {
      throw new UserError(
        `${opts.name} asks to load ${full}, which is not on the list of classes a CEBRA checkpoint uses (tensors, storages, OrderedDict, numpy dtypes, CEBRA's Offset, torch's version); it is not a CEBRA checkpoint this server will read, and nothing in it was run.`,
        fix,
      );
    }
    return { global: full };
  };
  const call = (callable: unknown, args: unknown): unknown => {
    if (typeof callable !== "object" || callable === null || !("global" in callable)) throw bad("the pickle calls something that is not an allowed global");
    if (!Array.isArray(args)) throw bad("the pickle calls a global without an argument tuple");
    const cls = (callable as Global).global;
    const v = opts.reduce?.(cls, args);
    return made(v === undefined ? new PyObject(cls, args) : v);
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Map)) throw bad("the pickle sets items on something that is not a dict");
    if (items.length % 2) throw bad("the pickle sets a key without a value");
    for (let i = 0; i < items.length; i += 2) target.set(hashable(items[i]), items[i + 1]);
  };
  const hashable = (k: unknown) => {
    if (k === null || ["string", "number", "boolean", "bigint"].includes(typeof k)) return k;
    // A tuple key of numbers and strings only: nested or self-referencing keys are refused, not walked.
    if (Array.isArray(k) && k.length <= 64 && k.every((x) => x === null || ["string", "number", "boolean", "bigint"].includes(typeof x))) {
      return JSON.stringify(k, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
    }
    throw bad("a dict key is neither a number, a string nor a short tuple of them");
  };
  const append = (target: unknown, items: unknown[]) => {
    if (!Array.isArray(target)) throw bad("the pickle appends to something that is not a list");
    for (const it of items) target.push(it);
  };

  for (;;) {
    if (++ops > maxOps) throw new UserError(`${opts.name}: the pickle runs past ${maxOps} opcodes.`, "A CEBRA checkpoint needs far fewer; this file is not one the server will read.", "limit_exceeded");
    const op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const v = u8();
        if (v > 5) throw bad(`pickle protocol ${v} is unknown`);
        break;
      }
      case 0x95: u64(); break; // FRAME: framing only
      case 0x2e: { // STOP
        const v = pop();
        checkDepth(v, opts.maxDepth ?? 100, bad);
        return v;
      }
      case 0x28: marks.push(stack.length); stack.push(MARK); break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: { // LONG1
        const n = u8();
        stack.push(longValue(take(n)));
        break;
      }
      case 0x8b: { // LONG4
        const n = u32();
        if (n > 64) throw bad(`an integer of ${n} bytes is larger than a checkpoint holds`);
        stack.push(longValue(take(n)));
        break;
      }
      case 0x47: need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; // BINFLOAT (big-endian)
      case 0x58: stack.push(text(u32())); break; // BINUNICODE
      case 0x8c: stack.push(text(u8())); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(text(u64())); break; // BINUNICODE8
      case 0x42: stack.push(take(u32()).slice()); break; // BINBYTES
      case 0x43: stack.push(take(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: stack.push(take(u64()).slice()); break; // BINBYTES8
      case 0x54: stack.push(Buffer.from(take(i32())).toString("latin1")); break; // BINSTRING
      case 0x55: stack.push(Buffer.from(take(u8())).toString("latin1")); break; // SHORT_BINSTRING
      case 0x7d: stack.push(made(new Map())); break; // EMPTY_DICT
      case 0x5d: stack.push(made([])); break; // EMPTY_LIST
      case 0x29: stack.push(made([])); break; // EMPTY_TUPLE
      case 0x8f: stack.push(made([])); break; // EMPTY_SET
      case 0x74: stack.push(made(popMark())); break; // TUPLE
      case 0x85: stack.push(made([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(made([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(made([a, b, c])); break; } // TUPLE3
      case 0x6c: stack.push(made(popMark())); break; // LIST
      case 0x91: stack.push(made(popMark())); break; // FROZENSET
      case 0x64: { const m = made(new Map()); setItems(m, popMark()); stack.push(m); break; } // DICT
      case 0x61: { const v = pop(); append(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); append(top(), items); break; } // APPENDS
      case 0x90: { const items = popMark(); append(top(), items); break; } // ADDITEMS
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET, LONG_BINGET
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) throw bad(`the pickle reads memo entry ${k}, which was never stored`);
        stack.push(memo.get(k));
        break;
      }
      case 0x63: { // GLOBAL: "module\nname\n"
        const line = () => {
          const end = bytes.indexOf(0x0a, pos);
          if (end < 0 || end - pos > 256) throw bad("a GLOBAL opcode has no name line");
          const s = Buffer.from(bytes.subarray(pos, end)).toString("latin1");
          pos = end + 1;
          return s;
        };
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") throw bad("STACK_GLOBAL without a module and name");
        stack.push(global(module, name));
        break;
      }
      case 0x52: { const args = pop(); stack.push(call(pop(), args)); break; } // REDUCE
      case 0x81: { const args = pop(); stack.push(call(pop(), args)); break; } // NEWOBJ
      case 0x92: { pop(); const args = pop(); stack.push(call(pop(), args)); break; } // NEWOBJ_EX (kwargs dropped)
      case 0x62: { // BUILD: object state; kept on a PyObject, ignored on plain values (e.g. an OrderedDict's _metadata)
        const state = pop();
        const obj = top();
        if (obj instanceof PyObject) obj.state = state;
        else if (typeof obj !== "object" || obj === null) throw bad("the pickle sets the state of a plain value");
        break;
      }
      case 0x51: { // BINPERSID
        stack.push(opts.persistentLoad(pop()));
        break;
      }
      default:
        throw bad(`pickle opcode 0x${op.toString(16).padStart(2, "0")} at byte ${pos - 1} is not one torch.save writes`);
    }
  }
}

/** A little-endian two's-complement integer (LONG1/LONG4). */
function longValue(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Refuses results nested deeper than `max` (shared references are walked once). */
function checkDepth(root: unknown, max: number, bad: (why: string) => Error): void {
  const seen = new Set<unknown>();
  const walk = (v: unknown, depth: number): void => {
    if (typeof v !== "object" || v === null || v instanceof Uint8Array || seen.has(v)) return;
    if (depth > max) throw bad(`its data are nested more than ${max} levels deep`);
    seen.add(v);
    if (Array.isArray(v)) v.forEach((x) => walk(x, depth + 1));
    else if (v instanceof Map) v.forEach((x) => walk(x, depth + 1));
    else if (v instanceof PyObject) {
      walk(v.args, depth + 1);
      walk(v.state, depth + 1);
    }
  };
  walk(root, 0);
}
