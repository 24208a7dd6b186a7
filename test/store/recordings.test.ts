import test, { after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseNpy } from "../../src/data/formats/npy.js";
import type { Recording } from "../../src/data/recording.js";
import { RecordingStore, summarizeRecording } from "../../src/store/recordings.js";
import { Workspace } from "../../src/store/workspace.js";
import { UserError } from "../../src/util/errors.js";
import { tempDir } from "../helpers/tmp.js";

const tmp = tempDir();
after(tmp.cleanup);

/** A small hand-built recording: 2 repeats × 5 frames, 3 units, all optional fields present. */
function fullRecording(): Recording {
  const T = 10;
  const N = 3;
  const neural = Float32Array.from({ length: T * N }, (_, i) => Math.sin(i) * 0.5 + i / 7);
  return {
    neural,
    n_samples: T,
    n_neurons: N,
    sampling_rate_hz: 30,
    timestamps: Float64Array.from({ length: T }, (_, t) => 1000.5 + t / 30),
    unit_ids: ["u0", "u1", "u2"],
    unit_metadata: { area: ["VISp", "VISp", "VISl"], responsive: [true, false, true], depth_um: [150, 210.5, 330] },
    modality: "calcium",
    signal: "dff",
    continuous: { data: Float32Array.from({ length: T * 2 }, (_, i) => i * 0.25), dim: 2, columns: ["x", "y"] },
    discrete: { data: Int32Array.from({ length: T }, (_, t) => t % 3), name: "scene", class_names: ["a", "b", "c"] },
    frame: Int32Array.from({ length: T }, (_, t) => t % 5),
    repeat: Int32Array.from({ length: T }, (_, t) => Math.floor(t / 5)),
    movie: { frames: Uint8Array.from({ length: 5 * 4 * 6 }, (_, i) => (i * 37) % 256), n_frames: 5, height: 4, width: 6, frame_rate_hz: 30, source: "test" },
    frame_features: { data: Float32Array.from({ length: 5 * 3 }, (_, i) => -i / 3), dim: 3, columns: ["f0", "f1", "f2"], method: "test:features" },
    provenance: {
      source: "/data/test.npz",
      format: "npz",
      sha256: "ab".repeat(32),
      keys_read: ["neural", "frame"],
      preprocessing: [{ op: "zscore", params: {}, note: "per unit" }],
      loaded_at: "2026-11-27T10:00:00.000Z",
    },
    warnings: ["sampling rate taken from timestamps"],
  };
}

function minimalRecording(): Recording {
  return {
    neural: new Float32Array([1, 2, 3, 4]),
    n_samples: 2,
    n_neurons: 2,
    sampling_rate_hz: 10,
    timestamps: new Float64Array([0, 0.1]),
    unit_ids: ["a", "b"],
    unit_metadata: {},
    modality: "spikes",
    signal: "spike_counts",
    provenance: { source: "/x.npy", format: "npy", sha256: "00", keys_read: ["neural"], preprocessing: [], loaded_at: "2026-01-01T00:00:00Z" },
    warnings: [],
  };
}

test("a saved recording reloads identically in a fresh store (no cache)", async () => {
  const dir = path.join(tmp.dir, "full");
  const rec = fullRecording();
  const id = await new RecordingStore(await Workspace.open(dir)).saveRecording(rec, { parents: [] });
  assert.match(id, /^rec_/);
  const loaded = await new RecordingStore(await Workspace.open(dir)).loadRecordingArtifact(id);
  assert.notEqual(loaded, rec, "read from disk, not the same object");
  assert.deepEqual(loaded, rec);
  assert.ok(loaded.neural instanceof Float32Array && loaded.timestamps instanceof Float64Array && loaded.frame instanceof Int32Array && loaded.movie?.frames instanceof Uint8Array);
});

test("a recording without optional fields round-trips without inventing them", async () => {
  const dir = path.join(tmp.dir, "min");
  const rec = minimalRecording();
  const id = await new RecordingStore(await Workspace.open(dir)).saveRecording(rec);
  const loaded = await new RecordingStore(await Workspace.open(dir)).loadRecordingArtifact(id);
  assert.deepEqual(loaded, rec);
  assert.equal("movie" in loaded, false);
});

test("arrays are stored as standard .npy files numpy can read", async () => {
  const ws = await Workspace.open(path.join(tmp.dir, "npy"));
  const id = await new RecordingStore(ws).saveRecording(fullRecording());
  const neural = parseNpy(readFileSync(ws.filePath(id, "neural.npy")), "neural.npy");
  assert.equal(neural.dtype, "<f4");
  assert.deepEqual(neural.shape, [10, 3]);
  const movie = parseNpy(readFileSync(ws.filePath(id, "movie.npy")), "movie.npy");
  assert.deepEqual([movie.dtype, ...movie.shape], ["|u1", 5, 4, 6]);
  const files = Object.keys((await ws.get(id)).files).sort();
  assert.deepEqual(files, ["continuous.npy", "discrete.npy", "frame.npy", "frame_features.npy", "movie.npy", "neural.npy", "recording.json", "repeat.npy", "timestamps.npy"]);
});

test("the manifest holds the summary: shapes, labels, repeats, frames, provenance", async () => {
  const ws = await Workspace.open(path.join(tmp.dir, "summary"));
  const store = new RecordingStore(ws);
  const rec = fullRecording();
  const id = await store.saveRecording(rec);
  const s = await store.summary(id);
  assert.deepEqual(s, summarizeRecording(rec));
  assert.equal(s.n_repeats, 2);
  assert.equal(s.n_frames, 5);
  assert.equal(s.duration_s, 0.333);
  assert.deepEqual(s.label_columns, { continuous: ["x", "y"], discrete: ["scene"], frame_features: ["f0", "f1", "f2"] });
  assert.deepEqual(s.unit_metadata_columns, ["area", "responsive", "depth_um"]);
  assert.equal(s.provenance.sha256, "ab".repeat(32));
  const info = (await ws.list("recording"))[0]!;
  assert.match(info.summary, /3 units × 10 samples @ 30 Hz/);
  assert.match(info.summary, /2 repeats × 5 frames/);
});

test("the cache returns the saved object; unknown ids are UserErrors", async () => {
  const store = new RecordingStore(await Workspace.open(path.join(tmp.dir, "cache")));
  const rec = minimalRecording();
  const id = await store.saveRecording(rec);
  assert.equal(await store.loadRecordingArtifact(id), rec);
  await assert.rejects(store.loadRecordingArtifact("rec_000000000000"), (e: unknown) => e instanceof UserError && e.problem.includes(id));
  await assert.rejects(store.loadRecordingArtifact("mdl_000000000000"), UserError);
});
