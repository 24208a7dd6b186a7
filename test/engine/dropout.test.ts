/**
 * CEBRA's Dropout1d architectures in training (offset36-model-dropout, offset36-model-more-dropout):
 * the step graph's mask inputs and their gradient, the masks the trainer draws (rate p, whole channels,
 * 1/(1 − p) scaling, seeded, fresh every step), exact resume, the K-step Loop, and inference without
 * dropout. The float64 transcription of the masked forward pass is in models.test.ts.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { initParams } from "../../src/engine/cebra/init.js";
import { buildInferenceIR } from "../../src/engine/cebra/inference.js";
import { type StepGraphOptions, buildStepIR } from "../../src/engine/cebra/step.js";
import { buildMultiSessionStepIR } from "../../src/engine/cebra/multisession-step.js";
import { numericGradient, run } from "../../src/engine/graph/interp.js";
import { ringRecording } from "../../src/engine/synthetic.js";
import { singleSessionProblem } from "../../src/engine/train/batches.js";
import { profileStepsLoop } from "../../src/engine/train/k-steps.js";
import { profileSteps, runTrainingLoop } from "../../src/engine/train/trainer.js";
import { transformRecording } from "../../src/engine/train/transform.js";
import { getArchitecture } from "../../src/engine/cebra/lookup.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../../src/engine/types.js";
import { Rng } from "../../src/util/rng.js";
import { type ExtraInputs, chainedSteps } from "./step-checks.js";

const STEP: StepGraphOptions = {
  architecture: "offset36-model-more-dropout",
  n_neurons: 3,
  num_hidden_units: 4,
  output_dimension: 3,
  distance: "cosine",
  temperature: 1,
  temperature_mode: "constant",
  min_temperature: 0.1,
  hybrid: false,
  batch_size: 3,
  beta1: 0,
  beta2: 0.999,
  eps: 1e-8,
  mode: "step",
};

const { session } = ringRecording({ T: 600, N: 12, seed: 5 });
const CFG: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, model_architecture: "offset36-model-dropout", batch_size: 24, num_hidden_units: 8, output_dimension: 3, learning_rate: 3e-3, max_iterations: 10, device: "cpu", threads: 1 };
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

test("step graphs take one mask input per dropout site in mode step, none in mode loss", () => {
  const names = (o: StepGraphOptions) => buildStepIR(o).graph.inputs.map((v) => v.inputName!).filter((n) => n.startsWith("dropout"));
  assert.deepEqual(names(STEP), Array.from({ length: 17 }, (_, i) => `dropout_${i}`));
  assert.deepEqual(names({ ...STEP, architecture: "offset36-model-dropout" }), ["dropout_0"]);
  assert.deepEqual(names({ ...STEP, mode: "loss" }), []);
  assert.deepEqual(names({ ...STEP, architecture: "offset36-model" }), []);
  const ir = buildStepIR(STEP);
  assert.deepEqual(ir.graph.inputs.find((v) => v.inputName === "dropout_3")!.shape, [9, 1, 4]);
  const multi = buildMultiSessionStepIR({ ...STEP, n_neurons: [3, 5] }).graph.inputs.map((v) => v.inputName!).filter((n) => n.startsWith("dropout"));
  assert.equal(multi.length, 34);
  assert.ok(multi.includes("dropout0_16") && multi.includes("dropout1_0"));
});

test("the step gradient through the dropout masks matches float64 finite differences", () => {
  const ir = buildStepIR(STEP);
  const rng = new Rng(9);
  const M = ir.rows.ref + ir.rows.pos + ir.rows.neg;
  const P = ir.param_count;
  const feeds: Record<string, Float64Array | number[]> = {
    X: Float64Array.from({ length: M * ir.window_length * STEP.n_neurons }, () => rng.normal()),
    params: Float64Array.from(initParams(STEP, 3)),
    m: new Float64Array(P),
    v: new Float64Array(P),
    step_size: [0],
    bc2_sqrt: [1],
  };
  for (const d of ir.dropout) feeds[`dropout_${d.index}`] = Float64Array.from({ length: M * d.channels }, () => (rng.random() < 0.3 ? 0 : 1 / (1 - d.p)));
  const grad = run(ir.graph, feeds).new_m.data; // β1 = 0: new_m is the gradient
  const loss = ir.graph.outputs.find((x) => x.name === "loss")!.value;
  const idx = Array.from({ length: 14 }, () => rng.int(P));
  const numeric = numericGradient(ir.graph, feeds, "params", loss, { indices: idx, h: 1e-5 });
  idx.forEach((i, k) => assert.ok(Math.abs(grad[i] - numeric[k]) <= 1e-7 + 1e-5 * Math.abs(numeric[k]), `param ${i}: ${grad[i]} vs ${numeric[k]}`));
  // the masks matter: all-ones masks give another gradient
  for (const d of ir.dropout) feeds[`dropout_${d.index}`] = new Float64Array(M * d.channels).fill(1);
  assert.ok(maxDiff(run(ir.graph, feeds).new_m.data, grad) > 1e-6);
});

test("ONNX Runtime float32 applies the masks as the float64 interpreter does, over chained Adam steps", async () => {
  const o = { ...STEP, beta1: 0.9, batch_size: 4 };
  // Each step a fresh mask per site: whole channels dropped with probability 0.3, the rest scaled 1/(1 − p).
  const masks: ExtraInputs = (rng, ir) => {
    const M = ir.rows.ref + ir.rows.pos + ir.rows.neg;
    return Object.fromEntries(ir.dropout.map((d) => [`dropout_${d.index}`, { data: Float32Array.from({ length: M * d.channels }, () => (rng.random() < 0.3 ? 0 : Math.fround(1 / (1 - d.p)))), dims: [M, 1, d.channels] }]));
  };
  const r = await chainedSteps(o, 10, 1e-3, masks);
  assert.ok(r.maxLossDiff < 1e-5, `max |Δloss| ${r.maxLossDiff}`);
  assert.ok(r.maxParamDiff < 1e-5, `max |Δparam| ${r.maxParamDiff}`);
  assert.ok(maxDiff(r.params, r.init) > 1e-3, "the steps moved the parameters");
});

test("the trainer's masks: whole channels per window, rate p, kept ones scaled 1/(1 − p), seeded, fresh every step", () => {
  const arch = getArchitecture(CFG.model_architecture);
  const draw = (seed: number, steps: number) => {
    const problem = singleSessionProblem(session, CFG, arch, "step", seed);
    return Array.from({ length: steps }, () => Float32Array.from(problem.nextBatch().dropout_0.data as Float32Array));
  };
  const a = draw(4, 200);
  assert.equal(a[0].length, 3 * CFG.batch_size * CFG.num_hidden_units);
  const keep = Math.fround(1 / 0.9);
  let zeros = 0;
  let total = 0;
  for (const m of a) for (const v of m) {
    assert.ok(v === 0 || v === keep, `mask value ${v}`);
    zeros += v === 0 ? 1 : 0;
    total++;
  }
  // 200 steps × 72 windows × 8 channels = 115,200 Bernoulli(0.1) draws: sd of the rate 0.0009.
  assert.ok(Math.abs(zeros / total - 0.1) < 0.005, `zero rate ${zeros / total}`);
  assert.notDeepEqual(a[0], a[1]);
  assert.deepEqual(draw(4, 3), a.slice(0, 3));
  assert.notDeepEqual(draw(5, 1)[0], a[0]);
  // the held-out loss (model.eval()) has no masks
  assert.equal(singleSessionProblem(session, CFG, arch, "loss", 4).nextBatch().dropout_0, undefined);
});

for (const architecture of ["offset36-model-dropout", "offset36-model-more-dropout"]) {
  test(`${architecture}: training is deterministic per seed and resume is exact`, async () => {
    const cfg = { ...CFG, model_architecture: architecture };
    const straight = await runTrainingLoop([session], cfg);
    const again = await runTrainingLoop([session], cfg);
    assert.deepEqual(again.params[0], straight.params[0]);
    const first = await runTrainingLoop([session], { ...cfg, max_iterations: 4 });
    const resumed = await runTrainingLoop([session], cfg, { resumeFrom: first });
    assert.deepEqual(resumed.params[0], straight.params[0]);
    assert.deepEqual(resumed.optimizer[0].m, straight.optimizer[0].m);
    assert.deepEqual(resumed.log, straight.log);
    assert.notDeepEqual(first.params[0], straight.params[0]);
  });
}

test("dropout changes training (same seed and batches, offset36-model trains otherwise), and transform has no dropout", async () => {
  const withDropout = await runTrainingLoop([session], CFG);
  const without = await runTrainingLoop([session], { ...CFG, model_architecture: "offset36-model" });
  assert.equal(withDropout.params[0].length, without.params[0].length);
  assert.notDeepEqual(withDropout.params[0], without.params[0]);
  // Inference is model.eval(): no mask inputs, and the same embedding as offset36-model on the same parameters.
  const inf = buildInferenceIR({ architecture: "offset36-model-more-dropout", n_neurons: 12, num_hidden_units: 8, output_dimension: 3 });
  assert.deepEqual(inf.graph.inputs.map((v) => v.inputName).sort(), ["X", "params"]);
  const z = await transformRecording(withDropout, session.neural, session.n_samples, session.n_neurons);
  const asPlain = await transformRecording({ ...withDropout, config: { ...withDropout.config, model_architecture: "offset36-model" }, architecture: getArchitecture("offset36-model") }, session.neural, session.n_samples, session.n_neurons);
  assert.deepEqual(z, asPlain);
  assert.ok(z.every(Number.isFinite));
});

test("K steps per run with dropout equal single steps, windows read from copies or from the recording alike", async () => {
  const cfg = { ...CFG, model_architecture: "offset36-model-more-dropout" };
  const single = await profileSteps([session], cfg, 7, "windows");
  assert.ok(Math.abs(single.losses[0].loss - single.losses[6].loss) > 1e-5);
  for (const run of [await profileStepsLoop(session, cfg, 7, 4, "windows"), await profileSteps([session], cfg, 7, "recording"), await profileStepsLoop(session, cfg, 7, 4, "recording")]) {
    assert.ok(maxDiff(single.losses.map((l) => l.loss), run.losses.map((l) => l.loss)) < 1e-5);
    assert.ok(maxDiff(single.params, run.params) < 1e-6);
  }
});

test("multi-session training with dropout: masks per session, resume exact", async () => {
  const other = ringRecording({ T: 500, N: 15, seed: 6 }).session;
  const cfg = { ...CFG, max_iterations: 6 };
  const straight = await runTrainingLoop([session, other], cfg);
  const first = await runTrainingLoop([session, other], { ...cfg, max_iterations: 3 });
  const resumed = await runTrainingLoop([session, other], cfg, { resumeFrom: first });
  assert.deepEqual(resumed.params, straight.params);
  assert.ok(straight.log.total.every(Number.isFinite));
});
