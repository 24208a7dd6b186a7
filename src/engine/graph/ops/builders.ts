/**
 * Graph builders: one plain function per operator, e.g. `add(matmul(x, w), b)`, each emitting a node
 * through the registry. Op definitions (elementwise.ts, shape.ts, reduce.ts, linalg.ts, conv.ts) use these in
 * their gradient rules, so builders live apart from definitions and no definition file imports another.
 */
import { type DType, type Graph, Value, normAxis } from "../ir.js";
import { emit } from "./registry.js";

// Element-wise

type Operand = Value | number;

/** Turns numbers into float scalar constants in the graph of the other operand. */
function operands(a: Operand, b: Operand): [Value, Value] {
  if (a instanceof Value && b instanceof Value) return [a, b];
  if (a instanceof Value) return [a, a.graph.scalar(b as number)];
  if (b instanceof Value) return [b.graph.scalar(a as number), b];
  throw new Error("at least one operand must be a graph value");
}

export const add = (a: Operand, b: Operand): Value => emit("Add", operands(a, b));
export const sub = (a: Operand, b: Operand): Value => emit("Sub", operands(a, b));
export const mul = (a: Operand, b: Operand): Value => emit("Mul", operands(a, b));
export const div = (a: Operand, b: Operand): Value => emit("Div", operands(a, b));
export const minimum = (a: Operand, b: Operand): Value => emit("Min", operands(a, b));
export const maximum = (a: Operand, b: Operand): Value => emit("Max", operands(a, b));
export const less = (a: Operand, b: Operand): Value => emit("Less", operands(a, b));
export const lessOrEqual = (a: Operand, b: Operand): Value => emit("LessOrEqual", operands(a, b));
export const greater = (a: Operand, b: Operand): Value => emit("Greater", operands(a, b));
export const greaterOrEqual = (a: Operand, b: Operand): Value => emit("GreaterOrEqual", operands(a, b));
export const equal = (a: Operand, b: Operand): Value => emit("Equal", operands(a, b));
/** Element-wise sum of any number of broadcastable values (one pass instead of a chain of Adds). */
export const sum = (xs: readonly Value[]): Value => (xs.length === 1 ? xs[0] : emit("Sum", xs));
export const neg = (x: Value): Value => emit("Neg", [x]);
export const exp = (x: Value): Value => emit("Exp", [x]);
export const log = (x: Value): Value => emit("Log", [x]);
export const sqrt = (x: Value): Value => emit("Sqrt", [x]);
export const reciprocal = (x: Value): Value => emit("Reciprocal", [x]);
export const erf = (x: Value): Value => emit("Erf", [x]);
export const tanh = (x: Value): Value => emit("Tanh", [x]);
export const identity = (x: Value): Value => emit("Identity", [x]);
/** Element type conversion (bool → float masks). */
export const cast = (x: Value, to: DType): Value => emit("Cast", [x], { to });
/** where(cond, a, b) = cond ? a : b. */
export const where = (cond: Value, a: Operand, b: Operand): Value => emit("Where", [cond, ...operands(a, b)]);
/** Clamps x to [lo, hi] (either bound may be omitted). */
export function clip(x: Value, lo: number | null, hi: number | null): Value {
  const g = x.graph;
  const ins = [x, lo === null ? g.scalar(-Infinity) : g.scalar(lo), hi === null ? g.scalar(Infinity) : g.scalar(hi)];
  return emit("Clip", ins);
}
/** Float 0/1 mask from a bool value. */
export const mask = (b: Value): Value => cast(b, "float");

// Shape and data movement


/** Reshape to `shape` (ONNX rules: 0 copies the input dimension, one -1 is inferred). */
export const reshape = (x: Value, shape: readonly number[]): Value => emit("Reshape", [x, x.graph.ints(shape)]);
export const transpose = (x: Value, perm: readonly number[]): Value => emit("Transpose", [x], { perm: [...perm] });
export const unsqueeze = (x: Value, axes: readonly number[]): Value => emit("Unsqueeze", [x, x.graph.ints(axes)]);
export const squeeze = (x: Value, axes: readonly number[]): Value => emit("Squeeze", [x, x.graph.ints(axes)]);
export const expand = (x: Value, shape: readonly number[]): Value => emit("Expand", [x, x.graph.ints(shape)]);
export const concat = (xs: readonly Value[], axis: number): Value => (xs.length === 1 ? xs[0] : emit("Concat", xs, { axis }));
/** Rows of `x` along `axis` picked by int64 `indices`. */
export const gather = (x: Value, indices: Value, axis = 0): Value => emit("Gather", [x, indices], { axis });

/**
 * ScatterND with reduction "add" on leading rows: `base` [R, …] plus `updates` [idx…, …] added at rows
 * `rows` (int64, any shape; repeated rows accumulate). The adjoint of `gather(x, rows, 0)`.
 */
export const scatterAddRows = (base: Value, rows: Value, updates: Value): Value => emit("ScatterND", [base, unsqueeze(rows, [-1]), updates], { reduction: "add" });

/** ONNX Slice; `steps` default to 1. Out-of-range bounds are clamped as in ONNX. */
export function slice(x: Value, axes: readonly number[], starts: readonly number[], ends: readonly number[], steps?: readonly number[]): Value {
  const g = x.graph;
  return emit("Slice", [x, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps ?? axes.map(() => 1))]);
}

/** Zero padding; `pads` = [begin_0, …, begin_{r−1}, end_0, …, end_{r−1}] (ONNX layout). */
export const pad = (x: Value, pads: readonly number[]): Value => emit("Pad", [x, x.graph.ints(pads)]);

/** Pads `x` with zeros along one axis. */
function padAxis(x: Value, axis: number, before: number, after: number): Value {
  if (before === 0 && after === 0) return x;
  const r = x.rank;
  const a = normAxis(axis, r);
  const pads = new Array<number>(2 * r).fill(0);
  pads[a] = before;
  pads[r + a] = after;
  return pad(x, pads);
}

/** A float zero tensor of a static shape (broadcast from a scalar, so nothing big is stored). */
export function zeros(g: Graph, shape: readonly number[]): Value {
  return expand(g.scalar(0), shape);
}

/** Float zeros of x's shape, dynamic dimensions included: ConstantOfShape(Shape(x)), a fill that never reads x. */
export const zerosLike = (x: Value): Value => emit("ConstantOfShape", [emit("Shape", [x])]);

/**
 * Places `g` (length n along `axis`) at positions start, start+step, … of a zero tensor whose `axis`
 * has length `len`: the adjoint of a strided slice. Steps > 1 interleave zeros by padding a new
 * trailing axis and merging it.
 */
export function scatterAxis(g: Value, axis: number, start: number, step: number, len: number): Value {
  const a = normAxis(axis, g.rank);
  const n = g.staticShape()[a];
  let y = g;
  let span = n;
  if (step > 1) {
    const shape = y.staticShape();
    y = padAxis(unsqueeze(y, [a + 1]), a + 1, 0, step - 1);
    shape[a] = n * step;
    y = reshape(y, shape);
    span = n * step;
    const keep = Math.min(span, len - start);
    if (keep < span) {
      y = slice(y, [a], [0], [keep]);
      span = keep;
    }
  }
  return padAxis(y, a, start, len - start - span);
}

// Reductions


export const reduceSum = (x: Value, axes: readonly number[], keepdims = false): Value =>
  emit("ReduceSum", [x, x.graph.ints(axes)], { keepdims: keepdims ? 1 : 0 });
export const reduceMean = (x: Value, axes: readonly number[], keepdims = false): Value =>
  emit("ReduceMean", [x], { axes: [...axes], keepdims: keepdims ? 1 : 0 });
export const reduceMax = (x: Value, axes: readonly number[], keepdims = false): Value =>
  emit("ReduceMax", [x], { axes: [...axes], keepdims: keepdims ? 1 : 0 });
/** Numerically stable log Σ exp over `axes` (ORT and the interpreter both subtract the maximum). */
export const reduceLogSumExp = (x: Value, axes: readonly number[], keepdims = false): Value =>
  emit("ReduceLogSumExp", [x], { axes: [...axes], keepdims: keepdims ? 1 : 0 });
export const softmax = (x: Value, axis: number): Value => emit("Softmax", [x], { axis });

// Matrix products

export const matmul = (a: Value, b: Value): Value => emit("MatMul", [a, b]);

interface GemmOptions {
  c?: Value;
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
}

/** alpha·op(A)·op(B) + beta·C for 2-D A and B. */
export function gemm(a: Value, b: Value, o: GemmOptions = {}): Value {
  const attrs: Record<string, number> = {};
  if (o.transA) attrs.transA = 1;
  if (o.transB) attrs.transB = 1;
  if (o.alpha !== undefined && o.alpha !== 1) attrs.alpha = o.alpha;
  if (o.beta !== undefined && o.beta !== 1) attrs.beta = o.beta;
  return emit("Gemm", o.c ? [a, b, o.c] : [a, b], attrs);
}

/**
 * ONNX Conv (forward only, no gradient rule): x [B, C, spatial…], w [Co, C, kernel…], optional bias [Co],
 * valid (unpadded) with `strides` (default 1 on every spatial axis).
 */
export function conv(x: Value, w: Value, bias?: Value, strides?: readonly number[]): Value {
  return emit("Conv", bias ? [x, w, bias] : [x, w], strides ? { strides: [...strides] } : {});
}
