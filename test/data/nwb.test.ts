import test from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Hdf5Reader } from "../../src/data/formats/hdf5.js";
import { detectNwbLayout, loadNwb, type NwbLayout } from "../../src/data/formats/nwb.js";
import type { LoadOptions } from "../../src/data/options.js";
import type { Recording } from "../../src/data/recording.js";
import { UserError } from "../../src/util/errors.js";
import { put, range, tmpDir, writeH5 } from "./helpers.js";
import { SMALL_2P, dffValue, pixel, sampleTime, totalSamples, writeAllen2pV1, writeAllen2pV2, writeAllenNeuropixels } from "./nwb-fixtures.js";

const dir = tmpDir("cebra-nwb-");
const v1 = join(dir, "v1.nwb");
const v1chunked = join(dir, "v1-chunked.nwb");
const v2 = join(dir, "v2.nwb");
const np = join(dir, "np.nwb");
const ready = Promise.all([writeAllen2pV1(v1), writeAllen2pV1(v1chunked, SMALL_2P, { chunks: true }), writeAllen2pV2(v2), writeAllenNeuropixels(np)]);

async function load(path: string, opts: LoadOptions = {}, layout: NwbLayout | "nwb" = "nwb"): Promise<Recording> {
  await ready;
  const reader = await Hdf5Reader.open(path, path);
  try {
    return loadNwb(reader, layout, opts);
  } finally {
    reader.close();
  }
}

const S = SMALL_2P;
const movieSamples = S.n_frames * S.repeats;

/** Expected 2P recording restricted to the movie: sample i is acquisition sample onset + i. */
function assertMovieAligned(rec: Recording, unitOfColumn: (j: number) => number): void {
  assert.equal(rec.n_samples, movieSamples);
  assert.equal(rec.n_neurons, S.n_cells);
  for (const i of [0, 1, 29, 30, 89]) {
    for (const j of [0, 7, S.n_cells - 1]) assert.equal(rec.neural[i * S.n_cells + j], dffValue(unitOfColumn(j), S.onset + i), `sample ${i} column ${j}`);
    assert.equal(rec.timestamps[i], sampleTime(S.onset + i));
  }
  assert.deepEqual(Array.from(rec.frame!), range(movieSamples).map((i) => i % S.n_frames));
  assert.deepEqual(Array.from(rec.repeat!), range(movieSamples).map((i) => Math.floor(i / S.n_frames)));
  assert.ok(Math.abs(rec.sampling_rate_hz - 30) < 1e-6);
  assert.equal(rec.modality, "calcium");
  assert.equal(rec.signal, "dff");
  const m = rec.movie!;
  assert.deepEqual([m.n_frames, m.height, m.width], [S.n_frames, S.height, S.width]);
  assert.equal(m.frames[(5 * S.height + 2) * S.width + 3], pixel(5, 2, 3));
}

test("layout detection recognises the three Allen layouts", async () => {
  await ready;
  const expected: [string, NwbLayout][] = [[v1, "nwb-allen-2p-v1"], [v2, "nwb-allen-2p-v2"], [np, "nwb-allen-neuropixels"]];
  for (const [path, layout] of expected) {
    const r = await Hdf5Reader.open(path, path);
    assert.equal(detectNwbLayout(r), layout);
    r.close();
  }
});

test("Allen 2P NWB 1.x: cell-major dF/F transposed, restricted to the movie, frames/repeats/template/metadata", async () => {
  for (const path of [v1, v1chunked]) {
    const rec = await load(path);
    assertMovieAligned(rec, (j) => j);
    assert.equal(rec.provenance.format, "nwb-allen-2p-v1");
    assert.deepEqual(rec.unit_ids.slice(0, 2), ["517000000", "517000001"]);
    assert.deepEqual(rec.unit_metadata.area, new Array(S.n_cells).fill("VISp"));
    const md = rec.provenance.source_metadata!;
    assert.equal(md.session_type, "three_session_A");
    assert.equal(md.cre_line, "Cux2-CreERT2/Cux2-CreERT2");
    assert.equal(md.imaging_depth, "275 microns");
    assert.equal(md.session_id, "501940850");
    assert.ok(rec.provenance.keys_read.includes("/processing/brain_observatory_pipeline/DfOverF/imaging_plane_1/data"));
    assert.ok(rec.provenance.keys_read.includes("/stimulus/templates/natural_movie_one_image_stack/data"));
    assert.deepEqual(rec.provenance.preprocessing.map((s) => s.op), ["restrict_to_stimulus"]);
  }
});

test("Allen 2P NWB 1.x with restrict_to_stimulus: false keeps the whole session with frame -1 outside", async () => {
  const rec = await load(v1, { restrict_to_stimulus: false, movie: false });
  const T = totalSamples(S);
  assert.equal(rec.n_samples, T);
  assert.equal(rec.neural[(T - 1) * S.n_cells + 3], dffValue(3, T - 1));
  assert.equal(rec.frame![S.onset - 1], -1);
  assert.equal(rec.frame![S.onset], 0);
  assert.equal(rec.repeat![S.onset + movieSamples - 1], S.repeats - 1);
  assert.equal(rec.frame![S.onset + movieSamples], -1);
  assert.equal(rec.movie, undefined, "movie: false skips the template");
  assert.equal(rec.provenance.preprocessing.length, 0);
});

test("Allen 2P NWB 2.x: time-major dF/F, rois → cell ids, presentations by time", async () => {
  const rec = await load(v2);
  assertMovieAligned(rec, (j) => j);
  assert.equal(rec.provenance.format, "nwb-allen-2p-v2");
  // rois are reversed: column j is table row N-1-j.
  assert.equal(rec.unit_ids[0], String(517000000 + S.n_cells - 1));
  assert.equal(rec.unit_metadata.roi_id[0], 1000 + S.n_cells - 1);
  assert.equal(rec.provenance.source_metadata!.cre_line, "Cux2-CreERT2/Cux2-CreERT2");
});

test("a different stimulus name without presentations warns and keeps the session unlabelled", async () => {
  const rec = await load(v1, { stimulus: "natural_movie_three" });
  assert.equal(rec.n_samples, totalSamples(S));
  assert.equal(rec.frame, undefined);
  assert.equal(rec.movie, undefined);
  assert.ok(rec.warnings.some((w) => /natural_movie_three/.test(w)));
});

test("forcing a layout the file does not have names the missing path and the file", async () => {
  const plain = join(dir, "plain.h5");
  await writeH5(plain, (f) => put(f, "/neural", Float32Array.of(1, 2)));
  await assert.rejects(load(plain), (e) => e instanceof UserError && /none of the supported NWB layouts/.test(e.message) && /\/neural \(2\)/.test(e.fix));
  await assert.rejects(load(np, {}, "nwb-allen-2p-v1"), (e) => e instanceof UserError && /brain_observatory_pipeline\/DfOverF\/imaging_plane_1\/data/.test(e.message) && e.message.includes(np) && /format/.test(e.fix));
  await assert.rejects(load(v1, {}, "nwb-allen-neuropixels"), (e) => e instanceof UserError && /\/units\/spike_times_index/.test(e.message));
});

const np90: LoadOptions = { neuropixels: { rows: [0, 90] } };

test("Allen Neuropixels: quality filter, 120 Hz bins over the first block, frame/repeat per bin, last unit kept", async () => {
  const rec = await load(np, np90);
  assert.deepEqual(rec.unit_ids, ["950900000", "950900005", "950900006"]);
  assert.deepEqual(rec.unit_metadata.area, ["VISp", "VISp", "VISl"]);
  assert.equal(rec.n_samples, 360);
  assert.equal(rec.sampling_rate_hz, 120);
  assert.equal(rec.modality, "spikes");
  const col = (j: number) => range(360).map((b) => rec.neural[b * 3 + j]);
  assert.deepEqual(col(0), range(360).map((b) => (b % 4 === 0 ? 1 : 0)));
  assert.deepEqual(col(1), range(360).map((b) => (b % 4 === 2 && Math.floor(b / 4) % 3 === 0 ? 1 : 0)));
  // The last unit's spikes are counted (CEBRA's _spikes_by_units drops them).
  assert.deepEqual(col(2), range(360).map((b) => (Math.floor(b / 4) % 30 === 7 && (b % 4 === 0 || b % 4 === 3) ? 1 : 0)));
  assert.deepEqual(Array.from(rec.frame!), range(360).map((b) => Math.floor(b / 4) % 30));
  assert.deepEqual(Array.from(rec.repeat!), range(360).map((b) => Math.floor(b / 120)));
  const steps = rec.provenance.preprocessing;
  assert.deepEqual(steps.map((s) => s.op), ["unit_quality_filter", "bin_spikes"]);
  assert.equal(steps[0].params.units_after, 3);
  assert.ok(rec.warnings.some((w) => /no movie template/.test(w)));
});

test("Allen Neuropixels: per_frame bins, area filter, thresholds and filter switch", async () => {
  const perFrame = await load(np, { neuropixels: { rows: [0, 90], bin: "per_frame", areas: ["VISl"] } });
  assert.equal(perFrame.n_samples, 90);
  assert.ok(Math.abs(perFrame.sampling_rate_hz - 30) < 1e-6);
  assert.deepEqual(perFrame.unit_ids, ["950900006"]);
  assert.deepEqual(Array.from(perFrame.neural), range(90).map((k) => (k % 30 === 7 ? 2 : 0)));
  const all = await load(np, { neuropixels: { rows: [0, 90], quality_filter: false } });
  assert.equal(all.n_neurons, 7);
  const loose = await load(np, { neuropixels: { rows: [0, 90], quality: { isi_violations_max: 1, quality: null } } });
  assert.deepEqual(loose.unit_ids.map((id) => Number(id) - 950900000), [0, 1, 4, 5, 6]);
  await assert.rejects(load(np, { neuropixels: { rows: [0, 90], areas: ["CA1"] } }), (e) => e instanceof UserError && /no unit passes/.test(e.message));
});

test("Allen Neuropixels: default rows beyond the table are clamped with a warning; the gap between blocks is unlabelled", async () => {
  const rec = await load(np, { neuropixels: { bin: 30 } });
  assert.ok(rec.warnings.some((w) => /only 180 rows/.test(w)));
  const gap = rec.timestamps.findIndex((t) => t > 150);
  assert.equal(rec.frame![gap], -1);
  assert.equal(Math.max(...rec.repeat!), 5);
});
