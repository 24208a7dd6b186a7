import test from "node:test";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { ringRecording } from "../../src/engine/synthetic.js";
import { parseNpy } from "../../src/data/formats/npy.js";
import { initParams } from "../../src/engine/cebra/init.js";
import { architectureFamilies, isSupervised, listArchitectures, paramLayout, stateDictLayout } from "../../src/engine/cebra/lookup.js";
import { exportModel, loadModelFiles, LOG_FILE, MANIFEST_FILE, type ModelFile } from "../../src/engine/train/export.js";
import { runTrainingLoop } from "../../src/engine/train/trainer.js";
import { paddedRows, transformRecording } from "../../src/engine/train/transform.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../../src/engine/types.js";
import { UserError } from "../../src/util/errors.js";
import { VERSION } from "../../src/version.js";

const T = 400;
const N = 16;
const { session: data } = ringRecording({ T, N });
const cfg: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, model_architecture: "offset10-model", num_hidden_units: 8, output_dimension: 4, batch_size: 32, max_iterations: 10, temperature_mode: "auto", device: "cpu" };
const provenance = [{ recording_id: "rec-1", sha256: "ab".repeat(32), source: "synthetic ring" }];

async function exported() {
  const model = await runTrainingLoop([data], cfg);
  const embedding = await transformRecording(model, data.neural, T, N);
  const out = exportModel(model, { data: provenance, label_types: { kind: "continuous", dim: 2 }, embeddings: [{ name: "train", data: embedding, rows: T, dim: 4 }] });
  return { model, embedding, ...out };
}

const file = (files: ModelFile[], name: string) => files.find((f) => f.name === name)!.data;

test("export → load round-trips the model exactly (params, Adam state, log, config, training facts)", async () => {
  const { model, files } = await exported();
  assert.deepEqual(loadModelFiles(files), model);
});

test("the manifest records architecture, hyperparameters, offsets, provenance, training summary and versions, and lists every file", async () => {
  const { model, files, manifest } = await exported();
  assert.deepEqual(JSON.parse(new TextDecoder().decode(file(files, MANIFEST_FILE))), manifest);
  assert.deepEqual(manifest.files.slice().sort(), files.map((f) => f.name).sort());
  assert.deepEqual(manifest.files.slice().sort(), ["adam_m.npy", "adam_v.npy", "embedding_train.npy", "encoder.onnx", LOG_FILE, MANIFEST_FILE, "params.npy"].sort());
  assert.equal(manifest.architecture.name, "offset10-model");
  assert.deepEqual(manifest.offsets, { left: 5, right: 5, receptive_field: 10, resample_factor: 1 });
  assert.deepEqual(manifest.hyperparameters, cfg);
  assert.equal(manifest.seed, cfg.seed);
  assert.deepEqual(manifest.data, provenance);
  assert.deepEqual(manifest.label_types, { kind: "continuous", dim: 2 });
  assert.equal(manifest.training.steps_done, 10);
  assert.equal(manifest.training.loss_final, model.log.total[9]);
  assert.equal(manifest.training.device_used, "cpu");
  assert.equal(manifest.sessions[0].optimizer_step, 10);
  // CEBRA's state-dict keys onto params.npy: for this model the parameter layout itself, θ (learnable temperature) last, outside.
  const layout = paramLayout({ architecture: "offset10-model", n_neurons: N, num_hidden_units: 8, output_dimension: 4 });
  assert.deepEqual(manifest.sessions[0].state_dict, layout.map((p) => ({ key: p.torch_name, offset: p.offset, shape: p.shape })));
  assert.equal(layout.at(-1)!.offset + layout.at(-1)!.size, manifest.sessions[0].param_count - 1);
  assert.equal(manifest.versions.cebra_mcp, VERSION);
  assert.equal(manifest.versions.node, process.versions.node);
  assert.match(manifest.versions.onnxruntime_node, /^\d+\.\d+\.\d+$/);
  const emb = parseNpy(file(files, "embedding_train.npy"), "embedding_train.npy");
  assert.deepEqual(emb.shape, [T, 4]);
});

test("the exported encoder run by a fresh InferenceSession on the padded recording equals transformRecording", async () => {
  const { model, embedding, files } = await exported();
  const session = await ort.InferenceSession.create(file(files, "encoder.onnx"));
  const { left, right } = model.architecture;
  const rows = T + left + right - 1;
  const out = await session.run({ X: new ort.Tensor("float32", paddedRows(data.neural, T, N, left, 0, rows), [rows, N]) });
  await session.release();
  assert.deepEqual(out.Z.dims, [T, 4]);
  assert.deepEqual(out.Z.data, embedding);
});

test("a loaded model resumes exactly like the in-memory one", async () => {
  const { model, files } = await exported();
  const more = { ...cfg, max_iterations: 16 };
  const a = await runTrainingLoop([data], more, { resumeFrom: model });
  const b = await runTrainingLoop([data], more, { resumeFrom: loadModelFiles(files) });
  assert.deepEqual(b.params, a.params);
});

test("loading reports a missing or mismatched file as a UserError naming it", async () => {
  const { files } = await exported();
  assert.throws(() => loadModelFiles(files.filter((f) => f.name !== "adam_v.npy")), (e: unknown) => e instanceof UserError && /adam_v\.npy/.test(e.message));
  const swapped = files.map((f) => (f.name === "params.npy" ? { name: f.name, data: file(files, "embedding_train.npy") } : f));
  assert.throws(() => loadModelFiles(swapped), (e: unknown) => e instanceof UserError && /params\.npy/.test(e.message));
  assert.throws(() => loadModelFiles(files.filter((f) => f.name !== MANIFEST_FILE)), UserError);
});

test("export rejects unsafe embedding names and provenance that does not match the sessions", async () => {
  const { model } = await exported();
  const bad = { name: "../x", data: new Float32Array(4), rows: 1, dim: 4 };
  assert.throws(() => exportModel(model, { data: provenance, embeddings: [bad] }), UserError);
  assert.throws(() => exportModel(model, { data: [] }), UserError);
});

test("a multi-session model exports one encoder and optimizer state per session and round-trips", async () => {
  const other = ringRecording({ T: 300, N: 9, seed: 5 }).session;
  const model = await runTrainingLoop([data, other], { ...cfg, max_iterations: 4 });
  const { files, manifest } = exportModel(model, { data: [provenance[0], { recording_id: "rec-2", sha256: "cd".repeat(32) }] });
  assert.deepEqual(manifest.sessions.map((s) => [s.n_neurons, s.encoder, s.params]), [[16, "encoder_s0.onnx", "params_s0.npy"], [9, "encoder_s1.onnx", "params_s1.npy"]]);
  assert.deepEqual(loadModelFiles(files), model);
});

test("a model with a shared Linear lists it under each of CEBRA's state-dict keys, at one slice of params.npy", async () => {
  // CEBRA 0.6.1: offset1-model-mse-v2-2layers-tanh's state_dict() has net.3 and net.5 (one module), parameters() has it once.
  const model = await runTrainingLoop([data], { ...cfg, model_architecture: "offset1-model-mse-v2-2layers-tanh", distance: "euclidean", temperature_mode: "constant", max_iterations: 2 });
  const { manifest, files } = exportModel(model, { data: provenance });
  const sd = manifest.sessions[0].state_dict;
  assert.deepEqual(sd.map((e) => `${e.key}:${e.shape.join("x")}`), [
    "net.1.weight:8x16", "net.1.bias:8", "net.3.weight:8x8", "net.3.bias:8", "net.5.weight:8x8", "net.5.bias:8", "net.7.weight:4x8", "net.7.bias:4", "net.9.weight:4x4", "net.9.bias:4",
  ]);
  const at = (k: string) => sd.find((e) => e.key === k)!.offset;
  assert.equal(at("net.5.weight"), at("net.3.weight"));
  assert.equal(at("net.5.bias"), at("net.3.bias"));
  // params.npy holds each tensor once: 16·8 + 8 + 8·8 + 8 + 8·4 + 4 + 4·4 + 4.
  assert.equal(manifest.sessions[0].param_count, 264);
  assert.deepEqual(loadModelFiles(files), model);
});

test("for every architecture (fixed, all 121 family names, supervised with their head) the state_dict tiles params exactly: each tensor once, aliases at its offset", () => {
  const names = [...listArchitectures().map((a) => a.name), ...architectureFamilies().flatMap((f) => f.names)];
  assert.equal(names.length, listArchitectures().length + 121);
  for (const architecture of names) {
    const shape = { architecture, n_neurons: 5, num_hidden_units: 6, output_dimension: 3, ...(isSupervised(architecture) ? { label_num: 2 } : {}) };
    const P = initParams({ ...shape, temperature: 1, temperature_mode: "constant" }, 0).length;
    const sd = stateDictLayout(shape);
    assert.equal(new Set(sd.map((e) => e.key)).size, sd.length, `${architecture}: keys unique`);
    // The tensors (one per offset) cover [0, P) without gap or overlap; aliases have their tensor's shape and
    // differ from its first key only in the net index (net.3.weight, net.5.weight, …).
    const byOffset = new Map<number, typeof sd>();
    for (const e of sd) byOffset.set(e.offset, [...(byOffset.get(e.offset) ?? []), e]);
    let end = 0;
    for (const offset of [...byOffset.keys()].sort((a, b) => a - b)) {
      const [first, ...aliases] = byOffset.get(offset)!;
      assert.equal(offset, end, `${architecture}: ${first.key} starts where the previous tensor ends`);
      end = offset + first.shape.reduce((a, b) => a * b, 1);
      const tail = (k: string) => k.replace(/^net\.\d+\./, "");
      for (const a of aliases) {
        assert.deepEqual(a.shape, first.shape, `${architecture}: ${a.key} has ${first.key}'s shape`);
        assert.equal(tail(a.key), tail(first.key), `${architecture}: ${a.key} aliases ${first.key}`);
      }
    }
    assert.equal(end, P, `${architecture}: the tensors end at the parameter count`);
    // Shared only in the v2 and resnet families: their one intermediate Linear (weight, bias) under n keys each.
    const n = Number(/-(?:v2|resnet)-(\d+)layers/.exec(architecture)?.[1] ?? 1);
    const groups = [...byOffset.values()].map((g) => g.length).sort((a, b) => b - a);
    assert.deepEqual(groups.filter((g) => g > 1), n > 1 ? [n, n] : [], `${architecture}: keys sharing a tensor`);
    assert.equal(byOffset.size, paramLayout(shape).length, `${architecture}: one offset per tensor`);
    // CEBRA's order: net.<i> by index, the classifier head last.
    const rank = sd.map((e) => (e.key.startsWith("net.") ? Number(e.key.split(".")[1]) : Infinity));
    assert.ok(rank.every((r, i) => i === 0 || r >= rank[i - 1]), `${architecture}: net indices in order`);
    assert.equal(sd.some((e) => e.key.startsWith("classifier.")), isSupervised(architecture), `${architecture}: a head exactly when supervised`);
    assert.ok(sd.every((e) => e.key.startsWith("net.") || e.key.startsWith("classifier.")), architecture);
  }
});
