import test from "node:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import assert from "node:assert/strict";
import { ringRecording } from "../../src/engine/synthetic.js";
import { createSession, f32, sessionOptionsFor } from "../../src/engine/runtime/sessions.js";
import { buildStepGraph } from "../../src/engine/cebra/step.js";
import { BatchAssembler, stepGraphOptions } from "../../src/engine/train/batches.js";
import { readLosses, runTrainingLoop } from "../../src/engine/train/trainer.js";
import { chunkBounds, clearEncoderSessions, encoderOnnx, encoderSessionStats, paddedRows, transformRecording } from "../../src/engine/train/transform.js";
import { DEFAULT_TRAIN_CONFIG, type TrainedModel } from "../../src/engine/types.js";
import { UserError } from "../../src/util/errors.js";

const T = 300;
const N = 12;
const D = 4;
const { session: data } = ringRecording({ T, N });

/** A model of `arch` after a few training steps (so its weights are not just the initialisation). */
function model(arch: string): Promise<TrainedModel> {
  const cfg = { ...DEFAULT_TRAIN_CONFIG, model_architecture: arch, output_dimension: D, num_hidden_units: 8, batch_size: 32, max_iterations: 3, device: "cpu" as const };
  return runTrainingLoop([data], cfg);
}

/** The encoder applied to exactly one window (rows [start, start + L) of `x`): its single output row. */
async function encodeWindow(m: TrainedModel, x: Float32Array, start: number, L: number): Promise<Float32Array> {
  const { session } = await createSession(encoderOnnx(m), { device: "cpu" });
  const out = await session.run({ X: f32(x.slice(start * N, (start + L) * N), [L, N]) });
  await session.release();
  assert.deepEqual(out.Z.dims, [1, D]);
  return out.Z.data as Float32Array;
}

test("chunks cover [0, T) in batch-sized pieces, a trailing partial chunk merged into the last", () => {
  assert.deepEqual(chunkBounds(10, 3), [[0, 3], [3, 6], [6, 10]]);
  assert.deepEqual(chunkBounds(9, 3), [[0, 3], [3, 6], [6, 9]]);
  assert.deepEqual(chunkBounds(5, 10), [[0, 5]]);
});

test("padded rows replicate the first row before and the last row after", () => {
  const x = Float32Array.from([0, 0.5, 1, 1.5, 2, 2.5]); // T = 3 rows of N = 2
  const all = paddedRows(x, 3, 2, 2, 0, 7); // left = 2, rows of the padded sequence [0, 7)
  assert.deepEqual([...all], [0, 0.5, 0, 0.5, 0, 0.5, 1, 1.5, 2, 2.5, 2, 2.5, 2, 2.5]);
  assert.deepEqual([...paddedRows(x, 3, 2, 2, 3, 5)], [1, 1.5, 2, 2.5]);
  assert.deepEqual([...paddedRows(x, 3, 2, 2, 5, 6)], [2, 2.5]);
});

test("offset10: one row per sample; row t is the encoder on the window of index t (replicate-padded at the edges)", async () => {
  const m = await model("offset10-model");
  const z = await transformRecording(m, data.neural, T, N);
  assert.equal(z.length, T * D);
  const { left, right } = m.architecture;
  const L = left + right;
  for (const t of [left, 57, T - right]) {
    assert.deepEqual(z.subarray(t * D, (t + 1) * D), await encodeWindow(m, data.neural, t - left, L), `row ${t}`);
  }
  const padded = paddedRows(data.neural, T, N, left, 0, T + L - 1);
  for (const t of [0, 1, left - 1, T - right + 1, T - 1]) {
    const row = await encodeWindow(m, padded, t, L);
    for (let d = 0; d < D; d++) assert.ok(Math.abs(z[t * D + d] - row[d]) < 1e-6, `edge row ${t}`);
  }
});

test("the training loss graph on a batch of windows equals InfoNCE computed from the transform's rows", async () => {
  const m = await model("offset10-model");
  const z = await transformRecording(m, data.neural, T, N);
  const B = m.config.batch_size;
  const pick = (k: number) => Int32Array.from({ length: B }, (_, b) => (b * 37 + k * 11) % T);
  const batch = { ref: pick(0), pos: pick(1), neg: pick(2) };
  const graph = buildStepGraph(stepGraphOptions(m.config, N, "loss"));
  const windows = new BatchAssembler(data, m.architecture, graph.rows);
  windows.fill(batch);
  const { session } = await createSession(graph.onnx, { device: "cpu" });
  const fromGraph = readLosses(await session.run({ X: windows.tensor(), params: f32(m.params[0], [m.params[0].length]) }));
  await session.release();
  // Training clamps indices to [left, T − right] (no padding), so compare with the clamped rows.
  const row = (i: number) => Math.min(Math.max(i, m.architecture.left), T - m.architecture.right);
  const dot = (a: number, b: number) => z.subarray(row(a) * D, row(a) * D + D).reduce((s, x, d) => s + x * z[row(b) * D + d], 0);
  let loss = 0;
  for (let i = 0; i < B; i++) {
    const neg = Array.from(batch.neg, (j) => dot(batch.ref[i], j));
    const max = Math.max(...neg);
    loss += -dot(batch.ref[i], batch.pos[i]) + max + Math.log(neg.reduce((s, x) => s + Math.exp(x - max), 0));
  }
  assert.ok(Math.abs(fromGraph.loss - loss / B) < 1e-5, `${fromGraph.loss} vs ${loss / B}`);
});

test("batched transform equals the unbatched one (conv, MLP and resample models)", async () => {
  for (const arch of ["offset10-model", "offset1-model", "offset40-model-4x-subsample"]) {
    const m = await model(arch);
    const whole = await transformRecording(m, data.neural, T, N);
    for (const batch_size of [7, 64, 299]) {
      assert.deepEqual(await transformRecording(m, data.neural, T, N, { batch_size }), whole, `${arch}, batch ${batch_size}`);
    }
  }
});

test("offset1 (MLP) runs row-wise without padding", async () => {
  const m = await model("offset1-model");
  const z = await transformRecording(m, data.neural, T, N);
  for (const t of [0, 150, T - 1]) assert.deepEqual(z.subarray(t * D, (t + 1) * D), await encodeWindow(m, data.neural, t, 1));
});

test("resample models return one row per resample_factor samples", async () => {
  const m = await model("offset40-model-4x-subsample");
  for (const t of [T, T - 1, T - 3]) {
    const z = await transformRecording(m, data.neural.subarray(0, t * N), t, N);
    assert.equal(z.length / D, Math.ceil(t / m.architecture.resample_factor), `T = ${t}`);
  }
});

test("input that does not fit the model is a UserError", async () => {
  const m = await model("offset1-model");
  await assert.rejects(transformRecording(m, data.neural.subarray(0, T * (N - 1)), T, N - 1), (e: unknown) => e instanceof UserError && /expects 12/.test(e.message));
  await assert.rejects(transformRecording(m, data.neural, T, N, { session_id: 1 }), UserError);
  await assert.rejects(transformRecording(m, data.neural, T, N, { batch_size: 0 }), UserError);
});

test("a cached encoder session gives the embedding of a freshly built one; changed parameters get a new session", async () => {
  const m = await model("offset10-model");
  await clearEncoderSessions();
  const fresh = await transformRecording(m, data.neural, T, N);
  const before = encoderSessionStats();
  const cached = await transformRecording(m, data.neural, T, N);
  assert.equal(encoderSessionStats().hits, before.hits + 1);
  assert.equal(encoderSessionStats().created, before.created);
  assert.deepEqual(cached, fresh);
  // The same model object with its parameters changed in place must not reuse the old session.
  const saved = m.params[0].slice();
  m.params[0][0] += 0.5;
  const changed = await transformRecording(m, data.neural, T, N);
  assert.equal(encoderSessionStats().created, before.created + 1);
  await clearEncoderSessions();
  assert.deepEqual(changed, await transformRecording(m, data.neural, T, N));
  assert.notDeepEqual(changed, fresh);
  m.params[0].set(saved);
});

test("the encoder session cache stays bounded across many models, releasing what it evicts", async () => {
  const m = await model("offset1-model");
  await clearEncoderSessions();
  const start = encoderSessionStats();
  const models = Array.from({ length: start.capacity + 3 }, (_, i) => ({ ...m, params: [m.params[0].map((x) => x * (1 + 0.01 * i))] }));
  const first = await Promise.all(models.map((x) => transformRecording(x, data.neural, T, N)));
  const s = encoderSessionStats();
  assert.equal(s.size, s.capacity);
  assert.equal(s.created - start.created, models.length);
  assert.equal(s.released - start.released, models.length - s.capacity);
  // An evicted model is rebuilt on its next call and gives the same rows.
  assert.deepEqual(await transformRecording(models[0], data.neural, T, N), first[0]);
  assert.equal(encoderSessionStats().size, s.capacity);
  await clearEncoderSessions();
  assert.equal(encoderSessionStats().size, 0);
});

test("ORT fuses every GELU of the inference encoder into its exact Gelu kernel", async () => {
  const m = await model("offset10-model");
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "enc-")), "optimized.onnx");
  const session = await ort.InferenceSession.create(encoderOnnx(m), { ...sessionOptionsFor("cpu", 1), optimizedModelFilePath: file });
  await session.release();
  const text = fs.readFileSync(file).toString("latin1");
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  // Every GELU has an Erf before fusion; none is left, and the fused kernels are there (op types, node names).
  assert.doesNotMatch(text, /\bErf\b/);
  assert.ok((text.match(/\bGelu\b/g)?.length ?? 0) >= 4, "a Gelu per GELU layer (first layer and three residual blocks)");
});

test("recordings shorter than a window, or just longer, give the encoder on the padded sequence row by row", async () => {
  const m = await model("offset10-model");
  const { left, right } = m.architecture;
  const L = left + right;
  for (const t of [1, 3, L - 1, L, L + 2]) {
    const x = data.neural.subarray(0, t * N);
    const padded = paddedRows(x, t, N, left, 0, t + L - 1);
    for (const batch_size of [undefined, 2]) {
      const z = await transformRecording(m, x, t, N, { batch_size });
      assert.equal(z.length, t * D);
      for (let r = 0; r < t; r++) {
        const row = await encodeWindow(m, padded, r, L);
        for (let d = 0; d < D; d++) assert.ok(Math.abs(z[r * D + d] - row[d]) < 1e-6, `T = ${t}, batch ${batch_size}, row ${r}`);
      }
    }
  }
});
