import test from "node:test";
import assert from "node:assert/strict";
import { ringDecodingError, ringRecording } from "../../src/engine/synthetic.js";
import { runTrainingLoop } from "../../src/engine/train/trainer.js";
import { transformRecording } from "../../src/engine/train/transform.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig, type TrainProgress } from "../../src/engine/types.js";
import { UserError } from "../../src/util/errors.js";

const ring = ringRecording({ T: 1200, N: 30 });

function config(over: Partial<TrainConfig> = {}): TrainConfig {
  return { ...DEFAULT_TRAIN_CONFIG, model_architecture: "offset1-model", batch_size: 64, max_iterations: 20, learning_rate: 3e-3, device: "cpu", ...over };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

test("training lowers the loss and the embedding decodes the ring latent far better than before training", async () => {
  const { session, phase } = ringRecording({ T: 2000, N: 50 });
  const cfg = config({ batch_size: 128, max_iterations: 300 });
  const trained = await runTrainingLoop([session], cfg);
  const untrained = await runTrainingLoop([session], { ...cfg, max_iterations: 0 });
  assert.equal(trained.steps_done, 300);
  assert.equal(trained.log.total.length, 300);
  assert.ok(mean(trained.log.total.slice(-50)) < mean(trained.log.total.slice(0, 10)) - 0.4, "loss fell by at least 0.4 nats");
  const D = cfg.output_dimension;
  const err = async (m: typeof trained) => ringDecodingError(await transformRecording(m, session.neural, 2000, 50), D, phase, 1500);
  const before = await err(untrained);
  const after = await err(trained);
  assert.ok(after < 0.2, `decoding error ${after} rad after training (chance ≈ ${(Math.PI / 2).toFixed(2)})`);
  assert.ok(after < before / 2, `training halves the decoding error (${before} → ${after})`);
});

test("a convolutional model (offset10) trains with the time_delta conditional", async () => {
  const m = await runTrainingLoop([ring.session], config({ model_architecture: "offset10-model", max_iterations: 60 }));
  assert.equal(m.steps_done, 60);
  assert.equal(m.device_used, "cpu");
  assert.ok(mean(m.log.total.slice(-10)) < m.log.total[0]);
  assert.ok(m.log.align.every(Number.isFinite) && m.log.uniform.every(Number.isFinite));
});

test("progress is reported on the first step, whenever the interval has passed, and after the last step", async () => {
  let clock = 0;
  const now = () => (clock += 300); // every clock read advances 300 ms
  const reports: Array<TrainProgress & { at: number }> = [];
  await runTrainingLoop([ring.session], config({ max_iterations: 20 }), {
    now,
    progressIntervalMs: 1000,
    onProgress: (p) => reports.push({ ...p, at: clock }),
  });
  assert.equal(reports[0].step, 1);
  assert.equal(reports[reports.length - 1].step, 20);
  for (let i = 1; i < reports.length; i++) {
    assert.ok(reports[i].at - reports[i - 1].at <= 1000 + 300, "never more than one interval plus one step without a report");
  }
  assert.ok(reports.length < 20, "throttled: not every step is reported");
  for (const p of reports) {
    assert.equal(p.total_steps, 20);
    assert.ok(p.steps_per_s > 0 && Number.isFinite(p.loss));
    assert.ok(Math.abs(p.eta_s - (20 - p.step) / p.steps_per_s) < 1e-9);
  }
});

test("shouldStop ends training between steps and returns the usable model trained so far", async () => {
  let checks = 0;
  const m = await runTrainingLoop([ring.session], config({ max_iterations: 1000 }), { shouldStop: () => ++checks > 7 });
  assert.equal(m.cancelled, true);
  assert.equal(m.steps_done, 7);
  assert.equal(m.log.total.length, 7);
  assert.equal(m.optimizer[0].step, 7);
  const z = await transformRecording(m, ring.session.neural, ring.session.n_samples, ring.session.n_neurons);
  assert.ok(z.every(Number.isFinite));
});

for (const [name, over] of [
  ["time_delta, offset1", {}],
  ["time, offset5, learnable temperature", { conditional: "time", time_offsets: 3, model_architecture: "offset5-model", temperature_mode: "auto" }],
] as Array<[string, Partial<TrainConfig>]>) {
  test(`resume is exact (${name}): 12 steps + resume to 30 equals 30 straight steps`, async () => {
    const cfg = config({ max_iterations: 30, ...over });
    const straight = await runTrainingLoop([ring.session], cfg);
    const first = await runTrainingLoop([ring.session], { ...cfg, max_iterations: 12 });
    const resumed = await runTrainingLoop([ring.session], cfg, { resumeFrom: first });
    assert.equal(resumed.steps_done, 30);
    assert.deepEqual(resumed.params[0], straight.params[0]);
    assert.deepEqual(resumed.optimizer[0].m, straight.optimizer[0].m);
    assert.deepEqual(resumed.optimizer[0].v, straight.optimizer[0].v);
    assert.deepEqual(resumed.log, straight.log);
    assert.notDeepEqual(first.params[0], straight.params[0]);
  });
}

test("a learnable temperature is optimised and logged", async () => {
  const m = await runTrainingLoop([ring.session], config({ temperature_mode: "auto", temperature: 1, max_iterations: 40, learning_rate: 1e-2 }));
  assert.equal(m.log.temperature[0], 1);
  assert.notEqual(m.log.temperature[39], 1);
});

test("resuming with a different configuration or too few max_iterations is a UserError", async () => {
  const first = await runTrainingLoop([ring.session], config({ max_iterations: 5 }));
  await assert.rejects(runTrainingLoop([ring.session], config({ max_iterations: 10, learning_rate: 1e-4 }), { resumeFrom: first }), (e: unknown) => e instanceof UserError && /learning_rate/.test(e.message));
  await assert.rejects(runTrainingLoop([ring.session], config({ max_iterations: 3 }), { resumeFrom: first }), (e: unknown) => e instanceof UserError && /max_iterations/.test(e.fix));
});

test("bad training input is a UserError naming the problem", async () => {
  const nan = { ...ring.session, neural: ring.session.neural.slice() };
  nan.neural[5 * 30 + 2] = NaN;
  await assert.rejects(runTrainingLoop([nan], config()), (e: unknown) => e instanceof UserError && /sample 5, unit 2/.test(e.message));
  const short = { ...ring.session, neural: ring.session.neural.subarray(0, 8 * 30), n_samples: 8, continuous: { data: ring.session.continuous!.data.subarray(0, 16), dim: 2 } };
  await assert.rejects(runTrainingLoop([short], config({ model_architecture: "offset10-model" })), (e: unknown) => e instanceof UserError && /receptive field/.test(e.message));
  await assert.rejects(runTrainingLoop([], config()), UserError);
});

const sessionA = ringRecording({ T: 800, N: 20, seed: 11 }).session;
const sessionB = ringRecording({ T: 600, N: 28, seed: 12 }).session;

test("multi-session: one encoder per session (different neuron counts), positives across sessions, loss falls", async () => {
  const m = await runTrainingLoop([sessionA, sessionB], config({ max_iterations: 60 }));
  assert.deepEqual(m.n_neurons, [20, 28]);
  assert.equal(m.params.length, 2);
  assert.equal(m.optimizer.length, 2);
  assert.ok(m.params[1].length > m.params[0].length, "the encoder with more inputs has more parameters");
  assert.ok(mean(m.log.total.slice(-10)) < m.log.total[0] - 0.1, "loss fell");
  for (const [s, d] of [sessionA, sessionB].entries()) {
    const z = await transformRecording(m, d.neural, d.n_samples, d.n_neurons, { session_id: s });
    assert.equal(z.length, d.n_samples * m.config.output_dimension);
    assert.ok(z.every(Number.isFinite));
  }
});

test("multi-session resume is exact, learnable temperature included", async () => {
  const cfg = config({ max_iterations: 16, temperature_mode: "auto" });
  const straight = await runTrainingLoop([sessionA, sessionB], cfg);
  const first = await runTrainingLoop([sessionA, sessionB], { ...cfg, max_iterations: 7 });
  const resumed = await runTrainingLoop([sessionA, sessionB], cfg, { resumeFrom: first });
  assert.deepEqual(resumed.params, straight.params);
  assert.deepEqual(resumed.optimizer, straight.optimizer);
  assert.deepEqual(resumed.log, straight.log);
  const theta = (p: Float32Array) => p[p.length - 1];
  assert.equal(theta(straight.params[0]), theta(straight.params[1]), "both sessions carry the shared temperature");
});

test("multi-session with a conditional CEBRA does not support there is a UserError", async () => {
  await assert.rejects(runTrainingLoop([sessionA, sessionB], config({ conditional: "time" })), UserError);
});
