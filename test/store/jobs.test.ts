import test, { after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { JobRegistry, type JobControl, type JobRecord } from "../../src/store/jobs.js";
import { Workspace } from "../../src/store/workspace.js";
import { UserError } from "../../src/util/errors.js";
import { tempDir } from "../helpers/tmp.js";

const tmp = tempDir();
after(tmp.cleanup);
let n = 0;
async function fresh(concurrency = 1): Promise<{ ws: Workspace; jobs: JobRegistry; dir: string }> {
  const dir = path.join(tmp.dir, `ws${n++}`);
  const ws = await Workspace.open(dir);
  return { ws, jobs: await JobRegistry.open(ws, { concurrency, persistIntervalMs: 5 }), dir };
}

/** CPU-bound dummy work: `steps` chunks of arithmetic, yielding to the event loop between chunks. */
function busyWork(steps: number, opts: { ignoreCancel?: boolean; partialOnCancel?: boolean; gate?: Promise<void> } = {}) {
  return async (ctl: JobControl): Promise<{ sum: number; steps_done: number }> => {
    if (opts.gate) await opts.gate;
    let sum = 0;
    for (let step = 1; step <= steps; step++) {
      for (let i = 0; i < 20_000; i++) sum += Math.sqrt(i + step);
      ctl.report({ step, message: `step ${step}/${steps}`, metrics: { loss: 10 / step, temperature: 1 } });
      await yieldToLoop();
      if (ctl.signal.aborted && !opts.ignoreCancel) {
        if (opts.partialOnCancel) return { sum, steps_done: step };
        ctl.throwIfCancelled();
      }
    }
    return { sum, steps_done: steps };
  };
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

test("a job runs to completion with progress, metric history and a persisted result", async () => {
  const { ws, jobs } = await fresh();
  const seen: number[] = [];
  const started = await jobs.start({ type: "dummy", summary: "sum roots", params: { steps: 30 }, parents: ["rec_000000000000"], total: 30, run: busyWork(30) });
  assert.equal(started.status, "running", "starts at once when a slot is free");
  jobs.onProgress(started.id, (r) => r.progress && seen.push(r.progress.step));
  const done = await jobs.wait(started.id, 30);
  assert.equal(done.status, "succeeded");
  assert.deepEqual((done.result as { steps_done: number }).steps_done, 30);
  assert.equal(done.progress?.step, 30);
  assert.equal(done.progress?.total, 30);
  assert.ok((done.progress?.steps_per_s ?? 0) > 0);
  assert.equal(done.history.length, 30);
  assert.equal(done.history[29]!.loss, 10 / 30);
  assert.ok(seen.length >= 30 && seen.every((s, i) => i === 0 || s >= seen[i - 1]!), "listener saw non-decreasing steps");
  const persisted = (await ws.get<JobRecord>(started.id, "job")).meta;
  assert.equal(persisted.status, "succeeded");
  assert.deepEqual(persisted.result, done.result);
  assert.deepEqual(persisted.params, { steps: 30 });
});

test("cancelling a running job aborts its signal; a partial result is kept", async () => {
  const { jobs } = await fresh();
  const job = await jobs.start({ type: "dummy", summary: "long", total: 100_000, run: busyWork(100_000, { partialOnCancel: true }) });
  while (((await jobs.get(job.id)).progress?.step ?? 0) < 5) await yieldToLoop();
  await jobs.cancel(job.id);
  const end = await jobs.wait(job.id, 30);
  assert.equal(end.status, "cancelled");
  assert.equal(end.cancel_reason, "cancel_job");
  const partial = end.result as { steps_done: number };
  assert.ok(partial.steps_done >= 5 && partial.steps_done < 100_000);
});

test("work that throws CancelledError ends cancelled without a result", async () => {
  const { jobs } = await fresh();
  const job = await jobs.start({ type: "dummy", summary: "long", run: busyWork(100_000) });
  while ((await jobs.get(job.id)).status !== "running") await yieldToLoop();
  await jobs.cancel(job.id, "test");
  const end = await jobs.wait(job.id, 30);
  assert.equal(end.status, "cancelled");
  assert.equal(end.result, undefined);
  assert.equal(end.cancel_reason, "test");
});

test("failures are recorded: UserError keeps its fix, other errors their message", async () => {
  const { jobs } = await fresh(2);
  const a = await jobs.start({ type: "dummy", summary: "bad input", run: async () => { throw new UserError("batch_size 0 is too small.", "Use batch_size >= 2."); } });
  const b = await jobs.start({ type: "dummy", summary: "bug", run: async () => { throw new RangeError("index out of range"); } });
  const ra = await jobs.wait(a.id, 10);
  const rb = await jobs.wait(b.id, 10);
  assert.equal(ra.status, "failed");
  assert.deepEqual(ra.error, { message: "batch_size 0 is too small.", fix: "Use batch_size >= 2.", code: "bad_input" });
  assert.equal(rb.status, "failed");
  assert.equal(rb.error?.message, "index out of range");
});

test("jobs beyond the concurrency limit queue; a queued job can be cancelled before it runs", async () => {
  const { jobs } = await fresh(1);
  const g = gate();
  let secondRan = false;
  const first = await jobs.start({ type: "dummy", summary: "first", run: busyWork(3, { gate: g.promise }) });
  const second = await jobs.start({ type: "dummy", summary: "second", run: async () => { secondRan = true; return {}; } });
  const third = await jobs.start({ type: "dummy", summary: "third", run: busyWork(2) });
  // Starting a job writes its manifest first, so "running" may take a few loop turns on a busy machine.
  while ((await jobs.get(first.id)).status !== "running") await yieldToLoop();
  assert.equal((await jobs.get(second.id)).status, "queued");
  assert.equal((await jobs.cancel(second.id)).status, "cancelled");
  g.open();
  assert.equal((await jobs.wait(first.id, 10)).status, "succeeded");
  assert.equal((await jobs.wait(third.id, 10)).status, "succeeded");
  assert.equal(secondRan, false);
  assert.deepEqual((await jobs.list()).map((j) => j.id), [first.id, second.id, third.id]);
});

test("wait returns at its deadline or when its signal aborts, with the job still running", async () => {
  const { jobs } = await fresh();
  const g = gate();
  const job = await jobs.start({ type: "dummy", summary: "blocked", run: busyWork(1, { gate: g.promise }) });
  assert.equal((await jobs.wait(job.id, 0.05)).status, "running");
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 20);
  assert.equal((await jobs.wait(job.id, 30, ac.signal)).status, "running");
  g.open();
  assert.equal((await jobs.wait(job.id, 10)).status, "succeeded");
});

test("unknown or malformed job ids are UserErrors", async () => {
  const { jobs } = await fresh();
  await assert.rejects(jobs.get("job_000000000000"), (e: unknown) => e instanceof UserError && /list_artifacts/.test(e.fix));
  await assert.rejects(jobs.get("rec_000000000000"), (e: unknown) => e instanceof UserError && /job id/.test(e.problem));
});

test("a job left running by a dead server shows as interrupted after restart", async () => {
  const { jobs, dir } = await fresh();
  const g = gate();
  const job = await jobs.start({ type: "dummy", summary: "never ends", run: busyWork(1, { gate: g.promise }) });
  while ((await jobs.get(job.id)).status !== "running") await yieldToLoop();
  // A second process opening the same workspace (the first one "died": we never finish its job).
  const ws2 = await Workspace.open(dir);
  const restarted = await JobRegistry.open(ws2);
  const seen = await restarted.get(job.id);
  assert.equal(seen.status, "interrupted");
  assert.match(seen.error?.message ?? "", /server process stopped/);
  g.open();
});

test("shutdown cancels running jobs, waits for them, and marks jobs that ignore cancellation as interrupted", async () => {
  const { ws, jobs } = await fresh(2);
  const polite = await jobs.start({ type: "dummy", summary: "polite", run: busyWork(1_000_000, { partialOnCancel: true }) });
  const never = gate();
  const ended = gate();
  const stubbornWork = busyWork(3, { ignoreCancel: true, gate: never.promise });
  const stubborn = await jobs.start({ type: "dummy", summary: "stubborn", run: (ctl) => stubbornWork(ctl).finally(ended.open) });
  while ((await jobs.get(stubborn.id)).status !== "running" || (await jobs.get(polite.id)).status !== "running") await yieldToLoop();
  await jobs.shutdown(1000); // long enough for the polite job to save on a busy machine; the stubborn one uses it all
  const p = (await ws.get<JobRecord>(polite.id)).meta;
  const s = (await ws.get<JobRecord>(stubborn.id)).meta;
  assert.equal(p.status, "cancelled");
  assert.equal(p.cancel_reason, "server shutdown");
  assert.ok(p.result !== undefined, "partial result saved");
  assert.equal(s.status, "interrupted");
  await assert.rejects(jobs.start({ type: "dummy", summary: "late", run: async () => 1 }), (e: unknown) => e instanceof UserError && /shutting down/.test(e.problem));
  never.open();
  await ended.promise;
  for (let i = 0; i < 10; i++) await yieldToLoop();
  assert.equal((await jobs.get(stubborn.id)).status, "interrupted", "work returning late does not overwrite the final status");
});

test("metric history is thinned but spans the whole run", async () => {
  const { jobs } = await fresh();
  const job = await jobs.start({ type: "dummy", summary: "many steps", run: async (ctl) => {
    for (let step = 1; step <= 1000; step++) ctl.report({ step, total: 1000, metrics: { loss: 1 / step } });
    return {};
  } });
  const end = await jobs.wait(job.id, 10);
  assert.ok(end.history.length <= 201 && end.history.length >= 100, `history length ${end.history.length}`);
  assert.equal(end.history[0]!.step, 1);
  assert.equal(end.history[end.history.length - 1]!.step, 1000);
});

test("cancel after completion changes nothing", async () => {
  const { jobs } = await fresh();
  const job = await jobs.start({ type: "dummy", summary: "quick", run: async () => ({ ok: true }) });
  await jobs.wait(job.id, 10);
  const after = await jobs.cancel(job.id);
  assert.equal(after.status, "succeeded");
  assert.equal(after.cancel_reason, undefined);
});

test("progress is written on the first report, then throttled; a restart shows the recorded step and warnings", async () => {
  const dir = path.join(tmp.dir, `ws${n++}`);
  const ws = await Workspace.open(dir);
  const jobs = await JobRegistry.open(ws, { persistIntervalMs: 60_000 });
  const g = gate();
  const reported = gate();
  const job = await jobs.start({
    type: "dummy", summary: "throttled", total: 100,
    run: async (ctl) => {
      ctl.report({ step: 7 });
      ctl.warn("3 of 8 units are constant");
      ctl.warn("3 of 8 units are constant");
      ctl.report({ step: 8 });
      reported.open();
      await g.promise;
      return 1;
    },
  });
  await reported.promise;
  const deadline = Date.now() + 5000;
  let stored = (await ws.get<JobRecord>(job.id, "job")).meta;
  while (stored.progress?.step !== 8 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    stored = (await ws.get<JobRecord>(job.id, "job")).meta;
  }
  assert.equal(stored.progress?.step, 8, "the first write (next tick) carries the latest step, not the 60 s throttle");
  assert.deepEqual(stored.warnings, ["3 of 8 units are constant"], "a warning is kept once");
  // A second process finds it running (the first one "died") and marks it interrupted at that step.
  const restarted = await JobRegistry.open(await Workspace.open(dir));
  const seen = await restarted.get(job.id);
  assert.equal(seen.status, "interrupted");
  assert.equal(seen.progress?.step, 8);
  assert.match(seen.error?.message ?? "", /stopped at step 8\/100 \(progress last saved .*\) before this job finished; its unfinished work was not saved/);
  g.open();
});

test("submit runs a registered kind from its JSON arguments, recording kind, worker (host:pid) and device; an unknown kind is refused", async () => {
  const dir = path.join(tmp.dir, `ws${n++}`);
  const ws = await Workspace.open(dir);
  const kinds = new Map([["sum", { type: "dummy_sum", run: async (args: Record<string, unknown>) => ({ total: (args.xs as number[]).reduce((a, b) => a + b, 0) }) }]]);
  const jobs = await JobRegistry.open(ws, { kinds });
  const started = await jobs.submit({ kind: "sum", summary: "sum of three", args: { xs: [1, 2, 3] }, device: "cpu" });
  assert.equal(started.type, "dummy_sum");
  const done = await jobs.wait(started.id, 10);
  assert.equal(done.status, "succeeded");
  assert.deepEqual(done.result, { total: 6 });
  assert.deepEqual(done.params, { xs: [1, 2, 3] });
  assert.equal(done.kind, "sum");
  assert.equal(done.device, "cpu");
  assert.match(done.worker ?? "", new RegExp(`:${process.pid}$`));
  assert.equal(await jobs.queueStatus(), null);
  await assert.rejects(jobs.submit({ kind: "nope", summary: "x", args: {} }), (e: unknown) => e instanceof UserError && /No job kind "nope"/.test(e.problem) && /sum/.test(e.fix ?? ""));
  await jobs.shutdown(100);
});
