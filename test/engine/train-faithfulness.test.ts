/**
 * The faithfulness options through a whole fit (docs/FAITHFULNESS.md): full-batch
 * training on a small recording, hybrid training with delta positives, and stored models from before
 * the options (no positive_ties / full_batch fields) loading with the values they were trained with.
 */
import test from "node:test";
import assert from "node:assert/strict";
import type { Recording } from "../../src/data/recording.js";
import { fitEmbedding } from "../../src/engine/fit.js";
import { ringRecording } from "../../src/engine/synthetic.js";
import { exportModel, loadModelFiles, MANIFEST_FILE } from "../../src/engine/train/export.js";
import { DEFAULT_TRAIN_CONFIG, storedTrainConfig, type TrainConfig } from "../../src/engine/types.js";
import { UserError } from "../../src/util/errors.js";

/** The ring recording as a Recording with continuous labels (first 80 % train, the rest held out). */
function ring(T: number, N: number): Recording {
  const { session } = ringRecording({ T, N, seed: 4 });
  return {
    neural: session.neural,
    n_samples: T,
    n_neurons: N,
    sampling_rate_hz: 30,
    timestamps: Float64Array.from({ length: T }, (_, t) => t / 30),
    unit_ids: Array.from({ length: N }, (_, n) => `u${n}`),
    unit_metadata: {},
    modality: "other",
    signal: "rates",
    continuous: { data: session.continuous!.data, dim: 2, columns: ["cos", "sin"] },
    provenance: { source: "test", format: "test", sha256: "", keys_read: [], preprocessing: [], loaded_at: "" },
    warnings: [],
  };
}

const cfg = (over: Partial<TrainConfig>): TrainConfig => ({
  ...DEFAULT_TRAIN_CONFIG, model_architecture: "offset5-model", num_hidden_units: 8, output_dimension: 4, learning_rate: 3e-3, device: "cpu", threads: 1, ...over,
});

test("full batch: every training sample is a reference each step; batch_size comes from the data; the loss falls below chance", async () => {
  const rec = ring(500, 12);
  const fit = await fitEmbedding(rec, { mode: "behavior", evaluate_batches: 2, config: cfg({ full_batch: true, batch_size: 64, max_iterations: 40 }) });
  assert.equal(fit.model.config.full_batch, true);
  assert.equal(fit.model.config.batch_size, 400, "the 400 training samples (80 %), not the batch_size passed");
  const log = fit.model.log.total;
  assert.ok(log[0] > Math.log(400) - 0.2, `first loss ${log[0]} near chance ln 400 = ${Math.log(400).toFixed(3)}`);
  assert.ok(log.at(-1)! < log[0] - 0.2, `loss fell from ${log[0]} to ${log.at(-1)}`);
  assert.ok(fit.heldout && fit.heldout.batch_size <= 512 && Number.isFinite(fit.heldout.infonce), "held-out score on ordinary batches");
  // Time contrastive: T − Δ references.
  const time = await fitEmbedding(rec, { mode: "time", evaluate_batches: 0, config: cfg({ full_batch: true, time_offsets: 3, max_iterations: 2 }) });
  assert.equal(time.model.config.batch_size, 397);
  await assert.rejects(
    fitEmbedding(rec, { mode: "hybrid", evaluate_batches: 0, config: cfg({ full_batch: true, max_iterations: 2 }) }),
    (e: unknown) => e instanceof UserError && /Full-batch/.test(e.message),
  );
});

test("hybrid with delta: the run trains with the delta conditional (σ recorded) and both objectives", async () => {
  const rec = ring(400, 10);
  const fit = await fitEmbedding(rec, { mode: "hybrid", evaluate_batches: 0, config: cfg({ delta: 0.1, batch_size: 32, max_iterations: 10 }) });
  assert.equal(fit.model.config.conditional, "delta");
  assert.equal(fit.model.config.hybrid, true);
  assert.equal(fit.model.config.delta, 0.1);
  assert.ok(fit.model.log.total[0] > 1.5 * Math.log(32), "two InfoNCE terms at chance: about 2·ln 32");
  const plain = await fitEmbedding(rec, { mode: "behavior", evaluate_batches: 0, config: cfg({ batch_size: 32, max_iterations: 1 }) });
  assert.equal(plain.model.config.conditional, "time_delta", "without delta, continuous labels keep time_delta");
});

test("stored models from before positive_ties / full_batch load with the rule they were trained with (random, minibatch)", async () => {
  const rec = ring(300, 8);
  const fit = await fitEmbedding(rec, { mode: "behavior", evaluate_batches: 0, config: cfg({ positive_ties: "first", batch_size: 32, max_iterations: 2 }) });
  const { files } = exportModel(fit.model, { data: [{ recording_id: "rec-1", sha256: "ab".repeat(32), source: "ring" }] });
  assert.equal(loadModelFiles(files).config.positive_ties, "first", "new models record the rule");
  const manifest = files.find((f) => f.name === MANIFEST_FILE)!;
  const json = JSON.parse(new TextDecoder().decode(manifest.data));
  delete json.hyperparameters.positive_ties;
  delete json.hyperparameters.full_batch;
  const old = files.map((f) => (f === manifest ? { ...f, data: new TextEncoder().encode(JSON.stringify(json)) } : f));
  const loaded = loadModelFiles(old).config;
  assert.equal(loaded.positive_ties, "random");
  assert.equal(loaded.full_batch, false);
  const { positive_ties: _t, full_batch: _f, time_offsets, ...older } = fit.model.config;
  assert.deepEqual(storedTrainConfig({ ...older, time_offset: time_offsets }), { ...fit.model.config, positive_ties: "random", full_batch: false });
});
