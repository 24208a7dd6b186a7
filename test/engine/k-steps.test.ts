import test from "node:test";
import assert from "node:assert/strict";
import { ringRecording } from "../../src/engine/synthetic.js";
import { profileStepsLoop } from "../../src/engine/train/k-steps.js";
import { profileSteps } from "../../src/engine/train/trainer.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../../src/engine/types.js";

const { session } = ringRecording({ T: 1500, N: 24, label_dim: 3, seed: 3 });
const base: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, model_architecture: "offset10-model", batch_size: 48, num_hidden_units: 16, output_dimension: 4, learning_rate: 3e-3, device: "cpu", threads: 1 };

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

// K steps in one ONNX Loop must be the same computation as K single steps on the same batches: same
// losses every step, same parameters after the last (float tolerance; a wrong carry order, a missed
// Adam bias correction or a batch taken twice would move both by orders of magnitude more).
for (const input of ["recording", "windows"] as const) {
  for (const conditional of ["time", "time_delta"] as const) {
    test(`K steps per run equal single steps (${input}, ${conditional}): losses and final parameters`, async () => {
      const cfg = { ...base, conditional };
      const single = await profileSteps([session], cfg, 11, input);
      const loop = await profileStepsLoop(session, cfg, 11, 4, input); // 4 + 4 + 3 steps
      assert.equal(loop.losses.length, 11);
      assert.ok(maxDiff(single.losses.map((l) => l.loss), loop.losses.map((l) => l.loss)) < 1e-5);
      assert.ok(maxDiff(single.losses.map((l) => l.align), loop.losses.map((l) => l.align)) < 1e-5);
      assert.ok(maxDiff(single.params, loop.params) < 1e-6);
      // the steps moved the parameters (otherwise equality would say nothing)
      assert.ok(Math.abs(single.losses[0].loss - single.losses[10].loss) > 1e-4);
    });
  }
}

test("K steps per run: the learnable temperature is carried like every other parameter", async () => {
  const cfg = { ...base, temperature_mode: "auto" as const, temperature: 1.5 };
  const single = await profileSteps([session], cfg, 6);
  const loop = await profileStepsLoop(session, cfg, 6, 6);
  assert.ok(maxDiff(single.losses.map((l) => l.temperature), loop.losses.map((l) => l.temperature)) < 1e-6);
  assert.ok(maxDiff(single.params, loop.params) < 1e-6);
});

test("K steps per run: K must be a positive integer", async () => {
  await assert.rejects(profileStepsLoop(session, base, 4, 0), /positive integer/);
});
