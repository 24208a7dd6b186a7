/**
 * Element-wise operators with numpy broadcasting: arithmetic, comparisons, unary math, Clip, Where,
 * Cast, Identity. Each comes with its float64 evaluator and gradient rule.
 */
import { type DType, type Node, Value } from "../ir.js";
import { type OpDef, registerOp } from "./registry.js";
import { broadcastShapes, broadcastEval, unbroadcast } from "./broadcast.js";
import { add, sub, mul, div, less, lessOrEqual, greater, greaterOrEqual, equal, neg, exp, where, mask } from "./builders.js";

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
