/**
 * Step, loss and inference graphs: whole-step gradients against float64 finite differences,
 * hand-written vs generic backward passes, ORT float32 against the float64 interpreter over chained
 * Adam steps, the input/output contract, and validation errors.
 */
import test from "node:test";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { buildInferenceGraph } from "../../src/engine/cebra/inference.js";
import { initParams } from "../../src/engine/cebra/init.js";
import { type StepGraphOptions, buildStepGraph, buildStepIR } from "../../src/engine/cebra/step.js";
import { run } from "../../src/engine/graph/interp.js";
import { UserError } from "../../src/util/errors.js";
import { Rng } from "../../src/util/rng.js";
import { STEP_BASE as BASE, assertCustomRulesMatch, assertStepGradient, chainedSteps, randomArray, stepGradient } from "./step-checks.js";

const GRADIENT_CONFIGS: { name: string; o: StepGraphOptions }[] = [
  { name: "offset10 cosine, im2col first layer", o: BASE },
  { name: "offset10 cosine τ=0.5, taps first layer", o: { ...BASE, n_neurons: 14, temperature: 0.5 } },
  { name: "offset1 MLP euclidean, learnable temperature", o: { ...BASE, architecture: "offset1-model-mse", distance: "euclidean", temperature_mode: "auto", temperature: 2, output_dimension: 3 } },
  { name: "offset5 cosine, learnable temperature", o: { ...BASE, architecture: "offset5-model", temperature_mode: "auto", temperature: 0.8 } },
  { name: "offset40 4x-subsample hybrid", o: { ...BASE, architecture: "offset40-model-4x-subsample", hybrid: true, batch_size: 4, n_neurons: 3, num_hidden_units: 4 } },
  { name: "offset10-mse euclidean", o: { ...BASE, architecture: "offset10-model-mse", distance: "euclidean", temperature: 3 } },
];

for (const { name, o } of GRADIENT_CONFIGS) {
  test(`step gradient (${name}) matches float64 finite differences`, () => assertStepGradient(o));
}

test("hand-written region rules give the same step gradient as the generic per-op rules", () => {
  for (const { o } of GRADIENT_CONFIGS.slice(0, 5)) assertCustomRulesMatch(o);
});

test("Adam update follows PyTorch: m, v, bias-corrected step (float64 interpreter)", () => {
  const o = { ...BASE, architecture: "offset1-model", beta1: 0.8, beta2: 0.95, eps: 1e-3 };
  const g0 = stepGradient(o, true, 2); // gradient at these params (β1 = 0 graph)
  const ir = buildStepIR(o);
  const P = ir.param_count;
  const rng = new Rng(9);
  const m = randomArray(rng, P, 0.1);
  const v = Float32Array.from(randomArray(rng, P, 0.1), (x) => x * x);
  const t = 3;
  const stepSize = 1e-2 / (1 - 0.8 ** t);
  const bc2 = Math.sqrt(1 - 0.95 ** t);
  const out = run(ir.graph, { ...g0.feeds, m, v, step_size: [stepSize], bc2_sqrt: [bc2] });
  for (let i = 0; i < P; i++) {
    const g = g0.grad[i];
    const m2 = 0.8 * m[i] + 0.2 * g;
    const v2 = 0.95 * v[i] + 0.05 * g * g;
    const p2 = g0.feeds.params[i] - (stepSize * m2) / (Math.sqrt(v2) / bc2 + 1e-3);
    assert.ok(Math.abs(out.new_m.data[i] - m2) < 1e-12);
    assert.ok(Math.abs(out.new_v.data[i] - v2) < 1e-12);
    assert.ok(Math.abs(out.new_params.data[i] - p2) < 1e-12);
  }
});

// Adam moves each parameter by at most ≈ lr per step, so after T steps |Δp| ≤ T·lr = 0.1 here. The
// float32 run must stay within 1e-5 of the float64 run (four orders of magnitude below the distance
// travelled; measured ≈ 1e-7) and the loss within float32 precision of a sum of O(1) terms, i.e.
// rounding errors must not be amplified by the chained updates.
test("ORT float32 step matches the float64 interpreter over 100 chained steps (offset10)", async () => {
  const r = await chainedSteps({ ...BASE, n_neurons: 14, num_hidden_units: 8, batch_size: 16 }, 100, 1e-3);
  assert.ok(r.maxParamDiff < 1e-5, `max |Δparam| ${r.maxParamDiff}`);
  assert.ok(r.maxLossDiff < 1e-5, `max |Δloss| ${r.maxLossDiff}`);
  assert.ok(r.losses[r.losses.length - 1] !== r.losses[0]);
});

test("ORT float32 step matches the float64 interpreter over 60 chained steps (MLP, learnable euclidean, hybrid)", async () => {
  const o: StepGraphOptions = { ...BASE, architecture: "offset1-model", distance: "euclidean", temperature_mode: "auto", temperature: 1, hybrid: true, batch_size: 12, n_neurons: 9 };
  const r = await chainedSteps(o, 60, 1e-3);
  assert.ok(r.maxParamDiff < 1e-5, `max |Δparam| ${r.maxParamDiff}`);
  assert.ok(r.maxLossDiff < 1e-5, `max |Δloss| ${r.maxLossDiff}`);
});

test("step graph has the contract's input and output names and shapes", async () => {
  const o = { ...BASE, temperature_mode: "auto" as const };
  const g = buildStepGraph(o);
  assert.equal(g.window_length, 10);
  assert.deepEqual(g.rows, { ref: 6, pos: 6, neg: 6 });
  const session = await ort.InferenceSession.create(g.onnx);
  assert.deepEqual([...session.inputNames].sort(), ["X", "bc2_sqrt", "m", "params", "step_size", "v"]);
  assert.deepEqual([...session.outputNames].sort(), ["align", "loss", "new_m", "new_params", "new_v", "temperature", "uniform"]);
  const P = g.param_count;
  assert.equal(initParams(o, 0).length, P);
  const out = await session.run({
    X: new ort.Tensor("float32", new Float32Array(18 * 10 * 5).fill(0.3).map((x, i) => x * Math.sin(i)), [18, 10, 5]),
    params: new ort.Tensor("float32", initParams(o, 0), [P]),
    m: new ort.Tensor("float32", new Float32Array(P), [P]),
    v: new ort.Tensor("float32", new Float32Array(P), [P]),
    step_size: new ort.Tensor("float32", Float32Array.of(1e-3), []),
    bc2_sqrt: new ort.Tensor("float32", Float32Array.of(1), []),
  });
  for (const k of ["loss", "align", "uniform", "temperature"]) assert.deepEqual(out[k].dims, [], k);
  for (const k of ["new_params", "new_m", "new_v"]) assert.deepEqual(out[k].dims, [P], k);
  const d = (k: string) => (out[k].data as Float32Array)[0];
  assert.ok(Math.abs(d("loss") - (d("align") + d("uniform"))) < 1e-5);
  assert.ok(Math.abs(d("temperature") - 1) < 1e-6);

  const lossGraph = buildStepGraph({ ...o, mode: "loss" });
  const ls = await ort.InferenceSession.create(lossGraph.onnx);
  assert.deepEqual([...ls.inputNames].sort(), ["X", "params"]);
  assert.deepEqual([...ls.outputNames].sort(), ["align", "loss", "temperature", "uniform"]);
});

test("hybrid step graph takes 2B positive rows", () => {
  const g = buildStepGraph({ ...BASE, hybrid: true });
  assert.deepEqual(g.rows, { ref: 6, pos: 12, neg: 6 });
});

test("invalid options raise UserErrors that name the problem", () => {
  const bad: [Partial<StepGraphOptions>, RegExp][] = [
    [{ architecture: "offset7-model" }, /Unknown model architecture "offset7-model".*offset10-model/],
    [{ n_neurons: 0 }, /n_neurons/],
    [{ batch_size: 1.5 }, /batch_size/],
    [{ temperature: 0 }, /temperature/],
    [{ hybrid: true, output_dimension: 2 }, /output_dimension >= 3/],
    [{ architecture: "offset1-model", num_hidden_units: 1 }, /too small/],
    [{ distance: "manhattan" as never }, /distance/],
  ];
  for (const [patch, re] of bad) assert.throws(() => buildStepGraph({ ...BASE, ...patch }), (e: unknown) => e instanceof UserError && re.test(e.message), JSON.stringify(patch));
  assert.throws(() => buildInferenceGraph({ ...BASE, params: new Float32Array(3) }), UserError);
});
