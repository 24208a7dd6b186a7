/**
 * sweep_embeddings on the Redis backend, against a real redis-server with 1 server and 2 `cebra-mcp worker`
 * processes (harness.ts): the sweep runs from the control queue and fans its fits out as ordinary training
 * jobs, so both workers train models of one sweep (each worker has one training slot, and the waiting sweep
 * holds neither); its result has the same structure as the embedded backend's for the same sweep (same
 * rows, settings, chosen setting's fields; the fits are seeded, so the scores are compared too); cancelling
 * the sweep mid-way cancels the fits still queued or training.
 *
 * Skips only when redis-server is missing and CI is not set (harness.ts); .ci/run installs it.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { JobView } from "../../tools/kit/job-view.js";
import type { SweepResult } from "../../src/app/sweep.js";
import { callOk, connectStdio, type StdioConnection } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";
import { MOVIE_BUILTIN } from "../tools/analysis-fixtures.js";
import { redisMissing, serverEnv, startRedis, startWorker, waitFor, type TestRedis, type TestWorker } from "./harness.js";

const skip = redisMissing();
/** 4 repeats: the sweep trains on 0–1 (k is chosen on one of them against the other), validates on 2, tests on 3. */
const BUILTIN = { ...MOVIE_BUILTIN, n_repeats: 4 };
const SMALL = { model_architecture: ["offset10-model"], batch_size: [64], num_hidden_units: [16], device: ["cpu"] };
const TERMINAL = ["succeeded", "failed", "cancelled", "interrupted"];

describe("sweep_embeddings over the Redis queue: fits fanned out to 2 workers", { skip: skip ?? false, timeout: 300_000 }, () => {
  let redis: TestRedis;
  let ws: { dir: string; cleanup: () => void };
  const workers: TestWorker[] = [];
  let server: StdioConnection;
  let recordingId: string;

  const job = async (c: StdioConnection, id: string, wait = 0) => (await callOk<JobView>(c.client, "get_job", { job_id: id, wait_seconds: wait })).data;
  const finish = async (c: StdioConnection, id: string, seconds = 180): Promise<JobView> => {
    const end = Date.now() + seconds * 1000;
    let v = await job(c, id);
    while (!TERMINAL.includes(v.status) && Date.now() < end) v = await job(c, id, 20);
    return v;
  };
  /** The training jobs a sweep submitted (their summaries name the sweep). */
  const fitsOf = async (sweepId: string): Promise<JobView[]> => {
    const { artifacts } = (await callOk<{ artifacts: { id: string; summary: string }[] }>(server.client, "list_artifacts", { kind: "job", limit: 100 })).data;
    return Promise.all(artifacts.filter((a) => a.summary.includes(`(sweep ${sweepId})`)).map((a) => job(server, a.id)));
  };

  before(async () => {
    redis = await startRedis();
    ws = tempDir("cebra-queue-sweep-");
    workers.push(...(await Promise.all([startWorker(redis.url, ws.dir), startWorker(redis.url, ws.dir)])));
    server = await connectStdio({ workspace: ws.dir, args: ["--queue", redis.url], env: serverEnv() });
    recordingId = (await callOk<{ recording_id: string }>(server.client, "load_recording", { source: "builtin:allen-like", builtin: BUILTIN })).data.recording_id;
  });

  after(async () => {
    await server?.close().catch(() => undefined);
    await Promise.all(workers.map((w) => w.stop()));
    await redis?.stop();
    ws?.cleanup();
  });

  test("a 4-model sweep: both workers train its fits; the result matches the embedded backend's", async (t) => {
    const settings = (rec: string) => [{ ...SMALL, recording_id: [rec], output_dimension: [3, 6], seed: [0, 1], max_iterations: [1000] }];
    const t0 = Date.now();
    const started = (await callOk<JobView>(server.client, "sweep_embeddings", { settings: settings(recordingId), wait_seconds: 0 })).data;
    // Followed with get_job: the sweep's progress arrives as MCP progress notifications.
    const progress: string[] = [];
    let v = await job(server, started.job_id);
    while (!TERMINAL.includes(v.status)) {
      const r = await server.client.callTool({ name: "get_job", arguments: { job_id: started.job_id, wait_seconds: 20 } }, { onprogress: (p) => progress.push(p.message ?? "") });
      v = r.structuredContent as JobView;
    }
    assert.equal(v.status, "succeeded", JSON.stringify(v.error));
    t.diagnostic(`4-model sweep over 2 workers: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.ok(progress.some((m) => /^\d of 4 models done/.test(m)), `progress counts models: ${progress.join(" | ")}`);
    assert.ok(workers.some((w) => v.worker?.endsWith(w.pidTag)), `the sweep ran on a worker: ${v.worker}`);
    const r = v.result as SweepResult;
    assert.equal(r.models_done, 4);
    assert.equal(r.cancelled, false);

    const fits = await fitsOf(started.job_id);
    assert.equal(fits.length, 4, "one training job per model");
    for (const f of fits) {
      assert.equal(f.status, "succeeded", JSON.stringify(f.error));
      assert.equal(f.type, "train_embedding");
      assert.equal(f.device, "cpu");
    }
    const trainedBy = new Set(fits.map((f) => f.worker));
    assert.equal(trainedBy.size, 2, `both workers trained models of the sweep: ${[...trainedBy].join(", ")}`);
    assert.ok([...trainedBy].every((w) => workers.some((x) => w?.endsWith(x.pidTag))));
    // The chosen models and every row's models are the fits' own.
    const fitModels = new Set(fits.map((f) => (f.result as { model_id: string }).model_id));
    for (const m of r.chosen!.models) assert.ok(fitModels.has(m.model_id), `${m.model_id} is one of the fits`);

    // The same sweep on the embedded backend (its own workspace): same structure, same choice.
    const local = tempDir("cebra-queue-sweep-embedded-");
    const embedded = await connectStdio({ workspace: local.dir, env: serverEnv() });
    try {
      const rec = (await callOk<{ recording_id: string }>(embedded.client, "load_recording", { source: "builtin:allen-like", builtin: BUILTIN })).data.recording_id;
      const e0 = (await callOk<JobView>(embedded.client, "sweep_embeddings", { settings: settings(rec), wait_seconds: 0 })).data;
      const ev = await finish(embedded, e0.job_id);
      assert.equal(ev.status, "succeeded", JSON.stringify(ev.error));
      const e = ev.result as SweepResult;
      assert.deepEqual(Object.keys(r).sort(), Object.keys(e).sort());
      for (const k of ["metric", "swept", "fixed", "models_done", "models_total", "cancelled"] as const) assert.deepEqual(r[k], e[k], k);
      assert.deepEqual(r.splits.map((s) => s.split), e.splits.map((s) => s.split));
      assert.deepEqual(r.rows.map((x) => [x.setting, x.n]), e.rows.map((x) => [x.setting, x.n]));
      assert.deepEqual(r.chosen?.setting, e.chosen?.setting);
      assert.deepEqual(r.chosen!.models.map((m) => [m.seed, Object.keys(m).sort(), Object.keys(m.controls).sort()]), e.chosen!.models.map((m) => [m.seed, Object.keys(m).sort(), Object.keys(m.controls).sort()]));
      t.diagnostic(`validation per setting, queue ${r.rows.map((x) => x.validation?.toFixed(4)).join(", ")}; embedded ${e.rows.map((x) => x.validation?.toFixed(4)).join(", ")}`);
      for (const [i, row] of r.rows.entries()) assert.ok(Math.abs(row.validation! - e.rows[i]!.validation!) < 1e-9, "seeded fits score the same in either backend");
      assert.ok(r.render_id && e.render_id, "both drew the plot");
    } finally {
      await embedded.close();
      local.cleanup();
    }
  });

  test("cancelling a sweep mid-way cancels its fits still queued or training", async () => {
    const settings = [{ ...SMALL, recording_id: [recordingId], output_dimension: [3, 6], seed: [0, 1], max_iterations: [100_000] }];
    const started = (await callOk<JobView>(server.client, "sweep_embeddings", { settings, wait_seconds: 0 })).data;
    await waitFor("two of the sweep's fits to train on the workers", async () => {
      const fits = await fitsOf(started.job_id);
      return fits.length === 4 && fits.filter((f) => f.status === "running" && (f.progress?.step ?? 0) > 0).length === 2;
    }, 60_000, 500);
    const t0 = Date.now();
    const cancelled = (await callOk<JobView>(server.client, "cancel_job", { job_id: started.job_id })).data;
    assert.equal(cancelled.cancel_reason, "cancel_job");
    const v = await finish(server, started.job_id, 60);
    assert.equal(v.status, "cancelled", JSON.stringify(v));
    const r = v.result as SweepResult;
    assert.equal(r.cancelled, true);
    assert.equal(r.models_done, 0);
    assert.equal(r.models_total, 4);
    const fits = await fitsOf(started.job_id);
    assert.deepEqual(fits.map((f) => f.status), ["cancelled", "cancelled", "cancelled", "cancelled"], JSON.stringify(fits.map((f) => [f.status, f.cancel_reason])));
    for (const f of fits) assert.equal(f.cancel_reason, `sweep ${started.job_id} cancelled`);
    assert.ok(Date.now() - t0 < 30_000, `the sweep and its fits stopped in ${Date.now() - t0} ms`);
    const q = (await callOk<{ queue?: { queues: { device: string; waiting: number; active: number }[] } }>(server.client, "list_artifacts", { kind: "job" })).data.queue;
    assert.deepEqual(q?.queues.filter((x) => x.device === "cpu" || x.device === "control"), [{ device: "cpu", waiting: 0, active: 0 }, { device: "control", waiting: 0, active: 0 }]);
  });

  test("the worker coordinating a sweep is SIGKILLed: the other worker takes the sweep over and adopts its fits instead of training them again", async (t) => {
    const settings = [{ ...SMALL, recording_id: [recordingId], output_dimension: [3, 6], seed: [0, 1], max_iterations: [2000] }];
    const started = (await callOk<JobView>(server.client, "sweep_embeddings", { settings, wait_seconds: 0 })).data;
    let coordinator = "";
    await waitFor("the sweep's fits to train", async () => {
      coordinator = (await job(server, started.job_id)).worker ?? "";
      const fits = await fitsOf(started.job_id);
      return coordinator !== "" && fits.length === 4 && fits.some((f) => f.status === "running" && (f.progress?.step ?? 0) >= 250);
    }, 60_000, 250);
    const victim = workers.find((w) => coordinator.endsWith(w.pidTag))!;
    const before = (await fitsOf(started.job_id)).map((f) => f.job_id).sort();
    await victim.stop("SIGKILL");
    const killed = Date.now();
    await waitFor("the other worker to take the sweep", async () => {
      const v = await job(server, started.job_id);
      return v.status === "running" && v.worker !== coordinator;
    }, 60_000, 250);
    t.diagnostic(`SIGKILL → the sweep runs on the other worker after ${Date.now() - killed} ms (locks of 3 s)`);
    const v = await finish(server, started.job_id, 240);
    assert.equal(v.status, "succeeded", JSON.stringify(v.error));
    assert.equal((v.result as SweepResult).models_done, 4);
    assert.ok(v.warnings?.some((w) => /took over 4 fit\(s\) its earlier attempt had submitted/.test(w)), JSON.stringify(v.warnings));
    const fits = await fitsOf(started.job_id);
    assert.deepEqual(fits.map((f) => f.job_id).sort(), before, "no fit was submitted again");
    assert.ok(fits.every((f) => f.status === "succeeded"), JSON.stringify(fits.map((f) => [f.status, f.error])));
    workers.splice(workers.indexOf(victim), 1, await startWorker(redis.url, ws.dir));
  });
});
