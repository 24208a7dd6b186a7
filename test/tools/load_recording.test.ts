/**
 * load_recording through a real MCP client (Streamable HTTP, in-process server): builtin, .npz and
 * NWB sources, preprocessing options, and bad inputs (each must be an actionable isError result
 * that leaves the server working).
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Client } from "@modelcontextprotocol/client";
import { writeNpz } from "../../src/data/formats/npz.js";
import { SMALL_2P, totalSamples, writeAllen2pV1, writeAllenNeuropixels } from "../data/nwb-fixtures.js";
import { SMALL_BUILTIN, callError, callOk, connectHttp, startTestHttpServer, type HttpTestServer } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";

interface LoadResult {
  recording_id: string;
  uri: string;
  n_samples: number;
  n_neurons: number;
  sampling_rate_hz: number;
  duration_s: number;
  n_repeats: number;
  n_frames: number;
  modality: string;
  signal: string;
  label_columns: { continuous: string[]; discrete: string[]; frame_features: string[] };
  has_movie: boolean;
  movie?: { n_frames: number; height: number; width: number };
  warnings: string[];
  provenance: { source: string; format: string; sha256: string; preprocessing: { op: string }[]; generator?: Record<string, unknown> };
}

const tmp = tempDir();
const data = path.join(tmp.dir, "data");
const outside = tempDir("cebra-mcp-outside-");
let server: HttpTestServer;
let client: Client;

before(async () => {
  mkdirSync(data);
  server = await startTestHttpServer({ workspace: path.join(tmp.dir, "ws"), cwd: data });
  client = await connectHttp(server.url);
});
after(async () => {
  await client.close();
  await server.close();
  tmp.cleanup();
  outside.cleanup();
});

/** A small .npz in the documented convention: neural [T,N], frame, repeat, timestamps. */
function writeFixtureNpz(file: string): void {
  const T = 40;
  const N = 5;
  writeFileSync(
    file,
    writeNpz({
      neural: { dtype: "<f4", shape: [T, N], data: Float32Array.from({ length: T * N }, (_, i) => (i % 7) - 3) },
      frame: { dtype: "<i4", shape: [T], data: Int32Array.from({ length: T }, (_, t) => t % 10) },
      repeat: { dtype: "<i4", shape: [T], data: Int32Array.from({ length: T }, (_, t) => Math.floor(t / 10)) },
      timestamps: { dtype: "<f8", shape: [T], data: Float64Array.from({ length: T }, (_, t) => t / 20) },
    }),
  );
}

test("builtin:allen-like loads with complete structured content", async () => {
  const { data: r, text } = await callOk<LoadResult>(client, "load_recording", { source: "builtin:allen-like", builtin: SMALL_BUILTIN });
  assert.match(r.recording_id, /^rec_/);
  assert.equal(r.uri, `recording://${r.recording_id}`);
  assert.equal(r.n_neurons, 12);
  assert.equal(r.n_repeats, 2);
  assert.equal(r.n_frames, 20);
  assert.equal(r.modality, "calcium");
  assert.equal(r.sampling_rate_hz, 30);
  assert.equal(r.n_samples, 40);
  assert.equal(r.duration_s, Math.round((r.n_samples / 30) * 1000) / 1000);
  assert.equal(r.has_movie, true);
  assert.deepEqual([r.movie?.n_frames, r.movie?.height, r.movie?.width], [20, 16, 32]);
  assert.equal(r.label_columns.frame_features.length, 4);
  assert.equal(r.provenance.source, "builtin:allen-like");
  assert.equal(r.provenance.generator?.seed, 3);
  assert.match(r.provenance.sha256, /^[0-9a-f]{64}$/);
  assert.match(text, new RegExp(`Loaded ${r.recording_id}`));
  assert.match(text, /train_embedding/);
});

test("the same builtin parameters give the same data hash; a different seed a different one", async () => {
  const a = await callOk<LoadResult>(client, "load_recording", { source: "builtin:allen-like", builtin: SMALL_BUILTIN });
  const b = await callOk<LoadResult>(client, "load_recording", { source: "builtin:allen-like", builtin: { ...SMALL_BUILTIN, seed: 4 } });
  const first = (await server.app.recordings.loadRecordingArtifact(a.data.recording_id)).neural;
  const again = await callOk<LoadResult>(client, "load_recording", { source: "builtin:allen-like", builtin: SMALL_BUILTIN });
  assert.equal(again.data.provenance.sha256, a.data.provenance.sha256);
  assert.notEqual(b.data.provenance.sha256, a.data.provenance.sha256);
  assert.deepEqual((await server.app.recordings.loadRecordingArtifact(again.data.recording_id)).neural, first);
});

test("an .npz file (relative path, resolved against the server's cwd) loads with its provenance", async () => {
  writeFixtureNpz(path.join(data, "session.npz"));
  const { data: r } = await callOk<LoadResult>(client, "load_recording", { source: "session.npz", sampling_rate_hz: 20, modality: "calcium", signal: "dff" });
  assert.equal(r.n_samples, 40);
  assert.equal(r.n_neurons, 5);
  assert.equal(r.n_repeats, 4);
  assert.equal(r.n_frames, 10);
  assert.equal(r.sampling_rate_hz, 20);
  assert.equal(r.provenance.format, "npz");
  assert.equal(r.provenance.source, path.join(data, "session.npz"));
  const stored = await server.app.recordings.loadRecordingArtifact(r.recording_id);
  assert.equal(stored.neural[7], (7 % 7) - 3);
});

test("preprocessing options reach the loader and are recorded in provenance", async () => {
  writeFixtureNpz(path.join(data, "pre.npz"));
  const { data: r } = await callOk<LoadResult>(client, "load_recording", { source: "pre.npz", repeats: [1, 2], select_units: { count: 3, seed: 1 }, zscore: true });
  assert.equal(r.n_samples, 20);
  assert.equal(r.n_neurons, 3);
  assert.deepEqual(r.provenance.preprocessing.map((p) => p.op).filter((op) => op !== "nan_policy"), ["repeat_range", "select_units", "zscore"]);
  assert.equal(r.signal, "zscored");
});

test("Allen 2P (NWB 1.x) and Neuropixels NWB files load through MCP", async () => {
  const twoP = path.join(data, "allen2p.nwb");
  await writeAllen2pV1(twoP);
  const { data: r } = await callOk<LoadResult>(client, "load_recording", { source: twoP });
  assert.equal(r.n_neurons, SMALL_2P.n_cells);
  assert.equal(r.n_repeats, SMALL_2P.repeats);
  assert.equal(r.n_frames, SMALL_2P.n_frames);
  assert.ok(r.n_samples <= totalSamples(SMALL_2P));
  assert.equal(r.has_movie, true);
  assert.match(r.provenance.format, /^nwb-allen-2p/);
  const np = path.join(data, "allen-np.nwb");
  await writeAllenNeuropixels(np);
  const { data: n } = await callOk<LoadResult>(client, "load_recording", { source: np, neuropixels: { rows: [0, 90] } });
  assert.equal(n.modality, "spikes");
  assert.equal(n.provenance.format, "nwb-allen-neuropixels");
  assert.ok(n.n_neurons >= 1);
});

test("bad inputs are isError results that say what to do; the server keeps working", async () => {
  const missing = await callError(client, "load_recording", { source: path.join(data, "nope.npz") });
  assert.match(missing, /not found/i);
  assert.match(missing, /Fix:/);

  writeFileSync(path.join(outside.dir, "secret.npz"), "x");
  const denied = await callError(client, "load_recording", { source: path.join(outside.dir, "secret.npz") });
  assert.match(denied, /outside the allowed roots/);
  assert.match(denied, /--allow-root/);

  writeFileSync(path.join(data, "broken.npz"), Buffer.concat([Buffer.from("PK\u0003\u0004"), Buffer.alloc(64, 7)]));
  const broken = await callError(client, "load_recording", { source: "broken.npz" });
  assert.match(broken, /broken\.npz/);
  assert.doesNotMatch(broken, /Internal error/, "a malformed file is the user's problem, reported as such");

  const badParam = await callError(client, "load_recording", { source: "builtin:allen-like", builtin: { n_cellz: 10 } });
  assert.match(badParam, /n_cellz/);
  assert.match(badParam, /n_cells/);

  const badSchema = await callError(client, "load_recording", { source: "builtin:allen-like", select_units: { count: 0 } });
  assert.match(badSchema, /count/);

  const still = await callOk<{ total: number }>(client, "list_artifacts", { kind: "recording" });
  assert.ok(still.data.total >= 1);
});

test("--allow-root style extra roots make outside files loadable", async () => {
  const extra = tempDir("cebra-mcp-extra-");
  writeFixtureNpz(path.join(extra.dir, "ok.npz"));
  const s2 = await startTestHttpServer({ workspace: path.join(tmp.dir, "ws2"), cwd: data, allowRoots: [extra.dir] });
  const c2 = await connectHttp(s2.url);
  try {
    const { data: r } = await callOk<LoadResult>(c2, "load_recording", { source: path.join(extra.dir, "ok.npz") });
    assert.equal(r.n_neurons, 5);
  } finally {
    await c2.close();
    await s2.close();
    extra.cleanup();
  }
});
