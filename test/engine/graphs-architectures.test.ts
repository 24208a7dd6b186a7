/**
 * Step graphs of the architectures added after the first seven (issue 14): the layer kinds they bring
 * (MLP residual blocks with and without an inner GELU, a final Tanh, 2x subsampling into an MLP, the
 * 4x-subsampling stem with a kernel-2 head, a kernel-2 head after six blocks) checked as graphs.test.ts
 * checks the first ones: whole-step gradients against float64 finite differences, hand-written vs generic
 * backward rules, and ORT float32 against the float64 interpreter over chained Adam steps. CEBRA's
 * parametrised families add a Linear shared by repeated layers (its gradient sums over its uses),
 * `_SkipLinear` (padding and cutting the shortcut) and the clamp (nn.Hardtanh, with its own gradient test).
 */
import test from "node:test";
import assert from "node:assert/strict";
import { findSpec, hardtanh, resolveModel } from "../../src/engine/cebra/architectures.js";
import { embedWindows, sliceParams } from "../../src/engine/cebra/flat-params.js";
import { initParams } from "../../src/engine/cebra/init.js";
import { buildWindowEmbeddingIR } from "../../src/engine/cebra/inference.js";
import { chooseStepInput } from "../../src/engine/cebra/cost.js";
import { type StepGraphOptions } from "../../src/engine/cebra/step.js";
import { gradients } from "../../src/engine/graph/autodiff.js";
import { directionalDerivative, numericGradient, run } from "../../src/engine/graph/interp.js";
import { Graph } from "../../src/engine/graph/ir.js";
import { mul, reduceSum } from "../../src/engine/graph/ops/index.js";
import { Rng } from "../../src/util/rng.js";
import { STEP_BASE as BASE, assertCustomRulesMatch, assertStepGradient, chainedSteps, randomArray } from "./step-checks.js";

const CONFIGS: { name: string; o: StepGraphOptions }[] = [
  { name: "offset1-model-v4: Skip(Linear, GELU)", o: { ...BASE, architecture: "offset1-model-v4" } },
  { name: "offset1-model-v5: Skip(Linear) then GELU, learnable temperature", o: { ...BASE, architecture: "offset1-model-v5", temperature_mode: "auto", temperature: 0.7 } },
  { name: "offset10-model-mse-tanh euclidean", o: { ...BASE, architecture: "offset10-model-mse-tanh", distance: "euclidean", temperature: 2 } },
  { name: "offset1-model-mse-tanh euclidean", o: { ...BASE, architecture: "offset1-model-mse-tanh", distance: "euclidean", output_dimension: 3 } },
  { name: "offset4-model-2x-subsample", o: { ...BASE, architecture: "offset4-model-2x-subsample" } },
  { name: "offset20-model-4x-subsample hybrid", o: { ...BASE, architecture: "offset20-model-4x-subsample", hybrid: true, batch_size: 4, n_neurons: 3, num_hidden_units: 4 } },
  { name: "offset15-model", o: { ...BASE, architecture: "offset15-model", num_hidden_units: 4, batch_size: 4 } },
  // The families: a Linear shared by 3 repetitions; _SkipLinear padding (N = 5 < H = 6) and cutting (N = 9 > H, and H → H//2).
  // Cosine (a plain dot product here: no normalisation) where the output is unbounded: with euclidean distance the
  // last bias only translates the embedding, its gradient is exactly 0 and float32 noise then steers its Adam steps
  // (offset1-model-mse does the same: 3.6e-3 apart after the 30 steps below).
  { name: "offset1-model-mse-v2-3layers-tanh", o: { ...BASE, architecture: "offset1-model-mse-v2-3layers-tanh" } },
  { name: "offset1-model-mse-resnet-1layers, N < H", o: { ...BASE, architecture: "offset1-model-mse-resnet-1layers" } },
  { name: "offset1-model-mse-resnet-3layers-tanh euclidean, N > H", o: { ...BASE, architecture: "offset1-model-mse-resnet-3layers-tanh", distance: "euclidean", n_neurons: 9 } },
  { name: "offset1-model-mse-clip-5-10", o: { ...BASE, architecture: "offset1-model-mse-clip-5-10", output_dimension: 3 } },
];

for (const { name, o } of CONFIGS) {
  test(`step gradient (${name}) matches float64 finite differences`, () => assertStepGradient(o));
}

test("hand-written region rules give the same step gradient as the generic per-op rules (new architectures)", () => {
  for (const { o } of CONFIGS) assertCustomRulesMatch(o);
});

// As in graphs.test.ts: after T Adam steps of lr each, the float32 run must stay within 1e-5 of float64.
for (const { name, o } of CONFIGS) {
  test(`ORT float32 step matches the float64 interpreter over 30 chained steps (${name})`, async () => {
    const r = await chainedSteps({ ...o, batch_size: 12 }, 30, 1e-3);
    assert.ok(r.maxParamDiff < 1e-5, `max |Δparam| ${r.maxParamDiff}`);
    assert.ok(r.maxLossDiff < 1e-5, `max |Δloss| ${r.maxLossDiff}`);
    assert.ok(r.losses[r.losses.length - 1] !== r.losses[0]);
  });
}

test("the families' single-sample MLPs read copied windows (the step input form they get)", () => {
  for (const a of ["offset1-model-mse-clip-5-10", "offset1-model-mse-v2-3layers", "offset1-model-mse-resnet-10layers-tanh"])
    for (const T of [100, 100_000]) assert.equal(chooseStepInput({ architecture: a, n_neurons: 9, num_hidden_units: 6, output_dimension: 3, batch_size: 16, hybrid: false }, T), "windows", a);
});

test("the clamp's gradient is nn.Hardtanh's: 1 strictly inside [−a, b], 0 where clamped, against finite differences", () => {
  const [N, H, D, rows] = [4, 8, 2, 12];
  const dims = { N, H, D };
  const spec = findSpec("offset1-model-mse-clip-1-1");
  const infos = resolveModel(spec, dims).params;
  const P = infos.reduce((s, p) => s + p.size, 0);
  const g = new Graph("clip_gradient");
  const x = g.input("X", "float", [rows, 1, N]);
  const flat = g.input("params", "float", [P]);
  const c = g.input("c", "float", [rows, D]);
  const z = embedWindows(spec, dims, x, sliceParams(flat, infos).source);
  const loss = reduceSum(mul(z, c), [0, 1]);
  g.output("Z", z);
  g.output("grad", gradients(loss, [flat])[0]!);
  const rng = new Rng(9);
  // The last Linear scaled up so that about half the outputs lie beyond ±1.
  const params = Float64Array.from(initParams({ architecture: spec.name, n_neurons: N, num_hidden_units: H, output_dimension: D, temperature: 1, temperature_mode: "constant" }, 3));
  const last = infos.at(-2)!;
  for (let i = last.offset; i < last.offset + last.size; i++) params[i] *= 40;
  const feeds = { X: Float64Array.from(randomArray(rng, rows * N)), params, c: Float64Array.from(randomArray(rng, rows * D)) };
  const out = run(g, feeds);
  const Z = out.Z.data;
  const grad = out.grad.data;
  // The unclamped outputs: offset1-model-mse on the same parameters (the same layout, no clamp).
  const pre = run(buildWindowEmbeddingIR({ architecture: "offset1-model-mse", n_neurons: N, num_hidden_units: H, output_dimension: D, rows }).graph, { X: feeds.X, params: { shape: [P], data: params } }).Z.data;
  const clamped = Array.from(pre, (v) => Math.abs(v) > 1);
  assert.ok(clamped.some((b) => b) && clamped.some((b) => !b), "some outputs clamped, some not");
  pre.forEach((v, i) => assert.equal(Z[i], Math.min(Math.max(v, -1), 1)));
  // d loss / d last bias_d = Σ_r c[r, d] over the rows where the output is not clamped.
  const bias = infos.at(-1)!;
  for (let d = 0; d < D; d++) {
    let expect = 0;
    for (let r = 0; r < rows; r++) if (!clamped[r * D + d]) expect += feeds.c[r * D + d];
    assert.ok(Math.abs(grad[bias.offset + d] - expect) < 1e-12, `bias ${d}: ${grad[bias.offset + d]} vs ${expect}`);
  }
  const idx = [...Array.from({ length: 10 }, () => rng.int(P)), bias.offset, bias.offset + 1, last.offset];
  const numeric = numericGradient(g, feeds, "params", loss, { indices: idx, h: 1e-6 });
  idx.forEach((i, k) => assert.ok(Math.abs(grad[i] - numeric[k]) <= 1e-7 + 1e-6 * Math.abs(numeric[k]), `param ${i}: ${grad[i]} vs ${numeric[k]}`));
  const dir = randomArray(rng, P);
  const analytic = dir.reduce((s, v, i) => s + v * grad[i], 0);
  const numeric1 = directionalDerivative(g, feeds, "params", loss, dir, 1e-6);
  assert.ok(Math.abs(analytic - numeric1) <= 1e-6 + 1e-6 * Math.abs(numeric1), `${analytic} vs ${numeric1}`);
  // At the bounds themselves the gradient is 0, as PyTorch's (reference: x = [-5, -4, 10, 11, 0] through
  // nn.Hardtanh(-5, 10), `.sum().backward()` gives x.grad = [0, 1, 0, 0, 1]); the Clip op's rule would pass it.
  const h = new Graph("hardtanh");
  const v = h.input("x", "float", [5]);
  const y = hardtanh(v, -5, 10);
  h.output("y", y);
  h.output("dx", gradients(reduceSum(y, [0]), [v])[0]!);
  const r = run(h, { x: Float64Array.of(-5, -4, 10, 11, 0) });
  assert.deepEqual(Array.from(r.y.data), [-5, -4, 10, 10, 0]);
  assert.deepEqual(Array.from(r.dx.data), [0, 1, 0, 0, 1]);
});
