/**
 * A training job whose server is killed (SIGKILL, no chance to clean up) shows, after a restart on
 * the same workspace, as interrupted at the step it had reached — not at step 0 — through get_job and
 * list_artifacts of a real MCP client over stdio. Progress is saved on the first report and then at most
 * every 2 s, so this holds for a kill in the first second of a run too.
 */
import test, { after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import type { JobView } from "../../tools/kit/job-view.js";
import { MAIN_JS, callOk, connectStdio } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";
import { MOVIE_BUILTIN, SMALL_TRAINING, type TrainResult } from "./analysis-fixtures.js";

const tmp = tempDir();
after(tmp.cleanup);

/** A server we can SIGKILL: a stdio transport whose child pid we know. */
async function spawnServer(workspace: string): Promise<{ client: Client; pid: number }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [MAIN_JS, "serve", "--workspace", workspace],
    cwd: tmp.dir,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
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

test("a job killed with the server (kill -9) is shown as interrupted at the last step it reached", async () => {
  const workspace = path.join(tmp.dir, "ws");
  const first = await spawnServer(workspace);
  const recording = (await callOk<{ recording_id: string }>(first.client, "load_recording", { source: "builtin:allen-like", builtin: MOVIE_BUILTIN })).data.recording_id;
  // Calibrate on this machine (shared CPUs make the rate vary), then size the run to take about 12 s.
  const probe = await callOk<TrainResult>(first.client, "train_embedding", { recording_id: recording, ...SMALL_TRAINING, max_iterations: 300, wait_seconds: 55 });
  assert.equal(probe.data.status, "succeeded", probe.text);
  const total = Math.max(2000, Math.round((probe.data.steps_per_s ?? 100) * 12));
  const started = await callOk<TrainResult>(first.client, "train_embedding", { recording_id: recording, ...SMALL_TRAINING, max_iterations: total, wait_seconds: 0 });
  const jobId = started.data.job_id;

  let seen: JobView | undefined;
  for (;;) {
    const { data } = await callOk<JobView>(first.client, "get_job", { job_id: jobId, wait_seconds: 0.25 });
    assert.ok(data.status === "running" || data.status === "queued", `the job ended (${data.status}) before it was killed; the machine was faster than calibrated`);
    seen = data;
    if ((data.progress?.step ?? 0) >= 0.4 * total) break;
  }
  process.kill(first.pid, "SIGKILL");
  await gone(first.pid);
  await first.client.close().catch(() => undefined);

  const lastSeen = seen.progress!.step;
  const rate = Math.max(seen.progress!.steps_per_s ?? 0, probe.data.steps_per_s ?? 0, 100);
  const second = await connectStdio({ workspace, cwd: tmp.dir });
  try {
    const { data, text } = await callOk<JobView>(second.client, "get_job", { job_id: jobId });
    assert.equal(data.status, "interrupted");
    const recorded = data.progress?.step ?? 0;
    assert.ok(recorded > 0, `recorded step ${recorded} (last seen ${lastSeen})`);
    assert.equal(data.progress?.total, total);
    // Progress is saved at most every 2 s; allow that plus a report interval and scheduling slack.
    const slack = rate * 4;
    assert.ok(Math.abs(recorded - lastSeen) <= slack, `recorded step ${recorded} is not within ${Math.round(slack)} steps of the last seen ${lastSeen} (${rate.toFixed(0)} steps/s)`);
    assert.match(data.error?.message ?? "", new RegExp(`stopped at step ${recorded}/${total}`));
    assert.match(text, new RegExp(`was interrupted — training model: step ${recorded}/${total}, loss [0-9.]+ \\(whole job: step ${recorded}/${total} `));
    assert.match(data.next, /nothing from the unfinished run was saved/);
    assert.match(data.next, /train_embedding again/);
    const listed = await callOk<{ artifacts: { id: string; summary: string }[] }>(second.client, "list_artifacts", { kind: "job" });
    const summary = listed.data.artifacts.find((a) => a.id === jobId)?.summary ?? "";
    assert.match(summary, new RegExp(`interrupted step ${recorded}/${total}`));
  } finally {
    await second.close();
  }
});

test("a job killed in its first second still records the step it reached", async () => {
  const workspace = path.join(tmp.dir, "ws-early");
  const first = await spawnServer(workspace);
  const recording = (await callOk<{ recording_id: string }>(first.client, "load_recording", { source: "builtin:allen-like", builtin: MOVIE_BUILTIN })).data.recording_id;
  const total = 100_000; // does not finish here
  const started = await callOk<TrainResult>(first.client, "train_embedding", { recording_id: recording, ...SMALL_TRAINING, max_iterations: total, wait_seconds: 0 });
  let lastSeen = 0;
  while (lastSeen === 0) {
    const { data } = await callOk<JobView>(first.client, "get_job", { job_id: started.data.job_id, wait_seconds: 0.1 });
    lastSeen = data.progress?.step ?? 0;
  }
  process.kill(first.pid, "SIGKILL");
  await gone(first.pid);
  await first.client.close().catch(() => undefined);
  const second = await connectStdio({ workspace, cwd: tmp.dir });
  try {
    const { data } = await callOk<JobView>(second.client, "get_job", { job_id: started.data.job_id });
    assert.equal(data.status, "interrupted");
    assert.ok((data.progress?.step ?? 0) > 0, `recorded step ${data.progress?.step} after a kill at step ${lastSeen}: the first report was not saved`);
  } finally {
    await second.close();
  }
});
