/**
 * Reverse-mode AD mechanics: accumulation over several uses, unreachable values, seeds, custom
 * regions (used or ignored), and the errors for missing rules and leaking regions.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { gradients } from "../../src/engine/graph/autodiff.js";
import { Graph, customGradient } from "../../src/engine/graph/ir.js";
import { evaluate } from "../../src/engine/graph/interp.js";
import * as op from "../../src/engine/graph/ops/index.js";

test("gradients of a value used several times are summed", () => {
  const g = new Graph();
  const x = g.input("x", "float", [3]);
  const loss = op.reduceSum(op.add(op.mul(x, x), op.mul(x, 3)), []);
  const [gx] = gradients(loss, [x]);
  const env = evaluate(g, { x: [1, -2, 0.5] }, [gx!]);
  assert.deepEqual(Array.from(env.get(gx!)!.data), [5, -1, 4]); // 2x + 3
});

test("values the loss does not depend on get null; a seed scales the result", () => {
  const g = new Graph();
  const x = g.input("x", "float", [2]);
  const y = g.input("y", "float", [2]);
  const loss = op.reduceSum(op.exp(x), []);
  const [gx, gy] = gradients(loss, [x, y], { seed: g.scalar(2) });
  assert.equal(gy, null);
  const env = evaluate(g, { x: [0, 1] }, [gx!]);
  assert.deepEqual(Array.from(env.get(gx!)!.data), [2, 2 * Math.E]);
});

test("custom regions replace their nodes' rules unless customRules is false", () => {
  const g = new Graph();
  const x = g.input("x", "float", [2]);
  // A region whose rule deliberately differs from the true derivative (x² with rule 10·g).
  const [y] = customGradient("fake", [x], () => [op.mul(x, x)], ([gy]) => [op.mul(gy!, 10)]);
  const loss = op.reduceSum(y, []);
  const [custom] = gradients(loss, [x]);
  const [generic] = gradients(loss, [x], { customRules: false });
  const env = evaluate(g, { x: [1, 3] }, [custom!, generic!]);
  assert.deepEqual(Array.from(env.get(custom!)!.data), [10, 10]);
  assert.deepEqual(Array.from(env.get(generic!)!.data), [2, 6]);
});

test("a region whose internal values are used outside it is rejected", () => {
  const g = new Graph();
  const x = g.input("x", "float", [2]);
  let inner = x;
  const [y] = customGradient("leaky", [x], () => {
    inner = op.exp(x);
    return [op.mul(inner, 2)];
  }, ([gy]) => [gy]);
  const loss = op.reduceSum(op.add(y, inner), []);
  assert.throws(() => gradients(loss, [x]), /internal value .* used outside/);
});

test("ops without a differentiable rule on the path raise a clear error", () => {
  const g = new Graph();
  const x = g.input("x", "float", [3]);
  const s = op.emit("ScatterND", [x, g.constant([1], [1, 1], "int64"), g.constant([5], [1])], { reduction: "none" });
  assert.throws(() => gradients(op.reduceSum(s, []), [x]), /reduction add/);
  // A bool mask carries no gradient: d/dx Σ (x>0)·x = (x>0).
  const loss = op.reduceSum(op.mul(op.cast(op.greater(x, 0), "float"), x), []);
  const [gx] = gradients(loss, [x]);
  const env = evaluate(g, { x: [-1, 2, 3] }, [gx!]);
  assert.deepEqual(Array.from(env.get(gx!)!.data), [0, 1, 1]);
});
