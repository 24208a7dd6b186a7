/**
 * Tiny NWB files in the exact Allen layouts (paths, shapes, dtypes as in
 * /work/shared/reference/data-formats.md), written with h5wasm for the loader tests.
 *
 * 2P sessions: N cells imaged for T samples at 30 Hz; the movie (F frames of H×W) is shown R times
 * back to back starting at sample `onset`. dF/F of cell c at sample t is c*1000 + t, so every
 * transposition/slicing error shows up as a wrong value.
 */
import { put, range, writeH5, type H5File } from "./helpers.js";

export interface TwoPhotonSpec {
  n_cells: number;
  n_frames: number;
  repeats: number;
  onset: number;
  /** Samples after the movie. */
  tail: number;
  height: number;
  width: number;
}

export const SMALL_2P: TwoPhotonSpec = { n_cells: 20, n_frames: 30, repeats: 3, onset: 30, tail: 20, height: 6, width: 8 };

export function totalSamples(s: TwoPhotonSpec): number {
  return s.onset + s.n_frames * s.repeats + s.tail;
}

/** dF/F value of cell c at sample t. */
export const dffValue = (c: number, t: number) => c * 1000 + t;
/** Template pixel value. */
export const pixel = (f: number, y: number, x: number) => (f * 7 + y * 3 + x) % 256;
/** Timestamp (s) of 2P sample t. */
export const sampleTime = (t: number) => 5 + t / 30;

function template(s: TwoPhotonSpec): Uint8Array {
  const out = new Uint8Array(s.n_frames * s.height * s.width);
  for (let f = 0; f < s.n_frames; f++) for (let y = 0; y < s.height; y++) for (let x = 0; x < s.width; x++) out[(f * s.height + y) * s.width + x] = pixel(f, y, x);
  return out;
}

function dffMatrix(s: TwoPhotonSpec, unitMajor: boolean): Float32Array {
  const T = totalSamples(s);
  const N = s.n_cells;
  const out = new Float32Array(T * N);
  for (let c = 0; c < N; c++) for (let t = 0; t < T; t++) out[unitMajor ? c * T + t : t * N + c] = dffValue(c, t);
  return out;
}

const GENOTYPE = "Cux2-CreERT2/Cux2-CreERT2;Camk2a-tTA/wt;Ai93(TITL-GCaMP6f)/wt";

/** Allen 2P NWB 1.x (brain_observatory_pipeline; dF/F cell-major; frame_duration in sample indices). */
export async function writeAllen2pV1(path: string, s: TwoPhotonSpec = SMALL_2P, o: { chunks?: boolean } = {}): Promise<void> {
  const T = totalSamples(s);
  const P = "/processing/brain_observatory_pipeline";
  await writeH5(path, (f: H5File) => {
    f.create_attribute("nwb_version", "NWB-1.0.5");
    put(f, `${P}/DfOverF/imaging_plane_1/data`, dffMatrix(s, true), { shape: [s.n_cells, T], ...(o.chunks ? { chunks: [4, T] } : {}) });
    put(f, `${P}/DfOverF/imaging_plane_1/timestamps`, Float64Array.from(range(T), sampleTime));
    put(f, `${P}/ImageSegmentation/cell_specimen_ids`, BigInt64Array.from(range(s.n_cells), (c) => BigInt(517000000 + c)));
    // Presentation rows written in reverse order: the loader must sort them by start.
    const rows = range(s.n_frames * s.repeats).reverse();
    const g = "/stimulus/presentation/natural_movie_one_stimulus";
    put(f, `${g}/data`, Float64Array.from(rows, (k) => k % s.n_frames));
    put(f, `${g}/frame_duration`, Float64Array.from(rows.flatMap((k) => [s.onset + k, s.onset + k + 1])), { shape: [rows.length, 2] });
    put(f, `${g}/timestamps`, Float64Array.from(rows, (k) => sampleTime(s.onset + k)));
    put(f, "/stimulus/templates/natural_movie_one_image_stack/data", template(s), { shape: [s.n_frames, s.height, s.width], dtype: "<B", chunks: [1, s.height, s.width] });
    put(f, "/general/session_type", "three_session_A", { dtype: "S15" });
    put(f, "/general/session_id", BigInt64Array.of(501940850n));
    put(f, "/general/subject/genotype", GENOTYPE, { dtype: `S${GENOTYPE.length}` });
    put(f, "/general/optophysiology/imaging_plane_1/location", "VISp", { dtype: "S4" });
    put(f, "/general/optophysiology/imaging_plane_1/imaging depth", "275 microns", { dtype: "S11" });
  });
}

/** Allen 2P NWB 2.x (ophys/DfOverF time-major, PlaneSegmentation, IndexSeries presentations by time). */
export async function writeAllen2pV2(path: string, s: TwoPhotonSpec = SMALL_2P): Promise<void> {
  const T = totalSamples(s);
  await writeH5(path, (f: H5File) => {
    f.create_attribute("nwb_version", "2.2.5");
    put(f, "/processing/ophys/DfOverF/DfOverF/data", dffMatrix(s, false), { shape: [T, s.n_cells] });
    put(f, "/processing/ophys/DfOverF/DfOverF/timestamps", Float64Array.from(range(T), sampleTime));
    // rois: region indices into the PlaneSegmentation table, reversed to test the mapping.
    put(f, "/processing/ophys/DfOverF/DfOverF/rois", Int32Array.from(range(s.n_cells).reverse()));
    put(f, "/processing/ophys/ImageSegmentation/PlaneSegmentation/id", Int32Array.from(range(s.n_cells), (i) => 1000 + i));
    put(f, "/processing/ophys/ImageSegmentation/PlaneSegmentation/global_roi_id", BigInt64Array.from(range(s.n_cells), (i) => BigInt(517000000 + i)));
    const g = "/stimulus/presentation/natural_movie_one_stimulus";
    const rows = range(s.n_frames * s.repeats);
    put(f, `${g}/data`, Uint32Array.from(rows, (k) => k % s.n_frames));
    // Presentations start 5 ms before the sample that sees them.
    put(f, `${g}/timestamps`, Float64Array.from(rows, (k) => sampleTime(s.onset + k) - 0.005));
    put(f, "/stimulus/templates/natural_movie_one/data", template(s), { shape: [s.n_frames, s.height, s.width], dtype: "<B" });
    put(f, "/general/subject/genotype", GENOTYPE);
    put(f, "/general/optophysiology/ImagingPlane/location", "VISp");
    put(f, "/general/session_id", "501940850");
  });
}

/**
 * Allen Neuropixels NWB 2.x. Units (row: quality issue, area):
 * 0 good VISp; 1 isi 0.6; 2 presence 0.9; 3 amplitude_cutoff 0.2; 4 quality "noise"; 5 good VISp (last
 * good VISp unit before 6); 6 good VISl (the last unit: CEBRA's bug would lose its spikes).
 * Presentations: two blocks of R repeats × F frames, each frame 1/30 s; block 1 from t = 100 s,
 * block 2 from t = 200 s.
 * Spikes: unit 0 once per presentation (start + 1 ms); unit 5 once in presentations k % 3 == 0 (start + 20 ms);
 * unit 6 twice in frame 7 (start + 2 ms, + 30 ms); every unit also spikes at 50 s and 150 s (outside).
 */
export const NP = { n_frames: 30, repeats: 3, frame_s: 1 / 30, block1: 100, block2: 200 };

export function presentationStart(row: number): number {
  const per = NP.n_frames * NP.repeats;
  return (row < per ? NP.block1 : NP.block2) + (row % per) * NP.frame_s;
}

export async function writeAllenNeuropixels(path: string): Promise<void> {
  const per = NP.n_frames * NP.repeats;
  const rows = range(2 * per);
  const spikes: number[][] = range(7).map(() => [50, 150]);
  for (const k of rows) {
    const t = presentationStart(k);
    spikes[0].push(t + 0.001);
    if (k % 3 === 0) spikes[5].push(t + 0.02);
    if (k % NP.n_frames === 7) spikes[6].push(t + 0.002, t + 0.03);
  }
  for (const s of spikes) s.sort((a, b) => a - b);
  const ends: bigint[] = [];
  let acc = 0;
  for (const s of spikes) ends.push(BigInt((acc += s.length)));
  await writeH5(path, (f: H5File) => {
    f.create_attribute("nwb_version", "2.2.2");
    put(f, "/units/spike_times", Float64Array.from(spikes.flat()));
    put(f, "/units/spike_times_index", BigInt64Array.from(ends));
    put(f, "/units/id", BigInt64Array.from(range(7), (i) => BigInt(950900000 + i)));
    put(f, "/units/quality", ["good", "good", "good", "good", "noise", "good", "good"]);
    put(f, "/units/isi_violations", Float64Array.of(0.1, 0.6, 0.1, 0.1, 0.1, 0.5, 0));
    put(f, "/units/presence_ratio", Float64Array.of(0.99, 0.99, 0.9, 0.99, 0.99, 0.95, 1));
    put(f, "/units/amplitude_cutoff", Float64Array.of(0.01, 0.01, 0.01, 0.2, 0.01, 0.1, 0.05));
    put(f, "/units/peak_channel_id", BigInt64Array.of(850n, 850n, 851n, 851n, 850n, 851n, 852n));
    put(f, "/general/extracellular_ephys/electrodes/id", BigInt64Array.of(850n, 851n, 852n));
    put(f, "/general/extracellular_ephys/electrodes/location", ["VISp", "VISp", "VISl"]);
    put(f, "/general/stimulus", "brain_observatory_1.1");
    const g = "/intervals/natural_movie_one_presentations";
    put(f, `${g}/start_time`, Float64Array.from(rows, presentationStart));
    put(f, `${g}/stop_time`, Float64Array.from(rows, (k) => presentationStart(k) + NP.frame_s));
    put(f, `${g}/frame`, Float64Array.from(rows, (k) => k % NP.n_frames));
  });
}
