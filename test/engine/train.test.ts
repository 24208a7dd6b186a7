import test from "node:test";
import assert from "node:assert/strict";
import { ringRecording } from "../../src/engine/synthetic.js";
import { trainModel } from "../../src/engine/train/run.js";
import { runTrainingLoop } from "../../src/engine/train/trainer.js";
import { transformRecording } from "../../src/engine/train/transform.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig, type TrainProgress } from "../../src/engine/types.js";
import { CancelledError, UserError } from "../../src/util/errors.js";
import { CUDA_INSTALL_COMMAND } from "../../src/engine/runtime/sessions.js";

const { session } = ringRecording({ T: 1000, N: 20 });

function config(over: Partial<TrainConfig> = {}): TrainConfig {
  return { ...DEFAULT_TRAIN_CONFIG, model_architecture: "offset1-model", batch_size: 64, max_iterations: 25, learning_rate: 3e-3, device: "cpu", ...over };
}

test("trainModel in a worker gives exactly the model the trainer gives on this thread, with progress", async () => {
  const cfg = config();
  const progress: TrainProgress[] = [];
  const inWorker = await trainModel([session], cfg, { onProgress: (p) => progress.push(p) });
  const local = await runTrainingLoop([session], cfg);
  assert.deepEqual(inWorker.params, local.params);
  assert.deepEqual(inWorker.log, local.log);
  assert.equal(inWorker.cancelled, false);
  assert.ok(progress.length >= 2, "first and last step reported");
  assert.equal(progress[progress.length - 1].step, 25);
});

test("aborting stops the worker between steps and resolves with the model trained so far", async () => {
  const ac = new AbortController();
  const model = await trainModel([session], config({ max_iterations: 1_000_000 }), {
    signal: ac.signal,
    progressIntervalMs: 0,
    onProgress: (p) => {
      if (p.step >= 3) ac.abort();
    },
  });
  assert.equal(model.cancelled, true);
  assert.ok(model.steps_done >= 3 && model.steps_done < 1_000_000);
  assert.equal(model.log.total.length, model.steps_done);
  const z = await transformRecording(model, session.neural, session.n_samples, session.n_neurons);
  assert.ok(z.every(Number.isFinite));
});

test("resumeFrom through the worker continues the same trajectory", async () => {
  const cfg = config({ max_iterations: 20 });
  const first = await trainModel([session], { ...cfg, max_iterations: 8 });
  const resumed = await trainModel([session], cfg, { resumeFrom: first });
  const straight = await runTrainingLoop([session], cfg);
  assert.deepEqual(resumed.params, straight.params);
});

test("an already aborted signal rejects with CancelledError without starting", async () => {
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(trainModel([session], config(), { signal: ac.signal }), CancelledError);
});

test("a UserError raised in the worker arrives as a UserError with its fix", async () => {
  const bad = { ...session, neural: session.neural.slice() };
  bad.neural[0] = Infinity;
  await assert.rejects(trainModel([bad], config()), (e: unknown) => e instanceof UserError && /non-finite/.test(e.problem) && e.fix.length > 0);
});

test("an explicit CUDA device that cannot start is a UserError telling how to install the CUDA provider", async (t) => {
  try {
    await trainModel([session], config({ device: "cuda", max_iterations: 1 }));
    t.skip("CUDA is available on this machine");
  } catch (e) {
    assert.ok(e instanceof UserError, String(e));
    assert.equal(e.code, "device_unavailable");
    assert.ok(e.fix.includes(CUDA_INSTALL_COMMAND) || /CUDA/.test(e.fix), e.fix);
  }
});
