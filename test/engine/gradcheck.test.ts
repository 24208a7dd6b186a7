/**
 * Finite-difference checks (float64, reference interpreter) of every op's gradient rule and of every
 * hand-written region rule, plus equality of region rules with the generic per-op path.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { gradients } from "../../src/engine/graph/autodiff.js";
import { Graph, type Value } from "../../src/engine/graph/ir.js";
import { evaluate, numericGradient } from "../../src/engine/graph/interp.js";
import * as op from "../../src/engine/graph/ops/index.js";
import { conv1d, gelu, geluPrescaled, l2normalize, linear, logSumExp, residualConvGelu, withFusableGelu } from "../../src/engine/graph/nn.js";
import { Rng } from "../../src/util/rng.js";

type Init = { shape: number[]; lo?: number; hi?: number; data?: number[] };
interface Case {
  op: string;
  name: string;
  inputs: Init[];
  build: (g: Graph, ...xs: Value[]) => Value;
}

const U = (shape: number[], lo = -1, hi = 1): Init => ({ shape, lo, hi });
const pos = (shape: number[]): Init => ({ shape, lo: 0.5, hi: 2 });

/** Every differentiable op, with inputs kept away from kinks (ties, clip bounds, zero). */
const CASES: Case[] = [
  { op: "Add", name: "broadcast [3,4]+[4]", inputs: [U([3, 4]), U([4])], build: (_g, a, b) => op.add(a, b) },
  { op: "Sub", name: "broadcast [3,1]-[3,4]", inputs: [U([3, 1]), U([3, 4])], build: (_g, a, b) => op.sub(a, b) },
  { op: "Mul", name: "broadcast [2,3,4]*[3,1]", inputs: [U([2, 3, 4]), U([3, 1])], build: (_g, a, b) => op.mul(a, b) },
  { op: "Div", name: "broadcast [3,4]/[4]", inputs: [U([3, 4]), pos([4])], build: (_g, a, b) => op.div(a, b) },
  { op: "Sum", name: "three broadcast terms", inputs: [U([3, 4]), U([4]), U([1, 4])], build: (_g, a, b, c) => op.sum([a, b, c]) },
  { op: "Min", name: "no ties", inputs: [{ shape: [2, 3], data: [0.1, 0.9, -0.3, 0.5, -0.8, 0.2] }, { shape: [2, 3], data: [0.4, 0.2, -0.7, 0.6, 0.3, -0.1] }], build: (_g, a, b) => op.minimum(a, b) },
  { op: "Max", name: "no ties", inputs: [{ shape: [2, 3], data: [0.1, 0.9, -0.3, 0.5, -0.8, 0.2] }, { shape: [2, 3], data: [0.4, 0.2, -0.7, 0.6, 0.3, -0.1] }], build: (_g, a, b) => op.maximum(a, b) },
  { op: "Neg", name: "", inputs: [U([3, 2])], build: (_g, a) => op.neg(a) },
  { op: "Exp", name: "", inputs: [U([3, 2])], build: (_g, a) => op.exp(a) },
  { op: "Log", name: "positive", inputs: [pos([3, 2])], build: (_g, a) => op.log(a) },
  { op: "Sqrt", name: "positive", inputs: [pos([3, 2])], build: (_g, a) => op.sqrt(a) },
  { op: "Reciprocal", name: "positive", inputs: [pos([3, 2])], build: (_g, a) => op.reciprocal(a) },
  { op: "Erf", name: "", inputs: [U([3, 2], -2, 2)], build: (_g, a) => op.erf(a) },
  { op: "Tanh", name: "", inputs: [U([3, 2], -2, 2)], build: (_g, a) => op.tanh(a) },
  { op: "Identity", name: "", inputs: [U([3, 2])], build: (_g, a) => op.identity(a) },
  { op: "Cast", name: "float to float", inputs: [U([3, 2])], build: (_g, a) => op.cast(a, "float") },
  {
    op: "Where",
    name: "constant condition",
    inputs: [U([3, 4]), U([4])],
    build: (g, a, b) => op.where(g.constant([1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1], [3, 4], "bool"), a, b),
  },
  { op: "Clip", name: "inside and outside", inputs: [{ shape: [6], data: [-0.9, -0.3, 0.1, 0.45, 0.7, -0.6] }], build: (_g, a) => op.clip(a, -0.5, 0.5) },
  { op: "MatMul", name: "[2,3,4]x[4,5] (weight rule)", inputs: [U([2, 3, 4]), U([4, 5])], build: (_g, a, b) => op.matmul(a, b) },
  { op: "MatMul", name: "[2,3,4]x[2,4,5] (batched rule)", inputs: [U([2, 3, 4]), U([2, 4, 5])], build: (_g, a, b) => op.matmul(a, b) },
  { op: "MatMul", name: "[3,4]x[1,4,5] (broadcast batch)", inputs: [U([3, 4]), U([1, 4, 5])], build: (_g, a, b) => op.matmul(a, b) },
  { op: "Gemm", name: "plain with C", inputs: [U([3, 4]), U([4, 5]), U([5])], build: (_g, a, b, c) => op.gemm(a, b, { c, alpha: 0.7, beta: 1.3 }) },
  { op: "Gemm", name: "transA", inputs: [U([4, 3]), U([4, 5]), U([3, 1])], build: (_g, a, b, c) => op.gemm(a, b, { c, transA: true }) },
  { op: "Gemm", name: "transB", inputs: [U([3, 4]), U([5, 4])], build: (_g, a, b) => op.gemm(a, b, { transB: true, alpha: 2 }) },
  { op: "Gemm", name: "transA transB", inputs: [U([4, 3]), U([5, 4]), U([3, 5])], build: (_g, a, b, c) => op.gemm(a, b, { c, transA: true, transB: true, beta: 0.5 }) },
  { op: "Transpose", name: "perm [2,0,1]", inputs: [U([2, 3, 4])], build: (_g, a) => op.transpose(a, [2, 0, 1]) },
  { op: "Reshape", name: "[2,3,4] to [6,-1]", inputs: [U([2, 3, 4])], build: (_g, a) => op.reshape(a, [6, -1]) },
  { op: "Unsqueeze", name: "", inputs: [U([2, 3])], build: (_g, a) => op.unsqueeze(a, [1, -1]) },
  { op: "Squeeze", name: "", inputs: [U([2, 1, 3, 1])], build: (_g, a) => op.squeeze(a, [1, 3]) },
  { op: "Expand", name: "[3,1] to [2,3,4]", inputs: [U([3, 1])], build: (_g, a) => op.expand(a, [2, 3, 4]) },
  { op: "Slice", name: "two axes, step 1", inputs: [U([4, 5, 3])], build: (_g, a) => op.slice(a, [0, 2], [1, 0], [3, 2]) },
  { op: "Slice", name: "stride 2, negative bounds", inputs: [U([2, 9, 3])], build: (_g, a) => op.slice(a, [1, 2], [1, -3], [-1, 100], [2, 1]) },
  { op: "Slice", name: "stride 3 past the end", inputs: [U([2, 10])], build: (_g, a) => op.slice(a, [1], [2], [100], [3]) },
  { op: "Pad", name: "both sides", inputs: [U([2, 3])], build: (_g, a) => op.pad(a, [1, 0, 0, 2]) },
  { op: "Concat", name: "axis 1", inputs: [U([2, 3]), U([2, 1]), U([2, 2])], build: (_g, a, b, c) => op.concat([a, b, c], 1) },
  {
    op: "Gather",
    name: "axis 0, repeated indices",
    inputs: [U([4, 3])],
    build: (g, a) => op.gather(a, g.constant([2, 0, 2, 3, 2], [5], "int64"), 0),
  },
  {
    op: "Gather",
    name: "axis 1, 2-D indices",
    inputs: [U([2, 5, 3])],
    build: (g, a) => op.gather(a, g.constant([0, 1, 1, 2, 4, 1], [3, 2], "int64"), 1),
  },
  {
    op: "ScatterND",
    name: "reduction add",
    inputs: [U([4, 3]), U([3, 3])],
    build: (g, a, u) => op.emit("ScatterND", [a, g.constant([1, 3, 1], [3, 1], "int64"), u], { reduction: "add" }),
  },
  { op: "ReduceSum", name: "keepdims", inputs: [U([2, 3, 4])], build: (_g, a) => op.reduceSum(a, [0, 2], true) },
  { op: "ReduceSum", name: "no keepdims", inputs: [U([2, 3, 4])], build: (_g, a) => op.reduceSum(a, [1]) },
  { op: "ReduceMean", name: "", inputs: [U([2, 3, 4])], build: (_g, a) => op.reduceMean(a, [2]) },
  { op: "ReduceMax", name: "no ties", inputs: [U([3, 5])], build: (_g, a) => op.reduceMax(a, [1]) },
  { op: "ReduceLogSumExp", name: "", inputs: [U([3, 5], -3, 3)], build: (_g, a) => op.reduceLogSumExp(a, [1]) },
  { op: "Softmax", name: "axis 1", inputs: [U([3, 5], -2, 2)], build: (_g, a) => op.softmax(a, 1) },
];

function randomData(rng: Rng, init: Init): number[] {
  if (init.data) return init.data;
  const n = init.shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, () => rng.uniform(init.lo ?? -1, init.hi ?? 1));
}

/**
 * Builds Σ(f(inputs) ⊙ R) for a random R, differentiates it, and compares every input's analytic
 * gradient with central differences. Returns the analytic gradients.
 */
function check(label: string, inputs: Init[], build: (g: Graph, ...xs: Value[]) => Value, opts: { customRules?: boolean; seed?: number } = {}): Float64Array[] {
  const rng = new Rng(opts.seed ?? 7);
  const g = new Graph();
  const xs = inputs.map((init, i) => g.input(`x${i}`, "float", init.shape));
  const y = build(g, ...xs);
  const weights = g.constant(randomData(rng, U(y.staticShape())), y.staticShape());
  const loss = op.reduceSum(op.mul(y, weights), []);
  const grads = gradients(loss, xs, { customRules: opts.customRules });
  const feeds = Object.fromEntries(inputs.map((init, i) => [`x${i}`, randomData(rng, init)]));
  const env = evaluate(g, feeds, grads.filter((v): v is Value => v !== null));
  return xs.map((_, i) => {
    const gv = grads[i];
    assert.ok(gv, `${label}: no gradient for input ${i}`);
    const analytic = env.get(gv)!.data;
    const numeric = numericGradient(g, feeds, `x${i}`, loss);
    assert.equal(analytic.length, numeric.length, `${label}: gradient size for input ${i}`);
    for (let k = 0; k < numeric.length; k++) {
      const err = Math.abs(analytic[k] - numeric[k]);
      assert.ok(err <= 1e-7 + 1e-6 * Math.abs(numeric[k]), `${label}: input ${i}[${k}] analytic ${analytic[k]} vs numeric ${numeric[k]}`);
    }
    return analytic;
  });
}

for (const c of CASES) {
  test(`gradient rule of ${c.op}${c.name ? ` (${c.name})` : ""} matches finite differences`, () => {
    check(c.op, c.inputs, c.build);
  });
}

test("every op with a gradient rule has a finite-difference case", () => {
  const covered = new Set(CASES.map((c) => c.op));
  const missing = op.registeredOps().filter((t) => op.opDef(t).grad && !covered.has(t));
  assert.deepEqual(missing, []);
});

/** Hand-written region rules: finite differences, and equality with the generic per-op path. */
const REGIONS: { name: string; region?: string; inputs: Init[]; build: (g: Graph, ...xs: Value[]) => Value }[] = [
  // Wide inputs with few outputs select the taps formulation, narrow ones im2col (preferIm2col).
  { name: "conv1d taps k=3 s=1", region: "conv1d_taps", inputs: [U([2, 6, 7]), U([2, 7, 3]), U([2])], build: (_g, x, w, b) => conv1d(x, w, b, { kernel: 3, stride: 1, out: 2 }) },
  { name: "conv1d taps k=2 s=2", region: "conv1d_taps", inputs: [U([2, 7, 9]), U([2, 9, 2]), U([2])], build: (_g, x, w, b) => conv1d(x, w, b, { kernel: 2, stride: 2, out: 2 }) },
  { name: "conv1d im2col k=3 s=1", region: "conv1d_im2col", inputs: [U([2, 6, 3]), U([4, 3, 3]), U([4])], build: (_g, x, w, b) => conv1d(x, w, b, { kernel: 3, stride: 1, out: 4 }) },
  { name: "conv1d im2col k=4 s=2", region: "conv1d_im2col", inputs: [U([2, 11, 3]), U([4, 3, 4]), U([4])], build: (_g, x, w, b) => conv1d(x, w, b, { kernel: 4, stride: 2, out: 4 }) },
  { name: "conv1d single window (dense)", inputs: [U([3, 3, 4]), U([2, 4, 3]), U([2])], build: (_g, x, w, b) => conv1d(x, w, b, { kernel: 3, stride: 1, out: 2 }) },
  { name: "residual conv+GELU block k=3", inputs: [U([2, 7, 3]), U([3, 3, 3]), U([3])], build: (_g, x, w, b) => residualConvGelu(x, w, b, 3, 1) },
  {
    name: "conv1d taps, input without gradient (as the first layer)",
    region: "conv1d_taps",
    inputs: [U([2, 9, 2]), U([2])],
    build: (g, w, b) => conv1d(g.constant(Array.from({ length: 2 * 7 * 9 }, (_, i) => Math.sin(i)), [2, 7, 9]), w, b, { kernel: 2, stride: 1, out: 2 }),
  },
  { name: "linear", inputs: [U([3, 2, 4]), U([5, 4]), U([5])], build: (_g, x, w, b) => linear(x, w, b) },
  { name: "gelu", inputs: [U([3, 4], -3, 3)], build: (_g, x) => gelu(x) },
  { name: "geluPrescaled", inputs: [U([3, 4], -2, 2)], build: (_g, u) => geluPrescaled(u) },
  // The form ORT fuses (inference graphs): its backward recomputes Φ instead of reusing the forward's.
  { name: "gelu, fusable form", inputs: [U([3, 4], -3, 3)], build: (_g, x) => withFusableGelu(() => gelu(x)) },
  { name: "residual conv+GELU block k=3, fusable GELU", inputs: [U([2, 7, 3]), U([3, 3, 3]), U([3])], build: (_g, x, w, b) => withFusableGelu(() => residualConvGelu(x, w, b, 3, 1)) },
  { name: "l2normalize", inputs: [U([2, 3, 4])], build: (_g, x) => l2normalize(x) },
  { name: "logSumExp", inputs: [U([3, 5], -3, 3)], build: (_g, x) => logSumExp(x, 1) },
];

for (const r of REGIONS) {
  test(`region ${r.name}: hand-written and generic gradients match finite differences and each other`, () => {
    if (r.region) {
      const g = new Graph();
      const y = r.build(g, ...r.inputs.map((init, i) => g.input(`x${i}`, "float", init.shape)));
      assert.equal(y.producer?.region?.name, r.region, "formulation");
    }
    const custom = check(`${r.name} (custom)`, r.inputs, r.build, { customRules: true });
    const generic = check(`${r.name} (generic)`, r.inputs, r.build, { customRules: false });
    custom.forEach((c, i) => c.forEach((v, k) => assert.ok(Math.abs(v - generic[i][k]) < 1e-12, `${r.name}: input ${i}[${k}] custom ${v} vs generic ${generic[i][k]}`)));
  });
}
