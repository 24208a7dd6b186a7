/**
 * What the step-graph tests share (graphs.test.ts for the first architectures, graphs-architectures.test.ts
 * for the later ones): a small base configuration, the step gradient in float64, its check against finite
 * differences, chained Adam steps run by ONNX Runtime (float32) and the interpreter (float64) side by side,
 * the held-out loss graph of several window input forms on the same batches, and a short training run of one
 * form (graphs-gather, graphs-touched, graphs-positions).
 */
import test from "node:test";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { initParams } from "../../src/engine/cebra/init.js";
import { type StepGraphOptions, type StepInput, buildStepIR } from "../../src/engine/cebra/step.js";
import { singleSessionProblem } from "../../src/engine/train/batches.js";
import { AdamStepRunner, type OptimState, readLosses } from "../../src/engine/train/trainer.js";
import { DEFAULT_TRAIN_CONFIG, type ArchitectureInfo, type SessionData, type TrainConfig } from "../../src/engine/types.js";
import { getArchitecture } from "../../src/engine/cebra/lookup.js";
import { ringRecording } from "../../src/engine/synthetic.js";
import { directionalDerivative, numericGradient, run } from "../../src/engine/graph/interp.js";
import { writeOnnx } from "../../src/engine/graph/onnx.js";
import { Rng } from "../../src/util/rng.js";

/** offset10-model at a size the float64 interpreter runs in milliseconds. */
export const STEP_BASE: StepGraphOptions = {
  architecture: "offset10-model",
  n_neurons: 5,
  num_hidden_units: 6,
  output_dimension: 4,
  distance: "cosine",
  temperature: 1,
  temperature_mode: "constant",
  min_temperature: 0.1,
  hybrid: false,
  batch_size: 6,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  mode: "step",
};

export function randomArray(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

/** Gradient of the loss from a step graph with β1 = 0 (then new_m = g exactly), in float64. */
export function stepGradient(o: StepGraphOptions, customRules: boolean, seed: number) {
  const ir = buildStepIR({ ...o, beta1: 0 }, { customRules });
  const rng = new Rng(seed);
  const M = ir.rows.ref + ir.rows.pos + ir.rows.neg;
  const X = randomArray(rng, M * ir.window_length * o.n_neurons);
  const params = initParams(o, seed);
  const P = ir.param_count;
  const feeds = { X, params, m: new Float64Array(P), v: new Float64Array(P), step_size: [0], bc2_sqrt: [1] };
  const out = run(ir.graph, feeds);
  return { ir, feeds, grad: out.new_m.data, loss: out.loss.data[0] };
}

/** The step's analytic gradient against float64 finite differences: a few coordinates and random directions. */
export function assertStepGradient(o: StepGraphOptions): void {
  const { ir, feeds, grad } = stepGradient(o, true, 11);
  const loss = ir.graph.outputs.find((x) => x.name === "loss")!.value;
  const P = ir.param_count;
  const rng = new Rng(3);
  // A few coordinates (always including the last one: θ when the temperature is learnable)...
  const idx = [...Array.from({ length: 12 }, () => rng.int(P)), P - 1];
  const numeric = numericGradient(ir.graph, feeds, "params", loss, { indices: idx, h: 1e-5 });
  idx.forEach((i, k) => {
    assert.ok(Math.abs(grad[i] - numeric[k]) <= 1e-7 + 1e-5 * Math.abs(numeric[k]), `param ${i}: analytic ${grad[i]} vs numeric ${numeric[k]}`);
  });
  // ...and directional derivatives along random directions, which involve every parameter.
  for (let d = 0; d < 3; d++) {
    const dir = randomArray(rng, P);
    const analytic = dir.reduce((s, x, i) => s + x * grad[i], 0);
    const numeric1 = directionalDerivative(ir.graph, feeds, "params", loss, dir, 1e-5);
    assert.ok(Math.abs(analytic - numeric1) <= 1e-6 + 1e-5 * Math.abs(numeric1), `direction ${d}: ${analytic} vs ${numeric1}`);
  }
}

/** Hand-written backward rules give the generic per-op rules' loss and step gradient. */
export function assertCustomRulesMatch(o: StepGraphOptions): void {
  const a = stepGradient(o, true, 5);
  const b = stepGradient(o, false, 5);
  assert.equal(a.loss, b.loss, o.architecture);
  a.grad.forEach((v, i) => assert.ok(Math.abs(v - b.grad[i]) <= 1e-12 * (1 + Math.abs(v)), `${o.architecture} param ${i}: ${v} vs ${b.grad[i]}`));
}

/** A step graph's inputs beyond X and the Adam state (e.g. dropout masks), drawn per step: data and ORT dims. */
export type ExtraInputs = (rng: Rng, ir: ReturnType<typeof buildStepIR>) => Record<string, { data: Float32Array; dims: number[] }>;

/**
 * Runs `steps` chained Adam steps in ORT (float32) and in the interpreter (float64) on the same batches
 * (plus `extra` inputs drawn each step); returns the largest differences, the float64 losses and the
 * initial and final float64 parameters.
 */
export async function chainedSteps(o: StepGraphOptions, steps: number, lr: number, extra?: ExtraInputs) {
  const ir = buildStepIR(o);
  const session = await ort.InferenceSession.create(writeOnnx(ir.graph), { intraOpNumThreads: 1, graphOptimizationLevel: "all" });
  const M = ir.rows.ref + ir.rows.pos + ir.rows.neg;
  const [L, P] = [ir.window_length, ir.param_count];
  const rng = new Rng(21);
  const init = initParams(o, 4);
  let p32: Float32Array = init;
  let m32: Float32Array = new Float32Array(P);
  let v32: Float32Array = new Float32Array(P);
  let p64: Float64Array = Float64Array.from(p32);
  let m64: Float64Array = new Float64Array(P);
  let v64: Float64Array = new Float64Array(P);
  let maxLossDiff = 0;
  const losses: number[] = [];
  const f32 = (a: Float32Array, dims: number[]) => new ort.Tensor("float32", a, dims);
  for (let t = 1; t <= steps; t++) {
    const X = randomArray(rng, M * L * o.n_neurons);
    const stepSize = lr / (1 - o.beta1 ** t);
    const bc2 = Math.sqrt(1 - o.beta2 ** t);
    const more = Object.entries(extra?.(rng, ir) ?? {});
    const out32 = await session.run({
      X: f32(X, [M, L, o.n_neurons]), params: f32(p32, [P]), m: f32(m32, [P]), v: f32(v32, [P]),
      step_size: f32(Float32Array.of(stepSize), []), bc2_sqrt: f32(Float32Array.of(bc2), []),
      ...Object.fromEntries(more.map(([name, x]) => [name, f32(x.data, x.dims)])),
    });
    const out64 = run(ir.graph, { X, params: p64, m: m64, v: v64, step_size: [stepSize], bc2_sqrt: [bc2], ...Object.fromEntries(more.map(([name, x]) => [name, x.data])) });
    maxLossDiff = Math.max(maxLossDiff, Math.abs((out32.loss.data as Float32Array)[0] - out64.loss.data[0]));
    losses.push(out64.loss.data[0]);
    [p32, m32, v32] = [out32.new_params.data as Float32Array, out32.new_m.data as Float32Array, out32.new_v.data as Float32Array];
    [p64, m64, v64] = [out64.new_params.data, out64.new_m.data, out64.new_v.data];
  }
  let maxParamDiff = 0;
  for (let i = 0; i < P; i++) maxParamDiff = Math.max(maxParamDiff, Math.abs(p32[i] - p64[i]));
  return { maxParamDiff, maxLossDiff, losses, init, params: p64 };
}

/**
 * The held-out loss graph (mode "loss", seed 8) of each window input form in `inputs`, run by ONNX Runtime
 * on the same five batches with the parameters `params`: one list of five losses per form.
 */
export async function lossGraphLosses(data: SessionData, cfg: TrainConfig, arch: ArchitectureInfo, inputs: readonly StepInput[], params: Float32Array): Promise<number[][]> {
  return Promise.all(
    inputs.map(async (input) => {
      const problem = singleSessionProblem(data, cfg, arch, "loss", 8, input);
      const s = await ort.InferenceSession.create(problem.onnx, { intraOpNumThreads: 1, graphOptimizationLevel: "all" });
      const out: number[] = [];
      for (let i = 0; i < 5; i++) out.push(readLosses(await s.run({ ...problem.nextBatch(), params: new ort.Tensor("float32", params, [params.length]) })).loss);
      await s.release();
      return out;
    }),
  );
}

/**
 * `steps` ORT training steps (one thread) of the single-session problem with window input form `input`
 * (seed cfg.seed, so two forms see the same batches): the losses, the final and the initial parameters.
 */
export async function trainForm(data: SessionData, cfg: TrainConfig, arch: ArchitectureInfo, input: StepInput, steps: number) {
  const problem = singleSessionProblem(data, cfg, arch, "step", cfg.seed, input);
  const s = await ort.InferenceSession.create(problem.onnx, { intraOpNumThreads: 1, graphOptimizationLevel: "all" });
  const runner = new AdamStepRunner(s, cfg);
  const params = problem.initParams();
  const state: OptimState = { params, m: new Float32Array(params.length), v: new Float32Array(params.length), step: 0 };
  const losses: number[] = [];
  for (let t = 0; t < steps; t++) losses.push((await runner.step(problem.nextBatch(), state)).loss);
  await s.release();
  return { losses, params: state.params, init: params.slice() };
}

/** max |a − b| relative to max |b| (float32 rounding is relative to the vector's scale, not to each tiny element). */
export const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  const scale = Math.max(...Array.from(b, Math.abs));
  return Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0) / scale;
};

/** A tensor's values as numbers (int64 included). */
export const tensorNumbers = (t: ort.Tensor) => Array.from(t.data as ArrayLike<number | bigint>, Number);

/** A problem's ORT feeds as the float64 interpreter's feeds. */
export const interpFeeds = (f: Record<string, ort.Tensor>) => Object.fromEntries(Object.entries(f).map(([k, t]) => [k, { shape: [...t.dims], data: Float64Array.from(tensorNumbers(t)) }]));

/**
 * The recording and configuration the window-input-form tests share (graphs-touched, graphs-positions):
 * T = 1,500 against 144 windows of 10 rows, so most rows are untouched and many windows overlap.
 */
export function formsFixture() {
  const { session: data } = ringRecording({ T: 1500, N: 24, label_dim: 3, seed: 3 });
  const CFG: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, model_architecture: "offset10-model", batch_size: 48, num_hidden_units: 16, output_dimension: 4, learning_rate: 3e-3, device: "cpu", threads: 1 };
  return { data, CFG, arch: getArchitecture(CFG.model_architecture) };
}

/**
 * Registers one test per configuration (`time`; `time_delta` with a learnable temperature; hybrid): 20
 * chained ORT steps of window input form `form` give `reference`'s losses and parameters (1e-5), and
 * training moved the parameters.
 */
export function chainedFormTests(data: SessionData, cfg: TrainConfig, arch: ArchitectureInfo, reference: StepInput, form: StepInput): void {
  const cases: Array<[string, Partial<TrainConfig>]> = [
    ["time", {}],
    ["time_delta, learnable temperature", { conditional: "time_delta", temperature_mode: "auto" }],
    ["hybrid", { hybrid: true, conditional: "time_delta" }],
  ];
  for (const [name, over] of cases) {
    test(`ORT: 20 chained steps of the ${form} form give the ${reference} form's losses and parameters (${name})`, async () => {
      const c = { ...cfg, ...over };
      const r = await trainForm(data, c, arch, reference, 20);
      const f = await trainForm(data, c, arch, form, 20);
      assert.ok(maxRel(f.losses, r.losses) <= 1e-5, `losses ${f.losses} vs ${r.losses}`);
      assert.ok(maxRel(f.params, r.params) <= 1e-5);
      assert.ok(maxRel(r.params, r.init) > 1e-3, "training moved the parameters");
    });
  }
}
