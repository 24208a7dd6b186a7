/**
 * Checkpoints continue a training run exactly: N steps in one go equal K steps, a checkpoint written to
 * and read back from the job's folder, and a resume to N (parameters, Adam moments and every logged loss
 * bit for bit), on the single-session and the multi-session trainer; the writer keeps the newest one.
 */
import test, { after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { ringRecording } from "../../src/engine/synthetic.js";
import { runTrainingLoop } from "../../src/engine/train/trainer.js";
import { trainModel } from "../../src/engine/train/run.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig, type TrainedModel } from "../../src/engine/types.js";
import { CheckpointWriter, checkpointPath, checkpointPolicy, latestCheckpoint, removeCheckpoint } from "../../src/app/checkpoint.js";
import { Workspace } from "../../src/store/workspace.js";
import { tempDir } from "../helpers/tmp.js";

const tmp = tempDir();
after(tmp.cleanup);

const ring = ringRecording({ T: 900, N: 24 });
const ring2 = ringRecording({ T: 700, N: 18, seed: 5 });

function config(over: Partial<TrainConfig> = {}): TrainConfig {
  return { ...DEFAULT_TRAIN_CONFIG, model_architecture: "offset10-model", batch_size: 32, num_hidden_units: 16, output_dimension: 3, max_iterations: 30, learning_rate: 3e-3, device: "cpu", ...over };
}

function assertSameRun(a: TrainedModel, b: TrainedModel): void {
  assert.equal(b.steps_done, a.steps_done);
  assert.deepEqual(b.log.total, a.log.total, "the loss trajectory continues exactly");
  assert.deepEqual(b.log.temperature, a.log.temperature);
  a.params.forEach((p, s) => {
    assert.deepEqual(b.params[s], p, `session ${s}: the same parameters`);
    assert.deepEqual(b.optimizer[s].m, a.optimizer[s].m);
    assert.deepEqual(b.optimizer[s].v, a.optimizer[s].v);
    assert.equal(b.optimizer[s].step, a.optimizer[s].step);
  });
}

test("a run resumed from its last saved checkpoint ends bit for bit where the uninterrupted run ends", async () => {
  const ws = await Workspace.open(path.join(tmp.dir, "ws"));
  const job = await ws.create("job", { summary: "test", meta: {} });
  const cfg = config();
  const whole = await runTrainingLoop([ring.session], cfg);
  const writer = new CheckpointWriter(ws, job.id);
  const steps: number[] = [];
  const save = writer.callback("model", { note: "kept" });
  // In the worker thread, as jobs train: a checkpoint every 8 steps, none after the last step.
  const finished = await trainModel([ring.session], cfg, {
    checkpointEvery: { steps: 8, seconds: 3600 },
    onCheckpoint: (m) => { steps.push(m.steps_done); save(m); },
  });
  assert.deepEqual(steps, [8, 16, 24], "every 8 steps, not after the last (30)");
  assertSameRun(whole, finished);
  await writer.flush();
  const ck = await latestCheckpoint(ws, job.id);
  assert.ok(ck, "a checkpoint is stored in the job's folder");
  assert.equal(ck.model.steps_done, 24, "the newest checkpoint is kept");
  assert.equal(ck.phase, "model");
  assert.deepEqual(ck.context, { note: "kept" });
  assert.equal(ck.model.log.total.length, 24);
  assert.deepEqual(ck.model.log.total, whole.log.total.slice(0, 24), "the stored log is the first 24 steps of the run");
  const resumed = await runTrainingLoop([ring.session], cfg, { resumeFrom: ck.model });
  assertSameRun(whole, resumed);
  await removeCheckpoint(ws, job.id);
  assert.equal(existsSync(checkpointPath(ws, job.id)), false);
  assert.equal(await latestCheckpoint(ws, job.id), null);
});

test("multi-session training resumes exactly from a checkpoint taken by time", async () => {
  const ws = await Workspace.open(path.join(tmp.dir, "ws-multi"));
  const job = await ws.create("job", { summary: "test", meta: {} });
  const cfg = config({ model_architecture: "offset1-model", max_iterations: 12 });
  const sessions = [ring.session, ring2.session];
  const whole = await runTrainingLoop(sessions, cfg);
  let clock = 0;
  const writer = new CheckpointWriter(ws, job.id);
  const save = writer.callback("model");
  await runTrainingLoop(sessions, cfg, { now: () => (clock += 1000), checkpointEvery: { steps: 1000, seconds: 5 }, onCheckpoint: (m) => { if (m.steps_done <= 5) save(m); } });
  await writer.flush();
  const ck = (await latestCheckpoint(ws, job.id))!;
  assert.ok(ck.model.steps_done > 0 && ck.model.steps_done < 12, `a checkpoint by time (step ${ck.model.steps_done})`);
  assert.equal(ck.model.params.length, 2);
  assertSameRun(whole, await runTrainingLoop(sessions, cfg, { resumeFrom: ck.model }));
});

test("the checkpoint policy reads its environment overrides and ignores nonsense", () => {
  assert.deepEqual(checkpointPolicy({}), { steps: 500, seconds: 60 });
  assert.deepEqual(checkpointPolicy({ CEBRA_MCP_CHECKPOINT_STEPS: "50", CEBRA_MCP_CHECKPOINT_SECONDS: "2.5" }), { steps: 50, seconds: 2.5 });
  assert.deepEqual(checkpointPolicy({ CEBRA_MCP_CHECKPOINT_STEPS: "-1", CEBRA_MCP_CHECKPOINT_SECONDS: "x" }), { steps: 500, seconds: 60 });
});
