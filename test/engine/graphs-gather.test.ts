/**
 * The "recording" window input of the step graphs (the first layer reads the whole recording and the
 * windows' row indices instead of copied windows): its gradient region against finite differences and
 * the generic per-op path, its row indices against the copied windows, and whole training steps equal
 * to the "windows" form (ORT float32, chained Adam steps; single steps, loss graphs and the trainer's
 * problem wiring), plus the automatic choice between the two.
 */
import test from "node:test";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { gradients } from "../../src/engine/graph/autodiff.js";
import { singleSessionProblem } from "../../src/engine/train/batches.js";
import { chooseStepInput } from "../../src/engine/cebra/cost.js";
import { initParams } from "../../src/engine/cebra/init.js";
import { getArchitecture } from "../../src/engine/cebra/lookup.js";
import { type StepGraphOptions, buildStepIR } from "../../src/engine/cebra/step.js";
import { Graph } from "../../src/engine/graph/ir.js";
import { evaluate, numericGradient } from "../../src/engine/graph/interp.js";
import { writeOnnx } from "../../src/engine/graph/onnx.js";
import * as op from "../../src/engine/graph/ops/index.js";
import { conv1dRecording } from "../../src/engine/graph/nn.js";
import { ringRecording } from "../../src/engine/synthetic.js";
import { AdamStepRunner, type OptimState } from "../../src/engine/train/trainer.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../../src/engine/types.js";
import { fillWindowRows, fillWindows } from "../../src/engine/cebra/windows.js";
import { Rng } from "../../src/util/rng.js";
import { STEP_BASE, lossGraphLosses, maxRel } from "./step-checks.js";

const uniform = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.uniform(-1, 1));

test("conv1dRecording's hand-written and generic gradients match finite differences (repeated rows accumulate)", () => {
  const [T, ci, co, k] = [6, 3, 2, 2];
  const rowData = [0, 1, 2, 1, 2, 3, 3, 4, 5, 1, 2, 3]; // [4 windows, 3 consecutive steps]; rows 1 to 3 repeat
  const rng = new Rng(5);
  const feeds = { data: uniform(rng, T * ci), w: uniform(rng, co * ci * k), b: uniform(rng, co) };
  const grads = [true, false].map((customRules) => {
    const g = new Graph();
    const data = g.input("data", "float", [T, ci]);
    const w = g.input("w", "float", [co, ci, k]);
    const b = g.input("b", "float", [co]);
    const y = conv1dRecording({ data, rows: g.constant(rowData, [4, 3], "int64") }, w, b, { kernel: k, stride: 1, out: co });
    assert.deepEqual(y.shape, [4, 2, co]);
    assert.equal(y.producer?.region?.name, "conv1d_recording_taps");
    const loss = op.reduceSum(op.mul(y, g.constant(uniform(new Rng(9), y.size()), y.staticShape())), []);
    const inputs = [data, w, b];
    const gv = gradients(loss, inputs, { customRules });
    const env = evaluate(g, feeds, gv.map((v) => v!));
    return inputs.map((x, i) => {
      const analytic = env.get(gv[i]!)!.data;
      const numeric = numericGradient(g, feeds, x.inputName!, loss);
      numeric.forEach((n, j) => assert.ok(Math.abs(analytic[j] - n) <= 1e-7 + 1e-6 * Math.abs(n), `${x.inputName}[${j}] (custom ${customRules}): ${analytic[j]} vs ${n}`));
      return analytic;
    });
  });
  grads[0].forEach((c, i) => c.forEach((v, j) => assert.ok(Math.abs(v - grads[1][i][j]) < 1e-12, `input ${i}[${j}] custom vs generic`)));
});

// Windows of 3 steps (two outputs each: the whole-row sum, dPᵀ built directly) and one output per row of
// taps (the positions form: `rowTaps`); positions in `touched`, rows repeat.
for (const [form, rowData, shape] of [["windows", [0, 1, 2, 1, 2, 3, 4, 5, 6, 1, 2, 3], [4, 3]], ["positions", [0, 1, 1, 2, 3, 4, 4, 5, 1, 2], [5, 2]]] as const) {
  test(`conv1dRecording on touched rows (${form}): the hand-written gradients, data included, match finite differences`, () => {
    const [T, ci, co, k] = [9, 3, 2, 2];
    const touched = [1, 2, 3, 4, 6, 7, 8]; // rows 0 and 5 untouched
    const rng = new Rng(6);
    const feeds = { data: uniform(rng, T * ci), w: uniform(rng, co * ci * k), b: uniform(rng, co), touched: { shape: [touched.length], data: Float64Array.from(touched) } };
    const g = new Graph();
    const data = g.input("data", "float", [T, ci]);
    const w = g.input("w", "float", [co, ci, k]);
    const b = g.input("b", "float", [co]);
    const t = g.input("touched", "int64", [null]);
    const y = conv1dRecording({ data, rows: g.constant(rowData, shape, "int64"), touched: t }, w, b, { kernel: k, stride: 1, out: co });
    assert.equal(y.producer?.region?.name, "conv1d_recording_taps");
    const outShape = [shape[0], shape[1] - k + 1, co];
    const loss = op.reduceSum(op.mul(y, g.constant(uniform(new Rng(9), outShape[0] * outShape[1] * co), outShape)), []);
    const inputs = [data, w, b];
    const gv = gradients(loss, inputs);
    const env = evaluate(g, feeds, gv.map((v) => v!));
    inputs.forEach((x, i) => {
      const analytic = env.get(gv[i]!)!.data;
      const numeric = numericGradient(g, feeds, x.inputName!, loss);
      numeric.forEach((n, j) => assert.ok(Math.abs(analytic[j] - n) <= 1e-7 + 1e-6 * Math.abs(n), `${x.inputName}[${j}]: ${analytic[j]} vs ${n}`));
      if (i === 0) assert.ok(analytic.some((v) => v !== 0) && analytic[0] === 0 && analytic[5 * ci] === 0, "data gradient: zero exactly on the untouched rows");
    });
  });
}

test("window rows index exactly the windows fillWindows copies, edges clamped", () => {
  const [T, N, left, right] = [12, 3, 5, 5];
  const neural = Float32Array.from({ length: T * N }, (_, i) => Math.sin(i));
  const idx = Int32Array.of(0, 3, 6, 7, 11, 9);
  const L = left + right;
  const copied = new Float32Array((idx.length + 1) * L * N);
  fillWindows(neural, T, N, idx, left, right, copied, 1);
  const rows = new BigInt64Array((idx.length + 1) * L).fill(-1n);
  fillWindowRows(T, idx, left, right, rows, 1);
  assert.deepEqual([...rows.subarray(0, L)], new Array(L).fill(-1n), "row before the offset untouched");
  for (let r = L; r < rows.length; r++) {
    const t = Number(rows[r]);
    assert.ok(t >= 0 && t < T);
    assert.deepEqual([...copied.subarray(r * N, (r + 1) * N)], [...neural.subarray(t * N, (t + 1) * N)], `window step ${r}`);
  }
  assert.throws(() => fillWindowRows(T, idx, left, right, new BigInt64Array(5), 0), RangeError);
});

/** offset10-model at the size of graphs.test.ts's 100-step ORT check. */
const BASE: StepGraphOptions = { ...STEP_BASE, n_neurons: 14, num_hidden_units: 8, batch_size: 16 };

const session = (onnx: Uint8Array) => ort.InferenceSession.create(onnx, { intraOpNumThreads: 1, graphOptimizationLevel: "all" });

/**
 * Runs `steps` chained Adam steps of both input forms on the same random batches of one random
 * recording (T smaller than the batch's window rows, so rows repeat) and returns the largest relative
 * differences of the losses and of the parameters after each step.
 */
async function compareForms(o: StepGraphOptions, T: number, steps: number) {
  const windows = buildStepIR({ ...o, input: "windows" });
  const recording = buildStepIR({ ...o, input: "recording", recording_samples: T });
  assert.equal(recording.input, "recording");
  const [sw, sr] = await Promise.all([session(writeOnnx(windows.graph)), session(writeOnnx(recording.graph))]);
  const M = windows.rows.ref + windows.rows.pos + windows.rows.neg;
  const { left, right } = getArchitecture(o.architecture);
  const L = left + right;
  const rng = new Rng(3);
  const neural = Float32Array.from({ length: T * o.n_neurons }, () => rng.normal());
  const X = new Float32Array(M * L * o.n_neurons);
  const rows = new BigInt64Array(M * L);
  const states = [0, 1].map((): OptimState => {
    const params = initParams(o, 1);
    return { params, m: new Float32Array(params.length), v: new Float32Array(params.length), step: 0 };
  });
  const cfg = { learning_rate: 3e-3, beta1: o.beta1, beta2: o.beta2 };
  const [rw, rr] = [new AdamStepRunner(sw, cfg), new AdamStepRunner(sr, cfg)];
  let loss = 0;
  let params = 0;
  for (let t = 0; t < steps; t++) {
    const idx = Int32Array.from({ length: M }, () => rng.int(T));
    fillWindows(neural, T, o.n_neurons, idx, left, right, X, 0);
    fillWindowRows(T, idx, left, right, rows, 0);
    const a = await rw.step({ X: new ort.Tensor("float32", X, [M, L, o.n_neurons]) }, states[0]);
    const b = await rr.step({ data: new ort.Tensor("float32", neural, [T, o.n_neurons]), rows: new ort.Tensor("int64", rows, [M, L]) }, states[1]);
    loss = Math.max(loss, maxRel([b.loss], [a.loss]));
    params = Math.max(params, maxRel(states[1].params, states[0].params));
  }
  await Promise.all([sw.release(), sr.release()]);
  return { loss, params, moved: maxRel(states[0].params, initParams(o, 1)) };
}

for (const [name, o, T] of [
  ["offset10, taps first layer", BASE, 200],
  ["offset10, im2col first layer in the windows form, learnable temperature", { ...BASE, n_neurons: 4, temperature_mode: "auto" }, 150],
  ["offset5 hybrid euclidean", { ...BASE, architecture: "offset5-model", hybrid: true, distance: "euclidean" }, 120],
] as Array<[string, StepGraphOptions, number]>) {
  test(`recording input gives the windows form's loss and parameters over 20 chained steps (${name})`, async () => {
    const r = await compareForms(o, T, 20);
    assert.ok(r.moved > 1e-2, `training moved the parameters (${r.moved})`);
    assert.ok(r.loss <= 1e-5, `max relative loss difference ${r.loss}`);
    assert.ok(r.params <= 1e-5, `max relative parameter difference ${r.params}`);
  });
}

test("models whose first layer cannot read the recording refuse the recording input", () => {
  for (const architecture of ["offset1-model", "offset40-model-4x-subsample"])
    assert.throws(() => buildStepIR({ ...BASE, architecture, input: "recording", recording_samples: 500 }), /cannot read windows from the recording/);
  assert.throws(() => buildStepIR({ ...BASE, input: "recording" }), /recording_samples/);
});

test("chooseStepInput runs the offset conv models at positions, and reads the recording (its touched rows unless nearly all are) for the others when it has fewer rows than the batch's windows", () => {
  const std = { architecture: "offset10-model", num_hidden_units: 32, output_dimension: 8, batch_size: 512, hybrid: false };
  for (const [n_neurons, T] of [[100, 10_000], [1000, 10_000], [100, 2_000], [100, 100_000]]) assert.equal(chooseStepInput({ ...std, n_neurons }, T), "positions");
  assert.equal(chooseStepInput({ ...std, n_neurons: 100, batch_size: 64, hybrid: true }, 10_000), "positions");
  // offset36-model-dropout (36-sample windows): dropout keeps it off "positions".
  const drop = { ...std, architecture: "offset36-model-dropout" };
  assert.equal(chooseStepInput({ ...drop, n_neurons: 1000 }, 36_000), "touched");
  assert.equal(chooseStepInput({ ...drop, n_neurons: 100 }, 36_000), "touched");
  assert.equal(chooseStepInput({ ...drop, n_neurons: 100 }, 10_000), "recording");
  assert.equal(chooseStepInput({ ...drop, n_neurons: 100 }, 100_000), "windows");
  assert.equal(chooseStepInput({ ...drop, n_neurons: 100, batch_size: 64 }, 10_000), "windows");
  assert.equal(chooseStepInput({ ...std, n_neurons: 100, architecture: "offset1-model" }, 100), "windows");
  assert.equal(chooseStepInput({ ...std, n_neurons: 100, architecture: "offset40-model-4x-subsample" }, 1000), "windows");
});

const ring = ringRecording({ T: 300, N: 60, seed: 4 }).session;
const CFG: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, batch_size: 32, num_hidden_units: 8, output_dimension: 4, learning_rate: 3e-3, device: "cpu", threads: 1 };
const arch = getArchitecture(CFG.model_architecture);

test("a short recording: chooseStepInput picks the recording input for a model that cannot run at positions; the windows and recording forms train identically", async () => {
  assert.equal(chooseStepInput({ ...CFG, architecture: "offset36-model-dropout", n_neurons: ring.n_neurons }, ring.n_samples), "recording");
  const run = async (input: "windows" | "recording") => {
    const problem = singleSessionProblem(ring, CFG, arch, "step", CFG.seed, input);
    assert.deepEqual(Object.keys(problem.nextBatch()).sort(), input === "windows" ? ["X"] : ["data", "rows"]);
    const s = await session(problem.onnx);
    const runner = new AdamStepRunner(s, CFG);
    const params = problem.initParams();
    const state: OptimState = { params, m: new Float32Array(params.length), v: new Float32Array(params.length), step: 0 };
    const losses: number[] = [];
    for (let t = 0; t < 20; t++) losses.push((await runner.step(problem.nextBatch(), state)).loss);
    await s.release();
    return { losses, params: state.params };
  };
  const w = await run("windows");
  const r = await run("recording");
  assert.ok(maxRel(r.losses, w.losses) <= 1e-5, `losses ${r.losses} vs ${w.losses}`);
  assert.ok(maxRel(r.params, w.params) <= 1e-5);
});

test("loss graphs (evaluation) agree between the two input forms", async () => {
  const p = initParams({ ...CFG, architecture: CFG.model_architecture, n_neurons: ring.n_neurons }, 2);
  const losses = await lossGraphLosses(ring, CFG, arch, ["windows", "recording"], p);
  assert.ok(maxRel(losses[1], losses[0]) <= 1e-5, `${losses[1]} vs ${losses[0]}`);
});
