/**
 * A multi-session training job run again after its process stopped goes on from its checkpoint
 * (src/app/multisession.ts): the job says from which step, the stored model has one loss per step, and
 * its losses are those of an uninterrupted run (the trainer resumes exactly); the checkpoint is removed.
 */
import test, { after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { generateAllenLike } from "../../src/data/builtin/index.js";
import type { Recording } from "../../src/data/recording.js";
import { fitSessions } from "../../src/engine/fit.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../../src/engine/types.js";
import { checkpointPath, saveCheckpoint } from "../../src/app/checkpoint.js";
import { loadModel } from "../../src/app/model-artifacts.js";
import { runMultiSessionTraining } from "../../src/app/multisession.js";
import type { JobControl } from "../../src/store/jobs.js";
import type { RecordingStore } from "../../src/store/recordings.js";
import { Workspace } from "../../src/store/workspace.js";
import { tempDir } from "../helpers/tmp.js";

const tmp = tempDir();
after(tmp.cleanup);

const small = { n_frames: 60, n_repeats: 3, frame_height: 16, frame_width: 32, feature_dim: 4, seed: 1 };
const recs: Record<string, Recording> = { rec_a: generateAllenLike({ ...small, n_cells: 20 }), rec_b: generateAllenLike({ ...small, n_cells: 15 }) };
const recordings = { loadRecordingArtifact: async (id: string) => recs[id] } as unknown as RecordingStore;
const config = (steps: number): TrainConfig => ({ ...DEFAULT_TRAIN_CONFIG, model_architecture: "offset5-model", batch_size: 32, num_hidden_units: 8, output_dimension: 4, max_iterations: steps, device: "cpu" });

test("a multi-session job resumes from its checkpoint and continues the run exactly", async () => {
  const ws = await Workspace.open(path.join(tmp.dir, "ws"));
  const job = await ws.create("job", { summary: "test", meta: {} });
  const sessions = [recs.rec_a, recs.rec_b];
  const setup = { mode: "behavior" as const, evaluate_batches: 0 };
  const whole = await fitSessions(sessions, { ...setup, config: config(30) });
  const first = await fitSessions(sessions, { ...setup, config: config(12) });
  // A marker in the checkpoint's log shows the job went on from it rather than training again from step 0.
  first.model.log.total[0] = 123;
  await saveCheckpoint(ws, job.id, "model", first.model, { prior_steps: 0 });
  const warnings: string[] = [];
  const control: JobControl = { id: job.id, signal: new AbortController().signal, report: () => undefined, warn: (w) => void warnings.push(w), throwIfCancelled: () => undefined };
  const result = await runMultiSessionTraining({ workspace: ws, recordings }, { recording_ids: ["rec_a", "rec_b"], mode: "behavior", config: config(30), shuffled_control: false }, control);
  assert.ok(warnings.some((w) => /resumed from its checkpoint at step 12/.test(w)), JSON.stringify(warnings));
  assert.equal(result.steps_done, 30);
  assert.deepEqual(result.recording_ids, ["rec_a", "rec_b"]);
  const stored = await loadModel(ws, result.model_id);
  assert.equal(stored.model.log.total.length, 30, "one loss per step");
  assert.equal(stored.model.log.total[0], 123, "the first 12 losses come from the checkpoint");
  assert.deepEqual(stored.model.log.total.slice(1), whole.model.log.total.slice(1), "the resumed run is the uninterrupted run");
  assert.deepEqual(Array.from(stored.model.params[1]), Array.from(whole.model.params[1]));
  assert.equal(existsSync(checkpointPath(ws, job.id)), false, "the checkpoint is removed when the job ends");
});
