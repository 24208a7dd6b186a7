/**
 * CEBRA's supervised models (supervised10-model, supervised1-model; ClassifierModel + SupervisedNNSolver):
 * the classifier head's place in the state dict and its initialisation, the step graph's loss against a
 * float64 transcription of the head and of nn.MSELoss / nn.CrossEntropyLoss, its gradient against finite
 * differences, ORT (float32) Adam steps against the float64 interpreter, and the trainer's supervised path
 * (labels, seeded batches, exact resume, refusals).
 */
import test from "node:test";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { buildWindowEmbeddingIR } from "../../src/engine/cebra/inference.js";
import { initParams } from "../../src/engine/cebra/init.js";
import { isSupervised, paramLayout } from "../../src/engine/cebra/lookup.js";
import { type SupervisedStepOptions, buildSupervisedStepIR } from "../../src/engine/cebra/supervised-step.js";
import { directionalDerivative, numericGradient, run } from "../../src/engine/graph/interp.js";
import { writeOnnx } from "../../src/engine/graph/onnx.js";
import { ringRecording } from "../../src/engine/synthetic.js";
import { checkSupervisedRequest, evaluateSupervisedLoss, supervisedLabelNum } from "../../src/engine/train/supervised.js";
import { runTrainingLoop } from "../../src/engine/train/trainer.js";
import { transformRecording } from "../../src/engine/train/transform.js";
import { DEFAULT_TRAIN_CONFIG, type SessionData, type TrainConfig } from "../../src/engine/types.js";
import { UserError } from "../../src/util/errors.js";
import { Rng } from "../../src/util/rng.js";

const BASE: SupervisedStepOptions = {
  architecture: "supervised10-model", n_neurons: 5, num_hidden_units: 6, output_dimension: 4, label_num: 3,
  loss: "mse", batch_size: 6, beta1: 0.9, beta2: 0.999, eps: 1e-8, mode: "step",
};
const CASES: SupervisedStepOptions[] = [
  BASE,
  { ...BASE, loss: "cross_entropy" },
  { ...BASE, architecture: "supervised1-model" },
  { ...BASE, architecture: "supervised1-model", loss: "cross_entropy", label_num: 4 },
];

const randn = (rng: Rng, n: number) => Float64Array.from({ length: n }, () => rng.normal());
const init = (o: SupervisedStepOptions, seed: number) => initParams({ ...o, temperature: 1, temperature_mode: "constant" }, seed);

/** Random windows and targets (one-hot rows for cross-entropy) for a step graph of `o`. */
function batch(o: SupervisedStepOptions, rng: Rng, L: number) {
  const X = randn(rng, o.batch_size * L * o.n_neurons);
  const C = o.label_num;
  const targets = new Float64Array(o.batch_size * C);
  for (let i = 0; i < o.batch_size; i++) {
    if (o.loss === "mse") for (let c = 0; c < C; c++) targets[i * C + c] = rng.normal();
    else targets[i * C + rng.int(C)] = 1;
  }
  return { X, targets: { shape: [o.batch_size, C], data: targets } };
}

test("the classifier head follows the net in CEBRA's state-dict order, with PyTorch's default init", () => {
  const s = { architecture: "supervised10-model", n_neurons: 4, num_hidden_units: 6, output_dimension: 3 };
  const names = (a: string, label_num?: number) => paramLayout({ ...s, architecture: a, label_num }).map((p) => `${p.torch_name}:${p.shape.join("x")}`);
  assert.deepEqual(names("supervised10-model", 2), [
    "net.0.weight:6x4x2", "net.0.bias:6", "net.2.module.0.weight:6x6x3", "net.2.module.0.bias:6", "net.3.module.0.weight:6x6x3", "net.3.module.0.bias:6",
    "net.4.module.0.weight:6x6x3", "net.4.module.0.bias:6", "net.5.weight:3x6x3", "net.5.bias:3", "classifier.weight:2x3", "classifier.bias:2",
  ]);
  assert.deepEqual(names("supervised1-model", 5), [
    "net.1.weight:6x4", "net.1.bias:6", "net.3.weight:6x6", "net.3.bias:6", "net.5.weight:3x6", "net.5.bias:3", "net.7.weight:3x3", "net.7.bias:3", "classifier.weight:5x3", "classifier.bias:5",
  ]);
  assert.deepEqual(names("supervised10-model"), names("supervised10-model", 2).slice(0, -2));
  assert.ok(isSupervised("supervised1-model") && isSupervised("supervised10-model") && !isSupervised("offset10-model"));
  assert.throws(() => paramLayout({ ...s, architecture: "offset10-model", label_num: 2 }), /no classifier head/);
  // The net's initial values do not depend on the head (drawn first, as CEBRA creates the classifier after the net).
  const withHead = initParams({ ...s, label_num: 40, temperature: 1, temperature_mode: "constant" }, 3);
  const net = initParams({ ...s, temperature: 1, temperature_mode: "constant" }, 3);
  assert.deepEqual(withHead.subarray(0, net.length), net);
  const head = withHead.subarray(net.length);
  assert.equal(head.length, 40 * 4);
  const bound = 1 / Math.sqrt(3); // fan_in = output_dimension
  assert.ok(head.every((v) => Math.abs(v) <= bound) && head.some((v) => Math.abs(v) > 0.9 * bound));
});

test("the step graph's loss equals nn.MSELoss / nn.CrossEntropyLoss of classifier(relu(net(x))) in float64", () => {
  const rng = new Rng(4);
  for (const o of CASES) {
    const ir = buildSupervisedStepIR({ ...o, mode: "loss" });
    const params = init(o, 9);
    const { X, targets } = batch(o, rng, ir.window_length);
    const loss = run(ir.graph, { X, targets, params: Float64Array.from(params) }).loss.data[0];
    // Features from the window embedding graph (checked against the transcription of the net in models.test.ts).
    const net = paramLayout({ ...o, label_num: undefined });
    const P = net.reduce((s, p) => s + p.size, 0);
    const Z = run(buildWindowEmbeddingIR({ ...o, label_num: undefined, rows: o.batch_size }).graph, { X, params: { shape: [P], data: Float64Array.from(params.subarray(0, P)) } }).Z.data;
    const [D, C] = [o.output_dimension, o.label_num];
    const W = params.subarray(P, P + C * D);
    const b = params.subarray(P + C * D);
    let expect = 0;
    for (let i = 0; i < o.batch_size; i++) {
      assert.ok(Array.from(Z.subarray(i * D, i * D + D)).every((v) => v >= 0), "features are after the ReLU");
      const pred = Array.from({ length: C }, (_, c) => Array.from({ length: D }, (_, d) => W[c * D + d] * Z[i * D + d]).reduce((s, v) => s + v, b[c]));
      const y = targets.data.subarray(i * C, i * C + C);
      if (o.loss === "mse") expect += pred.reduce((s, p, c) => s + (p - y[c]) ** 2, 0) / (o.batch_size * C);
      else expect += (Math.log(pred.reduce((s, p) => s + Math.exp(p), 0)) - pred[y.indexOf(1)]) / o.batch_size;
    }
    assert.ok(Math.abs(loss - expect) < 1e-12, `${o.architecture} ${o.loss}: ${loss} vs ${expect}`);
  }
});

test("the supervised step's gradient matches finite differences, and the generic rules' gradient", () => {
  for (const o of CASES) {
    const ir = buildSupervisedStepIR({ ...o, beta1: 0 });
    const rng = new Rng(11);
    const P = ir.param_count;
    const feeds = { ...batch(o, rng, ir.window_length), params: Float64Array.from(init(o, 11)), m: new Float64Array(P), v: new Float64Array(P), step_size: [0], bc2_sqrt: [1] };
    const grad = run(ir.graph, feeds).new_m.data;
    const loss = ir.graph.outputs.find((x) => x.name === "loss")!.value;
    // A few coordinates, always including the head's last weight and bias, and random directions.
    const idx = [...Array.from({ length: 10 }, () => rng.int(P)), P - o.label_num - 1, P - 1];
    const numeric = numericGradient(ir.graph, feeds, "params", loss, { indices: idx, h: 1e-5 });
    idx.forEach((i, k) => assert.ok(Math.abs(grad[i] - numeric[k]) <= 1e-7 + 1e-5 * Math.abs(numeric[k]), `${o.architecture} ${o.loss} param ${i}: ${grad[i]} vs ${numeric[k]}`));
    for (let d = 0; d < 2; d++) {
      const dir = randn(rng, P);
      const analytic = dir.reduce((s, x, i) => s + x * grad[i], 0);
      const num = directionalDerivative(ir.graph, feeds, "params", loss, dir, 1e-5);
      assert.ok(Math.abs(analytic - num) <= 1e-6 + 1e-5 * Math.abs(num), `${o.architecture} ${o.loss} direction ${d}: ${analytic} vs ${num}`);
    }
    const generic = run(buildSupervisedStepIR({ ...o, beta1: 0 }, { customRules: false }).graph, feeds).new_m.data;
    grad.forEach((v, i) => assert.ok(Math.abs(v - generic[i]) <= 1e-12 * (1 + Math.abs(v)), `${o.architecture} generic rules, param ${i}`));
  }
});

test("chained Adam steps in ONNX Runtime (float32) follow the float64 interpreter", async () => {
  for (const o of CASES) {
    const ir = buildSupervisedStepIR(o);
    const session = await ort.InferenceSession.create(writeOnnx(ir.graph), { intraOpNumThreads: 1 });
    const P = ir.param_count;
    const rng = new Rng(21);
    let [p32, m32, v32]: Float32Array[] = [init(o, 4), new Float32Array(P), new Float32Array(P)];
    let [p64, m64, v64]: Float64Array[] = [Float64Array.from(p32), new Float64Array(P), new Float64Array(P)];
    const losses: number[] = [];
    const f32 = (a: ArrayLike<number>, dims: number[]) => new ort.Tensor("float32", Float32Array.from(a), dims);
    for (let t = 1; t <= 8; t++) {
      const { X, targets } = batch(o, rng, ir.window_length);
      const [stepSize, bc2] = [1e-2 / (1 - o.beta1 ** t), Math.sqrt(1 - o.beta2 ** t)];
      const out32 = await session.run({
        X: f32(X, [o.batch_size, ir.window_length, o.n_neurons]), targets: f32(targets.data, targets.shape), params: f32(p32, [P]), m: f32(m32, [P]), v: f32(v32, [P]),
        step_size: f32([stepSize], []), bc2_sqrt: f32([bc2], []),
      });
      const out64 = run(ir.graph, { X, targets, params: p64, m: m64, v: v64, step_size: [stepSize], bc2_sqrt: [bc2] });
      const l32 = (out32.loss.data as Float32Array)[0];
      assert.ok(Math.abs(l32 - out64.loss.data[0]) < 1e-4 * (1 + Math.abs(l32)), `${o.architecture} ${o.loss} step ${t}: ${l32} vs ${out64.loss.data[0]}`);
      losses.push(out64.loss.data[0]);
      [p32, m32, v32] = [out32.new_params.data as Float32Array, out32.new_m.data as Float32Array, out32.new_v.data as Float32Array];
      [p64, m64, v64] = [out64.new_params.data, out64.new_m.data, out64.new_v.data];
    }
    let maxDiff = 0;
    for (let i = 0; i < P; i++) maxDiff = Math.max(maxDiff, Math.abs(p32[i] - p64[i]));
    assert.ok(maxDiff < 1e-4, `${o.architecture} ${o.loss}: params differ by ${maxDiff}`);
    assert.ok(p64.some((v, i) => Math.abs(v - init(o, 4)[i]) > 1e-3), "the steps moved the parameters");
    await session.release();
  }
});

const [T, N] = [300, 7];
const ring = ringRecording({ T, N }).session;
const cfgOf = (over: Partial<TrainConfig>): TrainConfig => ({
  ...DEFAULT_TRAIN_CONFIG, model_architecture: "supervised10-model", output_dimension: 4, num_hidden_units: 8, batch_size: 32, max_iterations: 150,
  learning_rate: 3e-3, device: "cpu", threads: 1, ...over,
});
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;

test("the trainer fits a supervised model to continuous labels (MSE) and resumes exactly", async () => {
  const cfg = cfgOf({});
  const full = await runTrainingLoop([ring], cfg);
  assert.equal(supervisedLabelNum(full), 2, "one head output per label dimension");
  assert.ok(mean(full.log.total.slice(-10)) < 0.6 * mean(full.log.total.slice(0, 10)), `the MSE falls: ${full.log.total[0]} → ${full.log.total.at(-1)}`);
  assert.deepEqual(full.log.uniform.slice(0, 3), [0, 0, 0]);
  const half = await runTrainingLoop([ring], { ...cfg, max_iterations: 60 });
  const resumed = await runTrainingLoop([ring], cfg, { resumeFrom: half });
  assert.deepEqual(resumed.params[0], full.params[0]);
  assert.deepEqual(resumed.log.total, full.log.total);
  // The held-out loss graph, on the samples after the training stretch: deterministic, and far below the loss at initialisation.
  const longer = ringRecording({ T: T + 100, N }).session; // the same ring, 100 samples further
  const other: SessionData = { neural: longer.neural.slice(T * N), n_samples: 100, n_neurons: N, continuous: { data: longer.continuous!.data.slice(T * 2), dim: 2 } };
  const heldout = await evaluateSupervisedLoss(full, other, 10);
  assert.equal(await evaluateSupervisedLoss(full, other, 10), heldout);
  assert.ok(heldout < 0.5 * full.log.total[0], `held-out MSE ${heldout} vs ${full.log.total[0]} at step 1`);
  const z = await transformRecording(full, ring.neural, T, N, { threads: 1 });
  assert.equal(z.length, T * 4);
  assert.ok(z.every((v) => v >= 0 && Number.isFinite(v)), "the embedding is the ReLU features");
});

test("discrete labels train the head with cross-entropy over the classes", async () => {
  const discrete = Int32Array.from({ length: T }, (_, t) => Math.floor((Math.atan2(ring.continuous!.data[2 * t + 1], ring.continuous!.data[2 * t]) + Math.PI) / (Math.PI / 2)) % 4);
  const data: SessionData = { neural: ring.neural, n_samples: T, n_neurons: N, discrete };
  const m = await runTrainingLoop([data], cfgOf({ model_architecture: "supervised1-model", max_iterations: 80, learning_rate: 1e-2 }));
  assert.equal(supervisedLabelNum(m), 4);
  const first = m.log.total[0];
  assert.ok(Math.abs(first - Math.log(4)) < 0.5, `cross-entropy starts near log(4): ${first}`);
  assert.ok(mean(m.log.total.slice(-10)) < 0.7 * first, `and falls: ${first} → ${m.log.total.at(-1)}`);
  m.log.total.forEach((l, i) => assert.ok(Math.abs(l - (m.log.align[i] + m.log.uniform[i])) < 1e-5));
  // Resuming on labels with another number of classes: a UserError naming the head's size, not a parameter-count error.
  const fewer: SessionData = { ...data, discrete: discrete.map((c) => c % 3) };
  await assert.rejects(
    runTrainingLoop([fewer], cfgOf({ model_architecture: "supervised1-model", max_iterations: 100, learning_rate: 1e-2 }), { resumeFrom: m }),
    (e: unknown) => e instanceof UserError && /head has 4 outputs, the labels give 3/.test(e.problem),
  );
});

test("supervised models refuse what only contrastive training does, naming the fix", async () => {
  const ok = { architecture: "supervised10-model", mode: "behavior", sessions: 1, adapt: false, config: cfgOf({}) };
  assert.doesNotThrow(() => checkSupervisedRequest(ok));
  const refusals: [Partial<typeof ok>, RegExp][] = [
    [{ mode: "time" }, /mode 'time'/],
    [{ mode: "hybrid" }, /mode 'hybrid'/],
    [{ sessions: 2 }, /recording_ids/],
    [{ adapt: true }, /adapt_from/],
    [{ config: cfgOf({ delta: 0.5 }) }, /delta/],
    [{ config: cfgOf({ full_batch: true }) }, /full_batch/],
    [{ config: cfgOf({ temperature_mode: "auto" }) }, /temperature/],
  ];
  for (const [over, re] of refusals) {
    assert.throws(() => checkSupervisedRequest({ ...ok, ...over }), (e: unknown) => e instanceof UserError && re.test(e.problem) && /mode 'behavior'/.test(e.fix), String(re));
  }
  assert.doesNotThrow(() => checkSupervisedRequest({ ...ok, architecture: "offset10-model", mode: "time" }));
  const unlabelled: SessionData = { neural: ring.neural, n_samples: T, n_neurons: N };
  await assert.rejects(runTrainingLoop([unlabelled], cfgOf({})), (e: unknown) => e instanceof UserError && /labels/.test(e.problem));
  await assert.rejects(runTrainingLoop([ring, ring], cfgOf({})), (e: unknown) => e instanceof UserError && /recording_ids/.test(e.problem));
});
