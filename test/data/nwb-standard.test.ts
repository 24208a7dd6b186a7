/**
 * Standard NWB 2.x files read by neurodata type (src/data/formats/nwb/standard.ts) through
 * loadRecording, and the refusals at load (src/data/validate.ts), including the three cases.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadRecording } from "../../src/data/load.js";
import { Hdf5Reader } from "../../src/data/formats/hdf5.js";
import { detectNwbLayout } from "../../src/data/formats/nwb.js";
import { writeNpz } from "../../src/data/formats/npz.js";
import { UserError } from "../../src/util/errors.js";
import { ctxFor, range, tmpDir } from "./helpers.js";
import { writeAllen2pV1 } from "./nwb-fixtures.js";
import { inspectSource } from "../../src/data/inspect.js";
import { DFF, FLUO, MOVIE, OPHYS, SCENES, irregularTime, moviePixel, scenePixel, writeIndexSeriesFile, writeNoNeural, writeStandardEcephys, writeStandardOphys } from "./nwb-standard-fixtures.js";

const dir = tmpDir("cebra-nwb-std-");
const ctx = ctxFor(dir);
const file = (n: string) => join(dir, n);
const full = file("ophys.nwb");
const fluo = file("fluorescence.nwb");
const irregular = file("irregular.nwb");
const ephys = file("ephys.nwb");
const ephysSpeed = file("ephys-speed.nwb");
const ready = Promise.all([
  writeStandardOphys(full, { extras: true, rawSide: 16 }),
  writeStandardOphys(fluo, { fluorescenceOnly: true }),
  writeStandardOphys(irregular, { irregular: true }),
  writeStandardEcephys(ephys),
  writeStandardEcephys(ephysSpeed, { speedRate: 20 }),
]);
const load = async (path: string, opts = {}) => {
  await ready;
  return loadRecording(path, opts, ctx);
};
const { N, T, RATE, T0 } = OPHYS;
const close = (a: number, b: number, eps = 1e-4) => Math.abs(a - b) <= eps * Math.max(1, Math.abs(b));
const nwb = (rec: { provenance: { source_metadata?: Record<string, unknown> } }) => rec.provenance.source_metadata!.nwb as Record<string, Record<string, unknown>>;

test("standard files are detected as nwb-standard; the Allen fixtures keep their layouts (nwb.test.ts)", async () => {
  await ready;
  for (const p of [full, fluo, ephys]) {
    const r = await Hdf5Reader.open(p, p);
    assert.equal(detectNwbLayout(r), "nwb-standard", p);
    r.close();
  }
});

test("issue case 1: a Fluorescence RoiResponseSeries at 10 Hz loads without keys at the file's 10 Hz, as calcium", async () => {
  const rec = await load(fluo);
  assert.equal(rec.provenance.format, "nwb-standard");
  assert.deepEqual([rec.n_samples, rec.n_neurons, rec.sampling_rate_hz, rec.modality, rec.signal], [T, N, RATE, "calcium", "fluorescence"]);
  assert.equal(rec.timestamps[0], T0);
  assert.ok(close(rec.timestamps[T - 1], T0 + (T - 1) / RATE));
  assert.equal(rec.neural[7 * N + 3], FLUO(3, 7));
  assert.equal(nwb(rec).neural.rate_from, "/processing/ophys/Fluorescence/RoiResponseSeries/starting_time@rate");
  // rois are reversed: column j is PlaneSegmentation row N-1-j, whose id is 100 + row.
  assert.equal(rec.unit_ids[0], String(100 + N - 1));
  await assert.rejects(load(fluo, { sampling_rate_hz: 30 }), (e) => e instanceof UserError && /sampling_rate_hz is 30 Hz but the file says 10 Hz/.test(e.message) && /starting_time@rate/.test(e.message));
  assert.equal((await load(fluo, { sampling_rate_hz: 10 })).sampling_rate_hz, 10);
});

test("DfOverF is preferred over Fluorescence; series picks by name; labels, behaviour and movie come from the file", async () => {
  const rec = await load(full);
  assert.equal(rec.signal, "dff");
  assert.ok(close(rec.neural[5 * N + 2], DFF(2, 5)));
  assert.ok(rec.warnings.some((w) => /also holds Fluorescence\/RoiResponseSeries/.test(w)));
  // Movie frames by time: sample t = 80 + m is at 10 + m/10 s, inside presentation m.
  const time = (t: number) => T0 + t / RATE;
  for (const t of [0, 79, 80, 81, 99, 100, 139, 140, 200]) {
    const m = Math.round((time(t) - MOVIE.onset) / MOVIE.frame_s);
    const inside = m >= 0 && m < MOVIE.frames * MOVIE.repeats;
    assert.equal(rec.frame![t], inside ? m % MOVIE.frames : -1, `frame at ${t}`);
    assert.equal(rec.repeat![t], inside ? Math.floor(m / MOVIE.frames) : -1, `repeat at ${t}`);
  }
  assert.deepEqual(rec.discrete!.class_names, ["none", "baseline", "movie+repeat", "late"]);
  assert.deepEqual([rec.discrete!.data[0], rec.discrete!.data[80], rec.discrete!.data[200]], [1, 2, 3]);
  const c = rec.continuous!;
  assert.deepEqual([...c.columns].sort(), ["SpatialSeries_x", "SpatialSeries_y", "running_speed"]);
  const col = (name: string, t: number) => c.data[t * c.dim + c.columns.indexOf(name)];
  for (const t of [0, 33, 249]) {
    assert.ok(close(col("SpatialSeries_x", t), time(t)), `x at ${t}`);
    assert.ok(close(col("SpatialSeries_y", t), 2 * time(t)), `y at ${t}`);
    assert.ok(close(col("running_speed", t), 3 * time(t)), `speed at ${t}`);
  }
  const m = rec.movie!;
  assert.deepEqual([m.n_frames, m.height, m.width, m.frame_rate_hz], [MOVIE.frames, MOVIE.height, MOVIE.width, 10]);
  assert.equal(m.frames[(7 * MOVIE.height + 2) * MOVIE.width + 3], moviePixel(7, 2, 3));
  const notes = nwb(rec);
  assert.equal(notes.neural.path, "/processing/ophys/DfOverF/RoiResponseSeries");
  assert.match(String((notes.labels.continuous as { method: string }).method), /linear interpolation/);
  assert.equal((notes.labels.frame as { from: string }).from, "/intervals/movie_presentations");
  assert.ok(!rec.provenance.keys_read.some((k) => k.startsWith("/acquisition/TwoPhotonSeries")), "the raw TwoPhotonSeries is never read");

  const picked = await load(full, { series: "Fluorescence/RoiResponseSeries" });
  assert.equal(picked.neural[5 * N + 2], FLUO(2, 5));
  await assert.rejects(load(full, { series: "nope" }), (e) => e instanceof UserError && /no neural series 'nope'/.test(e.message) && /DfOverF\/RoiResponseSeries, Fluorescence\/RoiResponseSeries/.test(e.fix));
  const onScreen = await load(full, { restrict_to_stimulus: true });
  assert.equal(onScreen.n_samples, MOVIE.frames * MOVIE.repeats);
  assert.deepEqual(Array.from(onScreen.frame!.slice(0, 3)), [0, 1, 2]);
});

test("irregular timestamps: every sample keeps its time, the rate is 1 / the median step, with a warning", async () => {
  const rec = await load(irregular);
  assert.equal(rec.timestamps[3], irregularTime(3));
  assert.ok(close(rec.sampling_rate_hz, RATE));
  assert.ok(rec.warnings.some((w) => /irregular timestamps/.test(w)));
  assert.match(String(nwb(rec).neural.rate_from), /timestamps \(median step\)/);
  await assert.rejects(load(irregular, { sampling_rate_hz: 30 }), (e) => e instanceof UserError && /30 Hz but the file says 10 Hz/.test(e.message));
});

test("issue case 2: a standard Units table is binned over the observed intervals (not sent to the Allen reader)", async () => {
  const rec = await load(ephys);
  assert.equal(rec.provenance.format, "nwb-standard");
  // 25 ms bins over [1, 6) and [7, 10): 200 + 120.
  assert.deepEqual([rec.n_samples, rec.n_neurons, rec.modality, rec.signal], [320, 4, "spikes", "spike_counts"]);
  assert.ok(close(rec.sampling_rate_hz, 40));
  assert.deepEqual([rec.timestamps[0], rec.timestamps[200]], [1, 7]);
  const totals = range(4).map((u) => range(rec.n_samples).reduce((s, t) => s + rec.neural[t * 4 + u], 0));
  assert.deepEqual(totals, [3, 1, 1, 1], "spikes outside the common observed time are not counted");
  assert.equal(rec.neural[0], 2);
  assert.deepEqual(rec.unit_ids, ["10", "11", "12", "13"]);
  assert.deepEqual(rec.unit_metadata.quality, ["good", "good", "noise", "good"]);
  assert.deepEqual(rec.unit_metadata.area, ["CA1", "VISp", "CA1", "VISp"]);
  const bin = rec.provenance.preprocessing.find((s) => s.op === "bin_spikes")!;
  assert.equal(bin.params.bin_ms, 25);
  assert.match(String(bin.params.bin_from), /default 25 ms/);
  assert.ok(!rec.provenance.keys_read.some((k) => k.startsWith("/acquisition/ElectricalSeries")), "ElectricalSeries is not read as units");
  // trials → repeat; grating_presentations.stimulus_name → discrete.
  assert.deepEqual([rec.repeat![0], rec.repeat![100]], [0, -1]);
  assert.deepEqual(rec.discrete!.class_names, ["none", "gratings", "flash"]);
  assert.deepEqual([rec.discrete!.data[0], rec.discrete!.data[80], rec.discrete!.data[160]], [1, 2, 0]);

  assert.equal((await load(ephys, { bin_ms: 100 })).n_samples, 80);
  await assert.rejects(load(ephys, { bin_ms: 100, sampling_rate_hz: 40 }), (e) => e instanceof UserError && /bin_ms 100 gives 10 Hz but sampling_rate_hz is 40 Hz/.test(e.message));
  const withSpeed = await load(ephysSpeed);
  assert.equal(withSpeed.n_samples, 160, "50 ms bins: the running speed's 20 Hz");
  assert.match(String(withSpeed.provenance.preprocessing.find((s) => s.op === "bin_spikes")!.params.bin_from), /rate of \/processing\/behavior\/speed/);
  assert.deepEqual(withSpeed.continuous!.columns, ["speed"]);
});

test("refusals at load: no neural data, too few samples, a 1×1 or one-frame movie, labels that cover no sample", async () => {
  const none = file("none.nwb");
  await writeNoNeural(none);
  await assert.rejects(load(none), (e) => e instanceof UserError && /no neural data/.test(e.message) && /TwoPhotonSeries/.test(e.message) && /ElectricalSeries/.test(e.message) && /inspect_source/.test(e.fix));
  // Issue case 3: an Allen NWB 1.x file trimmed to 1 sample × 1 cell.
  const tiny = file("tiny.nwb");
  await writeAllen2pV1(tiny, { n_cells: 1, n_frames: 1, repeats: 1, onset: 0, tail: 0, height: 1, width: 1 });
  await assert.rejects(load(tiny, { restrict_to_stimulus: false }), (e) => e instanceof UserError && /has 1 sample .*too few to analyse/.test(e.message));
  const pixel = file("pixel.nwb");
  await writeAllen2pV1(pixel, { n_cells: 2, n_frames: 1, repeats: 5, onset: 0, tail: 5, height: 1, width: 1 });
  await assert.rejects(load(pixel, { restrict_to_stimulus: false }), (e) => e instanceof UserError && /the movie .* has 1 frame of 1×1 pixels/.test(e.message) && /movie: false/.test(e.fix));
  assert.equal((await load(pixel, { restrict_to_stimulus: false, movie: false })).n_samples, 10);
  const late = file("late.nwb");
  await writeStandardOphys(late, { extras: true, movieOnset: 500 });
  await assert.rejects(load(late), (e) => e instanceof UserError && /movie-frame labels cover no sample/.test(e.message));
  const npz = file("nolabels.npz");
  writeFileSync(npz, writeNpz({ neural: { dtype: "<f4", shape: [4, 1], data: [1, 2, 3, 4] }, frame: { dtype: "<i4", shape: [4], data: [-1, -1, -1, -1] } }));
  await assert.rejects(load(npz), (e) => e instanceof UserError && /cover no sample/.test(e.message));
});

test("an IndexSeries labels frames through its indexed_timeseries template (RGB → luminance); conversion scales the data; an external template is never opened", async () => {
  const path = file("scenes.nwb");
  await writeIndexSeriesFile(path);
  const rec = await load(path);
  assert.equal(rec.neural[4 * N + 1], 2 * FLUO(1, 4), "data × conversion");
  assert.deepEqual((nwb(rec).data_scaling as { conversion: number }).conversion, 2);
  // Sample t = 30 + k is at 5 + k/10 s: inside onset k.
  for (const k of [0, 5, 6, 11]) {
    assert.equal(rec.frame![30 + k], k % SCENES.frames, `frame at ${k}`);
    assert.equal(rec.repeat![30 + k], Math.floor(k / SCENES.frames));
  }
  assert.deepEqual([rec.frame![29], rec.frame![42]], [-1, -1]);
  const m = rec.movie!;
  assert.deepEqual([m.n_frames, m.height, m.width], [SCENES.frames, SCENES.height, SCENES.width]);
  const lum = Math.round(0.299 * scenePixel(4, 2, 1, 0) + 0.587 * scenePixel(4, 2, 1, 1) + 0.114 * scenePixel(4, 2, 1, 2));
  assert.equal(m.frames[(4 * SCENES.height + 2) * SCENES.width + 1], lum);
  assert.ok(!rec.provenance.keys_read.some((k) => k.includes("external")));
  const seen = await inspectSource(path, ctx);
  assert.ok(seen.unusable.some((u) => u.path === "/stimulus/templates/external" && /external file/.test(u.why)));
  assert.deepEqual(seen.movies.map((x) => x.path), ["/stimulus/templates/scenes/data"]);
  assert.ok(seen.labels.some((l) => l.kind === "presentations" && l.path === "/stimulus/presentation/scenes"));
});

test("inspecting Allen files: the layout, dF/F with its unit count (NWB 1.x is unit-major), presentations and template", async () => {
  const v1 = file("allen-v1.nwb");
  await writeAllen2pV1(v1);
  const r = await inspectSource(v1, ctx);
  assert.equal(r.layout, "nwb-allen-2p-v1");
  assert.deepEqual(r.neural.map((n) => [n.path, n.n_units, n.rate_hz]), [["/processing/brain_observatory_pipeline/DfOverF/imaging_plane_1", 20, 30]]);
  assert.deepEqual(r.labels.map((l) => l.path), ["/stimulus/presentation/natural_movie_one_stimulus"]);
  assert.deepEqual(r.movies.map((m) => m.shape), [[30, 6, 8]]);
  assert.deepEqual(r.load_calls.map((c) => c.arguments), [{ source: v1 }]);
});
