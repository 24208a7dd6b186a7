/**
 * Element-wise operators with numpy broadcasting: arithmetic, comparisons, unary math, Clip, Where,
 * Cast, Identity. Each comes with its float64 evaluator and gradient rule.
 */
import { type DType, type Dim, type Node, Value } from "./ir.js";
import { type OpDef, type Tensor, emit, registerOp, strides } from "./ops-registry.js";
import { reduceSum } from "./ops-reduce.js";
import { reshape } from "./ops-shape.js";

// ---------------------------------------------------------------------------------------------------
// Broadcasting

/** numpy broadcast of static-or-dynamic shapes. */
export function broadcastShapes(shapes: readonly (readonly Dim[])[]): Dim[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      if (k < 0) continue;
      const e = s[k];
      if (e === 1) continue;
      if (d === 1) d = e;
      else if (e !== null && d !== null && e !== d) throw new Error(`cannot broadcast shapes ${shapes.map((x) => `[${x}]`).join(", ")}`);
      else if (d === null) d = e;
    }
    out.push(d);
  }
  return out;
}

/** Applies `f` element-wise over broadcast float64 tensors. */
export function broadcastEval(ts: readonly Tensor[], f: (...xs: number[]) => number): Tensor {
  const shape = broadcastShapes(ts.map((t) => t.shape)) as number[];
  const rank = shape.length;
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  // Per input: strides aligned to the output rank, 0 on broadcast axes.
  const bstr = ts.map((t) => {
    const s = strides(t.shape);
    return shape.map((_, i) => {
      const k = t.shape.length - rank + i;
      return k < 0 || t.shape[k] === 1 ? 0 : s[k];
    });
  });
  const idx = new Array<number>(rank).fill(0);
  const offs = new Array<number>(ts.length).fill(0);
  const args = new Array<number>(ts.length);
  for (let o = 0; o < n; o++) {
    for (let j = 0; j < ts.length; j++) args[j] = ts[j].data[offs[j]];
    out[o] = f(...args);
    for (let ax = rank - 1; ax >= 0; ax--) {
      idx[ax]++;
      for (let j = 0; j < ts.length; j++) offs[j] += bstr[j][ax];
      if (idx[ax] < shape[ax]) break;
      for (let j = 0; j < ts.length; j++) offs[j] -= bstr[j][ax] * shape[ax];
      idx[ax] = 0;
    }
  }
  return { shape, data: out };
}

/**
 * Sums a gradient of broadcast shape back to an operand's shape (the adjoint of broadcasting).
 */
export function unbroadcast(g: Value, shape: readonly Dim[]): Value {
  const gs = g.shape;
  if (gs.length === shape.length && gs.every((d, i) => d === shape[i])) return g;
  const lead = gs.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < gs.length; i++) {
    if (i < lead) axes.push(i);
    else if (shape[i - lead] === 1 && gs[i] !== 1) axes.push(i);
  }
  const summed = axes.length > 0 ? reduceSum(g, axes, true) : g;
  return reshape(summed, shape.map((d) => {
    if (d === null) throw new Error("unbroadcast needs a static operand shape");
    return d;
  }));
}

// ---------------------------------------------------------------------------------------------------
// Builders

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

// ---------------------------------------------------------------------------------------------------
// Definitions

function binaryDef(type: string, f: (a: number, b: number) => number, outDtype: DType | null, grad?: OpDef["grad"]): OpDef {
  return {
    type,
    infer: ([a, b]) => {
      if (outDtype === null && a.dtype !== b.dtype) throw new Error(`${type}: dtype mismatch ${a.dtype} vs ${b.dtype}`);
      return [{ dtype: outDtype ?? a.dtype, shape: broadcastShapes([a.shape, b.shape]) }];
    },
    evaluate: ([a, b]) => [broadcastEval([a, b], f)],
    grad,
  };
}

function unaryDef(type: string, f: (x: number) => number, grad?: (node: Node, g: Value) => Value): OpDef {
  return {
    type,
    infer: ([x]) => [{ dtype: x.dtype, shape: x.shape }],
    evaluate: ([x]) => [{ shape: [...x.shape], data: x.data.map(f) }],
    grad: grad ? (node, [g]) => [g ? grad(node, g) : null] : undefined,
  };
}

/** Gradient shares of Min/Max: 1 where this operand wins, 1/2 on ties (as PyTorch's minimum/maximum). */
function selectionGrad(wins: (a: Value, b: Value) => Value): OpDef["grad"] {
  return (node, [g], needs) => {
    const [a, b] = node.inputs;
    if (!g) return [null, null];
    const tie = mul(mask(equal(a, b)), 0.5);
    const shareA = add(mask(wins(a, b)), tie);
    const shareB = add(mask(wins(b, a)), tie);
    return [needs[0] ? unbroadcast(mul(g, shareA), a.shape) : null, needs[1] ? unbroadcast(mul(g, shareB), b.shape) : null];
  };
}

const SQRT_2_OVER_PI = 2 / Math.sqrt(Math.PI);

/**
 * erf in float64 to ~1 ulp: the series erf(x) = 2/√π·e^{−x²}·Σ 2ⁿx^{2n+1}/(1·3·…·(2n+1)), whose terms
 * are all positive (no cancellation), and ±1 beyond |x| = 6 (erfc(6) ≈ 2e−17).
 */
export function erf64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x);
  const x2 = ax * ax;
  let term = ax;
  let sum = ax;
  for (let n = 1; n < 500; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return Math.sign(x) * SQRT_2_OVER_PI * Math.exp(-x2) * sum;
}

const DEFS: OpDef[] = [
  binaryDef("Add", (a, b) => a + b, null, (node, [g], needs) => {
    const [a, b] = node.inputs;
    if (!g) return [null, null];
    return [needs[0] ? unbroadcast(g, a.shape) : null, needs[1] ? unbroadcast(g, b.shape) : null];
  }),
  {
    type: "Sum",
    infer: (xs) => {
      if (xs.some((x) => x.dtype !== xs[0].dtype)) throw new Error("Sum: dtype mismatch");
      return [{ dtype: xs[0].dtype, shape: broadcastShapes(xs.map((x) => x.shape)) }];
    },
    evaluate: (ts) => [broadcastEval(ts, (...xs) => xs.reduce((a, b) => a + b, 0))],
    grad: (node, [g], needs) => node.inputs.map((x, i) => (g && needs[i] ? unbroadcast(g, x.shape) : null)),
  },
  binaryDef("Sub", (a, b) => a - b, null, (node, [g], needs) => {
    const [a, b] = node.inputs;
    if (!g) return [null, null];
    return [needs[0] ? unbroadcast(g, a.shape) : null, needs[1] ? unbroadcast(neg(g), b.shape) : null];
  }),
  binaryDef("Mul", (a, b) => a * b, null, (node, [g], needs) => {
    const [a, b] = node.inputs;
    if (!g) return [null, null];
    return [needs[0] ? unbroadcast(mul(g, b), a.shape) : null, needs[1] ? unbroadcast(mul(g, a), b.shape) : null];
  }),
  binaryDef("Div", (a, b) => a / b, null, (node, [g], needs) => {
    const [a, b] = node.inputs;
    const y = node.outputs[0];
    if (!g) return [null, null];
    const ga = div(g, b);
    return [needs[0] ? unbroadcast(ga, a.shape) : null, needs[1] ? unbroadcast(neg(mul(ga, y)), b.shape) : null];
  }),
  binaryDef("Min", (a, b) => Math.min(a, b), null, selectionGrad(less)),
  binaryDef("Max", (a, b) => Math.max(a, b), null, selectionGrad(greater)),
  binaryDef("Less", (a, b) => (a < b ? 1 : 0), "bool"),
  binaryDef("LessOrEqual", (a, b) => (a <= b ? 1 : 0), "bool"),
  binaryDef("Greater", (a, b) => (a > b ? 1 : 0), "bool"),
  binaryDef("GreaterOrEqual", (a, b) => (a >= b ? 1 : 0), "bool"),
  binaryDef("Equal", (a, b) => (a === b ? 1 : 0), "bool"),
  unaryDef("Neg", (x) => -x, (_n, g) => neg(g)),
  unaryDef("Exp", Math.exp, (n, g) => mul(g, n.outputs[0])),
  unaryDef("Log", Math.log, (n, g) => div(g, n.inputs[0])),
  unaryDef("Sqrt", Math.sqrt, (n, g) => div(mul(g, 0.5), n.outputs[0])),
  unaryDef("Reciprocal", (x) => 1 / x, (n, g) => neg(mul(g, mul(n.outputs[0], n.outputs[0])))),
  unaryDef("Erf", erf64, (n, g) => {
    const x = n.inputs[0];
    return mul(g, mul(exp(neg(mul(x, x))), SQRT_2_OVER_PI));
  }),
  unaryDef("Tanh", Math.tanh, (n, g) => {
    const y = n.outputs[0];
    return mul(g, sub(1, mul(y, y)));
  }),
  unaryDef("Identity", (x) => x, (_n, g) => g),
  {
    type: "Cast",
    dtypeAttrs: ["to"],
    infer: ([x], attrs) => [{ dtype: attrs.to as DType, shape: x.shape }],
    evaluate: ([x], attrs) => [{ shape: [...x.shape], data: attrs.to === "bool" ? x.data.map((v) => (v !== 0 ? 1 : 0)) : x.data.slice() }],
    // Only float → float casts carry a gradient.
    grad: (node, [g]) => [g && node.inputs[0].dtype === "float" && node.attrs.to === "float" ? g : null],
  },
  {
    type: "Where",
    infer: ([c, a, b]) => {
      if (c.dtype !== "bool") throw new Error("Where: condition must be bool");
      return [{ dtype: a.dtype, shape: broadcastShapes([c.shape, a.shape, b.shape]) }];
    },
    evaluate: (ts) => [broadcastEval(ts, (c, a, b) => (c !== 0 ? a : b))],
    grad: (node, [g], needs) => {
      const [c, a, b] = node.inputs;
      if (!g) return [null, null, null];
      return [
        null,
        needs[1] ? unbroadcast(where(c, g, 0), a.shape) : null,
        needs[2] ? unbroadcast(where(c, 0, g), b.shape) : null,
      ];
    },
  },
  {
    type: "Clip",
    infer: ([x]) => [{ dtype: x.dtype, shape: x.shape }],
    evaluate: ([x, lo, hi]) => [{ shape: [...x.shape], data: x.data.map((v) => Math.min(Math.max(v, lo.data[0]), hi.data[0])) }],
    // PyTorch clamp: the gradient passes where lo <= x <= hi (bounds inclusive).
    grad: (node, [g]) => {
      const [x, lo, hi] = node.inputs;
      if (!g) return [null, null, null];
      return [mul(g, mul(mask(greaterOrEqual(x, lo)), mask(lessOrEqual(x, hi)))), null, null];
    },
  },
];

for (const d of DEFS) registerOp(d);
