/**
 * Training as a job through real MCP clients: a run that outlives wait_seconds is followed with
 * get_job (progress notifications), cancel_job stops a running run and keeps a complete, decodable
 * partial model, and cancelling the client request (AbortSignal on callTool) cancels the job — over
 * stdio and over Streamable HTTP in both eras (2026-07-28: the request's stream closes; 2025-era: the
 * separate notifications/cancelled POST reaches the call through its Mcp-Session-Id session).
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import type { Client } from "@modelcontextprotocol/client";
import type { JobView } from "../../tools/kit/job-view.js";
import { callOk, connectHttp, connectStdio, startTestHttpServer, type Era, type HttpTestServer, type StdioConnection } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";
import { MOVIE_BUILTIN, SMALL_TRAINING, assertWorkspaceConsistent, type FrameDecoding, type TrainResult } from "./analysis-fixtures.js";

/** Steps no test lets finish: these runs end only by cancellation. */
const ENDLESS = 100_000;

const tmp = tempDir();
const stdioWorkspace = path.join(tmp.dir, "ws-stdio");
let conn: StdioConnection;
let stdio: Client;
let recordingId = "";

before(async () => {
  conn = await connectStdio({ workspace: stdioWorkspace });
  stdio = conn.client;
  recordingId = (await callOk<{ recording_id: string }>(stdio, "load_recording", { source: "builtin:allen-like", builtin: MOVIE_BUILTIN })).data.recording_id;
});
after(async () => {
  await conn?.close();
  tmp.cleanup();
});

/** Waits (polling get_job) until a job has reported at least one training step. */
async function waitForFirstStep(client: Client, jobId: string): Promise<JobView> {
  for (;;) {
    const { data } = await callOk<JobView>(client, "get_job", { job_id: jobId, wait_seconds: 0.2 });
    assert.ok(data.status === "queued" || data.status === "running", `job ${jobId} is ${data.status} before any step`);
    if ((data.progress?.step ?? 0) > 0) return data;
  }
}

/** Waits (polling get_job) until a job is no longer queued or running, up to `seconds`. */
async function waitUntilSettled(client: Client, jobId: string, seconds: number): Promise<JobView> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const { data } = await callOk<JobView>(client, "get_job", { job_id: jobId, wait_seconds: 0.25 });
    if ((data.status !== "queued" && data.status !== "running") || Date.now() > deadline) return data;
  }
}

/** The newest job in the workspace (the one a rejected call started). */
async function newestJob(client: Client): Promise<string> {
  const { data } = await callOk<{ artifacts: { id: string }[] }>(client, "list_artifacts", { kind: "job", limit: 1 });
  return data.artifacts[0]!.id;
}

/**
 * Calls train_embedding for an endless run with an AbortSignal, aborts the request at its first
 * progress notification, and returns how the call ended and the job it started.
 */
async function abortTrainingCall(client: Client, recording: string): Promise<{ rejection: unknown; jobId: string }> {
  const controller = new AbortController();
  const call = client.callTool(
    { name: "train_embedding", arguments: { recording_id: recording, ...SMALL_TRAINING, max_iterations: ENDLESS, wait_seconds: 50 } },
    { signal: controller.signal, onprogress: () => controller.abort("the user changed their mind") },
  );
  const rejection = await call.then(() => undefined, (e: unknown) => e);
  return { rejection, jobId: await newestJob(client) };
}

test("a training job that outlives wait_seconds: get_job follows it with progress notifications", async () => {
  const started = await callOk<TrainResult>(stdio, "train_embedding", { recording_id: recordingId, ...SMALL_TRAINING, max_iterations: 300, wait_seconds: 0 });
  assert.ok(started.data.status === "queued" || started.data.status === "running", `status ${started.data.status}`);
  assert.match(started.data.job_id, /^job_/);
  assert.equal(started.data.model_id, undefined, "no model before the job finishes");
  assert.match(started.data.next, /get_job/);

  const progress: { progress: number; total?: number; message?: string }[] = [];
  const { data } = await callOk<JobView>(stdio, "get_job", { job_id: started.data.job_id, wait_seconds: 55 }, { onprogress: (p) => progress.push(p) });
  assert.equal(data.status, "succeeded");
  const result = data.result as { model_id: string; embedding_id: string; steps_done: number; cancelled: boolean };
  assert.match(result.model_id, /^mdl_/);
  assert.match(result.embedding_id, /^emb_/);
  assert.deepEqual([result.steps_done, result.cancelled], [300, false]);
  assert.ok(data.loss_history.length >= 1 && data.loss_history.every((h) => Number.isFinite(h.loss)));

  assert.ok(progress.length >= 1, "progress notifications arrived");
  progress.forEach((p, i) => i === 0 || assert.ok(p.progress > progress[i - 1]!.progress, "progress increases"));
  assert.ok(progress.every((p) => p.total === 300 && p.progress <= 300));
  assert.ok(progress.some((p) => /loss=/.test(p.message ?? "")), "messages carry the loss");

  const decoded = await callOk<FrameDecoding>(stdio, "decode_video_frames", { model_id: result.model_id, skip_raw_controls: true });
  assert.equal(decoded.data.model_id, result.model_id);
});

test("cancel_job stops a running training job; the partial model is complete and decodable", async (t) => {
  const started = await callOk<TrainResult>(stdio, "train_embedding", { recording_id: recordingId, ...SMALL_TRAINING, max_iterations: ENDLESS, wait_seconds: 0 });
  await waitForFirstStep(stdio, started.data.job_id);
  const t0 = Date.now();
  const { data } = await callOk<JobView>(stdio, "cancel_job", { job_id: started.data.job_id });
  t.diagnostic(`cancel_job returned status ${data.status} after ${Date.now() - t0} ms`);
  assert.equal(data.status, "cancelled", "the job stopped within cancel_job's settle time");
  assert.equal(data.cancel_reason, "cancel_job");
  const partial = data.result as { model_id: string; steps_done: number; cancelled: boolean } | undefined;
  assert.ok(partial, "a cancelled training keeps its partial model");
  assert.equal(partial.cancelled, true);
  assert.ok(partial.steps_done >= 1 && partial.steps_done < ENDLESS, `steps_done ${partial.steps_done}`);

  const onDisk = assertWorkspaceConsistent(stdioWorkspace);
  assert.ok(onDisk.model!.includes(partial.model_id), "the partial model is committed");
  const listed = await callOk<{ artifacts: { id: string }[] }>(stdio, "list_artifacts", { kind: "model" });
  assert.ok(listed.data.artifacts.some((a) => a.id === partial.model_id));
  const decoded = await callOk<FrameDecoding>(stdio, "decode_video_frames", { model_id: partial.model_id, skip_raw_controls: true });
  assert.ok(decoded.data.accuracy >= 0 && decoded.data.accuracy <= 1);

  const again = await callOk<JobView>(stdio, "cancel_job", { job_id: started.data.job_id });
  assert.equal(again.data.status, "cancelled", "cancelling twice is harmless");
  const persisted = JSON.parse(((await stdio.readResource({ uri: `job://${started.data.job_id}` })).contents[0] as { text: string }).text) as { status: string };
  assert.equal(persisted.status, "cancelled");
});

test("aborting a waiting train_embedding call over stdio cancels its job", async () => {
  const { rejection, jobId } = await abortTrainingCall(stdio, recordingId);
  assert.ok(rejection instanceof Error, "the aborted call rejects");
  assert.match(rejection.message, /changed their mind/);
  const job = await waitUntilSettled(stdio, jobId, 20);
  assert.equal(job.status, "cancelled");
  assert.equal(job.cancel_reason, "request cancelled by the client");
  assertWorkspaceConsistent(stdioWorkspace);
});

test("over Streamable HTTP", async (t) => {
  const server: HttpTestServer = await startTestHttpServer({ workspace: path.join(tmp.dir, "ws-http") });
  const clients: Partial<Record<Era, Client>> = {};
  t.after(async () => {
    for (const c of Object.values(clients)) await c.close();
    await server.close();
  });
  clients.auto = await connectHttp(server.url, { era: "auto" });
  const recording = (await callOk<{ recording_id: string }>(clients.auto, "load_recording", { source: "builtin:allen-like", builtin: MOVIE_BUILTIN })).data.recording_id;

  await t.test("aborting a waiting train_embedding call (2026-07-28 era) cancels its job", async () => {
    const { rejection, jobId } = await abortTrainingCall(clients.auto!, recording);
    assert.ok(rejection instanceof Error);
    const job = await waitUntilSettled(clients.auto!, jobId, 20);
    assert.equal(job.status, "cancelled");
    assert.equal(job.cancel_reason, "request cancelled by the client");
  });

  await t.test("aborting a waiting train_embedding call (legacy era, stateful session) cancels its job", async () => {
    clients.legacy = await connectHttp(server.url, { era: "legacy" });
    const { rejection, jobId } = await abortTrainingCall(clients.legacy, recording);
    assert.ok(rejection instanceof Error, "the aborted call rejects");
    assert.match(rejection.message, /changed their mind/);
    const job = await waitUntilSettled(clients.legacy, jobId, 20);
    assert.equal(job.status, "cancelled");
    assert.equal(job.cancel_reason, "request cancelled by the client");
  });
});
