/**
 * Reductions and Softmax: ReduceSum (axes as input, opset 13+), ReduceMean, ReduceMax and
 * ReduceLogSumExp (axes as attribute until opset 18), Softmax (single axis, opset 13+).
 */
import { type Dim, type Node, type Value, normAxis } from "../ir.js";
import { type OpDef, type Tensor, attrInts, attrNum, constInts, registerOp, strides } from "./registry.js";
import { sub, mul, div, equal, exp, mask, reshape, expand, reduceSum } from "./builders.js";

// ---------------------------------------------------------------------------------------------------
// Shared semantics

/** The reduced axes of a reduction node (all axes when none are given, as ONNX). */
function reducedAxes(node: { inputs: readonly Value[]; attrs: Node["attrs"]; op: string }, rank: number): number[] {
  const list = node.op === "ReduceSum" ? (node.inputs[1] ? constInts(node.inputs[1], "ReduceSum axes") : []) : attrInts(node.attrs, "axes") ?? [];
  if (list.length === 0) return Array.from({ length: rank }, (_, i) => i);
  return list.map((a) => normAxis(a, rank));
}

function reducedShape(shape: readonly Dim[], axes: readonly number[], keep: boolean): Dim[] {
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keep) out.push(1);
  });
  return out;
}

type ReduceKind = "sum" | "mean" | "max" | "lse";

/** float64 reduction of `x` over `axes` (keepdims layout; callers drop the axes if needed). */
function reduceEval(x: Tensor, axes: readonly number[], kind: ReduceKind): Tensor {
  const kshape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const ks = strides(kshape);
  const n = kshape.reduce((a, b) => a * b, 1);
  const count = x.data.length / Math.max(n, 1);
  const r = x.shape.length;
  // Offset in the reduced tensor of every input element.
  const target = new Int32Array(x.data.length);
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < x.data.length; i++) {
    let off = 0;
    for (let a = 0; a < r; a++) if (!axes.includes(a)) off += idx[a] * ks[a];
    target[i] = off;
    for (let a = r - 1; a >= 0; a--) {
      if (++idx[a] < x.shape[a]) break;
      idx[a] = 0;
    }
  }
  const out = new Float64Array(n);
  if (kind === "max" || kind === "lse") {
    out.fill(-Infinity);
    for (let i = 0; i < x.data.length; i++) out[target[i]] = Math.max(out[target[i]], x.data[i]);
  }
  if (kind === "lse") {
    const m = out.slice();
    out.fill(0);
    for (let i = 0; i < x.data.length; i++) out[target[i]] += Math.exp(x.data[i] - m[target[i]]);
    for (let o = 0; o < n; o++) out[o] = Math.log(out[o]) + m[o];
  } else if (kind === "sum" || kind === "mean") {
    for (let i = 0; i < x.data.length; i++) out[target[i]] += x.data[i];
    if (kind === "mean") for (let o = 0; o < n; o++) out[o] /= count;
  }
  return { shape: kshape, data: out };
}

/** Reshapes a reduced gradient back to keepdims layout, so it broadcasts against the input. */
function keepDims(node: Node, g: Value): Value {
  const x = node.inputs[0];
  const axes = reducedAxes(node, x.rank);
  if (node.attrs.keepdims === 0) return reshape(g, reducedShape(x.staticShape(), axes, true) as number[]);
  return g;
}

function reduceDef(type: string, kind: ReduceKind, grad: (node: Node, gk: Value) => Value): OpDef {
  return {
    type,
    infer: (inputs, attrs) => {
      const x = inputs[0];
      const axes = reducedAxes({ inputs, attrs, op: type }, x.rank);
      return [{ dtype: x.dtype, shape: reducedShape(x.shape, axes, attrNum(attrs, "keepdims", 1) !== 0) }];
    },
    evaluate: (ts, attrs) => {
      const x = ts[0];
      const axes =
        type === "ReduceSum"
          ? ts[1] && ts[1].data.length > 0
            ? Array.from(ts[1].data, (a) => normAxis(a, x.shape.length))
            : x.shape.map((_, i) => i)
          : (attrInts(attrs, "axes") ?? x.shape.map((_, i) => i)).map((a) => normAxis(a, x.shape.length));
      const t = reduceEval(x, axes, kind);
      if (attrNum(attrs, "keepdims", 1) === 0) t.shape = x.shape.filter((_, i) => !axes.includes(i));
      return [t];
    },
    grad: (node, [g]) => {
      const rest = node.inputs.slice(1).map(() => null);
      return [g ? grad(node, keepDims(node, g)) : null, ...rest];
    },
  };
}

/** Broadcasts a keepdims-layout gradient to the input's shape. */
const spread = (node: Node, gk: Value): Value => expand(gk, node.inputs[0].staticShape());

/** The reduction's output in keepdims layout (for Max and LogSumExp gradients). */
function outputKeep(node: Node): Value {
  return keepDims(node, node.outputs[0]);
}

const DEFS: OpDef[] = [
  reduceDef("ReduceSum", "sum", spread),
  reduceDef("ReduceMean", "mean", (node, gk) => {
    const x = node.inputs[0];
    const shape = x.staticShape();
    const count = reducedAxes(node, x.rank).reduce((a, ax) => a * shape[ax], 1);
    return spread(node, div(gk, count));
  }),
  // Ties share the gradient equally (as PyTorch's amax).
  reduceDef("ReduceMax", "max", (node, gk) => {
    const x = node.inputs[0];
    const hit = mask(equal(x, outputKeep(node)));
    const share = div(hit, reduceSum(hit, reducedAxes(node, x.rank), true));
    return mul(share, gk);
  }),
  reduceDef("ReduceLogSumExp", "lse", (node, gk) => mul(exp(sub(node.inputs[0], outputKeep(node))), gk)),
  {
    type: "Softmax",
    infer: ([x]) => [{ dtype: x.dtype, shape: x.shape }],
    evaluate: ([x], attrs) => {
      const axis = normAxis(attrNum(attrs, "axis", -1), x.shape.length);
      const lse = reduceEval(x, [axis], "lse");
      const e: Tensor = { shape: [...x.shape], data: new Float64Array(x.data.length) };
      const ls = strides(lse.shape);
      const idx = new Array<number>(x.shape.length).fill(0);
      for (let i = 0; i < x.data.length; i++) {
        let off = 0;
        for (let a = 0; a < idx.length; a++) if (a !== axis) off += idx[a] * ls[a];
        e.data[i] = Math.exp(x.data[i] - lse.data[off]);
        for (let a = idx.length - 1; a >= 0; a--) {
          if (++idx[a] < x.shape[a]) break;
          idx[a] = 0;
        }
      }
      return [e];
    },
    grad: (node, [g]) => {
      if (!g) return [null];
      const y = node.outputs[0];
      const axis = normAxis(attrNum(node.attrs, "axis", -1), y.rank);
      return [mul(y, sub(g, reduceSum(mul(g, y), [axis], true)))];
    },
  },
];

for (const d of DEFS) registerOp(d);
