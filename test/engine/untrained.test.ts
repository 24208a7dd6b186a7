/**
 * The untrained-encoder control: the model at its initialisation is exactly where training started,
 * its embedding is the same transform as the trained model's, and on data with structure a trained
 * model decodes better than it under the same protocol.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { decodeHeldOutLabels } from "../../src/decode/pipeline.js";
import type { Recording } from "../../src/data/recording.js";
import { ringRecording } from "../../src/engine/synthetic.js";
import { runTrainingLoop } from "../../src/engine/train/trainer.js";
import { transformRecording, untrainedModel } from "../../src/engine/train/transform.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig, type TrainedModel } from "../../src/engine/types.js";
import { UserError } from "../../src/util/errors.js";

const T = 1200;
const N = 30;
const ring = ringRecording({ T, N });

function config(over: Partial<TrainConfig> = {}): TrainConfig {
  return { ...DEFAULT_TRAIN_CONFIG, model_architecture: "offset10-model", output_dimension: 4, num_hidden_units: 16, batch_size: 64, max_iterations: 5, learning_rate: 3e-3, device: "cpu", ...over };
}

const bitsEqual = (a: Float32Array, b: Float32Array) => a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

for (const over of [{}, { temperature_mode: "auto" as const, temperature: 0.5 }, { model_architecture: "offset1-model", seed: 7 }]) {
  test(`the untrained model's parameters are bit-identical to the trainer's step 0 (${JSON.stringify(over)})`, async () => {
    const cfg = config(over);
    const trained = await runTrainingLoop([ring.session], cfg);
    const start = await runTrainingLoop([ring.session], { ...cfg, max_iterations: 0 });
    assert.equal(start.steps_done, 0);
    const u = untrainedModel(trained);
    assert.equal(u.params.length, 1);
    assert.ok(bitsEqual(u.params[0], start.params[0]), "untrained params = the trainer's initial params");
    assert.ok(!bitsEqual(trained.params[0], start.params[0]), "training moved the parameters (so the check above can fail)");
    assert.equal(u.steps_done, 0);
    assert.deepEqual(u.log.total, []);
    // The trained model is not modified.
    assert.equal(trained.steps_done, 5);
  });
}

test("the untrained embedding is the transform of the initial parameters, deterministic for a seed and different for another", async () => {
  const cfg = config();
  const trained = await runTrainingLoop([ring.session], cfg);
  const start = await runTrainingLoop([ring.session], { ...cfg, max_iterations: 0 });
  const z = await transformRecording(untrainedModel(trained), ring.session.neural, T, N);
  assert.equal(z.length, T * cfg.output_dimension);
  assert.ok(bitsEqual(z, await transformRecording(start, ring.session.neural, T, N)), "same as transforming the trainer's step-0 model");
  assert.ok(bitsEqual(z, await transformRecording(untrainedModel(trained), ring.session.neural, T, N)), "deterministic");
  const other = untrainedModel({ ...trained, config: { ...trained.config, seed: 1 } });
  assert.ok(!bitsEqual(z, await transformRecording(other, ring.session.neural, T, N)), "another seed, another encoder");
});

test("multi-session models have no untrained encoder (UserError)", async () => {
  const m = await runTrainingLoop([ring.session], config({ max_iterations: 0 }));
  const two: TrainedModel = { ...m, n_neurons: [N, N], params: [m.params[0], m.params[0]] };
  assert.throws(() => untrainedModel(two), UserError);
});

test("decoded with the same protocol, a trained model beats its untrained encoder on the ring", async () => {
  const cfg = config({ model_architecture: "offset1-model", batch_size: 128, max_iterations: 300 });
  const trained = await runTrainingLoop([ring.session], cfg);
  const D = cfg.output_dimension;
  const emb = { data: await transformRecording(trained, ring.session.neural, T, N), rows: T, dim: D };
  const untrained = { data: await transformRecording(untrainedModel(trained), ring.session.neural, T, N), rows: T, dim: D };
  const rec = {
    neural: ring.session.neural, n_samples: T, n_neurons: N, sampling_rate_hz: 30,
    timestamps: Float64Array.from({ length: T }, (_, t) => t / 30),
  } as Recording;
  const labels = { kind: "continuous" as const, data: ring.session.continuous!.data, dim: ring.session.continuous!.dim };
  const out = decodeHeldOutLabels(rec, emb, { left: 0, right: 1 }, { not_run: "not requested" }, {
    labels, train_ranges: [[0, 900]], test_ranges: [[900, T]], skip_raw_controls: true, untrained: { embedding: untrained, model_id: "mdl_test" },
  });
  const c = out.controls.untrained_encoder;
  assert.equal(c?.status, "ok");
  if (c?.status !== "ok" || c.result.kind !== "labels_continuous" || out.main.kind !== "labels_continuous") return;
  // Same protocol: same test samples, metric, k criterion and grid; no protocol-mismatch warning.
  assert.equal(c.result.scores.n_test, out.main.scores.n_test);
  assert.equal(c.result.metric, out.main.metric);
  assert.equal(c.result.k_selection.criterion, out.main.k_selection.criterion);
  assert.deepEqual(c.result.k_selection.k_scores.map((s) => s.k), out.main.k_selection.k_scores.map((s) => s.k));
  assert.match(c.result.features_source, /untrained CEBRA encoder \(mdl_test at initialisation\)/);
  assert.ok(!out.summary.warnings.some((w) => w.startsWith("untrained_encoder:")), out.summary.warnings.join("; "));
  const s = out.summary.controls.untrained_encoder;
  assert.equal(s?.status, "ok");
  assert.match(s!.description, /same architecture at its initialisation/);
  const trainedR2 = out.main.scores.r2_mean, untrainedR2 = c.result.scores.r2_mean;
  assert.ok(trainedR2 > 0.8, `trained r² ${trainedR2}`);
  assert.ok(trainedR2 > untrainedR2 + 0.2, `trained r² ${trainedR2} vs untrained ${untrainedR2}`);
  // Without the input, the control is absent; with a reason, it is reported as not run.
  const none = decodeHeldOutLabels(rec, emb, { left: 0, right: 1 }, { not_run: "x" }, { labels, train_ranges: [[0, 900]], test_ranges: [[900, T]], skip_raw_controls: true });
  assert.equal(none.controls.untrained_encoder, undefined);
  const why = decodeHeldOutLabels(rec, emb, { left: 0, right: 1 }, { not_run: "x" }, {
    labels, train_ranges: [[0, 900]], test_ranges: [[900, T]], skip_raw_controls: true, untrained: { not_run: "multi-session model" },
  });
  assert.deepEqual(why.controls.untrained_encoder, { status: "not_run", reason: "multi-session model" });
});
