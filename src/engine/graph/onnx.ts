/**
 * ONNX protobuf writer for IR graphs (ModelProto, IR version 8, default-domain opset 17), with no
 * dependencies. Only the nodes the graph outputs need are written. Float values are written as
 * float32 by default or float64 on request (ORT's CPU EP lacks some float64 kernels, e.g. Erf).
 *
 * Field numbers are those of onnx.proto (proto2). Repeated scalars are written unpacked.
 */
import { type DType, type Graph, type Node, type Value } from "./ir.js";
import { opDef } from "./ops/index.js";

type FloatType = "float32" | "float64";

interface WriteOptions {
  /** Element type of "float" values (default float32). */
  floatType?: FloatType;
  producer?: string;
}

export const IR_VERSION = 8;
export const OPSET = 17;

/** ONNX TensorProto.DataType codes. */
const ELEM = { float32: 1, int64: 7, bool: 9, float64: 11 } as const;

function elemType(d: DType, ft: FloatType): number {
  return d === "float" ? ELEM[ft] : ELEM[d];
}

// ---------------------------------------------------------------------------------------------------
// Protobuf primitives

/** A growable protobuf byte buffer. */
class Pb {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  private byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  /** Varint of a (possibly negative) int64: negatives use their 64-bit two's complement (10 bytes). */
  varint(n: number): void {
    if (!Number.isInteger(n)) throw new Error(`varint of non-integer ${n}`);
    if (n >= 0 && n < 2 ** 31) {
      while (n > 0x7f) {
        this.byte((n & 0x7f) | 0x80);
        n >>>= 7;
      }
      this.byte(n);
      return;
    }
    let v = BigInt.asUintN(64, BigInt(n));
    while (v > 0x7fn) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, n: number): void {
    this.tag(field, 0);
    this.varint(n);
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2);
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }

  float32(field: number, x: number): void {
    this.tag(field, 5);
    this.ensure(4);
    new DataView(this.buf.buffer, this.len, 4).setFloat32(0, x, true);
    this.len += 4;
  }

  message(field: number, m: Pb): void {
    this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

// ---------------------------------------------------------------------------------------------------
// Messages

function rawData(v: Value, ft: FloatType): Uint8Array {
  const d = v.constData!;
  if (v.dtype === "float") {
    const arr = ft === "float32" ? Float32Array.from(d) : Float64Array.from(d);
    return new Uint8Array(arr.buffer);
  }
  if (v.dtype === "int64") return new Uint8Array(BigInt64Array.from(d, (x) => BigInt(x)).buffer);
  return Uint8Array.from(d, (x) => (x !== 0 ? 1 : 0));
}

function tensorProto(name: string, v: Value, ft: FloatType): Pb {
  const t = new Pb();
  for (const dim of v.staticShape()) t.int(1, dim);
  t.int(2, elemType(v.dtype, ft));
  t.string(8, name);
  t.bytes(9, rawData(v, ft));
  return t;
}

function valueInfo(name: string, v: Value, ft: FloatType): Pb {
  return namedInfo(name, elemType(v.dtype, ft), v.shape.map((d, i) => (d === null ? `${name}_dim${i}` : d)));
}

const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/** ConstantOfShape's `value`: a one-element zero of the graph's float type (ONNX's default is float32). */
function zeroValueAttr(ft: FloatType): Pb {
  const t = new Pb();
  t.int(1, 1);
  t.int(2, elemType("float", ft));
  t.bytes(9, new Uint8Array((ft === "float32" ? new Float32Array(1) : new Float64Array(1)).buffer));
  const a = new Pb();
  a.string(1, "value");
  a.message(5, t);
  a.int(20, ATTR.TENSOR);
  return a;
}

function attributes(node: Node, ft: FloatType): Pb[] {
  const def = opDef(node.op);
  if (node.op === "ConstantOfShape") return [zeroValueAttr(ft)];
  return Object.entries(node.attrs).map(([name, value]) => {
    const a = new Pb();
    a.string(1, name);
    const isFloat = def.floatAttrs?.includes(name) ?? false;
    if (def.dtypeAttrs?.includes(name)) {
      a.int(3, elemType(value as DType, ft));
      a.int(20, ATTR.INT);
    } else if (typeof value === "string") {
      a.string(4, value);
      a.int(20, ATTR.STRING);
    } else if (Array.isArray(value)) {
      for (const x of value) isFloat ? a.float32(7, x) : a.int(8, x);
      a.int(20, isFloat ? ATTR.FLOATS : ATTR.INTS);
    } else if (isFloat) {
      a.float32(2, value);
      a.int(20, ATTR.FLOAT);
    } else {
      a.int(3, value);
      a.int(20, ATTR.INT);
    }
    return a;
  });
}

function nodeProto(op: string, inputs: string[], outputs: string[], name: string, attrs: Pb[]): Pb {
  const n = new Pb();
  for (const i of inputs) n.string(1, i);
  for (const o of outputs) n.string(2, o);
  n.string(3, name);
  n.string(4, op);
  for (const a of attrs) n.message(5, a);
  return n;
}

// ---------------------------------------------------------------------------------------------------
// Graph

/** How `graphProto` lays out a graph used as a Loop body (see `writeOnnxLoop`). */
interface BodyLayout {
  /** Value infos of the body's inputs, in order (replacing the graph's own inputs). */
  inputs: Pb[];
  /** Nodes that run first (they produce some of the graph's inputs by name). */
  head: Pb[];
  /** Output value infos in order; names not among the graph's outputs must be produced by `head`. */
  outputs: Pb[];
}

/** `g` as a GraphProto: live nodes, constants as initializers, inputs and outputs (or a Loop body's layout). */
function graphProto(g: Graph, ft: FloatType, body?: BodyLayout, prefix = ""): Pb {
  if (g.outputs.length === 0) throw new Error("writeOnnx: graph has no outputs");
  const nodes = g.liveNodes();
  const names = new Map<Value, string>();
  for (const v of g.inputs) names.set(v, v.inputName!);
  // Graph outputs take over the name of the value producing them where possible.
  const aliases: { name: string; value: Value }[] = [];
  for (const o of g.outputs) {
    const v = o.value;
    if (v.producer && !names.has(v)) names.set(v, o.name);
    else aliases.push(o);
  }
  const nameOf = (v: Value): string => {
    let n = names.get(v);
    if (n === undefined) {
      n = v.constData ? `${prefix}_c${v.id}` : `${prefix}_v${v.id}`;
      names.set(v, n);
    }
    return n;
  };

  const graph = new Pb();
  for (const h of body?.head ?? []) graph.message(1, h);
  nodes.forEach((node, i) => {
    graph.message(1, nodeProto(node.op, node.inputs.map(nameOf), node.outputs.map(nameOf), `${prefix}${node.op}_${i}`, attributes(node, ft)));
  });
  aliases.forEach((o, i) => graph.message(1, nodeProto("Identity", [nameOf(o.value)], [o.name], `${prefix}output_${i}`, [])));
  graph.string(2, g.name);
  const consts = new Set<Value>();
  for (const node of nodes) for (const v of node.inputs) if (v.constData) consts.add(v);
  for (const o of aliases) if (o.value.constData) consts.add(o.value);
  for (const v of consts) graph.message(5, tensorProto(nameOf(v), v, ft));
  if (body) {
    for (const vi of body.inputs) graph.message(11, vi);
    for (const vi of body.outputs) graph.message(12, vi);
  } else {
    for (const v of g.inputs) graph.message(11, valueInfo(v.inputName!, v, ft));
    for (const o of g.outputs) graph.message(12, valueInfo(o.name, o.value, ft));
  }
  return graph;
}

function modelProto(graph: Pb, producer?: string): Uint8Array {
  const opset = new Pb();
  opset.string(1, "");
  opset.int(2, OPSET);
  const model = new Pb();
  model.int(1, IR_VERSION);
  model.string(2, producer ?? "cebra-mcp");
  model.message(7, graph);
  model.message(8, opset);
  return model.finish();
}

/** Serialises `g` as an ONNX ModelProto. */
export function writeOnnx(g: Graph, opts: WriteOptions = {}): Uint8Array {
  return modelProto(graphProto(g, opts.floatType ?? "float32"), opts.producer);
}

/** Which inputs and outputs of a one-step graph carry over, stay fixed, or are stacked per step (`writeOnnxLoop`). */
export interface LoopLayout {
  /** [input, output] pairs fed back from one iteration to the next (e.g. ["params", "new_params"]). */
  carried: [string, string][];
  /** Inputs that are the same every iteration (read from the outer graph by name, e.g. "data"). */
  shared: string[];
  /** Outputs stacked over iterations (outer output `${name}_k`, shape [K, ...]). */
  scan: string[];
}

/** A scalar or shaped value info with an explicit element type. */
function namedInfo(name: string, elem: number, dims: (number | string)[]): Pb {
  const shape = new Pb();
  for (const d of dims) {
    const dim = new Pb();
    if (typeof d === "string") dim.string(2, d);
    else dim.int(1, d);
    shape.message(1, dim);
  }
  const tensor = new Pb();
  tensor.int(1, elem);
  tensor.message(2, shape);
  const type = new Pb();
  type.message(1, tensor);
  const vi = new Pb();
  vi.string(1, name);
  vi.message(2, type);
  return vi;
}

/**
 * Serialises a one-step graph `g` as a model that runs it K times in one ONNX Loop. Outer inputs: "K"
 * (int64 scalar, the trip count); each carried input under `${name}_0` (its initial value); each shared
 * input under its own name; every other input of `g` stacked per iteration as `${name}_k` [K, ...] (the
 * body takes slice `iter`). Outer outputs: each carried output's final value under `final_${input}`, and
 * each scan output stacked as `${name}_k` [K, ...]. Iteration i computes exactly what `g` computes on
 * slice i with the carried values of iteration i − 1.
 */
export function writeOnnxLoop(g: Graph, layout: LoopLayout, opts: WriteOptions = {}): Uint8Array {
  const ft = opts.floatType ?? "float32";
  const byName = new Map(g.inputs.map((v) => [v.inputName!, v]));
  const outByName = new Map(g.outputs.map((o) => [o.name, o.value]));
  const carriedIn = new Set(layout.carried.map(([i]) => i));
  const shared = new Set(layout.shared);
  for (const n of [...carriedIn, ...shared]) if (!byName.has(n)) throw new Error(`writeOnnxLoop: the graph has no input "${n}"`);
  for (const n of [...layout.carried.map(([, o]) => o), ...layout.scan]) if (!outByName.has(n)) throw new Error(`writeOnnxLoop: the graph has no output "${n}"`);
  const perStep = g.inputs.filter((v) => !carriedIn.has(v.inputName!) && !shared.has(v.inputName!));
  const dimsOf = (v: Value, name: string) => v.shape.map((d, i) => (d === null ? `${name}_dim${i}` : d));

  const head: Pb[] = [nodeProto("Identity", ["cond_in"], ["cond_out"], "loop_cond", [])];
  perStep.forEach((v, i) => {
    const axis = new Pb();
    axis.string(1, "axis");
    axis.int(3, 0);
    axis.int(20, ATTR.INT);
    head.push(nodeProto("Gather", [`${v.inputName}_k`, "iter"], [v.inputName!], `loop_take_${i}`, [axis]));
  });
  const body = graphProto(g, ft, {
    inputs: [namedInfo("iter", ELEM.int64, []), namedInfo("cond_in", ELEM.bool, []), ...layout.carried.map(([i]) => valueInfo(i, byName.get(i)!, ft))],
    head,
    outputs: [namedInfo("cond_out", ELEM.bool, []), ...layout.carried.map(([, o]) => valueInfo(o, outByName.get(o)!, ft)), ...layout.scan.map((o) => valueInfo(o, outByName.get(o)!, ft))],
  }, "body");

  const graphAttr = new Pb();
  graphAttr.string(1, "body");
  graphAttr.message(6, body);
  graphAttr.int(20, 5); // AttributeProto.GRAPH
  const outer = new Pb();
  const loopOutputs = [...layout.carried.map(([i]) => `final_${i}`), ...layout.scan.map((o) => `${o}_k`)];
  outer.message(1, nodeProto("Loop", ["K", "", ...layout.carried.map(([i]) => `${i}_0`)], loopOutputs, "step_loop", [graphAttr]));
  outer.string(2, `${g.name}_loop`);
  outer.message(11, namedInfo("K", ELEM.int64, []));
  for (const [i] of layout.carried) outer.message(11, namedInfo(`${i}_0`, elemType(byName.get(i)!.dtype, ft), dimsOf(byName.get(i)!, i)));
  for (const n of layout.shared) outer.message(11, valueInfo(n, byName.get(n)!, ft));
  for (const v of perStep) outer.message(11, namedInfo(`${v.inputName}_k`, elemType(v.dtype, ft), ["K", ...dimsOf(v, v.inputName!)]));
  for (const [i, o] of layout.carried) outer.message(12, namedInfo(`final_${i}`, elemType(outByName.get(o)!.dtype, ft), dimsOf(outByName.get(o)!, o)));
  for (const o of layout.scan) outer.message(12, namedInfo(`${o}_k`, elemType(outByName.get(o)!.dtype, ft), ["K", ...dimsOf(outByName.get(o)!, o)]));
  return modelProto(outer, opts.producer);
}
