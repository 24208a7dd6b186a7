/**
 * train_embedding with resume_from: <path to a CEBRA .pt> through a real MCP client: the Python-trained
 * model (test/fixtures/cebra-pt) embeds a recording with max_iterations 0 and decode_video_frames uses
 * it; max_iterations 20 trains it on; hostile files, paths outside the roots and a recording with
 * another neuron count are tool errors that name the problem.
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync } from "node:fs";
import { createHash } from "node:crypto";
import path from "node:path";
import type { Client } from "@modelcontextprotocol/client";
import { callError, callOk, connectStdio, SMALL_BUILTIN, type StdioConnection } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";
import { CEBRA_PT, writeHostile, type Hostile } from "../data/torch-hostile.js";
import type { TrainResult } from "./analysis-fixtures.js";

const tmp = tempDir();
let conn: StdioConnection;
let client: Client;
let rec12 = "";
let rec10 = "";
const models = path.join(tmp.dir, "models");

before(async () => {
  conn = await connectStdio({ workspace: path.join(tmp.dir, "ws") });
  client = conn.client;
  mkdirSync(models);
  for (const f of ["offset10-time.pt", "offset5-behavior-auto.pt", "multi-offset10.pt"]) copyFileSync(path.join(CEBRA_PT, f), path.join(models, f));
  // The fixtures' models take 12 neurons, as SMALL_BUILTIN has.
  rec12 = (await callOk<{ recording_id: string }>(client, "load_recording", { source: "builtin:allen-like", builtin: { ...SMALL_BUILTIN, n_repeats: 3 } })).data.recording_id;
  rec10 = (await callOk<{ recording_id: string }>(client, "load_recording", { source: "builtin:allen-like", builtin: { ...SMALL_BUILTIN, n_repeats: 3, n_cells: 10 } })).data.recording_id;
});
after(async () => {
  await conn?.close();
  tmp.cleanup();
});

test("a CEBRA model embeds with max_iterations 0, and decode_video_frames decodes with it", async () => {
  const r = (await callOk<TrainResult>(client, "train_embedding", { recording_id: rec12, resume_from: "models/offset10-time.pt", max_iterations: 0, device: "cpu" })).data;
  assert.equal(r.status, "succeeded");
  assert.equal(r.steps_done, 20, "CEBRA's 20 steps, none added");
  assert.ok(r.model_id && r.embedding_id);
  const dec = (await callOk<{ accuracy: number; n_test: number }>(client, "decode_video_frames", { model_id: r.model_id })).data;
  assert.ok(dec.n_test > 0 && dec.accuracy >= 0 && dec.accuracy <= 1);
  const listed = (await callOk<{ artifacts: { id: string; summary: string }[] }>(client, "list_artifacts", { kind: "model" })).data.artifacts;
  assert.match(listed.find((m) => m.id === r.model_id)!.summary, /CEBRA-imported offset10-model/);
  // The model records where it came from: the file's real path, its sha256, CEBRA's and torch's versions.
  const kindDir = readdirSync(path.join(tmp.dir, "ws")).find((d) => readdirSync(path.join(tmp.dir, "ws", d)).includes(r.model_id!))!;
  const meta = JSON.parse(readFileSync(path.join(tmp.dir, "ws", kindDir, r.model_id!, "manifest.json"), "utf8")).meta;
  assert.equal(meta.imported_from.path, realpathSync(path.join(models, "offset10-time.pt")));
  assert.match(meta.imported_from.sha256, /^[0-9a-f]{64}$/);
  assert.equal(meta.imported_from.cebra_version, "0.6.1");
  assert.equal(meta.imported_from.architecture, "offset10-model");
  // The job read the bytes kept in the workspace (imports/<sha256>.pt), not the user's path: a queue
  // worker that shares only the workspace can run it.
  assert.deepEqual(readFileSync(path.join(tmp.dir, "ws", "imports", `${meta.imported_from.sha256}.pt`)), readFileSync(path.join(models, "offset10-time.pt")));
  assert.equal(createHash("sha256").update(readFileSync(path.join(models, "offset10-time.pt"))).digest("hex"), meta.imported_from.sha256);
});

test("a CEBRA model with a learnable temperature trains on for max_iterations more steps", async () => {
  const r = (await callOk<TrainResult>(client, "train_embedding", { recording_id: rec12, resume_from: path.join(models, "offset5-behavior-auto.pt"), max_iterations: 20, device: "cpu" })).data;
  assert.equal(r.status, "succeeded");
  assert.equal(r.steps_done, 40, "CEBRA's 20 steps and 20 more");
  assert.ok(Number.isFinite(r.final_loss), "a finite loss after 20 steps");
  // Its shuffled-label control: a fresh model trained as many steps (40) on shuffled labels.
  const dec = (await callOk<{ controls: { shuffled_labels: { status: string } } }>(client, "decode_video_frames", { model_id: r.model_id, shuffled_control: true })).data;
  assert.equal(dec.controls.shuffled_labels.status, "ok");
});

test("what the import refuses is a tool error that names it", async () => {
  const wrongN = await callError(client, "train_embedding", { recording_id: rec10, resume_from: "models/offset10-time.pt", max_iterations: 0 });
  assert.match(wrongN, /takes 12 neurons; recording rec_\w+ has 10/);
  const outside = await callError(client, "train_embedding", { recording_id: rec12, resume_from: path.join(CEBRA_PT, "offset10-time.pt"), max_iterations: 0 });
  assert.match(outside, /outside the allowed roots/);
  // A symlink inside the roots to a file outside them is refused as load_recording refuses it.
  symlinkSync(path.join(CEBRA_PT, "offset10-time.pt"), path.join(models, "escape.pt"));
  const escape = await callError(client, "train_embedding", { recording_id: rec12, resume_from: "models/escape.pt", max_iterations: 0 });
  assert.match(escape, /outside the allowed roots/);
  const multi = await callError(client, "train_embedding", { recording_id: rec12, resume_from: "models/multi-offset10.pt", max_iterations: 0 });
  assert.match(multi, /multi-session CEBRA model/);
  const noModel = await callError(client, "train_embedding", { recording_id: rec12, max_iterations: 0 });
  assert.match(noModel, /max_iterations 0 trains nothing/);
});

const HOSTILE: Record<Hostile, RegExp> = {
  os_system: /os\.system/,
  truncated_zip: /not a readable PyTorch \(zip\) checkpoint/,
  truncated_pickle: /pickle is truncated/,
  short_storage: /holds 8 bytes/,
  huge_entry: /impossible for deflate/,
};

test("hostile checkpoints are tool errors; the server keeps serving", async () => {
  for (const [kind, re] of Object.entries(HOSTILE) as Array<[Hostile, RegExp]>) {
    writeHostile(kind, path.join(models, `${kind}.pt`));
    const text = await callError(client, "train_embedding", { recording_id: rec12, resume_from: `models/${kind}.pt`, max_iterations: 0 });
    assert.match(text, re, kind);
  }
  await callOk(client, "list_artifacts", { kind: "model" });
});
