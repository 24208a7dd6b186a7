/**
 * compare_embeddings through a real MCP client: consistency between runs (same recording) and between
 * datasets (two recordings aligned by frame), and the errors for combinations that cannot be scored.
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import type { Client } from "@modelcontextprotocol/client";
import { callError, callOk, connectStdio, type StdioConnection } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";
import { MOVIE_BUILTIN, SMALL_TRAINING, type TrainResult } from "./analysis-fixtures.js";

interface Comparison {
  between: string;
  pairs: { source: string; target: string; r2: number }[];
  mean_r2: number;
  label: string | null;
}

const tmp = tempDir();
let conn: StdioConnection;
let client: Client;
const models: string[] = [];
let otherModel = "";

before(async () => {
  conn = await connectStdio({ workspace: path.join(tmp.dir, "ws") });
  client = conn.client;
  const load = async (seed: number) => (await callOk<{ recording_id: string }>(client, "load_recording", { source: "builtin:allen-like", builtin: { ...MOVIE_BUILTIN, seed } })).data.recording_id;
  const train = async (recording_id: string, seed: number) => (await callOk<TrainResult>(client, "train_embedding", { recording_id, ...SMALL_TRAINING, max_iterations: 40, seed })).data.model_id!;
  const rec = await load(1);
  models.push(await train(rec, 0), await train(rec, 1));
  otherModel = await train(await load(2), 0);
});
after(async () => {
  await conn?.close();
  tmp.cleanup();
});

test("between runs: every ordered pair scored; an embedding predicts itself exactly", async () => {
  const r = (await callOk<Comparison>(client, "compare_embeddings", { ids: [models[0], models[1]] })).data;
  assert.equal(r.between, "runs");
  assert.deepEqual(r.pairs.map((p) => [p.source, p.target]), [[models[0], models[1]], [models[1], models[0]]]);
  for (const p of r.pairs) assert.ok(p.r2 > -1 && p.r2 <= 1, `R² ${p.r2}`);
  const self = (await callOk<Comparison>(client, "compare_embeddings", { ids: [models[0], models[0]] })).data;
  for (const p of self.pairs) assert.ok(Math.abs(p.r2 - 1) < 1e-6, `self R² ${p.r2}`);
});

test("between datasets: recordings aligned by frame bins; only cross-recording pairs", async () => {
  const r = (await callOk<Comparison>(client, "compare_embeddings", { ids: [models[0], otherModel], bins: 20 })).data;
  assert.equal(r.between, "datasets");
  assert.equal(r.label, "frame");
  assert.equal(r.pairs.length, 2);
  assert.ok(r.pairs.every((p) => p.source !== p.target));
  assert.ok(Number.isFinite(r.mean_r2));
});

test("runs across recordings and a single id are refused with the fix", async () => {
  const mixed = await callError(client, "compare_embeddings", { ids: [models[0], otherModel], between: "runs" });
  assert.match(mixed, /different recordings/);
  assert.match(mixed, /Fix:.*datasets/);
  const one = await callError(client, "compare_embeddings", { ids: [models[0]] });
  assert.match(one, /ids/);
});
