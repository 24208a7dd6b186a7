/**
 * Step graphs of the architectures added after the first seven (issue 14): the layer kinds they bring
 * (MLP residual blocks with and without an inner GELU, a final Tanh, 2x subsampling into an MLP, the
 * 4x-subsampling stem with a kernel-2 head, a kernel-2 head after six blocks) checked as graphs.test.ts
 * checks the first ones: whole-step gradients against float64 finite differences, hand-written vs generic
 * backward rules, and ORT float32 against the float64 interpreter over chained Adam steps.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { type StepGraphOptions } from "../../src/engine/cebra/step.js";
import { STEP_BASE as BASE, assertCustomRulesMatch, assertStepGradient, chainedSteps } from "./step-checks.js";

const CONFIGS: { name: string; o: StepGraphOptions }[] = [
  { name: "offset1-model-v4: Skip(Linear, GELU)", o: { ...BASE, architecture: "offset1-model-v4" } },
  { name: "offset1-model-v5: Skip(Linear) then GELU, learnable temperature", o: { ...BASE, architecture: "offset1-model-v5", temperature_mode: "auto", temperature: 0.7 } },
  { name: "offset10-model-mse-tanh euclidean", o: { ...BASE, architecture: "offset10-model-mse-tanh", distance: "euclidean", temperature: 2 } },
  { name: "offset1-model-mse-tanh euclidean", o: { ...BASE, architecture: "offset1-model-mse-tanh", distance: "euclidean", output_dimension: 3 } },
  { name: "offset4-model-2x-subsample", o: { ...BASE, architecture: "offset4-model-2x-subsample" } },
  { name: "offset20-model-4x-subsample hybrid", o: { ...BASE, architecture: "offset20-model-4x-subsample", hybrid: true, batch_size: 4, n_neurons: 3, num_hidden_units: 4 } },
  { name: "offset15-model", o: { ...BASE, architecture: "offset15-model", num_hidden_units: 4, batch_size: 4 } },
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
