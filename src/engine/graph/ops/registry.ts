/**
 * Operator registry. Each op definition bundles everything the engine needs about one ONNX operator:
 * static shape inference (used while building), a float64 evaluator (the reference interpreter), and
 * its reverse-mode gradient rule (which emits IR ops, so backward passes are themselves graphs).
 * Op definitions live in the other files of this folder and register themselves on import; import "./index.js" to get all.
 */
import { type Attrs, type DType, type Dim, type Node, type Value } from "../ir.js";

/** A float64 tensor for the reference interpreter (int64 and bool values are stored exactly too). */
export interface Tensor {
  shape: number[];
  data: Float64Array;
}

interface OutType {
  dtype: DType;
  shape: readonly Dim[];
}

export interface OpDef {
  /** ONNX op_type (default domain, opset 17 semantics). */
  readonly type: string;
  /** Names of numeric attributes written as ONNX FLOAT (others are INT / INTS). */
  readonly floatAttrs?: readonly string[];
  /** Names of attributes that hold a DType and are written as ONNX element-type codes (Cast's `to`). */
  readonly dtypeAttrs?: readonly string[];
  /** Output types from input types (and constant inputs' data where ONNX takes shapes as inputs). */
  infer(inputs: readonly Value[], attrs: Attrs): OutType[];
  /** float64 reference semantics. */
  evaluate(inputs: readonly Tensor[], attrs: Attrs): Tensor[];
  /**
   * Reverse-mode rule: given the gradients of the outputs (null = zero), return the gradients of the
   * inputs (null = none). `needs[i]` is false when input i needs no gradient (rules may skip work).
   * Absent for non-differentiable ops (comparisons, Cast to bool, ...).
   */
  grad?(node: Node, gouts: readonly (Value | null)[], needs: readonly boolean[]): (Value | null)[];
}

const REGISTRY = new Map<string, OpDef>();

/** Registers an op definition (called once per op at module load). */
export function registerOp(def: OpDef): void {
  if (REGISTRY.has(def.type)) throw new Error(`op ${def.type} registered twice`);
  REGISTRY.set(def.type, def);
}

/** The definition of `type`; throws for unknown ops. */
export function opDef(type: string): OpDef {
  const d = REGISTRY.get(type);
  if (!d) throw new Error(`unknown op ${type}`);
  return d;
}

/** All registered op types (for tests that must cover every op). */
export function registeredOps(): string[] {
  return [...REGISTRY.keys()].sort();
}

/** Appends a node of `type` to the inputs' graph, inferring output types; returns all outputs. */
export function emitMulti(type: string, inputs: readonly Value[], attrs: Attrs = {}): Value[] {
  if (inputs.length === 0) throw new Error(`${type}: needs at least one input`);
  const def = opDef(type);
  const outTypes = def.infer(inputs, attrs);
  return [...inputs[0].graph.addNode(type, inputs, attrs, outTypes).outputs];
}

/** Like `emitMulti` for single-output ops. */
export function emit(type: string, inputs: readonly Value[], attrs: Attrs = {}): Value {
  return emitMulti(type, inputs, attrs)[0];
}

/** Reads an integer-vector constant input (axes, shape, pads, slice bounds). */
export function constInts(v: Value, what: string): number[] {
  if (!v.constData) throw new Error(`${what} must be a constant`);
  return Array.from(v.constData);
}

/** Reads a numeric attribute with a default. */
export function attrNum(attrs: Attrs, name: string, dflt: number): number {
  const a = attrs[name];
  if (a === undefined) return dflt;
  if (typeof a !== "number") throw new Error(`attribute ${name} must be a number`);
  return a;
}

/** Reads an integer-list attribute. */
export function attrInts(attrs: Attrs, name: string): number[] | undefined {
  const a = attrs[name];
  if (a === undefined) return undefined;
  if (!Array.isArray(a)) throw new Error(`attribute ${name} must be a list`);
  return a;
}

/** Row-major strides of a shape. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}
