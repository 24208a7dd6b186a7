/**
 * Job clarity and interpretation through a real MCP client (stdio): a training job with the
 * shuffled-label control names its phases with their own step counters (so the loss jump when the
 * control starts is explained), job texts read as sentences ("succeeded", not "is succeeded"), and the
 * training, decoding and consistency results carry the reference point that makes their number readable.
 */
import test from "node:test";
import assert from "node:assert/strict";
import type { JobView } from "../../tools/kit/job-view.js";
import { callOk } from "../helpers/mcp.js";
import { SMALL_TRAINING, stdioMovieFixture, type TrainResult } from "./analysis-fixtures.js";

/** Steps per run: long enough (a few seconds on CPU) that polling sees both phases. */
const STEPS = 1200;

const fx = stdioMovieFixture();

interface Seen { phase: string; phase_step: number; phase_total: number; step: number; total: number; text: string }

let finished: { job: JobView; text: string } | null = null;
let modelId = "";
let controlId = "";

test("get_job names the phase with its own step counter; the control's phase explains its loss", async () => {
  const started = await callOk<TrainResult>(fx.client, "train_embedding", { recording_id: fx.recordingId, ...SMALL_TRAINING, max_iterations: STEPS, shuffled_control: true, wait_seconds: 0 });
  const seen: Seen[] = [];
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { data, text } = await callOk<JobView>(fx.client, "get_job", { job_id: started.data.job_id, wait_seconds: 0.2 });
    const p = data.progress;
    if (p?.phase !== undefined && data.status === "running") seen.push({ phase: p.phase, phase_step: p.phase_step!, phase_total: p.phase_total!, step: p.step, total: p.total, text });
    if (data.status !== "queued" && data.status !== "running") {
      finished = { job: data, text };
      break;
    }
    assert.ok(Date.now() < deadline, "training did not finish in 120 s");
  }
  const model = seen.filter((s) => s.phase === "training model");
  const control = seen.filter((s) => s.phase === "training shuffled-label control");
  assert.ok(model.length > 0 && control.length > 0, `phases seen: ${[...new Set(seen.map((s) => s.phase))].join(", ")}`);
  for (const s of [...model, ...control]) {
    assert.equal(s.total, 2 * STEPS);
    assert.equal(s.phase_total, STEPS);
    assert.ok(s.phase_step >= 0 && s.phase_step <= STEPS);
  }
  // The control counts its own steps from 0; the whole job's counter goes on from the model's steps.
  for (const s of control) assert.equal(s.step, STEPS + s.phase_step);
  for (const s of model) assert.equal(s.step, s.phase_step);
  const c = control[control.length - 1]!;
  assert.match(c.text, new RegExp(`training shuffled-label control: step ${c.phase_step}/${STEPS}, loss \\d+\\.\\d{4} \\(whole job: step ${c.step}/${2 * STEPS} `));
  assert.match(c.text, /labels are shuffled, so its loss stays near chance log\(64\) = 4\.159/);
  assert.match(model[0]!.text, /training model: step \d+\/1200/);
  // Phases other than training (embedding, saving) are named too when they are caught; they never count steps beyond the phase.
  for (const s of seen) assert.match(s.phase, /^(training model|training shuffled-label control|embedding \((model|shuffled-label control)\)|saving (model|shuffled-label control))$/);
});

test("texts read as sentences: a finished job 'succeeded', never 'is succeeded'", async () => {
  assert.ok(finished, "the job of the previous test finished");
  assert.equal(finished.job.status, "succeeded");
  // "(worker HOST:PID, device)": where it ran (the in-process backend's worker is the server itself).
  assert.match(finished.text, new RegExp(`^Job ${finished.job.job_id} \\(train_embedding\\) succeeded \\(worker [^,)]+, cpu\\) — step ${2 * STEPS}/${2 * STEPS} \\(100%\\)`));
  assert.doesNotMatch(finished.text, /is (succeeded|failed|cancelled|interrupted)/);
  const result = finished.job.result as { model_id: string; shuffled_model_id: string };
  modelId = result.model_id;
  controlId = result.shuffled_model_id;
  assert.match(controlId, /^mdl_/);
});

test("training, decoding and consistency results say what their number is measured against", async () => {
  const train = await callOk<TrainResult>(fx.client, "train_embedding", { recording_id: fx.recordingId, ...SMALL_TRAINING, max_iterations: 60, shuffled_control: true, seed: 7 });
  assert.match(train.text, /Reading: 0 bits is chance; the shuffled-label control, trained the same way, reaches -?\d+\.\d\d bits held out, and the model's held-out -?\d+\.\d\d bits are (-?\d+\.\d\d bits above it|not above it)/);
  const plain = await callOk<TrainResult>(fx.client, "train_embedding", { recording_id: fx.recordingId, ...SMALL_TRAINING, max_iterations: 60, seed: 8 });
  assert.match(plain.text, /Reading: 0 bits is chance \(loss = log of the batch size\); pass shuffled_control: true/);

  const decoded = await callOk(fx.client, "decode_video_frames", { model_id: modelId, shuffled_control: true });
  assert.match(decoded.text, /Reading: the model's \d+\.\d% against chance \d+\.\d%, shuffled-label control \d+\.\d%, best raw-activity kNN \d+\.\d% \((per sample|window-averaged)\), untrained encoder \d+\.\d%: \d+\.\d points (above|below) the raw activity; \d+\.\d points (above|below) the untrained encoder \(what training added\)\./);

  const withControl = await callOk<{ pairs: { r2: number }[] }>(fx.client, "compare_embeddings", { ids: [modelId, train.data.model_id!, controlId] });
  assert.match(withControl.text, /Reading: R² 1 means the embeddings are the same up to a linear map, 0 that a linear map predicts no better than the mean; pairs of trained models average -?\d\.\d{3}, pairs with a shuffled-label control -?\d\.\d{3}/);
  const onlyControl = await callOk(fx.client, "compare_embeddings", { ids: [modelId, controlId] });
  assert.match(onlyControl.text, /every pair here involves a shuffled-label control \(mean -?\d\.\d{3}\)/);
  const noControl = await callOk(fx.client, "compare_embeddings", { ids: [modelId, plain.data.model_id!] });
  assert.match(noControl.text, /for a measured floor, add a shuffled-label control/);
});

test("a shuffled-label control trained on demand by a decoding names its phases in the progress notifications", async () => {
  const plain = await callOk<TrainResult>(fx.client, "train_embedding", { recording_id: fx.recordingId, ...SMALL_TRAINING, max_iterations: 80, seed: 9 });
  const messages: string[] = [];
  const decoded = await callOk(fx.client, "decode_video_frames", { model_id: plain.data.model_id!, shuffled_control: true, skip_raw_controls: true }, {
    onprogress: (p) => void (p.message !== undefined && messages.push(p.message)),
  });
  const training = messages.filter((m) => m.startsWith("training shuffled-label control"));
  assert.ok(training.length > 0, `progress messages: ${messages.slice(0, 5).join(" | ")}`);
  assert.match(training[0]!, new RegExp(`^training shuffled-label control \\(this decoding asked for it; model ${plain.data.model_id} has none\\): step \\d+/80 loss=\\d+\\.\\d{4}; its labels are shuffled, so its loss stays near chance log\\(64\\) = 4\\.159$`));
  assert.ok(messages.some((m) => m.startsWith("saving shuffled-label control")), "the saving phase is announced before decoding");
  assert.equal(messages.filter((m) => !/^(training shuffled-label control|embedding \(shuffled-label control\)|saving shuffled-label control)/.test(m)).length, 0, `every message names its phase: ${messages.join(" | ")}`);
  assert.match(decoded.text, /shuffled-label control \d+\.\d%/);
});
