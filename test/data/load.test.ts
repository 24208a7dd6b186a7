import test from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { unzipSync, zipSync } from "fflate";
import sharp from "sharp";
import { loadRecording, type LoadOptions } from "../../src/data/load.js";
import { writeNpy } from "../../src/data/formats/npy.js";
import { writeNpz } from "../../src/data/formats/npz.js";
import { UserError } from "../../src/util/errors.js";
import { ctxFor, npyBytes, put, range, tmpDir, writeH5 } from "./helpers.js";
import { SMALL_2P, pixel, writeAllen2pV1, writeAllenNeuropixels } from "./nwb-fixtures.js";

const root = tmpDir("cebra-load-");
const ctx = ctxFor(root);
const file = (name: string) => join(root, name);
const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

const T = 12;
const N = 3;
const F = 4;
type Arr = { dtype: string; shape: number[]; data: number[] };
const arr = (dtype: string, shape: number[], f: (i: number) => number): Arr => ({ dtype, shape, data: range(shape.reduce((a, b) => a * b, 1)).map(f) });

/** The full .npz convention: every optional role present. */
function conventionArrays(): Record<string, Arr> {
  return {
    neural: arr("<f4", [T, N], (i) => i),
    timestamps: arr("<f8", [T], (t) => 1 + t / 4),
    frame: arr("<i8", [T], (t) => t % F),
    repeat: arr("<i4", [T], (t) => Math.floor(t / F)),
    continuous: arr("<f4", [T, 2], (i) => i * 0.5),
    discrete: arr("<i4", [T], (t) => t % 2),
    movie: arr("|u1", [F, 2, 3], (i) => i * 10),
    frame_features: arr("<f8", [F, 5], (i) => i),
    unit_ids: arr("<i8", [N], (n) => 7000 + n),
  };
}

/** Add a raw member to a zip; used for an '<U5' strings member, which the loader must never parse. */
function addMember(zip: Uint8Array, name: string, data: Uint8Array): Uint8Array {
  return zipSync({ ...unzipSync(zip), [name]: data }, { level: 0 });
}

test("an .npz following the convention loads every role, with provenance", async () => {
  const path = file("full.npz");
  writeFileSync(path, addMember(writeNpz(conventionArrays()), "continuous_columns.npy", npyBytes("<U5", [2], new Uint8Array(40))));
  const rec = await loadRecording(path, {}, ctx);
  assert.deepEqual([rec.n_samples, rec.n_neurons], [T, N]);
  assert.equal(rec.neural[5], 5);
  assert.equal(rec.sampling_rate_hz, 4, "from the timestamps");
  assert.deepEqual(Array.from(rec.frame!), range(T).map((t) => t % F));
  assert.deepEqual(Array.from(rec.repeat!), range(T).map((t) => Math.floor(t / F)));
  assert.equal(rec.continuous!.dim, 2);
  assert.equal(rec.discrete!.name, "discrete");
  assert.deepEqual([rec.movie!.n_frames, rec.movie!.height, rec.movie!.width], [F, 2, 3]);
  assert.equal(rec.movie!.frames[7], 70);
  assert.equal(rec.frame_features!.dim, 5);
  assert.deepEqual(rec.unit_ids, ["7000", "7001", "7002"]);
  assert.equal(rec.modality, "other");
  const p = rec.provenance;
  assert.equal(p.format, "npz");
  assert.equal(p.source, path);
  assert.equal(p.sha256, sha(path));
  assert.ok(!Number.isNaN(Date.parse(p.loaded_at)));
  assert.deepEqual(p.keys_read, ["neural", "timestamps", "unit_ids", "frame", "repeat", "continuous", "discrete", "movie", "frame_features"]);
  assert.deepEqual(rec.warnings.filter((w) => !/receptive field/.test(w)), [], "only the note that the tiny file is too short for some models");
});

test("keys override member names; a missing neural member lists what the file holds", async () => {
  const path = file("renamed.npz");
  writeFileSync(path, writeNpz({ spikes: arr("<i4", [T, N], (i) => i % 3), movie_frame: arr("<i4", [T], (t) => t % F) }));
  const rec = await loadRecording(path, { keys: { neural: "spikes", frame: "movie_frame" }, sampling_rate_hz: 120 }, ctx);
  assert.equal(rec.sampling_rate_hz, 120);
  assert.equal(rec.modality, "spikes", "integer data default to spike counts");
  assert.equal(rec.signal, "spike_counts");
  assert.deepEqual(Array.from(rec.frame!.subarray(0, 5)), [0, 1, 2, 3, 0]);
  await assert.rejects(loadRecording(path, {}, ctx), (e) => e instanceof UserError && /no member 'neural'/.test(e.message) && /spikes/.test(e.message) && /keys/.test(e.fix));
});

test("a plain .npy loads as neural only; 30 Hz is assumed with a warning; unit_major is transposed", async () => {
  const path = file("plain.npy");
  writeFileSync(path, writeNpy({ dtype: "<f4", shape: [N, T], data: range(N * T) }));
  const rec = await loadRecording(path, {}, ctx);
  assert.deepEqual([rec.n_samples, rec.n_neurons, rec.sampling_rate_hz], [N, T, 30]);
  assert.ok(rec.warnings.some((w) => /assumed 30 Hz/.test(w)));
  assert.equal(rec.provenance.format, "npy");
  const um = await loadRecording(path, { neural_layout: "unit_major", sampling_rate_hz: 10 }, ctx);
  assert.deepEqual([um.n_samples, um.n_neurons], [T, N]);
  assert.equal(um.neural[1 * N + 2], 2 * T + 1, "sample 1 of unit 2");
  assert.deepEqual(um.warnings.filter((w) => !/receptive field/.test(w)), []);
});

test("formats are detected by magic bytes whatever the extension", async () => {
  const npz = file("data.bin");
  writeFileSync(npz, writeNpz({ neural: arr("<f4", [2, 2], (i) => i) }));
  assert.equal((await loadRecording(npz, { sampling_rate_hz: 1 }, ctx)).provenance.format, "npz");
  const h5 = file("data.dat");
  await writeH5(h5, (f) => put(f, "/neural", Float32Array.from(range(6)), { shape: [3, 2] }));
  assert.equal((await loadRecording(h5, { sampling_rate_hz: 1 }, ctx)).provenance.format, "hdf5");
  const txt = file("notes.txt");
  writeFileSync(txt, "hello");
  await assert.rejects(loadRecording(txt, {}, ctx), (e) => e instanceof UserError && /Cannot tell the format/.test(e.message));
});

test("NWB files are detected and loaded, then preprocessing options run in order and are recorded", async () => {
  const path = file("session.nwb");
  await writeAllen2pV1(path);
  const opts: LoadOptions = { repeats: [1, 2], select_units: { count: 5, seed: 3 }, zscore: true, time_range: { start: 0 } };
  const rec = await loadRecording(path, opts, ctx);
  assert.equal(rec.provenance.format, "nwb-allen-2p-v1");
  assert.equal(rec.provenance.sha256, sha(path));
  assert.deepEqual(rec.provenance.preprocessing.map((s) => s.op), ["restrict_to_stimulus", "time_range", "repeat_range", "select_units", "zscore"]);
  assert.equal(rec.n_samples, 2 * SMALL_2P.n_frames);
  assert.equal(rec.n_neurons, 5);
  assert.deepEqual(new Set(rec.repeat), new Set([1, 2]));
  assert.equal(rec.signal, "zscored");
  // keys.neural turns an NWB file into generic HDF5.
  const generic = await loadRecording(path, { keys: { neural: "/processing/brain_observatory_pipeline/DfOverF/imaging_plane_1/data" }, neural_layout: "unit_major", sampling_rate_hz: 30 }, ctx);
  assert.equal(generic.provenance.format, "hdf5");
});

test("paths outside the allowed roots are refused before reading (recordings and movie folders)", async () => {
  const outside = tmpDir("cebra-outside-");
  const path = join(outside, "x.npz");
  writeFileSync(path, writeNpz({ neural: arr("<f4", [2, 2], (i) => i) }));
  await assert.rejects(loadRecording(path, {}, ctx), (e) => e instanceof UserError && /outside the allowed roots/.test(e.message));
  const inside = file("for-movie.npz");
  writeFileSync(inside, writeNpz({ neural: arr("<f4", [2, 2], (i) => i) }));
  await assert.rejects(loadRecording(inside, { movie: outside }, ctx), (e) => e instanceof UserError && /outside the allowed roots/.test(e.message));
  await assert.rejects(loadRecording(file("missing.npz"), {}, ctx), (e) => e instanceof UserError && /File not found/.test(e.message));
  await assert.rejects(loadRecording(root, {}, ctx), (e) => e instanceof UserError && /is a folder/.test(e.message));
});

test("the movie option attaches a movie from a frame folder, a .npy or another NWB file", async () => {
  const rec = file("labels.npz");
  writeFileSync(rec, writeNpz({ neural: arr("<f4", [T, N], (i) => i), frame: arr("<i4", [T], (t) => t % F) }));
  const folder = file("frames");
  mkdirSync(folder, { recursive: true });
  for (const i of range(F)) {
    writeFileSync(join(folder, `f${i + 1}.png`), await sharp(Buffer.alloc(6, i * 50), { raw: { width: 3, height: 2, channels: 1 } }).png().toBuffer());
  }
  const a = await loadRecording(rec, { movie: folder, sampling_rate_hz: 30 }, ctx);
  assert.deepEqual([a.movie!.n_frames, a.movie!.height, a.movie!.width], [F, 2, 3]);
  assert.equal(a.movie!.frames[3 * 6], 150);
  assert.equal((a.provenance.source_metadata!.movie as { source: string }).source, folder);

  const npy = file("movie.npy");
  writeFileSync(npy, writeNpy({ dtype: "|u1", shape: [F, 1, 2], data: range(2 * F) }));
  const b = await loadRecording(rec, { movie: { path: npy, frame_rate_hz: 60 }, sampling_rate_hz: 30 }, ctx);
  assert.equal(b.movie!.frame_rate_hz, 60);
  assert.equal((b.provenance.source_metadata!.movie as { sha256: string }).sha256, sha(npy));

  const short = file("short.npy");
  writeFileSync(short, writeNpy({ dtype: "|u1", shape: [2, 1, 1], data: [0, 1] }));
  await assert.rejects(loadRecording(rec, { movie: short, sampling_rate_hz: 30 }, ctx), (e) => e instanceof UserError && /frame index out of range at sample 2 \(the movie has 2 frames/.test(e.message));

  const np = file("np.nwb");
  const twoP = file("template.nwb");
  await Promise.all([writeAllenNeuropixels(np), writeAllen2pV1(twoP)]);
  const c = await loadRecording(np, { movie: twoP, neuropixels: { rows: [0, 90] } }, ctx);
  assert.equal(c.movie!.n_frames, SMALL_2P.n_frames);
  assert.equal(c.movie!.frames[(2 * SMALL_2P.height + 1) * SMALL_2P.width + 4], pixel(2, 1, 4));
  assert.ok(!c.warnings.some((w) => /no movie template/.test(w)));
});

test("nan_policy, mismatched lengths and empty recordings are handled at load", async () => {
  const nan = file("nan.npz");
  writeFileSync(nan, writeNpz({ neural: { dtype: "<f4", shape: [3, 2], data: [1, 2, NaN, 4, 5, 6] } }));
  await assert.rejects(loadRecording(nan, { sampling_rate_hz: 1 }, ctx), (e) => e instanceof UserError && /1 NaN\/Inf/.test(e.message));
  const fixed = await loadRecording(nan, { sampling_rate_hz: 1, nan_policy: "interpolate" }, ctx);
  assert.equal(fixed.neural[2], 3);
  assert.equal(fixed.provenance.preprocessing[0].op, "nan_policy");
  const bad = file("bad.npz");
  writeFileSync(bad, writeNpz({ neural: arr("<f4", [T, N], (i) => i), frame: arr("<i4", [T - 1], (t) => t) }));
  await assert.rejects(loadRecording(bad, { sampling_rate_hz: 1 }, ctx), (e) => e instanceof UserError && /frame has 11 entries but neural has 12 samples/.test(e.message) && e.message.includes(bad));
  const empty = file("empty.npz");
  writeFileSync(empty, writeNpz({ neural: { dtype: "<f4", shape: [0, 3], data: [] } }));
  await assert.rejects(loadRecording(empty, { sampling_rate_hz: 1 }, ctx), (e) => e instanceof UserError && /empty/.test(e.message));
});

test("option values outside their enumerations are refused with the valid choices", async () => {
  const path = file("opt.npz");
  writeFileSync(path, writeNpz({ neural: arr("<f4", [2, 2], (i) => i) }));
  await assert.rejects(loadRecording(path, { format: "csv" as never }, ctx), (e) => e instanceof UserError && /npz/.test(e.fix));
  await assert.rejects(loadRecording(path, { nan_policy: "ignore" as never }, ctx), (e) => e instanceof UserError && /drop_units/.test(e.fix));
  await assert.rejects(loadRecording(path, { keys: { spikes: "x" } as never }, ctx), (e) => e instanceof UserError && /neural/.test(e.fix));
  await assert.rejects(loadRecording("builtin:nope", {}, ctx), (e) => e instanceof UserError && /builtin:allen-like/.test(e.fix));
});

test("builtin:allen-like is generated by the simulator and goes through validation and preprocessing", async () => {
  const opts: LoadOptions = { builtin: { seed: 7, n_cells: 12, n_frames: 20, n_repeats: 2, frame_height: 16, frame_width: 32, feature_dim: 4 }, select_units: { count: 4, seed: 1 } };
  const rec = await loadRecording("builtin:allen-like", opts, ctx);
  assert.equal(rec.provenance.format, "builtin");
  assert.equal(rec.provenance.source, "builtin:allen-like");
  assert.equal(rec.n_neurons, 4);
  assert.equal(rec.n_samples, 40);
  assert.deepEqual(rec.provenance.preprocessing.map((s) => s.op), ["select_units"]);
  const again = await loadRecording("builtin:allen-like", opts, ctx);
  assert.deepEqual(again.neural, rec.neural, "deterministic");
  assert.equal(again.provenance.sha256, rec.provenance.sha256);
});
