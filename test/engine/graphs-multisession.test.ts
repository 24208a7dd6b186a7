/**
 * Multi-session step graph (one encoder per session, positives reordered by a permutation, InfoNCE
 * on the stacked S·B batch): loss against a direct computation, gradients against finite
 * differences, ORT against the float64 interpreter, and the single-session special case.
 */
import test from "node:test";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { buildWindowEmbeddingIR } from "../../src/engine/cebra/inference.js";
import {
  type MultiSessionStepGraphOptions,
  buildMultiSessionStepGraph,
  buildMultiSessionStepIR,
  initMultiSessionParams,
} from "../../src/engine/cebra/multisession-step.js";
import { buildStepIR } from "../../src/engine/cebra/step.js";
import { directionalDerivative, numericGradient, run } from "../../src/engine/graph/interp.js";
import { writeOnnx } from "../../src/engine/graph/onnx.js";
import { UserError } from "../../src/util/errors.js";
import { Rng } from "../../src/util/rng.js";

const OPTS: MultiSessionStepGraphOptions = {
  architecture: "offset10-model",
  n_neurons: [4, 7],
  num_hidden_units: 6,
  output_dimension: 3,
  distance: "cosine",
  temperature: 0.7,
  temperature_mode: "auto",
  min_temperature: 0.1,
  batch_size: 4,
  beta1: 0,
  beta2: 0.999,
  eps: 1e-8,
  mode: "step",
};

/** Random windows per session, a random permutation, and initial params. */
function fixture(o: MultiSessionStepGraphOptions, seed: number) {
  const rng = new Rng(seed);
  const B = o.batch_size;
  const xs = o.n_neurons.map((N) => Float64Array.from({ length: 3 * B * 10 * N }, () => rng.normal()));
  const perm = rng.shuffle(Array.from({ length: o.n_neurons.length * B }, (_, i) => i));
  const params = Float64Array.from(initMultiSessionParams(o, seed));
  return { xs, perm, params };
}

function feedsOf(_o: MultiSessionStepGraphOptions, f: ReturnType<typeof fixture>) {
  const P = f.params.length;
  return {
    ...Object.fromEntries(f.xs.map((x, s) => [`X${s}`, x])),
    pos_index: f.perm,
    params: f.params,
    m: new Float64Array(P),
    v: new Float64Array(P),
    step_size: [0],
    bc2_sqrt: [1],
  };
}

test("multi-session loss = InfoNCE of stacked refs, permuted stacked positives and all S·B negatives", () => {
  const f = fixture(OPTS, 1);
  const { graph, meta } = buildMultiSessionStepIR(OPTS);
  const got = run(graph, feedsOf(OPTS, f));
  const B = OPTS.batch_size;
  const D = OPTS.output_dimension;
  // Embeddings of each session's windows with its own slice of the flat vector.
  const Z = OPTS.n_neurons.map((N, s) => {
    const emb = buildWindowEmbeddingIR({ ...OPTS, n_neurons: N, rows: 3 * B });
    const p = f.params.subarray(meta.param_offsets[s], meta.param_offsets[s] + meta.session_param_counts[s]);
    return run(emb.graph, { X: f.xs[s], params: { shape: [p.length], data: p } }).Z.data;
  });
  const row = (k: number, i: number) => Z[Math.floor(i / B)].subarray((k * B + (i % B)) * D, (k * B + (i % B) + 1) * D);
  const beta = Math.min(Math.exp(f.params[f.params.length - 1]), 1 / OPTS.min_temperature);
  const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, d) => s + x * b[d], 0);
  const SB = OPTS.n_neurons.length * B;
  let align = 0;
  let uniform = 0;
  for (let i = 0; i < SB; i++) {
    align -= (beta * dot(row(0, i), row(1, f.perm[i]))) / SB;
    const neg = Array.from({ length: SB }, (_, j) => beta * dot(row(0, i), row(2, j)));
    const c = Math.max(...neg);
    uniform += (Math.log(neg.reduce((s, x) => s + Math.exp(x - c), 0)) + c) / SB;
  }
  assert.ok(Math.abs(got.align.data[0] - align) < 1e-12);
  assert.ok(Math.abs(got.uniform.data[0] - uniform) < 1e-12);
  assert.ok(Math.abs(got.loss.data[0] - (align + uniform)) < 1e-12);
  assert.ok(Math.abs(got.temperature.data[0] - 1 / beta) < 1e-12);
});

test("multi-session step gradient matches float64 finite differences (every encoder and θ)", () => {
  const f = fixture(OPTS, 2);
  const { graph, meta } = buildMultiSessionStepIR(OPTS);
  const feeds = feedsOf(OPTS, f);
  const grad = run(graph, feeds).new_m.data; // β1 = 0: new_m is the gradient
  const loss = graph.outputs.find((o) => o.name === "loss")!.value;
  const P = meta.param_count;
  const rng = new Rng(4);
  const idx = [0, meta.param_offsets[1], meta.param_offsets[1] - 1, P - 2, P - 1, ...Array.from({ length: 10 }, () => rng.int(P))];
  const numeric = numericGradient(graph, feeds, "params", loss, { indices: idx, h: 1e-5 });
  idx.forEach((i, k) => assert.ok(Math.abs(grad[i] - numeric[k]) <= 1e-7 + 1e-5 * Math.abs(numeric[k]), `param ${i}: ${grad[i]} vs ${numeric[k]}`));
  for (let d = 0; d < 2; d++) {
    const dir = Float64Array.from({ length: P }, () => rng.normal());
    const analytic = dir.reduce((s, x, i) => s + x * grad[i], 0);
    const fd = directionalDerivative(graph, feeds, "params", loss, dir, 1e-5);
    assert.ok(Math.abs(analytic - fd) <= 1e-6 + 1e-5 * Math.abs(fd), `direction ${d}: ${analytic} vs ${fd}`);
  }
});

test("one session with the identity permutation reproduces the single-session step", () => {
  const o = { ...OPTS, n_neurons: [5], temperature_mode: "constant" as const };
  const f = fixture(o, 3);
  f.perm.sort((a, b) => a - b);
  const multi = run(buildMultiSessionStepIR(o).graph, feedsOf(o, f));
  const single = run(buildStepIR({ ...o, n_neurons: 5, hybrid: false }).graph, {
    X: f.xs[0],
    params: f.params,
    m: new Float64Array(f.params.length),
    v: new Float64Array(f.params.length),
    step_size: [0],
    bc2_sqrt: [1],
  });
  assert.ok(Math.abs(multi.loss.data[0] - single.loss.data[0]) < 1e-12);
  multi.new_m.data.forEach((g, i) => assert.ok(Math.abs(g - single.new_m.data[i]) < 1e-12));
});

test("ORT float32 multi-session steps match the float64 interpreter over 20 chained steps", async () => {
  const o = { ...OPTS, beta1: 0.9, n_neurons: [4, 7, 5] };
  const { graph, meta } = buildMultiSessionStepIR(o);
  const session = await ort.InferenceSession.create(writeOnnx(graph));
  const f = fixture(o, 5);
  const P = meta.param_count;
  let p32: Float32Array = Float32Array.from(f.params);
  let m32: Float32Array = new Float32Array(P);
  let v32: Float32Array = new Float32Array(P);
  let p64: Float64Array = Float64Array.from(p32);
  let m64: Float64Array = new Float64Array(P);
  let v64: Float64Array = new Float64Array(P);
  const rng = new Rng(6);
  for (let t = 1; t <= 20; t++) {
    const xs = o.n_neurons.map((N) => Float32Array.from({ length: 3 * o.batch_size * 10 * N }, () => rng.normal()));
    const perm = rng.shuffle(Array.from({ length: o.n_neurons.length * o.batch_size }, (_, i) => i));
    const stepSize = 1e-3 / (1 - 0.9 ** t);
    const bc2 = Math.sqrt(1 - 0.999 ** t);
    const out = await session.run({
      ...Object.fromEntries(xs.map((x, s) => [`X${s}`, new ort.Tensor("float32", x, [3 * o.batch_size, 10, o.n_neurons[s]])])),
      pos_index: new ort.Tensor("int64", BigInt64Array.from(perm, (i) => BigInt(i)), [perm.length]),
      params: new ort.Tensor("float32", p32, [P]),
      m: new ort.Tensor("float32", m32, [P]),
      v: new ort.Tensor("float32", v32, [P]),
      step_size: new ort.Tensor("float32", Float32Array.of(stepSize), []),
      bc2_sqrt: new ort.Tensor("float32", Float32Array.of(bc2), []),
    });
    const ref = run(graph, { ...Object.fromEntries(xs.map((x, s) => [`X${s}`, x])), pos_index: perm, params: p64, m: m64, v: v64, step_size: [stepSize], bc2_sqrt: [bc2] });
    assert.ok(Math.abs((out.loss.data as Float32Array)[0] - ref.loss.data[0]) < 1e-5, `step ${t} loss`);
    p32 = out.new_params.data as Float32Array;
    m32 = out.new_m.data as Float32Array;
    v32 = out.new_v.data as Float32Array;
    p64 = ref.new_params.data;
    m64 = ref.new_m.data;
    v64 = ref.new_v.data;
  }
  p32.forEach((x, i) => assert.ok(Math.abs(x - p64[i]) < 1e-5, `param ${i}`));
});

test("multi-session graph metadata, inputs, initial vector and validation", async () => {
  const g = buildMultiSessionStepGraph({ ...OPTS, mode: "loss" });
  const per = (N: number) => 2 * N * 6 + 6 + 3 * (3 * 36 + 6) + 3 * 6 * 3 + 3;
  assert.deepEqual(g.session_param_counts, [per(4), per(7)]);
  assert.deepEqual(g.param_offsets, [0, per(4)]);
  assert.equal(g.param_count, per(4) + per(7) + 1);
  assert.deepEqual(g.rows, { ref: 4, pos: 4, neg: 4 });
  const session = await ort.InferenceSession.create(g.onnx);
  assert.deepEqual([...session.inputNames].sort(), ["X0", "X1", "params", "pos_index"]);
  const init = initMultiSessionParams(OPTS, 9);
  assert.equal(init.length, g.param_count);
  assert.ok(Math.abs(init[init.length - 1] - Math.log(1 / 0.7)) < 1e-6);
  assert.throws(() => buildMultiSessionStepGraph({ ...OPTS, n_neurons: [] }), UserError);
  assert.throws(() => buildMultiSessionStepGraph({ ...OPTS, hybrid: true } as MultiSessionStepGraphOptions), UserError);
});
