/**
 * The Redis job backend end to end, against a real redis-server: one MCP server (`serve --queue`, a
 * stdio child) and two `cebra-mcp worker` processes sharing a workspace. Six training jobs spread over
 * both workers; a job asking for cuda waits visibly (no cuda worker); cancel_job stops a job running on
 * a worker within seconds; a worker SIGKILLed mid-training loses the job to the other worker (BullMQ's
 * stalled check), which finishes it; a restarted server still reads and follows running jobs; Redis
 * stopped gives clear errors on the calls that need it while the server stays up, and after Redis
 * returns the running job finishes and new jobs are accepted. A CEBRA checkpoint given as resume_from
 * trains on a worker from the workspace's copy after the user's file is deleted.
 *
 * Skips only when redis-server is missing and CI is not set (harness.ts); .ci/run installs it.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { JobView } from "../../tools/kit/job-view.js";
import type { CallToolResult } from "@modelcontextprotocol/client";
import { copyFileSync } from "node:fs";
import path from "node:path";
import { callError, callOk, connectStdio, SMALL_BUILTIN, textOf, type StdioConnection } from "../helpers/mcp.js";
import { CEBRA_PT } from "../data/torch-hostile.js";
import { tempDir } from "../helpers/tmp.js";
import { MOVIE_BUILTIN, SMALL_TRAINING, type TrainResult } from "../tools/analysis-fixtures.js";
import { redisMissing, serverEnv, startRedis, startWorker, waitFor, type TestRedis, type TestWorker } from "./harness.js";

const skip = redisMissing();
const ENDLESS = 100_000;

describe("Redis job queue: 1 server + 2 workers on a real redis-server", { skip: skip ?? false, timeout: 300_000 }, () => {
  let redis: TestRedis;
  let ws: { dir: string; cleanup: () => void };
  const workers: TestWorker[] = [];
  let server: StdioConnection;
  let recordingId: string;

  const connect = () => connectStdio({ workspace: ws.dir, args: ["--queue", redis.url], env: serverEnv() });
  const job = async (id: string, wait = 0) => (await callOk<JobView>(server.client, "get_job", { job_id: id, wait_seconds: wait })).data;
  const train = async (args: Record<string, unknown>) => (await callOk<TrainResult>(server.client, "train_embedding", { recording_id: recordingId, ...SMALL_TRAINING, wait_seconds: 0, ...args })).data;
  /** Follows a job with get_job until it ends (or `seconds` pass). */
  const finish = async (id: string, seconds = 120): Promise<JobView> => {
    const end = Date.now() + seconds * 1000;
    let v = await job(id);
    while (!["succeeded", "failed", "cancelled", "interrupted"].includes(v.status) && Date.now() < end) v = await job(id, 20);
    return v;
  };
  const runningStep = async (id: string, atLeast: number) => {
    await waitFor(`job ${id} to reach step ${atLeast}`, async () => {
      const v = await job(id);
      return v.status === "running" && (v.progress?.step ?? 0) >= atLeast;
    }, 60_000, 250);
  };

  before(async () => {
    redis = await startRedis();
    ws = tempDir("cebra-queue-");
    workers.push(...(await Promise.all([startWorker(redis.url, ws.dir), startWorker(redis.url, ws.dir)])));
    server = await connect();
    recordingId = (await callOk<{ recording_id: string }>(server.client, "load_recording", { source: "builtin:allen-like", builtin: MOVIE_BUILTIN })).data.recording_id;
  });

  after(async () => {
    await server?.close().catch(() => undefined);
    await Promise.all(workers.map((w) => w.stop()));
    await redis?.stop();
    ws?.cleanup();
  });

  test("six training jobs spread over both workers; each records its worker and device; progress reaches the client", async () => {
    const started = await Promise.all(Array.from({ length: 6 }, (_, i) => train({ max_iterations: i === 5 ? 600 : 200, seed: i })));
    const progress: number[] = [];
    const followed = await server.client.callTool({ name: "get_job", arguments: { job_id: started[5]!.job_id, wait_seconds: 55 } }, { onprogress: (p) => progress.push(p.progress) });
    assert.notEqual(followed.isError, true);
    const done = await Promise.all(started.map((s) => finish(s.job_id)));
    for (const v of done) {
      assert.equal(v.status, "succeeded", JSON.stringify(v.error));
      assert.equal(v.device, "cpu");
      assert.match((v.result as { model_id: string }).model_id, /^mdl_/);
    }
    const ran = new Set(done.map((v) => v.worker));
    assert.deepEqual([...ran].map((w) => workers.find((x) => w!.endsWith(x.pidTag)) !== undefined), [true, true], `jobs ran on ${[...ran].join(", ")}`);
    assert.equal(ran.size, 2, `both workers should have run jobs, got ${[...ran].join(", ")}`);
    assert.ok(progress.length > 0, "get_job forwarded the job's progress as notifications");
    for (const w of workers) assert.match(w.log(), /job job_\w+ train_embedding succeeded in [\d.]+ s on cpu/);
    const listing = await callOk<{ queue?: { workers: { name: string; device: string }[]; queues: { device: string; waiting: number; active: number }[] } }>(server.client, "list_artifacts", { kind: "job" });
    assert.equal(listing.data.queue?.workers.filter((w) => w.device === "cpu").length, 2, listing.text);
    assert.deepEqual(listing.data.queue?.queues.find((q) => q.device === "cpu"), { device: "cpu", waiting: 0, active: 0 });
  });

  test("a job asking for cuda waits, saying no cuda worker is connected; cancelling it takes it off the queue", async () => {
    const started = await train({ device: "cuda", max_iterations: 50 });
    const v = await job(started.job_id, 1);
    assert.equal(v.status, "queued");
    assert.match(v.waiting ?? "", /waiting for a worker with cuda \(none connected/);
    const text = (await callOk(server.client, "get_job", { job_id: started.job_id })).text;
    assert.match(text, /waiting for a worker with cuda/);
    const cancelled = (await callOk<JobView>(server.client, "cancel_job", { job_id: started.job_id })).data;
    assert.equal(cancelled.status, "cancelled");
    assert.equal((await job(started.job_id)).status, "cancelled");
  });

  test("a worker whose workspace is not the server's refuses the job at once, saying so (no retries)", async () => {
    const other = tempDir("cebra-queue-other-");
    const stray = await startWorker(redis.url, other.dir, "webgpu");
    try {
      // The refusal can come before train_embedding returns (then the call reports the failed job itself).
      const r = (await server.client.callTool({ name: "train_embedding", arguments: { recording_id: recordingId, ...SMALL_TRAINING, device: "webgpu", max_iterations: 50, wait_seconds: 0 } })) as CallToolResult;
      const v = r.isError ? undefined : await finish((r.structuredContent as TrainResult).job_id, 30);
      if (v) assert.equal(v.status, "failed");
      assert.match(v ? v.error?.message ?? "" : textOf(r), /cannot see job job_\w+ in its workspace/);
      assert.match(stray.log(), /refused/);
    } finally {
      await stray.stop();
      other.cleanup();
    }
  });

  test("cancel_job stops a job running on a worker within a few seconds; its partial model is kept", async (t) => {
    const started = await train({ max_iterations: ENDLESS });
    await runningStep(started.job_id, 20);
    const t0 = Date.now();
    const v = (await callOk<JobView>(server.client, "cancel_job", { job_id: started.job_id })).data;
    assert.equal(v.status, "cancelled", JSON.stringify(v));
    assert.ok(Date.now() - t0 < 8000, `cancel took ${Date.now() - t0} ms`);
    t.diagnostic(`cancel_job → cancelled in ${Date.now() - t0} ms`);
    assert.equal(v.cancel_reason, "cancel_job");
    const result = v.result as { cancelled: boolean; model_id: string; steps_done: number };
    assert.equal(result.cancelled, true);
    assert.ok(result.steps_done >= 20 && result.steps_done < ENDLESS);
  });

  test("a client that cancels its train_embedding call cancels the job on the worker", async () => {
    const ac = new AbortController();
    const call = server.client.callTool({ name: "train_embedding", arguments: { recording_id: recordingId, ...SMALL_TRAINING, max_iterations: ENDLESS, wait_seconds: 55 } }, { signal: ac.signal });
    call.catch(() => undefined);
    let id = "";
    await waitFor("the job to run on a worker", async () => {
      const jobs = (await callOk<{ artifacts: { id: string; summary: string }[] }>(server.client, "list_artifacts", { kind: "job", limit: 1 })).data.artifacts;
      id = jobs[0]?.id ?? "";
      return /running step [1-9]/.test(jobs[0]?.summary ?? "");
    }, 60_000, 250);
    ac.abort();
    await assert.rejects(call);
    const v = await finish(id, 20);
    assert.equal(v.status, "cancelled");
    assert.equal(v.cancel_reason, "request cancelled by the client");
  });

  test("a worker SIGKILLed mid-training: BullMQ sees the job stalled and the other worker resumes it from its checkpoint", async (t) => {
    const started = await train({ max_iterations: 3000 });
    // Workers checkpoint every 200 steps (harness.ts): past step 450 the job has one at 200 or 400.
    await runningStep(started.job_id, 450);
    const first = (await job(started.job_id)).worker!;
    const victim = workers.find((w) => first.endsWith(w.pidTag))!;
    await victim.stop("SIGKILL");
    const killed = Date.now();
    await waitFor("another worker to take the job", async () => {
      const r = await job(started.job_id);
      return r.status === "running" && r.worker !== first;
    }, 120_000, 250);
    t.diagnostic(`SIGKILL → running on the other worker in ${Date.now() - killed} ms (locks of 3 s)`);
    const v = await finish(started.job_id, 180);
    assert.equal(v.status, "succeeded", JSON.stringify(v.error));
    assert.notEqual(v.worker, first, "the job finished on the surviving worker");
    // It went on from the checkpoint, not from step 0: the run says so, naming a checkpoint step.
    const note = v.warnings?.find((w) => w.includes("resumed from its checkpoint")) ?? "";
    const at = Number(/at step (\d+)/.exec(note)?.[1]);
    assert.ok(at >= 200 && at % 200 === 0 && at < 3000, `resumed from a checkpoint step: ${JSON.stringify(v.warnings)}`);
    t.diagnostic(`resumed on the other worker from the checkpoint at step ${at}`);
    assert.equal((v.result as { steps_done?: number } | undefined)?.steps_done, 3000, "the model has every step once");
    workers.splice(workers.indexOf(victim), 1, await startWorker(redis.url, ws.dir));
  });

  test("a CEBRA checkpoint (resume_from: <.pt>) trains on a worker from the workspace's copy, after the user's file is gone", async () => {
    const rec12 = (await callOk<{ recording_id: string }>(server.client, "load_recording", { source: "builtin:allen-like", builtin: { ...SMALL_BUILTIN, n_repeats: 3 } })).data.recording_id;
    const user = tempDir("cebra-pt-");
    copyFileSync(path.join(CEBRA_PT, "offset10-time.pt"), path.join(user.dir, "model.pt"));
    const started = (await callOk<TrainResult>(server.client, "train_embedding", { recording_id: rec12, resume_from: path.join(user.dir, "model.pt"), max_iterations: 5, device: "cpu", wait_seconds: 0 })).data;
    user.cleanup(); // checked and kept at submission; the worker never reads the user's path
    const v = await finish(started.job_id);
    assert.equal(v.status, "succeeded", JSON.stringify(v.error));
    assert.equal((v.result as { steps_done: number }).steps_done, 25, "CEBRA's 20 steps and 5 more");
    assert.ok(workers.some((w) => w.pidTag && v.worker?.endsWith(w.pidTag)), `ran on a worker (${v.worker})`);
  });

  test("a restarted server still reads and follows a job running on a worker", async () => {
    const started = await train({ max_iterations: 2000 });
    await runningStep(started.job_id, 10);
    await server.close();
    server = await connect();
    const v = await job(started.job_id);
    assert.ok(v.status === "running" || v.status === "succeeded", v.status);
    assert.equal((await finish(started.job_id)).status, "succeeded");
  });

  test("Redis stopped: clear errors on the calls that need it, the server stays up; Redis back: the running job goes on and new jobs run", async () => {
    const started = await train({ max_iterations: ENDLESS });
    await runningStep(started.job_id, 10);
    await redis.stop();
    const stoppedAt = Date.now();
    const err = await callError(server.client, "train_embedding", { recording_id: recordingId, ...SMALL_TRAINING, wait_seconds: 0 });
    assert.match(err, /job queue \(Redis at redis:\/\/127\.0\.0\.1:\d+\/0\) is unreachable/);
    assert.match(err, /Start Redis/);
    assert.match(await callError(server.client, "get_job", { job_id: started.job_id }), /unreachable/);
    const listing = await callOk<{ queue?: { error?: string } }>(server.client, "list_artifacts", {});
    assert.match(listing.data.queue?.error ?? "", /unreachable/);
    await redis.start();
    // ioredis reconnects by itself (every 0.5–5 s); until then the calls keep failing clearly.
    await waitFor("the server to reach Redis again", async () => (await server.client.callTool({ name: "get_job", arguments: { job_id: started.job_id } })).isError !== true, 30_000, 500);
    // The job kept training on its worker through the outage (unless the outage outlasted its 3 s lock, in
    // which case BullMQ ran it again from the start); either way it runs now and can be cancelled.
    const before = (await job(started.job_id)).progress?.step ?? 0;
    await runningStep(started.job_id, before + 1);
    assert.ok(Date.now() - stoppedAt < 60_000);
    assert.equal((await callOk<JobView>(server.client, "cancel_job", { job_id: started.job_id })).data.status, "cancelled");
    const again = await train({ max_iterations: 50 });
    assert.equal((await finish(again.job_id)).status, "succeeded");
  });
});
