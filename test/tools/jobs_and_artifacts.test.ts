/**
 * get_job, cancel_job and list_artifacts through a real MCP client (Streamable HTTP, in-process).
 * Jobs are dummy CPU-bound work started on the server's registry (the registry is generic; the
 * training tool plugs real work into it the same way).
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { Client } from "@modelcontextprotocol/client";
import type { JobControl, JobRegistry } from "../../src/store/jobs.js";
import type { JobView } from "../../tools/kit/job-view.js";
import { callError, callOk, connectHttp, startTestHttpServer, type HttpTestServer } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";

const tmp = tempDir();
let server: HttpTestServer;
let client: Client;

before(async () => {
  server = await startTestHttpServer({ workspace: path.join(tmp.dir, "ws") });
  client = await connectHttp(server.url);
});
after(async () => {
  await client.close();
  await server.close();
  tmp.cleanup();
});

/** Dummy training-like work: `steps` chunks of arithmetic with a decreasing "loss"; returns partial results when cancelled. */
function dummyTraining(steps: number, pauseMs = 0) {
  return async (ctl: JobControl) => {
    let acc = 0;
    for (let step = 1; step <= steps; step++) {
      for (let i = 0; i < 5000; i++) acc += Math.sqrt(i * step);
      ctl.report({ step, message: `step ${step}/${steps} loss=${(5 / step).toFixed(3)}`, metrics: { loss: 5 / step } });
      if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
      else await yieldToLoop();
      if (ctl.signal.aborted) return { model_id: "mdl_partial", steps_done: step };
    }
    return { model_id: "mdl_finished", steps_done: steps, acc: Math.round(acc) };
  };
}

test("get_job waits for a job, streaming progress notifications, and returns its result", async () => {
  const job = await (server.app.jobs as JobRegistry).start({ type: "train_embedding", summary: "dummy", total: 40, run: dummyTraining(40, 5) });
  const progress: { progress: number; total?: number; message?: string }[] = [];
  const { data, text } = await callOk<JobView>(client, "get_job", { job_id: job.id, wait_seconds: 30 }, { onprogress: (p) => progress.push(p) });
  assert.equal(data.status, "succeeded");
  assert.deepEqual(data.result, { model_id: "mdl_finished", steps_done: 40, acc: (data.result as { acc: number }).acc });
  assert.equal(data.progress?.step, 40);
  assert.equal(data.progress?.fraction, 1);
  assert.ok(data.loss_history.length > 1 && data.loss_history.length <= 12);
  assert.equal(data.loss_history.at(-1)?.step, 40);
  assert.ok(progress.length >= 3, `got ${progress.length} progress notifications`);
  assert.ok(progress.every((p, i) => i === 0 || p.progress > progress[i - 1]!.progress), "progress increases");
  assert.match(progress.at(-1)?.message ?? "", /loss=/);
  assert.match(text, /succeeded/);
  assert.equal(data.uri, `job://${job.id}`);
});

test("get_job without waiting returns the current status of a running job", async () => {
  const job = await (server.app.jobs as JobRegistry).start({ type: "train_embedding", summary: "slow", total: 10_000, run: dummyTraining(10_000, 2) });
  const { data } = await callOk<JobView>(client, "get_job", { job_id: job.id });
  assert.ok(data.status === "running" || data.status === "queued");
  assert.match(data.next, /get_job/);
  const cancelled = await callOk<JobView>(client, "cancel_job", { job_id: job.id });
  assert.equal(cancelled.data.status, "cancelled");
  assert.equal(cancelled.data.cancel_reason, "cancel_job");
  assert.equal((cancelled.data.result as { model_id: string }).model_id, "mdl_partial");
  assert.match(cancelled.data.next, /partial result/);
  const again = await callOk<JobView>(client, "cancel_job", { job_id: job.id });
  assert.equal(again.data.status, "cancelled", "cancelling twice is harmless");
});

test("a failed job reports its error and fix", async () => {
  const { UserError } = await import("../../src/util/errors.js");
  const job = await (server.app.jobs as JobRegistry).start({ type: "train_embedding", summary: "bad", run: async () => { throw new UserError("output_dimension 0 is too small.", "Use output_dimension >= 2."); } });
  const { data, text } = await callOk<JobView>(client, "get_job", { job_id: job.id, wait_seconds: 10 });
  assert.equal(data.status, "failed");
  assert.equal(data.error?.fix, "Use output_dimension >= 2.");
  assert.equal(data.next, "Use output_dimension >= 2.");
  assert.match(text, /output_dimension 0/);
});

test("the job:// resource holds the full record", async () => {
  const job = await (server.app.jobs as JobRegistry).start({ type: "train_embedding", summary: "res", total: 5, run: dummyTraining(5) });
  await server.app.jobs.wait(job.id, 10);
  const res = await client.readResource({ uri: `job://${job.id}` });
  const record = JSON.parse((res.contents[0] as { text: string }).text);
  assert.equal(record.id, job.id);
  assert.equal(record.status, "succeeded");
  assert.equal(record.history.length, 5);
});

test("unknown and malformed job ids are actionable errors", async () => {
  assert.match(await callError(client, "get_job", { job_id: "job_000000000000" }), /list_artifacts/);
  assert.match(await callError(client, "cancel_job", { job_id: "rec_000000000000" }), /job id/);
  assert.match(await callError(client, "get_job", { job_id: "job_x", wait_seconds: 99 }), /wait_seconds/);
});

test("list_artifacts filters by kind, limits, and reports counts", async () => {
  await server.app.workspace.create("embedding", { summary: "emb one", meta: {}, parents: ["mdl_000000000001"] });
  await server.app.workspace.create("embedding", { summary: "emb two", meta: {}, files: { "z.npy": new Uint8Array(100) } });
  const all = await callOk<{ total: number; counts: Record<string, number>; artifacts: { id: string; kind: string }[] }>(client, "list_artifacts", {});
  assert.ok(all.data.counts.job! >= 4);
  assert.equal(all.data.counts.embedding, 2);
  const embs = await callOk<{ total: number; has_more: boolean; artifacts: { id: string; summary: string; bytes: number; parents: string[]; uri: string }[] }>(client, "list_artifacts", { kind: "embedding", limit: 1 });
  assert.equal(embs.data.total, 2);
  assert.equal(embs.data.has_more, true);
  assert.equal(embs.data.artifacts.length, 1);
  assert.equal(embs.data.artifacts[0]!.summary, "emb two", "newest first");
  assert.ok(embs.data.artifacts[0]!.bytes > 100);
  assert.match(embs.data.artifacts[0]!.uri, /^embedding:\/\/emb_/);
  assert.match(embs.text, /2 embeddings/);
  assert.match(await callError(client, "list_artifacts", { kind: "cats" }), /kind/);
});
