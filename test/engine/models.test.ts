/**
 * Architecture specs: parameter counts and names against CEBRA, window bookkeeping, PyTorch-default
 * initialisation, and the fully convolutional inference graph against the training forward pass and its
 * channels-first form (ONNX Conv) against the channels-last one.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as ort from "onnxruntime-node";
import { buildInferenceGraph, buildInferenceIR, buildWindowEmbeddingIR } from "../../src/engine/cebra/inference.js";
import { initParams } from "../../src/engine/cebra/init.js";
import { type ModelShape, architectureFamilies, getArchitecture, listArchitectures, paramLayout, stateDictLayout } from "../../src/engine/cebra/lookup.js";
import { run } from "../../src/engine/graph/interp.js";
import { findSpec, modelParamCount, outputLength, resolveModel } from "../../src/engine/cebra/architectures.js";
import { fitsChannelsFirst } from "../../src/engine/cebra/channels-first.js";
import { embedWindows, sliceParams } from "../../src/engine/cebra/flat-params.js";
import { Graph } from "../../src/engine/graph/ir.js";
import { writeOnnx } from "../../src/engine/graph/onnx.js";
import { UserError } from "../../src/util/errors.js";
import { Rng } from "../../src/util/rng.js";

const REQUIRED = [
  "offset1-model",
  "offset1-model-mse",
  "offset5-model",
  "offset10-model",
  "offset10-model-mse",
  "offset36-model",
  "offset40-model-4x-subsample",
  "offset15-model",
  "offset20-model",
  "offset40-model",
  "offset50-model",
  "offset1-model-v2",
  "offset1-model-v3",
  "offset1-model-v4",
  "offset1-model-v5",
  "offset20-model-4x-subsample",
  "offset4-model-2x-subsample",
  "offset10-model-mse-tanh",
  "offset1-model-mse-tanh",
  "offset36-model-dropout",
  "offset36-model-more-dropout",
  "supervised10-model",
  "supervised1-model",
];

/**
 * Members of CEBRA's parametrised families checked like the fixed architectures: each family with and
 * without -tanh, intermediate layers n = 1 and 3 (n > 1: one Linear shared by the repetitions).
 */
const FAMILY_SAMPLES = [
  "offset1-model-mse-clip-5-10",
  "offset1-model-mse-clip-1-1",
  "offset1-model-mse-v2-1layers",
  "offset1-model-mse-v2-3layers-tanh",
  "offset1-model-mse-resnet-1layers",
  "offset1-model-mse-resnet-3layers-tanh",
];

const shape = (architecture: string, N: number, H: number, D: number): ModelShape => ({ architecture, n_neurons: N, num_hidden_units: H, output_dimension: D });
const count = (s: ModelShape) => paramLayout(s).reduce((a, p) => a + p.size, 0);

test("parameter counts match CEBRA's reference values and per-architecture formulas", () => {
  assert.equal(count(shape("offset10-model", 120, 32, 3)), 17315);
  assert.equal(count(shape("offset1-model", 120, 32, 8)), 5592);
  const [N, H, D] = [17, 6, 5];
  const skip = 3 * H * H + H;
  const formulas: Record<string, number> = {
    "offset1-model": N * H + H + H * H + H + H * (H >> 1) + (H >> 1) + (H >> 1) * D + D,
    "offset1-model-mse": N * 30 * D + 30 * D + 900 * D * D + 30 * D + 300 * D * D + 10 * D + 10 * D * D + D,
    "offset5-model": 2 * N * H + H + skip + 2 * H * D + D,
    "offset10-model": 2 * N * H + H + 3 * skip + 3 * H * D + D,
    "offset10-model-mse": 2 * N * H + H + 3 * skip + 3 * H * D + D,
    "offset36-model": 2 * N * H + H + 16 * skip + 3 * H * D + D,
    "offset40-model-4x-subsample": 4 * N * H + H + 3 * (N + H) * H + H + 3 * skip + 3 * H * D + D,
    "offset15-model": 2 * N * H + H + 6 * skip + 2 * H * D + D,
    "offset20-model": 2 * N * H + H + 8 * skip + 3 * H * D + D,
    "offset40-model": 2 * N * H + H + 18 * skip + 3 * H * D + D,
    "offset50-model": 2 * N * H + H + 23 * skip + 3 * H * D + D,
    "offset1-model-v2": N * H + H + 2 * (H * H + H) + H * D + D,
    "offset1-model-v3": N * H + H + 2 * (H * H + H) + H * D + D,
    "offset1-model-v4": N * H + H + 4 * (H * H + H) + H * D + D,
    "offset1-model-v5": N * H + H + 4 * (H * H + H) + H * D + D,
    "offset20-model-4x-subsample": 4 * N * H + H + 3 * (N + H) * H + H + skip + 2 * H * D + D,
    "offset4-model-2x-subsample": 4 * N * H + H + (N + H) * H + H + H * H + H + H * (H >> 1) + (H >> 1) + (H >> 1) * D + D,
    "offset10-model-mse-tanh": 2 * N * H + H + 3 * skip + 3 * H * D + D,
    "offset1-model-mse-tanh": N * 30 * D + 30 * D + 900 * D * D + 30 * D + 300 * D * D + 10 * D + 10 * D * D + D,
    "offset36-model-dropout": 2 * N * H + H + 16 * skip + 3 * H * D + D,
    "offset36-model-more-dropout": 2 * N * H + H + 16 * skip + 3 * H * D + D,
    // The net alone; the classifier head (label_num·(D + 1)) is added with label_num (test/engine/supervised.test.ts).
    "supervised10-model": 2 * N * H + H + 3 * skip + 3 * H * D + D,
    "supervised1-model": N * H + H + H * H + H + H * (H >> 1) + (H >> 1) + (H >> 1) * D + D,
  };
  for (const name of REQUIRED) assert.equal(count(shape(name, N, H, D)), formulas[name], name);
});

test("the parametrised families' parameter counts are CEBRA's deduplicated parameters() counts", () => {
  // From the reference (CEBRA 0.6.1, PyTorch CPU): `. /work/.cebra-reference/env.sh && $PY -c "import cebra.models;
  // m = cebra.models.init(NAME, num_neurons=N, num_units=H, num_output=D); print(sum(p.numel() for p in m.parameters()))"`.
  const cebra: [string, number, number, number, number][] = [
    ["offset1-model-mse-v2-1layers", 17, 6, 5, 191],
    ["offset1-model-mse-v2-3layers-tanh", 17, 6, 5, 191],
    ["offset1-model-mse-resnet-1layers", 17, 6, 5, 191],
    ["offset1-model-mse-resnet-3layers-tanh", 17, 6, 5, 191],
    ["offset1-model-mse-clip-5-10", 17, 6, 5, 33155],
    ["offset1-model-mse-resnet-2layers-tanh", 100, 32, 8, 4952],
    ["offset1-model-mse-v2-10layers", 4, 6, 3, 105],
    ["offset1-model-mse-resnet-2layers", 4, 6, 3, 105],
    ["offset1-model-mse-resnet-1layers", 9, 6, 4, 139],
  ];
  for (const [name, N, H, D, n] of cebra) assert.equal(count(shape(name, N, H, D)), n, `${name} N=${N} H=${H} D=${D}`);
  // The formulas: the repeated Linear(H, H) counts once, whatever n; clip ignores H as offset1-model-mse does.
  const [N, H, D] = [17, 6, 5];
  const mlp = N * H + H + H * H + H + H * (H >> 1) + (H >> 1) + (H >> 1) * D + D;
  for (let n = 1; n <= 10; n++)
    for (const tail of ["", "-tanh"]) {
      assert.equal(count(shape(`offset1-model-mse-v2-${n}layers${tail}`, N, H, D)), mlp, `v2 n=${n}${tail}`);
      assert.equal(count(shape(`offset1-model-mse-resnet-${n}layers${tail}`, N, H, D)), mlp, `resnet n=${n}${tail}`);
    }
  assert.equal(count(shape("offset1-model-mse-clip-1000-1", N, 99, D)), count(shape("offset1-model-mse", N, H, D)));
  // One initial draw per tensor: the flat vector has the deduplicated count.
  assert.equal(initParams({ ...shape("offset1-model-mse-v2-10layers", 4, 6, 3), temperature: 1, temperature_mode: "constant" }, 1).length, 105);
});

test("a shared tensor is one slice of the flat vector, found under every key of CEBRA's state_dict, in its order", () => {
  // CEBRA's state_dict() keys and shapes (same reference command, `[(k, tuple(v.shape)) for k, v in m.state_dict().items()]`).
  const keys = (a: string, N: number, H: number, D: number) => stateDictLayout(shape(a, N, H, D)).map((k) => `${k.key}:${k.shape.join("x")}`);
  assert.deepEqual(keys("offset1-model-mse-resnet-2layers", 4, 6, 3), [
    "net.1.module.weight:6x4", "net.1.module.bias:6", "net.3.module.weight:6x6", "net.3.module.bias:6", "net.5.module.weight:6x6", "net.5.module.bias:6",
    "net.7.module.weight:3x6", "net.7.module.bias:3", "net.9.weight:3x3", "net.9.bias:3",
  ]);
  assert.deepEqual(keys("offset1-model-mse-v2-3layers-tanh", 17, 6, 5), [
    "net.1.weight:6x17", "net.1.bias:6", "net.3.weight:6x6", "net.3.bias:6", "net.5.weight:6x6", "net.5.bias:6", "net.7.weight:6x6", "net.7.bias:6",
    "net.9.weight:3x6", "net.9.bias:3", "net.11.weight:5x3", "net.11.bias:5",
  ]);
  assert.deepEqual(keys("offset1-model-mse-clip-5-10", 17, 6, 5), ["net.1.weight:150x17", "net.1.bias:150", "net.3.weight:150x150", "net.3.bias:150", "net.5.weight:50x150", "net.5.bias:50", "net.7.weight:5x50", "net.7.bias:5"]);
  // The flat vector in parameters() order (CEBRA's named_parameters(): first use of each tensor), aliases on the shared ones.
  const layout = paramLayout(shape("offset1-model-mse-v2-3layers-tanh", 17, 6, 5));
  assert.deepEqual(layout.map((p) => [p.torch_name, p.aliases ?? []]), [
    ["net.1.weight", []], ["net.1.bias", []], ["net.3.weight", ["net.5.weight", "net.7.weight"]], ["net.3.bias", ["net.5.bias", "net.7.bias"]],
    ["net.9.weight", []], ["net.9.bias", []], ["net.11.weight", []], ["net.11.bias", []],
  ]);
  layout.forEach((p, i) => assert.equal(p.offset, i === 0 ? 0 : layout[i - 1].offset + layout[i - 1].size));
  const sd = stateDictLayout(shape("offset1-model-mse-v2-3layers-tanh", 17, 6, 5));
  const at = (k: string) => sd.find((e) => e.key === k)!.offset;
  assert.equal(at("net.5.weight"), at("net.3.weight"));
  assert.equal(at("net.7.bias"), at("net.3.bias"));
  // Fixed architectures: the state dict is the layout itself.
  for (const a of ["offset10-model", "offset36-model-more-dropout", "offset1-model-v5"])
    assert.deepEqual(stateDictLayout(shape(a, 4, 6, 3)).map((k) => k.key), paramLayout(shape(a, 4, 6, 3)).map((p) => p.torch_name), a);
});

test("every family name CEBRA 0.6.1 registers resolves, and no other", () => {
  const names = architectureFamilies().flatMap((f) => f.names);
  // sha256 of CEBRA's sorted family names joined by "\n": `sorted(n for n in cebra.models.get_options() if
  // n.startswith("offset1-model-mse-") and any(k in n for k in ("-clip-", "-v2-", "-resnet-")))` (121 names).
  assert.equal(names.length, 121);
  assert.equal(createHash("sha256").update([...names].sort().join("\n")).digest("hex"), "f6a2b8cdb01b0e209fbd85ac98760113e9d011b3ee105e5ac326f9883fb81450");
  for (const name of names) {
    const a = getArchitecture(name);
    assert.deepEqual([a.name, a.left, a.right, a.receptive_field, a.resample_factor, a.normalize], [name, 0, 1, 1, 1, false], name);
    assert.equal(outputLength(findSpec(name), { N: 7, H: 8, D: 3 }, 1), 1, name);
  }
  assert.deepEqual(resolveModel(findSpec("offset1-model-mse-clip-5-10"), { N: 3, H: 4, D: 2 }).layers.at(-1), { type: "clip", min: -5, max: 10 });
  // Fixed names stay what they were; the families are not listed one by one.
  assert.equal(listArchitectures().length, REQUIRED.length);
  for (const bad of [
    "offset1-model-mse-v2-11layers", "offset1-model-mse-v2-0layers", "offset1-model-mse-clip-7-7", "offset1-model-mse-clip-05-10",
    "offset1-model-mse-resnet-3layers-relu", "offset1-model-mse-v2-3layer", "offset1-model-mse-resnet-layers", "offset1-model-mse-clip-5",
  ])
    assert.throws(
      () => getArchitecture(bad),
      (e: unknown) => e instanceof UserError && e.message.includes(`"${bad}"`) && /CEBRA's offset1-model-mse-/.test(e.message) && /offset1-model-mse-resnet-\{n\}layers\[-tanh\] \(n in 1\.\.10\)/.test(e.fix),
      bad,
    );
  // CEBRA raises ValueError for num_units < 2 (H//2 would be 0); here the UserError of an empty layer.
  assert.throws(() => paramLayout(shape("offset1-model-mse-v2-2layers", 5, 1, 3)), (e: unknown) => e instanceof UserError && /num_hidden_units >= 2/.test(e.fix));
  assert.equal(count(shape("offset1-model-mse-resnet-1layers", 5, 2, 3)), 5 * 2 + 2 + 4 + 2 + 2 + 1 + 3 + 3);
});

test("parameters are laid out as CEBRA's PyTorch state dict", () => {
  const names = (a: string) => paramLayout(shape(a, 4, 6, 3)).map((p) => `${p.torch_name}:${p.shape.join("x")}`);
  assert.deepEqual(names("offset10-model"), [
    "net.0.weight:6x4x2", "net.0.bias:6",
    "net.2.module.0.weight:6x6x3", "net.2.module.0.bias:6",
    "net.3.module.0.weight:6x6x3", "net.3.module.0.bias:6",
    "net.4.module.0.weight:6x6x3", "net.4.module.0.bias:6",
    "net.5.weight:3x6x3", "net.5.bias:3",
  ]);
  assert.deepEqual(names("offset1-model"), [
    "net.1.weight:6x4", "net.1.bias:6", "net.3.weight:6x6", "net.3.bias:6", "net.5.weight:3x6", "net.5.bias:3", "net.7.weight:3x3", "net.7.bias:3",
  ]);
  assert.deepEqual(names("offset40-model-4x-subsample").slice(0, 4), ["net.0.layer.weight:6x4x4", "net.0.layer.bias:6", "net.1.weight:6x10x3", "net.1.bias:6"]);
  assert.deepEqual(names("offset1-model-v3"), [
    "net.1.weight:6x4", "net.1.bias:6", "net.3.module.0.weight:6x6", "net.3.module.0.bias:6", "net.5.module.0.weight:6x6", "net.5.module.0.bias:6", "net.7.weight:3x6", "net.7.bias:3",
  ]);
  assert.deepEqual(names("offset1-model-v4").map((n) => n.split(":")[0]).filter((n) => n.endsWith("weight")), [
    "net.1.weight", "net.3.module.0.weight", "net.4.module.0.weight", "net.5.module.0.weight", "net.6.module.0.weight", "net.7.weight",
  ]);
  assert.deepEqual(names("offset1-model-v5").map((n) => n.split(":")[0]).filter((n) => n.endsWith("weight")), [
    "net.1.weight", "net.3.module.0.weight", "net.5.module.0.weight", "net.7.module.0.weight", "net.9.module.0.weight", "net.11.weight",
  ]);
  assert.deepEqual(names("offset4-model-2x-subsample"), [
    "net.0.layer.weight:6x4x4", "net.0.layer.bias:6", "net.2.weight:6x10", "net.2.bias:6", "net.4.weight:6x6", "net.4.bias:6", "net.6.weight:3x6", "net.6.bias:3", "net.8.weight:3x3", "net.8.bias:3",
  ]);
  assert.deepEqual(names("offset20-model-4x-subsample").slice(-4), ["net.3.module.0.weight:6x6x3", "net.3.module.0.bias:6", "net.4.weight:3x6x2", "net.4.bias:3"]);
  assert.deepEqual(names("offset10-model-mse-tanh"), names("offset10-model"));
  assert.deepEqual(names("offset50-model").at(-2), "net.25.weight:3x6x3");
  // Dropout1d takes a place in nn.Sequential: net.1 (after the first conv), and module.0 inside each skip block.
  assert.deepEqual(names("offset36-model-dropout").slice(0, 4), ["net.0.weight:6x4x2", "net.0.bias:6", "net.3.module.0.weight:6x6x3", "net.3.module.0.bias:6"]);
  assert.deepEqual(names("offset36-model-dropout").at(-2), "net.19.weight:3x6x3");
  assert.deepEqual(names("offset36-model-more-dropout").slice(2, 4), ["net.3.module.1.weight:6x6x3", "net.3.module.1.bias:6"]);
  assert.deepEqual(names("offset36-model-more-dropout").at(-2), "net.19.weight:3x6x3");
  const layout = paramLayout(shape("offset5-model", 4, 6, 3));
  layout.forEach((p, i) => assert.equal(p.offset, i === 0 ? 0 : layout[i - 1].offset + layout[i - 1].size));
});

test("every required architecture is registered with CEBRA's offsets and one output per window", () => {
  const names = listArchitectures().map((a) => a.name);
  for (const name of REQUIRED) assert.ok(names.includes(name), name);
  const offsets: Record<string, [number, number]> = {
    "offset1-model": [0, 1], "offset5-model": [2, 3], "offset10-model": [5, 5], "offset36-model": [18, 18], "offset40-model-4x-subsample": [20, 20],
    "offset15-model": [7, 8], "offset20-model": [10, 10], "offset40-model": [20, 20], "offset50-model": [25, 25],
    "offset1-model-v2": [0, 1], "offset1-model-v3": [0, 1], "offset1-model-v4": [0, 1], "offset1-model-v5": [0, 1],
    "offset20-model-4x-subsample": [10, 10], "offset4-model-2x-subsample": [2, 2], "offset10-model-mse-tanh": [5, 5], "offset1-model-mse-tanh": [0, 1],
    "offset36-model-dropout": [18, 18], "offset36-model-more-dropout": [18, 18], "supervised10-model": [5, 5], "supervised1-model": [0, 1],
  };
  for (const [name, [l, r]] of Object.entries(offsets)) {
    const a = getArchitecture(name);
    assert.deepEqual([a.left, a.right, a.receptive_field], [l, r, l + r], name);
  }
  for (const a of listArchitectures()) assert.equal(outputLength(findSpec(a.name), { N: 7, H: 8, D: 3 }, a.receptive_field), 1, a.name);
  assert.equal(getArchitecture("offset40-model-4x-subsample").resample_factor, 4);
  assert.equal(getArchitecture("resample-model").name, "offset40-model-4x-subsample");
  assert.equal(getArchitecture("offset20-model-4x-subsample").resample_factor, 4);
  assert.equal(getArchitecture("resample5-model").name, "offset20-model-4x-subsample");
  assert.equal(getArchitecture("offset4-model-2x-subsample").resample_factor, 2);
  assert.equal(getArchitecture("resample1-model").name, "offset4-model-2x-subsample");
  assert.equal(getArchitecture("offset10-model-mse-tanh").normalize, false);
  assert.equal(getArchitecture("offset1-model-mse-tanh").normalize, false);
  assert.equal(getArchitecture("offset10-model-mse").normalize, false);
  assert.equal(getArchitecture("offset1-model-mse").normalize, false);
  assert.equal(getArchitecture("supervised10-model").normalize, false);
  assert.equal(getArchitecture("supervised1-model").normalize, false);
  assert.throws(() => getArchitecture("offset11-model"), (e: unknown) => e instanceof UserError && /offset11-model/.test(e.message) && /offset10-model/.test(e.message));
});

test("initParams draws PyTorch-default U(±1/√fan_in), deterministic per seed, θ last for auto temperature", () => {
  const s = shape("offset10-model", 50, 16, 4);
  const p = initParams({ ...s, temperature: 1, temperature_mode: "constant" }, 3);
  assert.equal(p.length, modelParamCount(findSpec(s.architecture), { N: 50, H: 16, D: 4 }));
  assert.deepEqual(initParams({ ...s, temperature: 1, temperature_mode: "constant" }, 3), p);
  assert.notDeepEqual(initParams({ ...s, temperature: 1, temperature_mode: "constant" }, 4), p);
  for (const info of paramLayout(s)) {
    const bound = 1 / Math.sqrt(info.fan_in);
    const vals = p.subarray(info.offset, info.offset + info.size);
    const max = vals.reduce((a, b) => Math.max(a, Math.abs(b)), 0);
    assert.ok(max <= bound, `${info.torch_name}: ${max} > ${bound}`);
    if (info.size >= 100) assert.ok(max > 0.9 * bound, `${info.torch_name} does not fill its range`);
  }
  assert.equal(paramLayout(s)[0].fan_in, 100); // in_channels·kernel = 50·2
  const auto = initParams({ ...s, temperature: 0.25, temperature_mode: "auto" }, 3);
  assert.equal(auto.length, p.length + 1);
  assert.ok(Math.abs(auto[p.length] - Math.log(4)) < 1e-6);
});

/** Windows of a sequence: row r is X[r·step, r·step + L). */
function windows(seq: Float32Array, N: number, L: number, rows: number, step: number): Float32Array {
  const out = new Float32Array(rows * L * N);
  for (let r = 0; r < rows; r++) out.set(seq.subarray(r * step * N, (r * step + L) * N), r * L * N);
  return out;
}

for (const name of [...REQUIRED, ...FAMILY_SAMPLES]) {
  test(`inference graph (${name}) reproduces the training forward pass on every window`, async () => {
    const s = shape(name, 9, 8, 4);
    const info = getArchitecture(name);
    const L = info.receptive_field;
    const step = info.resample_factor;
    const rows = 5;
    const T = L + (rows - 1) * step;
    const rng = new Rng(1);
    const seq = Float32Array.from({ length: T * 9 }, () => rng.normal());
    const params = initParams({ ...s, temperature: 1, temperature_mode: "auto" }, 2); // trailing θ is ignored
    // float64: inference formulation (taps, dynamic length) vs training formulation (im2col / dense).
    const inf = buildInferenceIR(s);
    const zSeq = run(inf.graph, { X: { shape: [T, 9], data: Float64Array.from(seq) }, params: { shape: [params.length], data: Float64Array.from(params) } }).Z;
    assert.deepEqual(zSeq.shape, [rows, 4]);
    const emb = buildWindowEmbeddingIR({ ...s, rows });
    const zWin = run(emb.graph, { X: windows(seq, 9, L, rows, step), params: { shape: [params.length], data: Float64Array.from(params) } }).Z;
    zWin.data.forEach((v, i) => assert.ok(Math.abs(v - zSeq.data[i]) < 1e-12, `row ${Math.floor(i / 4)}: ${v} vs ${zSeq.data[i]}`));
    if (info.normalize) for (let r = 0; r < rows; r++) assert.ok(Math.abs(Math.hypot(...zSeq.data.subarray(r * 4, r * 4 + 4)) - 1) < 1e-12);
    // ORT float32: self-contained graph (embedded params) and graph with a params input; a longer sequence.
    const session = await ort.InferenceSession.create(buildInferenceGraph({ ...s, params }).onnx);
    const out = await session.run({ X: new ort.Tensor("float32", seq, [T, 9]) });
    assert.deepEqual(out.Z.dims, [rows, 4]);
    (out.Z.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - zSeq.data[i]) < 1e-5, `ORT row ${Math.floor(i / 4)}`));
    const withInput = await ort.InferenceSession.create(buildInferenceGraph(s).onnx);
    const long = Float32Array.from({ length: (T + 3 * step) * 9 }, (_, i) => (i < T * 9 ? seq[i] : rng.normal()));
    const out2 = await withInput.run({ X: new ort.Tensor("float32", long, [T + 3 * step, 9]), params: new ort.Tensor("float32", params, [params.length]) });
    assert.deepEqual(out2.Z.dims, [rows + 3, 4]);
    (out.Z.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - (out2.Z.data as Float32Array)[i]) < 1e-6));
  });
}

for (const { name } of listArchitectures()) {
  test(`inference graph (${name}): channels-first (ONNX Conv) where it fits, equal to the channels-last graph`, async () => {
    const s = shape(name, 9, 8, 4);
    const info = getArchitecture(name);
    const fits = !/^(offset1-model|offset4-model-2x-subsample|supervised1-model)/.test(name); // MLPs keep channels-last
    assert.equal(fitsChannelsFirst(findSpec(name), { N: 9, H: 8, D: 4 }), fits);
    // A length no multiple of the resample factor: the dynamic slice ends of the subsampling layers are exercised.
    const T = info.receptive_field + 6 * info.resample_factor + (info.resample_factor > 1 ? 1 : 0);
    const rng = new Rng(4);
    const seq = Float32Array.from({ length: T * 9 }, () => rng.normal());
    const params = initParams({ ...s, temperature: 1, temperature_mode: "constant" }, 6);
    const first = buildInferenceIR({ ...s, params });
    const last = buildInferenceIR({ ...s, params, channels_last: true });
    const convs = (g: Graph) => g.nodes.filter((n) => n.op === "Conv").length;
    assert.equal(convs(first.graph) > 0, fits, "channels-first graph");
    assert.equal(convs(last.graph), 0);
    const zFirst = run(first.graph, { X: { shape: [T, 9], data: Float64Array.from(seq) } }).Z;
    const zLast = run(last.graph, { X: { shape: [T, 9], data: Float64Array.from(seq) } }).Z;
    assert.deepEqual(zFirst.shape, zLast.shape);
    assert.equal(zFirst.shape[0], outputLength(findSpec(name), { N: 9, H: 8, D: 4 }, T));
    zLast.data.forEach((v, i) => assert.ok(Math.abs(v - zFirst.data[i]) < 1e-12, `row ${Math.floor(i / 4)}: ${v} vs ${zFirst.data[i]}`));
    // ORT float32 runs the channels-first graph (its NCHWc rewrite included) to float32 rounding.
    const session = await ort.InferenceSession.create(buildInferenceGraph({ ...s, params }).onnx, { graphOptimizationLevel: "all" });
    const out = await session.run({ X: new ort.Tensor("float32", seq, [T, 9]) });
    assert.deepEqual(out.Z.dims, zFirst.shape);
    (out.Z.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - zFirst.data[i]) < 1e-5, `ORT row ${Math.floor(i / 4)}: ${v} vs ${zFirst.data[i]}`));
  });
}

test("the parametrised MLP families keep the channels-last inference graph (clamp, SkipLinear, shared Linear)", () => {
  for (const name of ["offset1-model-mse-clip-5-10", "offset1-model-mse-v2-3layers-tanh", "offset1-model-mse-resnet-2layers"]) {
    assert.equal(fitsChannelsFirst(findSpec(name), { N: 9, H: 8, D: 4 }), false, name);
    const g = buildInferenceIR({ ...shape(name, 9, 8, 4), params: initParams({ ...shape(name, 9, 8, 4), temperature: 1, temperature_mode: "constant" }, 1) }).graph;
    assert.equal(g.nodes.filter((n) => n.op === "Conv").length, 0, name);
  }
});

test("window embedding graph writes to ONNX and matches the interpreter", async () => {
  const s = shape("offset10-model", 30, 8, 3); // N = 30 ≫ H: layer 0 uses the taps formulation
  const emb = buildWindowEmbeddingIR({ ...s, rows: 4 });
  const rng = new Rng(5);
  const X = Float32Array.from({ length: 4 * 10 * 30 }, () => rng.normal());
  const params = initParams({ ...s, temperature: 1, temperature_mode: "constant" }, 1);
  const ref = run(emb.graph, { X, params: { shape: [params.length], data: Float64Array.from(params) } }).Z;
  const session = await ort.InferenceSession.create(writeOnnx(emb.graph));
  const out = await session.run({ X: new ort.Tensor("float32", X, [4, 10, 30]), params: new ort.Tensor("float32", params, [params.length]) });
  (out.Z.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - ref.data[i]) < 1e-5));
});

// ---------------------------------------------------------------------------------------------------
// Independent float64 reference of CEBRA's PyTorch modules (NCW layout, as in cebra/models/model.py).

type Mat = number[][]; // [channels][time]
const geluRef = (v: number) => 0.5 * v * (1 + erfRef(v / Math.SQRT2));
/**
 * erf by its Maclaurin series for |x| ≤ 2 (accurate to ~1e-15 there), else 1 − erfc by erfc's continued
 * fraction (the series loses digits to cancellation beyond |x| ≈ 3: 4e-12 at 4, 2e-8 at 5).
 */
function erfRef(x: number): number {
  if (Math.abs(x) > 2) {
    let f = Math.abs(x);
    for (let k = 400; k >= 1; k--) f = Math.abs(x) + k / 2 / f;
    return Math.sign(x) * (1 - Math.exp(-x * x) / Math.sqrt(Math.PI) / f);
  }
  let sum = 0;
  let term = x;
  for (let n = 0; n < 200; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
/** nn.Conv1d(weight [Co][Ci][k], bias [Co], stride) on x [Ci][L], no padding. */
function conv1dRef(x: Mat, w: Float32Array, b: Float32Array, co: number, k: number, stride = 1): Mat {
  const ci = x.length;
  const lout = Math.floor((x[0].length - k) / stride) + 1;
  return Array.from({ length: co }, (_, o) =>
    Array.from({ length: lout }, (_, t) => {
      let s = b[o];
      for (let c = 0; c < ci; c++) for (let j = 0; j < k; j++) s += w[(o * ci + c) * k + j] * x[c][t * stride + j];
      return s;
    }),
  );
}
const mapRef = (x: Mat, f: (v: number) => number): Mat => x.map((r) => r.map(f));
const cropRef = (x: Mat, l: number, r: number): Mat => x.map((row) => row.slice(l, row.length - r));
const addRef = (a: Mat, b: Mat): Mat => a.map((row, i) => row.map((v, t) => v + b[i][t]));
/** _Norm: divide by the L2 norm over channels, per time step. */
function normRef(x: Mat): Mat {
  return x.map((row) => row.map((v, t) => v / Math.hypot(...x.map((r) => r[t]))));
}

/** Parameter tensors in state-dict order. */
function tensors(s: ModelShape, params: Float32Array): Float32Array[] {
  return paramLayout(s).map((p) => params.subarray(p.offset, p.offset + p.size));
}

/** The model's end: `_Norm`, nn.Tanh (the `*-tanh` models), nothing (the `*-mse` models) or ClassifierModel's F.relu (the supervised models' features). */
type Tail = "norm" | "tanh" | "none" | "relu";
const tailRef = (v: number, tail: "tanh" | "none" | "relu"): number => (tail === "tanh" ? Math.tanh(v) : tail === "relu" ? Math.max(v, 0) : v);

/**
 * Dropout1d in training on one window h [C][L]: channel c times mask[c] (0 or 1/(1 − p)); none = eval mode.
 * `drop` gives the mask of dropout site i (0: after the first conv; 1 + b: inside skip block b), or null.
 */
type DropRef = (site: number) => number[] | null;
const dropRef = (h: Mat, mask: number[] | null): Mat => (mask ? h.map((row, c) => row.map((v) => v * mask[c])) : h);

/** CEBRA's offsetN-model family forward on one window x [N][L]; `tail` "tanh" for offset10-model-mse-tanh (no norm). */
function offsetConvRef(x: Mat, t: Float32Array[], H: number, D: number, blocks: number, lastKernel: number, tail: Tail = "norm", drop: DropRef = () => null): number[] {
  let h = mapRef(dropRef(conv1dRef(x, t[0], t[1], H, 2), drop(0)), geluRef);
  for (let i = 0; i < blocks; i++) h = addRef(cropRef(h, 1, 1), mapRef(conv1dRef(dropRef(h, drop(1 + i)), t[2 + 2 * i], t[3 + 2 * i], H, 3), geluRef));
  const last = conv1dRef(h, t[2 + 2 * blocks], t[3 + 2 * blocks], D, lastKernel);
  const out = tail === "norm" ? normRef(last) : mapRef(last, (v) => tailRef(v, tail));
  return out.map((r) => r[0]);
}

/** `_MeanAndConv(N, H, 4, stride=2)`: conv channels, then the input interpolated (nearest) by 1/2, cut to the conv's length. */
function meanAndConvRef(x: Mat, w: Float32Array, b: Float32Array, H: number): Mat {
  const conv = conv1dRef(x, w, b, H, 4, 2);
  const sub = x.map((row) => row.filter((_, i) => i % 2 === 0).slice(0, conv[0].length)); // interpolate(nearest, 1/2)
  return [...conv, ...sub];
}

/** CEBRA offset40-model-4x-subsample (3 blocks, last kernel 3) / offset20-model-4x-subsample (1 block, last kernel 2) forward on one window. */
function resampleRef(x: Mat, t: Float32Array[], H: number, D: number, blocks = 3, lastKernel = 3): number[] {
  let h = mapRef(conv1dRef(meanAndConvRef(x, t[0], t[1], H), t[2], t[3], H, 3, 2), geluRef);
  for (let i = 0; i < blocks; i++) h = addRef(cropRef(h, 1, 1), mapRef(conv1dRef(h, t[4 + 2 * i], t[5 + 2 * i], H, 3), geluRef));
  return normRef(conv1dRef(h, t[4 + 2 * blocks], t[5 + 2 * blocks], D, lastKernel)).map((r) => r[0]);
}

/** nn.Linear(weight [out][in], bias [out]) on a vector. */
function linearRef(h: number[], w: Float32Array, b: Float32Array): number[] {
  return Array.from(b, (bo, o) => h.reduce((s, v, c) => s + w[o * h.length + c] * v, bo));
}
const normVec = (h: number[]): number[] => h.map((v) => v / Math.hypot(...h));

/** CEBRA offset1-model-v3 / v5 (Skip(Linear) then GELU, `n` times) and v4 (Skip(Linear, GELU), 4 times) on one sample. */
function residualMlpRef(x: number[], t: Float32Array[], n: number, geluInside: boolean): number[] {
  let h = linearRef(x, t[0], t[1]).map(geluRef);
  for (let i = 1; i <= n; i++) {
    const y = linearRef(h, t[2 * i], t[2 * i + 1]);
    h = geluInside ? y.map((v, c) => geluRef(v) + h[c]) : y.map((v, c) => geluRef(v + h[c]));
  }
  return normVec(linearRef(h, t[2 * n + 2], t[2 * n + 3]));
}

/** CEBRA offset4-model-2x-subsample on one window x [N][4]: _MeanAndConv, Flatten, offset1-model's MLP on N+H inputs. */
function subsample2xRef(x: Mat, t: Float32Array[], H: number, D: number): number[] {
  const stem = meanAndConvRef(x, t[0], t[1], H).map((r) => r[0]);
  return offset1Ref(stem, t.slice(2), [H, H, H >> 1, D]);
}

/** CEBRA offset1-model (and -v2 with sizes [H, H, H, D]) forward on one sample x [N]; offset1-model-mse-tanh with `tail` "tanh". */
function offset1Ref(x: number[], t: Float32Array[], sizes: number[], tail: Tail = "norm"): number[] {
  let h = x;
  for (let l = 0; l < 4; l++) {
    const [w, b, out] = [t[2 * l], t[2 * l + 1], sizes[l]];
    const y = Array.from({ length: out }, (_, o) => h.reduce((s, v, c) => s + w[o * h.length + c] * v, b[o]));
    h = l < 3 ? y.map(geluRef) : y;
  }
  if (tail !== "norm") return h.map((v) => tailRef(v, tail));
  const n = Math.hypot(...h);
  return h.map((v) => v / n);
}

/**
 * CEBRA's offset1-model-mse-v2 (`skip` false) and -resnet (`skip` true) families on one sample. `_SkipLinear`
 * adds the input zero-padded on the right (more outputs than inputs) or cut to its first outputs (fewer):
 * y[o] = Linear(x)[o] + (o < in ? x[o] : 0). The n repetitions apply the same module: tensors t[2], t[3].
 */
function mseFamilyRef(x: number[], t: Float32Array[], n: number, skip: boolean, tanh: boolean): number[] {
  const layer = (h: number[], w: Float32Array, b: Float32Array) => linearRef(h, w, b).map((v, o) => v + (skip && o < h.length ? h[o] : 0));
  let h = layer(x, t[0], t[1]).map(geluRef);
  for (let i = 0; i < n; i++) h = layer(h, t[2], t[3]).map(geluRef);
  h = layer(h, t[4], t[5]).map(geluRef);
  const out = linearRef(h, t[6], t[7]);
  return tanh ? out.map(Math.tanh) : out;
}
/** nn.Hardtanh(lo, hi). */
const hardtanhRef = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

test("window embeddings equal an independent float64 transcription of CEBRA's PyTorch modules", () => {
  const rng = new Rng(12);
  const [N, H, D, rows] = [5, 6, 4, 3];
  const cases: { name: string; ref: (x: Mat, t: Float32Array[]) => number[]; dims?: [number, number, number] }[] = [
    { name: "offset10-model", ref: (x, t) => offsetConvRef(x, t, H, D, 3, 3) },
    { name: "offset5-model", ref: (x, t) => offsetConvRef(x, t, H, D, 1, 2) },
    { name: "offset40-model-4x-subsample", ref: (x, t) => resampleRef(x, t, H, D) },
    { name: "offset1-model", ref: (x, t) => offset1Ref(x.map((r) => r[0]), t, [H, H, H >> 1, D]) },
    { name: "offset15-model", ref: (x, t) => offsetConvRef(x, t, H, D, 6, 2) },
    { name: "offset20-model", ref: (x, t) => offsetConvRef(x, t, H, D, 8, 3) },
    { name: "offset40-model", ref: (x, t) => offsetConvRef(x, t, H, D, 18, 3) },
    { name: "offset50-model", ref: (x, t) => offsetConvRef(x, t, H, D, 23, 3) },
    { name: "offset10-model-mse-tanh", ref: (x, t) => offsetConvRef(x, t, H, D, 3, 3, "tanh") },
    { name: "offset1-model-v2", ref: (x, t) => offset1Ref(x.map((r) => r[0]), t, [H, H, H, D]) },
    { name: "offset1-model-v3", ref: (x, t) => residualMlpRef(x.map((r) => r[0]), t, 2, false) },
    { name: "offset1-model-v4", ref: (x, t) => residualMlpRef(x.map((r) => r[0]), t, 4, true) },
    { name: "offset1-model-v5", ref: (x, t) => residualMlpRef(x.map((r) => r[0]), t, 4, false) },
    { name: "offset1-model-mse-tanh", ref: (x, t) => offset1Ref(x.map((r) => r[0]), t, [30 * D, 30 * D, 10 * D, D], "tanh") },
    { name: "offset20-model-4x-subsample", ref: (x, t) => resampleRef(x, t, H, D, 1, 2) },
    { name: "offset4-model-2x-subsample", ref: (x, t) => subsample2xRef(x, t, H, D) },
  ];
  cases.push(
    { name: "offset36-model", ref: (x, t) => offsetConvRef(x, t, H, D, 16, 3) },
    { name: "offset10-model-mse", ref: (x, t) => offsetConvRef(x, t, H, D, 3, 3, "none") },
    { name: "offset1-model-mse", ref: (x, t) => offset1Ref(x.map((r) => r[0]), t, [30 * D, 30 * D, 10 * D, D], "none") },
    // model.eval(): Dropout1d is the identity, so both are offset36-model.
    { name: "offset36-model-dropout", ref: (x, t) => offsetConvRef(x, t, H, D, 16, 3) },
    { name: "offset36-model-more-dropout", ref: (x, t) => offsetConvRef(x, t, H, D, 16, 3) },
    // ClassifierModel.forward's features: relu(net(x)), the net without _Norm (the head: supervised.test.ts).
    { name: "supervised10-model", ref: (x, t) => offsetConvRef(x, t, H, D, 3, 3, "relu") },
    { name: "supervised1-model", ref: (x, t) => offset1Ref(x.map((r) => r[0]), t, [H, H, H >> 1, D], "relu") },
  );
  // The parametrised families; resnet at N < H (the first skip pads) and N > H (it cuts), the H → H//2 skip always cuts.
  const mseRef = (x: Mat, t: Float32Array[]) => offset1Ref(x.map((r) => r[0]), t, [30 * D, 30 * D, 10 * D, D], "none");
  cases.push(
    { name: "offset1-model-mse-clip-5-10", ref: (x, t) => mseRef(x, t).map((v) => hardtanhRef(v, -5, 10)) },
    { name: "offset1-model-mse-clip-1-1", ref: (x, t) => mseRef(x, t).map((v) => hardtanhRef(v, -1, 1)) },
    { name: "offset1-model-mse-v2-1layers", ref: (x, t) => mseFamilyRef(x.map((r) => r[0]), t, 1, false, false) },
    { name: "offset1-model-mse-v2-3layers-tanh", ref: (x, t) => mseFamilyRef(x.map((r) => r[0]), t, 3, false, true) },
    { name: "offset1-model-mse-resnet-1layers", ref: (x, t) => mseFamilyRef(x.map((r) => r[0]), t, 1, true, false) },
    { name: "offset1-model-mse-resnet-3layers-tanh", ref: (x, t) => mseFamilyRef(x.map((r) => r[0]), t, 3, true, true) },
    { name: "offset1-model-mse-resnet-1layers", ref: (x, t) => mseFamilyRef(x.map((r) => r[0]), t, 1, true, false), dims: [9, 6, D] },
    { name: "offset1-model-mse-resnet-3layers-tanh", ref: (x, t) => mseFamilyRef(x.map((r) => r[0]), t, 3, true, true), dims: [9, 6, D] },
  );
  assert.deepEqual(FAMILY_SAMPLES.filter((n) => !cases.some((c) => c.name === n)), []);
  assert.deepEqual(REQUIRED.filter((n) => !cases.some((c) => c.name === n)), []);
  for (const c of cases) {
    const [n, h, d] = c.dims ?? [N, H, D];
    const s = shape(c.name, n, h, d);
    const L = getArchitecture(c.name).receptive_field;
    const params = initParams({ ...s, temperature: 1, temperature_mode: "constant" }, 7);
    const X = Float64Array.from({ length: rows * L * n }, () => rng.normal());
    const Z = run(buildWindowEmbeddingIR({ ...s, rows }).graph, { X, params: { shape: [params.length], data: Float64Array.from(params) } }).Z.data;
    for (let r = 0; r < rows; r++) {
      const window: Mat = Array.from({ length: n }, (_, i) => Array.from({ length: L }, (_, t) => X[(r * L + t) * n + i]));
      const expect = c.ref(window, tensors(s, params));
      expect.forEach((v, k) => assert.ok(Math.abs(Z[r * d + k] - v) < 1e-12, `${c.name} row ${r} dim ${k}: ${Z[r * d + k]} vs ${v}`));
    }
  }
});

test("in training, the dropout architectures equal the float64 transcription with each window's channel masks applied", () => {
  const rng = new Rng(31);
  const [N, H, D, rows] = [5, 6, 4, 3];
  for (const [name, sites] of [["offset36-model-dropout", 1], ["offset36-model-more-dropout", 17]] as const) {
    const s = shape(name, N, H, D);
    const spec = findSpec(name);
    const dims = { N, H, D };
    const resolved = resolveModel(spec, dims);
    assert.deepEqual(resolved.dropout.map((d) => [d.index, d.p, d.channels]), Array.from({ length: sites }, (_, i) => [i, 0.1, H]));
    const L = getArchitecture(name).receptive_field;
    const params = initParams({ ...s, temperature: 1, temperature_mode: "constant" }, 7);
    const X = Float64Array.from({ length: rows * L * N }, () => rng.normal());
    // Masks as the trainer draws them: 0 or 1/(1 − p) per window and channel (here about half zeros, to exercise them).
    const masks = resolved.dropout.map((d) => Float64Array.from({ length: rows * d.channels }, () => (rng.random() < 0.5 ? 0 : 1 / (1 - d.p))));
    const g = new Graph("dropout_embedding");
    const x = g.input("X", "float", [rows, L, N]);
    const { source } = sliceParams(g.input("params", "float", [params.length]), resolved.params);
    g.output("Z", embedWindows(spec, dims, x, source, (site, r) => g.input(`dropout_${site.index}`, "float", [r, 1, site.channels])));
    const feeds: Record<string, Float64Array | { shape: number[]; data: Float64Array }> = { X, params: Float64Array.from(params) };
    masks.forEach((m, i) => (feeds[`dropout_${i}`] = m));
    const Z = run(g, feeds).Z.data;
    let differs = false;
    for (let r = 0; r < rows; r++) {
      const window: Mat = Array.from({ length: N }, (_, n) => Array.from({ length: L }, (_, t) => X[(r * L + t) * N + n]));
      const drop: DropRef = (site) => (site < masks.length ? Array.from(masks[site].subarray(r * H, (r + 1) * H)) : null);
      const expect = offsetConvRef(window, tensors(s, params), H, D, 16, 3, "norm", drop);
      expect.forEach((v, d) => assert.ok(Math.abs(Z[r * D + d] - v) < 1e-12, `${name} row ${r} dim ${d}: ${Z[r * D + d]} vs ${v}`));
      const evalMode = offsetConvRef(window, tensors(s, params), H, D, 16, 3);
      differs ||= evalMode.some((v, d) => Math.abs(v - expect[d]) > 1e-6);
    }
    assert.ok(differs, `${name}: the masks change the embedding`);
  }
});
