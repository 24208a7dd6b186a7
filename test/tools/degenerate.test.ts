/**
 * Degenerate data through a real MCP client (stdio server): all-zero, partly constant and too-short
 * recordings load with warnings in the result (structured and text); training refuses data without
 * neural signal or shorter than the model's receptive field, and warns, on the job and in its result,
 * about constant units and labels.
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { writeNpz } from "../../src/data/formats/npz.js";
import type { JobView } from "../../tools/kit/job-view.js";
import { callError, callOk, connectStdio, type StdioConnection } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";
import { SMALL_TRAINING, type TrainResult } from "./analysis-fixtures.js";

const tmp = tempDir();
let conn: StdioConnection;

const N = 8;
const varying = (t: number, n: number) => Math.sin((t + 1) * (n + 1) * 0.37);

function npz(name: string, T: number, f: (t: number, n: number) => number, discrete?: number[]): string {
  const file = path.join(tmp.dir, `${name}.npz`);
  writeFileSync(file, writeNpz({
    neural: { dtype: "<f4", shape: [T, N], data: Array.from({ length: T * N }, (_, i) => f(Math.floor(i / N), i % N)) },
    sampling_rate_hz: { dtype: "<f8", shape: [], data: [10] },
    ...(discrete ? { discrete: { dtype: "<i4", shape: [T], data: discrete } } : {}),
  }));
  return file;
}

interface Loaded { recording_id: string; warnings: string[] }

before(async () => {
  conn = await connectStdio({ workspace: path.join(tmp.dir, "ws"), args: ["--allow-root", tmp.dir] });
});
after(async () => {
  await conn?.close();
  tmp.cleanup();
});

const train = (recording_id: string, extra: Record<string, unknown> = {}) => ({ recording_id, ...SMALL_TRAINING, batch_size: 32, max_iterations: 30, wait_seconds: 55, ...extra });

test("all-zero data loads with a warning and no 'train next' hint; training it is refused in words", async () => {
  const { data, text } = await callOk<Loaded>(conn.client, "load_recording", { source: npz("zero", 300, () => 0) });
  assert.equal(data.warnings.length, 1);
  assert.match(data.warnings[0]!, /every value of neural is 0 \(300 samples × 8 units\), so there is no neural signal; training on it will be refused/);
  assert.match(text, /Warnings:\n- .*every value of neural is 0/);
  assert.match(text, /Next: check the source and load options/);
  assert.doesNotMatch(text, /Next: train_embedding/);
  for (const mode of ["time", "behavior"]) {
    const err = await callError(conn.client, "train_embedding", train(data.recording_id, { mode, ...(mode === "behavior" ? { labels: "discrete" } : {}) }));
    if (mode === "behavior") assert.match(err, /no discrete labels/, "label checks come first");
    else {
      assert.match(err, /Every one of the 8 units is constant over the 240 training samples \(all values are 0\), so there is no neural signal: the loss could only stay at chance/);
      assert.match(err, /Fix: Check the file and the load options/);
    }
  }
});

test("partly constant data and a constant label: warnings at load, on the running job and in the result", async () => {
  const source = npz("part", 300, (t, n) => (n < 3 ? 1.5 : varying(t, n)), Array(300).fill(4));
  const loaded = await callOk<Loaded>(conn.client, "load_recording", { source });
  assert.match(loaded.data.warnings.join("\n"), /3 of 8 units are constant over time \(zero variance; units 0, 1, 2\)/);
  assert.match(loaded.data.warnings.join("\n"), /discrete label 'discrete' has the same value \(4\) at every sample/);
  assert.match(loaded.text, /Next: train_embedding/);

  const { data, text } = await callOk<TrainResult & { warnings?: string[] }>(conn.client, "train_embedding", train(loaded.data.recording_id, { mode: "behavior", labels: "discrete" }));
  assert.equal(data.status, "succeeded", text);
  const warnings = data.warnings ?? [];
  assert.equal(warnings.length, 2, warnings.join("\n"));
  assert.match(warnings[0]!, /3 of 8 units are constant over the training samples \(units 0, 1, 2\)/);
  assert.match(warnings[1]!, /same value \(4\) at every training sample: behaviour-contrastive learning cannot use them/);
  assert.match(text, /Warnings:\n- 3 of 8 units/);
  const job = await callOk<JobView>(conn.client, "get_job", { job_id: data.job_id });
  assert.deepEqual(job.data.warnings, warnings);
  assert.deepEqual((job.data.result as { warnings: string[] }).warnings, warnings);
  assert.match(job.text, /Warnings:\n- 3 of 8 units/);

  const time = await callOk<TrainResult & { warnings?: string[] }>(conn.client, "train_embedding", train(loaded.data.recording_id, { mode: "time" }));
  assert.deepEqual(time.data.warnings?.length, 1, "time mode does not use the labels: only the unit warning");
});

test("ordinary data trains without warnings", async () => {
  const loaded = await callOk<Loaded>(conn.client, "load_recording", { source: npz("ok", 300, varying) });
  assert.deepEqual(loaded.data.warnings, []);
  const { data } = await callOk<TrainResult & { warnings?: string[] }>(conn.client, "train_embedding", train(loaded.data.recording_id, { mode: "time" }));
  assert.equal(data.status, "succeeded");
  assert.equal(data.warnings, undefined);
});

test("too few samples for the receptive field: refused with both numbers; a shorter model trains", async () => {
  const loaded = await callOk<Loaded>(conn.client, "load_recording", { source: npz("short", 12, varying) });
  const err = await callError(conn.client, "train_embedding", train(loaded.data.recording_id, { mode: "time", model_architecture: "offset10-model" }));
  assert.match(err, /The training data has 9 samples \(.*\), fewer than the 10-sample receptive field of offset10-model/);
  assert.match(err, /Fix: Use a model with a shorter receptive field: offset1-model \(1 sample\).*offset5-model \(5 samples\)[^;]*; or more data/);
  const { data, text } = await callOk<TrainResult>(conn.client, "train_embedding", train(loaded.data.recording_id, { mode: "time", model_architecture: "offset5-model" }));
  assert.equal(data.status, "succeeded", text);
});
