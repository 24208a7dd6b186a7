/**
 * Graph IR: shape inference (static and dynamic dims), dead-code elimination, custom-gradient
 * regions, and the float64 erf used by the reference interpreter.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { Graph, customGradient } from "../../src/engine/graph/ir.js";
import * as op from "../../src/engine/graph/ops/index.js";
import { erf64 } from "../../src/engine/graph/ops/elementwise.js";

test("shape inference follows ONNX: broadcasting, MatMul, Gemm, Slice clamping, Reshape 0/-1, Concat", () => {
  const g = new Graph();
  const a = g.input("a", "float", [2, 3, 4]);
  const b = g.input("b", "float", [3, 1]);
  assert.deepEqual(op.add(a, b).shape, [2, 3, 4]);
  assert.deepEqual(op.matmul(a, g.input("w", "float", [4, 5])).shape, [2, 3, 5]);
  assert.deepEqual(op.gemm(g.input("p", "float", [4, 3]), g.input("q", "float", [5, 4]), { transA: true, transB: true }).shape, [3, 5]);
  assert.deepEqual(op.slice(a, [1, 2], [-2, 1], [100, 4], [1, 2]).shape, [2, 2, 2]);
  assert.deepEqual(op.reshape(a, [0, -1]).shape, [2, 12]);
  assert.deepEqual(op.concat([a, a], 2).shape, [2, 3, 8]);
  assert.deepEqual(op.reduceSum(a, [1]).shape, [2, 4]);
  assert.deepEqual(op.reduceMax(a, [-1], true).shape, [2, 3, 1]);
  assert.deepEqual(op.gather(a, g.constant([0, 1, 1, 0], [2, 2], "int64"), 1).shape, [2, 2, 2, 4]);
  assert.equal(op.less(a, 0).dtype, "bool");
  assert.throws(() => op.add(a, g.input("c", "float", [5])), /broadcast/);
  assert.throws(() => op.matmul(a, g.input("d", "float", [3, 3])), /inner dimensions/);
  assert.throws(() => op.reshape(a, [5, -1]), /cannot reshape/);
});

test("dynamic dimensions propagate as null", () => {
  const g = new Graph();
  const x = g.input("x", "float", [null, 6]);
  const y = op.slice(op.matmul(op.unsqueeze(x, [0]), g.input("w", "float", [6, 4])), [1], [2], [-1]);
  assert.deepEqual(y.shape, [1, null, 4]);
  assert.deepEqual(op.reshape(y, [-1, 4]).shape, [null, 4]);
  assert.throws(() => y.staticShape(), /dynamic/);
});

test("liveNodes keeps only what the outputs need, in order", () => {
  const g = new Graph();
  const x = g.input("x", "float", [3]);
  const a = op.exp(x);
  op.log(a); // unused
  const b = op.neg(a);
  g.output("b", b);
  assert.deepEqual(g.liveNodes().map((n) => n.op), ["Exp", "Neg"]);
  assert.equal(g.nodes.length, 3);
});

test("customGradient tags the nodes it builds; an enclosing region wins", () => {
  const g = new Graph();
  const x = g.input("x", "float", [3]);
  const before = op.exp(x);
  const [outer] = customGradient("outer", [x], () => {
    const [inner] = customGradient("inner", [x], () => [op.neg(x)], () => [null]);
    return [op.mul(inner, 2)];
  }, () => [null]);
  assert.equal(before.producer!.region, null);
  const regions = g.nodes.slice(1).map((n) => n.region?.name);
  assert.deepEqual(regions, ["outer", "outer"]);
  assert.equal(outer.producer!.region!.outputs[0], outer);
});

test("graph inputs and outputs must have unique names", () => {
  const g = new Graph();
  const x = g.input("x", "float", [1]);
  assert.throws(() => g.input("x", "float", [1]), /duplicate/);
  g.output("y", x);
  assert.throws(() => g.output("y", x), /duplicate/);
  assert.throws(() => g.output("x", x), /clashes/);
  assert.throws(() => new Graph().output("z", x), /another graph/);
});

test("erf64 is accurate to a few ulps", () => {
  const known: [number, number][] = [
    [0, 0],
    [0.1, 0.1124629160182849],
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [-1.5, -0.9661051464753108],
    [2, 0.9953222650189527],
    [3, 0.9999779095030014],
    [4.5, 0.9999999998033839],
    [7, 1],
  ];
  for (const [x, v] of known) assert.ok(Math.abs(erf64(x) - v) <= 5e-16 * Math.max(1, Math.abs(v)), `erf(${x}) = ${erf64(x)} vs ${v}`);
});
