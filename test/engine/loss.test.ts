/**
 * InfoNCE against a direct float64 transcription of CEBRA's criterions.py, numerical stability,
 * chance level at initialisation, hybrid composition and the learnable temperature's clamp.
 */
import test from "node:test";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { buildWindowEmbeddingIR } from "../../src/engine/cebra/inference.js";
import { initParams } from "../../src/engine/cebra/init.js";
import { type StepGraphOptions, buildStepGraph, buildStepIR } from "../../src/engine/cebra/step.js";
import { Graph } from "../../src/engine/graph/ir.js";
import { run } from "../../src/engine/graph/interp.js";
import { type SimilarityScale, infonce } from "../../src/engine/cebra/loss.js";
import { writeOnnx } from "../../src/engine/graph/onnx.js";
import type { Distance } from "../../src/engine/types.js";
import { Rng } from "../../src/util/rng.js";

/** CEBRA's infonce(dot/euclidean similarity · scale), written out in float64. */
function reference(ref: Float64Array, pos: Float64Array, neg: Float64Array, B: number, D: number, distance: Distance, scale: number) {
  const dot = (a: Float64Array, i: number, b: Float64Array, j: number) => {
    let s = 0;
    for (let d = 0; d < D; d++) s += a[i * D + d] * b[j * D + d];
    return s;
  };
  const sim = (a: Float64Array, i: number, b: Float64Array, j: number) =>
    scale * (distance === "cosine" ? dot(a, i, b, j) : -(dot(a, i, a, i) + dot(b, j, b, j) - 2 * dot(a, i, b, j)));
  let align = 0;
  let uniform = 0;
  for (let i = 0; i < B; i++) {
    align -= sim(ref, i, pos, i) / B;
    const row = Array.from({ length: B }, (_, j) => sim(ref, i, neg, j));
    const c = Math.max(...row);
    uniform += (Math.log(row.reduce((s, x) => s + Math.exp(x - c), 0)) + c) / B;
  }
  return { loss: align + uniform, align, uniform };
}

function normalRows(rng: Rng, B: number, D: number, scale: number, unit: boolean): Float64Array {
  const out = Float64Array.from({ length: B * D }, () => rng.normal() * scale);
  if (unit) for (let i = 0; i < B; i++) {
    const n = Math.hypot(...out.subarray(i * D, (i + 1) * D));
    for (let d = 0; d < D; d++) out[i * D + d] /= n;
  }
  return out;
}

/** The loss-module graph alone: inputs ref, pos, neg [B, D] (and beta for a learnable scale). */
function lossGraph(B: number, D: number, distance: Distance, learnable: boolean, temperature: number) {
  const g = new Graph();
  const ins = ["ref", "pos", "neg"].map((n) => g.input(n, "float", [B, D]));
  const scale: SimilarityScale = learnable ? { kind: "learnable", beta: g.input("beta", "float", []) } : { kind: "constant", temperature };
  const l = infonce(ins[0], ins[1], ins[2], distance, scale);
  g.output("loss", l.loss);
  g.output("align", l.align);
  g.output("uniform", l.uniform);
  return g;
}

const LOSS_CASES: { distance: Distance; learnable: boolean; temperature: number; magnitude: number }[] = [
  { distance: "cosine", learnable: false, temperature: 1, magnitude: 1 },
  { distance: "cosine", learnable: false, temperature: 0.1, magnitude: 1 },
  { distance: "cosine", learnable: true, temperature: 0.5, magnitude: 1 },
  { distance: "euclidean", learnable: false, temperature: 2, magnitude: 1 },
  { distance: "euclidean", learnable: true, temperature: 0.7, magnitude: 1 },
  // Far-apart embeddings and a low temperature: similarities ≈ −1e4, exp underflows without the max shift.
  { distance: "euclidean", learnable: false, temperature: 0.05, magnitude: 20 },
];

for (const c of LOSS_CASES) {
  test(`InfoNCE ${c.distance} ${c.learnable ? "learnable" : "constant"} τ=${c.temperature} ×${c.magnitude} matches CEBRA (float64 and ORT float32)`, async () => {
    const [B, D] = [7, 5];
    const rng = new Rng(2);
    const unit = c.distance === "cosine";
    const [ref, pos, neg] = [0, 1, 2].map(() => normalRows(rng, B, D, c.magnitude, unit));
    const expect = reference(ref, pos, neg, B, D, c.distance, 1 / c.temperature);
    const g = lossGraph(B, D, c.distance, c.learnable, c.temperature);
    const feeds = { ref, pos, neg, ...(c.learnable ? { beta: [1 / c.temperature] } : {}) };
    const got = run(g, feeds);
    for (const k of ["loss", "align", "uniform"] as const) assert.ok(Math.abs(got[k].data[0] - expect[k]) <= 1e-12 * (1 + Math.abs(expect[k])), `${k}: ${got[k].data[0]} vs ${expect[k]}`);
    const session = await ort.InferenceSession.create(writeOnnx(g));
    const f32 = (a: Float64Array) => new ort.Tensor("float32", Float32Array.from(a), [B, D]);
    const out = await session.run({ ref: f32(ref), pos: f32(pos), neg: f32(neg), ...(c.learnable ? { beta: new ort.Tensor("float32", Float32Array.of(1 / c.temperature), []) } : {}) });
    for (const k of ["loss", "align", "uniform"] as const) {
      const v = (out[k].data as Float32Array)[0];
      assert.ok(Number.isFinite(v), `${k} is not finite`);
      assert.ok(Math.abs(v - expect[k]) <= 2e-6 * (1 + Math.abs(expect[k])), `ORT ${k}: ${v} vs ${expect[k]}`);
    }
  });
}

const STD: StepGraphOptions = {
  architecture: "offset10-model",
  n_neurons: 40,
  num_hidden_units: 32,
  output_dimension: 8,
  distance: "cosine",
  temperature: 1,
  temperature_mode: "constant",
  min_temperature: 0.1,
  hybrid: false,
  batch_size: 512,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  mode: "loss",
};

// Chance level. Write s_ij for reference i's similarities to the B negatives, s̄_i their mean and r_i
// their range. Jensen and Hoeffding's lemma bound log((1/B)·Σ_j exp s_ij) between s̄_i and
// s̄_i + r_i²/8, so loss − log B lies in [Δ, Δ + mean_i r_i²/8] with Δ = mean_i(s̄_i − pos_i): the
// tolerance around log B follows from the similarity spread of the initial embeddings (and Δ ≈ 0
// because positives and negatives are drawn alike here).
test("initial cosine loss at PyTorch-default init with τ = 1 is log(batch size) within the similarity spread", async () => {
  const B = STD.batch_size;
  const M = 3 * B;
  const rng = new Rng(8);
  const X = Float32Array.from({ length: M * 10 * STD.n_neurons }, () => rng.normal());
  const params = initParams(STD, 0);
  const feeds = { X: new ort.Tensor("float32", X, [M, 10, STD.n_neurons]), params: new ort.Tensor("float32", params, [params.length]) };
  const out = await (await ort.InferenceSession.create(buildStepGraph(STD).onnx)).run(feeds);
  const loss = (out.loss.data as Float32Array)[0];
  const emb = buildWindowEmbeddingIR({ ...STD, rows: M });
  const Z = (await (await ort.InferenceSession.create(writeOnnx(emb.graph))).run(feeds)).Z.data as Float32Array;
  const D = STD.output_dimension;
  const dot = (i: number, j: number) => Z.subarray(i * D, i * D + D).reduce((s, x, d) => s + x * Z[j * D + d], 0);
  let delta = 0;
  let spread = 0;
  for (let i = 0; i < B; i++) {
    const row = Array.from({ length: B }, (_, j) => dot(i, 2 * B + j));
    const mean = row.reduce((a, b) => a + b, 0) / B;
    delta += (mean - dot(i, B + i)) / B;
    spread += (Math.max(...row) - Math.min(...row)) ** 2 / 8 / B;
  }
  const excess = loss - Math.log(B);
  assert.ok(excess >= delta - 1e-5 && excess <= delta + spread + 1e-5, `loss − log B = ${excess}, bounds [${delta}, ${delta + spread}]`);
  assert.ok(Math.abs(excess) <= Math.abs(delta) + spread, `|loss − log B| = ${Math.abs(excess)}`);
  // At init the bound is tight enough to call the loss ≈ log B (measured: excess 0.027, Δ −0.028, spread term 0.36).
  assert.ok(spread < 0.5 && Math.abs(delta) < 0.05, `spread ${spread}, Δ ${delta}`);
});

test("hybrid loss = InfoNCE on the first 3 dims (behaviour positives) + InfoNCE on all dims (time positives)", () => {
  const o: StepGraphOptions = { ...STD, n_neurons: 6, num_hidden_units: 8, output_dimension: 5, batch_size: 5, hybrid: true, temperature: 0.6 };
  const B = o.batch_size;
  const M = 4 * B;
  const rng = new Rng(4);
  const X = Float64Array.from({ length: M * 10 * 6 }, () => rng.normal());
  const params = Float64Array.from(initParams(o, 1));
  const got = run(buildStepIR(o).graph, { X, params });
  const Z = run(buildWindowEmbeddingIR({ ...o, rows: M }).graph, { X, params: { shape: [params.length], data: params } }).Z.data;
  const D = 5;
  const rows = (start: number, d: number) => {
    const out = new Float64Array(B * d);
    for (let i = 0; i < B; i++) for (let k = 0; k < d; k++) out[i * d + k] = Z[(start + i) * D + k];
    return out;
  };
  const behaviour = reference(rows(0, 3), rows(B, 3), rows(3 * B, 3), B, 3, "cosine", 1 / 0.6);
  const time = reference(rows(0, D), rows(2 * B, D), rows(3 * B, D), B, D, "cosine", 1 / 0.6);
  assert.ok(Math.abs(got.loss.data[0] - (behaviour.loss + time.loss)) < 1e-12);
  assert.ok(Math.abs(got.align.data[0] - (behaviour.align + time.align)) < 1e-12);
  assert.ok(Math.abs(got.uniform.data[0] - (behaviour.uniform + time.uniform)) < 1e-12);
});

test("learnable temperature: reported τ = 1/β, clamped at min_temperature with no gradient beyond it", () => {
  const o: StepGraphOptions = { ...STD, n_neurons: 4, num_hidden_units: 6, batch_size: 4, temperature_mode: "auto", mode: "step" };
  const ir = buildStepIR(o);
  const P = ir.param_count;
  const rng = new Rng(6);
  const X = Float64Array.from({ length: 12 * 10 * 4 }, () => rng.normal());
  const feeds = (temperature: number) => {
    const params = Float64Array.from(initParams({ ...o, temperature }, 2));
    params[P - 1] = Math.log(1 / temperature); // exact θ (initParams rounds it to float32)
    return { X, params, m: new Float64Array(P), v: new Float64Array(P), step_size: [0.1], bc2_sqrt: [1] };
  };
  const free = run(ir.graph, feeds(0.4));
  assert.ok(Math.abs(free.temperature.data[0] - 0.4) < 1e-12);
  assert.notEqual(free.new_m.data[P - 1], 0); // θ receives a gradient
  const clamped = run(ir.graph, feeds(0.05)); // exp θ = 20 > 1/min_temperature = 10
  assert.ok(Math.abs(clamped.temperature.data[0] - 0.1) < 1e-12);
  assert.equal(clamped.new_m.data[P - 1], 0);
  assert.equal(clamped.new_params.data[P - 1], Math.log(20));
  const noClamp = run(buildStepIR({ ...o, min_temperature: 0 }).graph, feeds(0.05));
  assert.ok(Math.abs(noClamp.temperature.data[0] - 0.05) < 1e-12);
});

test("learnable temperature falls while training on easy positives and stops at min_temperature (ORT)", async () => {
  const o: StepGraphOptions = { ...STD, n_neurons: 5, num_hidden_units: 8, batch_size: 16, temperature_mode: "auto", temperature: 0.3, min_temperature: 0.1, mode: "step" };
  const g = buildStepGraph(o);
  const session = await ort.InferenceSession.create(g.onnx);
  const B = o.batch_size;
  const rng = new Rng(10);
  let params: Float32Array = initParams(o, 3);
  let m: Float32Array = new Float32Array(g.param_count);
  let v: Float32Array = new Float32Array(g.param_count);
  const temps: number[] = [];
  for (let t = 1; t <= 80; t++) {
    // Positives are copies of the references: sharper similarities always help, so θ grows.
    const X = new Float32Array(3 * B * 10 * 5);
    for (let i = 0; i < B * 50; i++) X[i] = X[B * 50 + i] = rng.normal();
    for (let i = 2 * B * 50; i < X.length; i++) X[i] = rng.normal();
    const f = (a: Float32Array) => new ort.Tensor("float32", a, [a.length]);
    const out = await session.run({
      X: new ort.Tensor("float32", X, [3 * B, 10, 5]),
      params: f(params),
      m: f(m),
      v: f(v),
      step_size: new ort.Tensor("float32", Float32Array.of(0.05 / (1 - 0.9 ** t)), []),
      bc2_sqrt: new ort.Tensor("float32", Float32Array.of(Math.sqrt(1 - 0.999 ** t)), []),
    });
    params = out.new_params.data as Float32Array;
    m = out.new_m.data as Float32Array;
    v = out.new_v.data as Float32Array;
    temps.push((out.temperature.data as Float32Array)[0]);
  }
  assert.ok(Math.abs(temps[0] - 0.3) < 1e-6);
  assert.ok(temps.every((t) => t >= 0.1 - 1e-7), `temperature went below the minimum: ${Math.min(...temps)}`);
  assert.ok(Math.abs(temps[temps.length - 1] - 0.1) < 1e-6, `final temperature ${temps[temps.length - 1]}`);
});
