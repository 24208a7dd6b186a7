/**
 * A training job whose server is killed (SIGKILL, no chance to clean up) resumes, when a server opens the
 * same workspace again, from the last checkpoint it saved (src/app/checkpoint.ts), and succeeds with a loss
 * history that continues where it stopped: the losses the first server recorded are the finished model's
 * losses at the same steps, and the model's log has exactly one loss per step. A user can still stop the
 * resumed job with cancel_job. Over stdio, with real MCP clients.
 */
import test, { after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import type { JobView } from "../../tools/kit/job-view.js";
import { MAIN_JS, callOk, connectStdio } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";
import { MOVIE_BUILTIN, SMALL_TRAINING, type TrainResult } from "./analysis-fixtures.js";

const tmp = tempDir();
/** A checkpoint every 100 steps (or second), so a kill a few seconds in has one to resume from. */
const CHECKPOINTS = { CEBRA_MCP_CHECKPOINT_STEPS: "100", CEBRA_MCP_CHECKPOINT_SECONDS: "1" };
after(tmp.cleanup);

/** A server we can SIGKILL: a stdio transport whose child pid we know. */
async function spawnServer(workspace: string): Promise<{ client: Client; pid: number }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [MAIN_JS, "serve", "--workspace", workspace],
    cwd: tmp.dir,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...CHECKPOINTS },
    stderr: "pipe",
  });
  transport.stderr?.on("data", () => undefined);
  const client = new Client({ name: "interrupted-job-test", version: "0.0.0" });
  await client.connect(transport);
  assert.ok(transport.pid, "the server process has a pid");
  return { client, pid: transport.pid };
}

/** Resolves once process `pid` no longer exists. */
async function gone(pid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Kills the server with SIGKILL and waits until its process is gone. */
async function kill(server: { client: Client; pid: number }): Promise<void> {
  process.kill(server.pid, "SIGKILL");
  await gone(server.pid);
  await server.client.close().catch(() => undefined);
}

/** A job manifest's meta and a model's training log, read from the workspace as stored. */
const readJson = <T>(...parts: string[]): T => JSON.parse(readFileSync(path.join(...parts), "utf8")) as T;

test("a training job killed with the server (kill -9) resumes from its checkpoint after a restart and succeeds, its losses continuing without a gap", async () => {
  const workspace = path.join(tmp.dir, "ws");
  const first = await spawnServer(workspace);
  const recording = (await callOk<{ recording_id: string }>(first.client, "load_recording", { source: "builtin:allen-like", builtin: MOVIE_BUILTIN })).data.recording_id;
  // Calibrate on this machine (shared CPUs make the rate vary), then size the run to take about 8 s.
  const probe = await callOk<TrainResult>(first.client, "train_embedding", { recording_id: recording, ...SMALL_TRAINING, max_iterations: 300, wait_seconds: 55 });
  assert.equal(probe.data.status, "succeeded", probe.text);
  const total = Math.max(1500, Math.round((probe.data.steps_per_s ?? 100) * 8));
  const started = await callOk<TrainResult>(first.client, "train_embedding", { recording_id: recording, ...SMALL_TRAINING, max_iterations: total, wait_seconds: 0 });
  const jobId = started.data.job_id;
  for (;;) {
    const { data } = await callOk<JobView>(first.client, "get_job", { job_id: jobId, wait_seconds: 0.25 });
    assert.ok(data.status === "running" || data.status === "queued", `the job ended (${data.status}) before it was killed; the machine was faster than calibrated`);
    if ((data.progress?.step ?? 0) >= 0.5 * total) break;
  }
  await kill(first);
  const before = readJson<{ meta: JobView & { history: { step: number; loss: number }[] } }>(workspace, "jobs", jobId, "manifest.json").meta;
  assert.ok(before.status === "running", "the dead server left the job running");

  const second = await connectStdio({ workspace, cwd: tmp.dir, env: CHECKPOINTS });
  try {
    let view = (await callOk<JobView>(second.client, "get_job", { job_id: jobId })).data;
    assert.ok(view.status === "running" || view.status === "queued" || view.status === "succeeded", `resumed, not ${view.status}`);
    // The run itself says which checkpoint it went on from, once it has started.
    for (let i = 0; i < 100 && !view.warnings?.some((w) => w.includes("resumed from its checkpoint")) && view.status !== "succeeded"; i++) {
      view = (await callOk<JobView>(second.client, "get_job", { job_id: jobId, wait_seconds: 0.2 })).data;
    }
    const note = view.warnings?.find((w) => w.includes("resumed from its checkpoint")) ?? "";
    const resumedAt = Number(/at step (\d+)/.exec(note)?.[1]);
    assert.ok(resumedAt >= 100 && resumedAt % 100 === 0 && resumedAt <= total, `resumed from a checkpoint step (${note})`);
    while (view.status === "running" || view.status === "queued") view = (await callOk<JobView>(second.client, "get_job", { job_id: jobId, wait_seconds: 30 })).data;
    assert.equal(view.status, "succeeded", JSON.stringify(view.error));
    const result = view.result as { steps_done: number; model_id: string };
    assert.equal(result.steps_done, total);

    const log = readJson<{ total: number[] }>(workspace, "models", result.model_id, "training_log.json");
    assert.equal(log.total.length, total, "one loss per step: nothing repeated or missing around the restart");
    const history = readJson<{ meta: { history: { step: number; loss: number }[] } }>(workspace, "jobs", jobId, "manifest.json").meta.history;
    for (let i = 1; i < history.length; i++) assert.ok(history[i].step > history[i - 1].step, `the job's loss history never restarts (step ${history[i - 1].step} then ${history[i].step})`);
    // Losses the killed server recorded (before its checkpoint) are the finished model's losses at those steps: the run continued.
    const early = before.history.filter((h) => h.step <= resumedAt);
    assert.ok(early.length > 3);
    for (const h of early) assert.equal(log.total[h.step - 1], h.loss, `step ${h.step}`);
    for (const h of history) assert.equal(log.total[h.step - 1], h.loss, `step ${h.step} after the resume`);
    assert.ok(history.some((h) => h.step > resumedAt), "progress after the resume is recorded");
  } finally {
    await second.close();
  }
});

test("a resumed job can still be stopped with cancel_job", async () => {
  const workspace = path.join(tmp.dir, "ws-cancel");
  const first = await spawnServer(workspace);
  const recording = (await callOk<{ recording_id: string }>(first.client, "load_recording", { source: "builtin:allen-like", builtin: MOVIE_BUILTIN })).data.recording_id;
  const total = 100_000; // does not finish here
  const started = await callOk<TrainResult>(first.client, "train_embedding", { recording_id: recording, ...SMALL_TRAINING, max_iterations: total, wait_seconds: 0 });
  let lastSeen = 0;
  while (lastSeen < 150) {
    const { data } = await callOk<JobView>(first.client, "get_job", { job_id: started.data.job_id, wait_seconds: 0.2 });
    lastSeen = data.progress?.step ?? 0;
  }
  await kill(first);
  const second = await connectStdio({ workspace, cwd: tmp.dir, env: CHECKPOINTS });
  try {
    const cancelled = (await callOk<JobView>(second.client, "cancel_job", { job_id: started.data.job_id })).data;
    let view = cancelled;
    while (view.status === "running" || view.status === "queued") view = (await callOk<JobView>(second.client, "get_job", { job_id: started.data.job_id, wait_seconds: 10 })).data;
    assert.equal(view.status, "cancelled");
    assert.ok(view.warnings?.some((w) => /resumed from its checkpoint at step \d+|started again from step 0/.test(w)), JSON.stringify(view.warnings));
  } finally {
    await second.close();
  }
});

test("a job killed while training its shuffled-label control resumes the control and keeps the model it had stored", async () => {
  const workspace = path.join(tmp.dir, "ws-control");
  const first = await spawnServer(workspace);
  const recording = (await callOk<{ recording_id: string }>(first.client, "load_recording", { source: "builtin:allen-like", builtin: MOVIE_BUILTIN })).data.recording_id;
  const total = 3000;
  const started = await callOk<TrainResult>(first.client, "train_embedding", { recording_id: recording, ...SMALL_TRAINING, max_iterations: total, shuffled_control: true, wait_seconds: 0 });
  const jobId = started.data.job_id;
  for (;;) {
    const { data } = await callOk<JobView>(first.client, "get_job", { job_id: jobId, wait_seconds: 0.2 });
    assert.equal(data.status, "running", "killed before the job ended");
    if (data.progress?.phase === "training shuffled-label control" && (data.progress.phase_step ?? 0) >= 250) break;
  }
  await kill(first);
  const modelsBefore = listModels(workspace);
  assert.equal(modelsBefore.length, 1, "the model was stored before the kill; its control was not");

  const second = await connectStdio({ workspace, cwd: tmp.dir, env: CHECKPOINTS });
  try {
    let view = (await callOk<JobView>(second.client, "get_job", { job_id: jobId })).data;
    for (let i = 0; i < 100 && !view.warnings?.some((w) => w.includes("resumed from its checkpoint")) && view.status !== "succeeded"; i++) {
      view = (await callOk<JobView>(second.client, "get_job", { job_id: jobId, wait_seconds: 0.2 })).data;
    }
    const note = view.warnings?.find((w) => w.includes("resumed from its checkpoint")) ?? "";
    assert.match(note, /shuffled-label control/);
    assert.ok(Number(/at step (\d+)/.exec(note)?.[1]) > total, note);
    while (view.status === "running" || view.status === "queued") view = (await callOk<JobView>(second.client, "get_job", { job_id: jobId, wait_seconds: 30 })).data;
    assert.equal(view.status, "succeeded", JSON.stringify(view.error));
    const result = view.result as { model_id: string; shuffled_model_id: string; steps_done: number };
    assert.equal(result.model_id, modelsBefore[0], "the stored model is the job's model, not trained again");
    assert.equal(listModels(workspace).length, 2, "the model and its control, nothing twice");
    assert.equal(readJson<{ total: number[] }>(workspace, "models", result.shuffled_model_id, "training_log.json").total.length, total, "the control's log: one loss per step");
  } finally {
    await second.close();
  }
});

/** Model ids in a workspace (read from its folder). */
function listModels(workspace: string): string[] {
  return readdirSync(path.join(workspace, "models")).filter((n) => n.startsWith("mdl_"));
}
