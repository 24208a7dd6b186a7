import test from "node:test";
import assert from "node:assert/strict";
import { ringRecording } from "../../src/engine/synthetic.js";
import { evaluateInfoNCE } from "../../src/engine/train/evaluate.js";
import { runTrainingLoop } from "../../src/engine/train/trainer.js";
import { DEFAULT_TRAIN_CONFIG, type SessionData, type TrainConfig } from "../../src/engine/types.js";
import { UserError } from "../../src/util/errors.js";

const { session } = ringRecording({ T: 2000, N: 30 });

/** Samples [start, end) of a session (labels included). */
function slice(s: SessionData, start: number, end: number): SessionData {
  const c = s.continuous!;
  return {
    neural: s.neural.slice(start * s.n_neurons, end * s.n_neurons),
    n_samples: end - start,
    n_neurons: s.n_neurons,
    continuous: { data: c.data.slice(start * c.dim, end * c.dim), dim: c.dim },
  };
}

const train = slice(session, 0, 1500);
const heldOut = slice(session, 1500, 2000);
const cfg: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, model_architecture: "offset1-model", batch_size: 64, max_iterations: 200, learning_rate: 3e-3, device: "cpu" };

test("goodness of fit on held-out data: trained model well above chance, untrained near 0 bits", async () => {
  const trained = await runTrainingLoop([train], cfg);
  const untrained = await runTrainingLoop([train], { ...cfg, max_iterations: 0 });
  const good = await evaluateInfoNCE(trained, heldOut, { num_batches: 20 });
  const chance = await evaluateInfoNCE(untrained, heldOut, { num_batches: 20 });
  assert.equal(good.num_batches, 20);
  assert.equal(good.batch_size, 64);
  assert.ok(Math.abs(good.gof_bits - (Math.log(64) - good.infonce) * Math.LOG2E) < 1e-12);
  assert.ok(Math.abs(good.infonce - (good.align + good.uniform)) < 1e-4);
  assert.ok(good.gof_bits > 0.5, `trained GoF ${good.gof_bits} bits`);
  assert.ok(good.gof_bits > chance.gof_bits + 0.4, `trained ${good.gof_bits} vs untrained ${chance.gof_bits} bits`);
});

test("evaluation is reproducible for a seed and changes with it", async () => {
  const m = await runTrainingLoop([train], { ...cfg, max_iterations: 10 });
  const a = await evaluateInfoNCE(m, heldOut, { num_batches: 5, seed: 7 });
  const b = await evaluateInfoNCE(m, heldOut, { num_batches: 5, seed: 7 });
  const c = await evaluateInfoNCE(m, heldOut, { num_batches: 5, seed: 8 });
  assert.deepEqual(a, b);
  assert.notEqual(a.infonce, c.infonce);
});

test("evaluating on data with other units is a UserError", async () => {
  const m = await runTrainingLoop([train], { ...cfg, max_iterations: 1 });
  const other = ringRecording({ T: 200, N: 10 }).session;
  await assert.rejects(evaluateInfoNCE(m, other), UserError);
  await assert.rejects(evaluateInfoNCE(m, heldOut, { num_batches: 0 }), UserError);
});
