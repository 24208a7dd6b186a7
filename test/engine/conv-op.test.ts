/**
 * The Conv op (forward only): shape inference, the float64 evaluator against a brute-force loop written
 * from the definition (1-D and 2-D, strides, with and without bias), ORT against the evaluator, refusal of
 * the attributes it does not implement, and autodiff refusing to differentiate through it.
 */
import test from "node:test";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { gradients } from "../../src/engine/graph/autodiff.js";
import { Graph } from "../../src/engine/graph/ir.js";
import { run } from "../../src/engine/graph/interp.js";
import { writeOnnx } from "../../src/engine/graph/onnx.js";
import * as op from "../../src/engine/graph/ops/index.js";
import { Rng } from "../../src/util/rng.js";

interface Case {
  name: string;
  x: number[];
  w: number[];
  bias: boolean;
  strides?: number[];
}

const CASES: Case[] = [
  { name: "1-D, stride 1", x: [2, 3, 9], w: [4, 3, 3], bias: true },
  { name: "1-D, stride 2, no bias", x: [1, 5, 12], w: [2, 5, 4], bias: false, strides: [2] },
  { name: "2-D, unit height, stride 3 in time (as the inference graphs)", x: [1, 3, 1, 14], w: [5, 3, 1, 3], bias: true, strides: [1, 3] },
  { name: "2-D, a kernel as wide as the input (the first layer)", x: [1, 1, 11, 6], w: [4, 1, 2, 6], bias: true, strides: [2, 1] },
  { name: "2-D, general", x: [2, 2, 7, 6], w: [3, 2, 3, 2], bias: true, strides: [2, 2] },
];

/** y[n, o, i, j] = b[o] + Σ_c Σ_p Σ_q x[n, c, i·s0 + p, j·s1 + q] · w[o, c, p, q] (1-D: a unit axis added). */
function bruteForce(c: Case, x: Float64Array, w: Float64Array, b: Float64Array | null): { shape: number[]; data: number[] } {
  const one = c.x.length === 3;
  const [B, C, H, W] = one ? [c.x[0], c.x[1], 1, c.x[2]] : c.x;
  const [Co, , KH, KW] = one ? [c.w[0], c.w[1], 1, c.w[2]] : c.w;
  const [sh, sw] = one ? [1, c.strides?.[0] ?? 1] : (c.strides ?? [1, 1]);
  const OH = Math.floor((H - KH) / sh) + 1;
  const OW = Math.floor((W - KW) / sw) + 1;
  const data: number[] = [];
  for (let n = 0; n < B; n++)
    for (let o = 0; o < Co; o++)
      for (let i = 0; i < OH; i++)
        for (let j = 0; j < OW; j++) {
          let acc = b ? b[o] : 0;
          for (let ch = 0; ch < C; ch++)
            for (let p = 0; p < KH; p++)
              for (let q = 0; q < KW; q++) acc += x[((n * C + ch) * H + i * sh + p) * W + j * sw + q] * w[((o * C + ch) * KH + p) * KW + q];
          data.push(acc);
        }
  return { shape: one ? [B, Co, OW] : [B, Co, OH, OW], data };
}

function caseGraph(c: Case, dynamicLength = false): Graph {
  const g = new Graph("conv");
  const xShape = dynamicLength ? [...c.x.slice(0, -1), null] : c.x;
  const x = g.input("x", "float", xShape);
  const w = g.input("w", "float", c.w);
  const b = c.bias ? g.input("b", "float", [c.w[0]]) : undefined;
  g.output("y", op.conv(x, w, b, c.strides));
  return g;
}

for (const c of CASES) {
  test(`Conv ${c.name}: the evaluator equals a brute-force loop, ORT equals the evaluator`, async () => {
    const rng = new Rng(7);
    const size = (s: number[]) => s.reduce((a, v) => a * v, 1);
    const x = Float32Array.from({ length: size(c.x) }, () => rng.normal());
    const w = Float32Array.from({ length: size(c.w) }, () => rng.normal());
    const b = Float32Array.from({ length: c.w[0] }, () => rng.normal());
    const want = bruteForce(c, Float64Array.from(x), Float64Array.from(w), c.bias ? Float64Array.from(b) : null);
    const g = caseGraph(c);
    assert.deepEqual(g.outputs[0].value.shape, want.shape, "inferred shape");
    const feeds = { x: { shape: c.x, data: Float64Array.from(x) }, w: { shape: c.w, data: Float64Array.from(w) }, ...(c.bias ? { b: { shape: [c.w[0]], data: Float64Array.from(b) } } : {}) };
    const got = run(g, feeds).y;
    assert.deepEqual(got.shape, want.shape);
    want.data.forEach((v, i) => assert.ok(Math.abs(got.data[i] - v) < 1e-12, `[${i}] ${got.data[i]} vs ${v}`));
    // ORT (the strides written as an INTS attribute), with a dynamic last axis in the graph's input.
    const session = await ort.InferenceSession.create(writeOnnx(caseGraph(c, true)));
    const out = await session.run({
      x: new ort.Tensor("float32", x, c.x),
      w: new ort.Tensor("float32", w, c.w),
      ...(c.bias ? { b: new ort.Tensor("float32", b, [c.w[0]]) } : {}),
    });
    assert.deepEqual(out.y.dims, want.shape);
    (out.y.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - want.data[i]) < 1e-5 * (1 + Math.abs(want.data[i])), `ORT [${i}] ${v} vs ${want.data[i]}`));
  });
}

test("Conv infers a dynamic output length from a dynamic input length", () => {
  const g = new Graph();
  const y = op.conv(g.input("x", "float", [1, 4, 1, null]), g.input("w", "float", [6, 4, 1, 3]), undefined, [1, 2]);
  assert.deepEqual(y.shape, [1, 6, 1, null]);
});

test("Conv refuses padding, dilations, groups, auto_pad, a mismatched kernel_shape, bad strides and short inputs", () => {
  const g = new Graph();
  const x = g.input("x", "float", [1, 2, 1, 8]);
  const w = g.input("w", "float", [3, 2, 1, 3]);
  const refused: [Record<string, number | number[] | string>, RegExp][] = [
    [{ pads: [0, 1, 0, 1] }, /attribute pads is not supported/],
    [{ dilations: [1, 2] }, /attribute dilations is not supported/],
    [{ group: 2 }, /attribute group is not supported/],
    [{ auto_pad: "SAME_UPPER" }, /attribute auto_pad is not supported/],
    [{ kernel_shape: [1, 2] }, /kernel_shape \[1,2\] does not match/],
    [{ strides: [2] }, /strides must be 2 positive integers/],
    [{ strides: [1, 0] }, /strides must be 2 positive integers/],
  ];
  for (const [attrs, message] of refused)
    assert.throws(() => op.emit("Conv", [x, w], attrs), message);
  assert.throws(() => op.conv(x, g.input("w2", "float", [3, 5, 1, 3])), /the input has 2 channels, the weight 5/);
  assert.throws(() => op.conv(x, g.input("w3", "float", [3, 2, 3])), /same rank/);
  assert.throws(() => op.conv(x, g.input("w4", "float", [3, 2, 1, 9])), /shorter than the kernel 9/);
  assert.throws(() => op.conv(x, w, g.input("b", "float", [4])), /the bias must be \[3\]/);
  // The evaluator refuses them too (a node written by hand, not through shape inference).
  assert.throws(() => op.opDef("Conv").evaluate([{ shape: [1, 2, 1, 8], data: new Float64Array(16) }, { shape: [3, 2, 1, 3], data: new Float64Array(18) }], { dilations: [1, 2] }), /dilations is not supported/);
});

test("Conv has no gradient rule: autodiff through it fails loudly", () => {
  const g = new Graph();
  const x = g.input("x", "float", [1, 2, 1, 8]);
  const w = g.input("w", "float", [3, 2, 1, 3]);
  const loss = op.reduceSum(op.conv(x, w), [0, 1, 2, 3]);
  assert.equal(op.opDef("Conv").grad, undefined);
  assert.throws(() => gradients(loss, [w]), /no gradient rule for Conv/);
});
