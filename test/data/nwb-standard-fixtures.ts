/**
 * Small standard NWB 2.x files, written with h5wasm following the NWB core schema (2.2.5 layout:
 * `neurodata_type`/`namespace` attributes on every typed group, TimeSeries with `data` and either
 * `starting_time` (+ `rate`, `unit` attributes) or `timestamps`, DynamicTables with `id` and ragged
 * columns as VectorData + VectorIndex, TimeIntervals with `start_time`/`stop_time`).
 *
 * Ophys: N cells at RATE Hz from T0 s; Fluorescence value of cell c at sample t is FLUO(c, t), DfOverF
 * DFF(c, t); `rois` reversed (column j = PlaneSegmentation row N-1-j, id 100 + row). A movie of
 * MOVIE.frames frames is shown MOVIE.repeats times from MOVIE.onset s, one frame per 0.1 s.
 */
import h5wasm from "h5wasm/node";
import { ensureGroups, put, range, writeH5, type H5File } from "./helpers.js";

export const OPHYS = { N: 15, T: 250, RATE: 10, T0: 2 };
export const FLUO = (c: number, t: number) => 1000 * c + t + 0.5;
export const DFF = (c: number, t: number) => (1000 * c + t) / 10000;
/** Movie presentations: frame k of repeat r starts at onset + (r * frames + k) * 0.1 - 0.005 s. */
export const MOVIE = { frames: 20, repeats: 3, onset: 10, frame_s: 0.1, height: 4, width: 5 };
export const moviePixel = (f: number, y: number, x: number) => (f * 11 + y * 5 + x) % 256;
/** Behaviour: position (x, y) = (t, 2t) at 50 Hz over 0–30 s; running speed 3t at 60 Hz over 1–30 s. */
export const BEHAVIOUR = { pos_rate: 50, speed_rate: 60 };

type Group = InstanceType<typeof h5wasm.Group>;

/** Create group `path` (and its parents) with NWB type attributes. */
export function typed(f: H5File, path: string, type: string): void {
  ensureGroups(f, path);
  const g = f.get(path) as Group;
  g.create_attribute("neurodata_type", type);
  g.create_attribute("namespace", "core");
}

/** Root attributes and required datasets of an NWBFile. */
export function nwbRoot(f: H5File, version = "2.2.5"): void {
  f.create_attribute("nwb_version", version);
  f.create_attribute("neurodata_type", "NWBFile");
  f.create_attribute("namespace", "core");
  put(f, "/identifier", "test-session");
  put(f, "/session_description", "standard NWB fixture");
  put(f, "/session_start_time", "2024-01-01T00:00:00");
}

/** A TimeSeries-like group: data plus starting_time@rate or timestamps. */
export function series(f: H5File, path: string, type: string, data: Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array, shape: number[], time: { rate: number; start: number } | { timestamps: Float64Array }, dtype?: string): void {
  typed(f, path, type);
  put(f, `${path}/data`, data, { shape, ...(dtype ? { dtype } : {}) });
  if ("rate" in time) {
    put(f, `${path}/starting_time`, Float64Array.of(time.start), { shape: [] });
    const st = f.get(`${path}/starting_time`) as unknown as Group;
    st.create_attribute("rate", time.rate);
    st.create_attribute("unit", "seconds");
  } else {
    put(f, `${path}/timestamps`, time.timestamps);
  }
}

/** Irregular sample times: T0 + t / RATE, every 7th sample (t % 7 = 3) 30 ms late. */
export const irregularTime = (t: number) => OPHYS.T0 + t / OPHYS.RATE + (t % 7 === 3 ? 0.03 : 0);

export interface OphysOptions {
  /** Only Fluorescence (the first case), no DfOverF. */
  fluorescenceOnly?: boolean;
  /** timestamps with jitter instead of starting_time@rate. */
  irregular?: boolean;
  /** Behaviour, intervals, the movie and a raw TwoPhotonSeries of this many bytes per frame side (default none). */
  extras?: boolean;
  /** Side of the raw TwoPhotonSeries frames (uint16, T frames): a large dataset never to be read. */
  rawSide?: number;
  /** Start of the movie presentations in s (default MOVIE.onset). */
  movieOnset?: number;
}

export async function writeStandardOphys(path: string, o: OphysOptions = {}): Promise<void> {
  const { N, T, RATE, T0 } = OPHYS;
  const time = o.irregular ? { timestamps: Float64Array.from(range(T), irregularTime) } : { rate: RATE, start: T0 };
  const matrix = (v: (c: number, t: number) => number) => Float32Array.from({ length: T * N }, (_, i) => v(i % N, Math.floor(i / N)));
  await writeH5(path, (f) => {
    nwbRoot(f);
    typed(f, "/general/optophysiology/ImagingPlane", "ImagingPlane");
    put(f, "/general/optophysiology/ImagingPlane/imaging_rate", Float32Array.of(RATE), { shape: [] });
    typed(f, "/processing/ophys", "ProcessingModule");
    typed(f, "/processing/ophys/ImageSegmentation", "ImageSegmentation");
    typed(f, "/processing/ophys/ImageSegmentation/PlaneSegmentation", "PlaneSegmentation");
    put(f, "/processing/ophys/ImageSegmentation/PlaneSegmentation/id", Int32Array.from(range(N), (i) => 100 + i));
    const rois = Int32Array.from(range(N).reverse());
    typed(f, "/processing/ophys/Fluorescence", "Fluorescence");
    series(f, "/processing/ophys/Fluorescence/RoiResponseSeries", "RoiResponseSeries", matrix(FLUO), [T, N], time);
    put(f, "/processing/ophys/Fluorescence/RoiResponseSeries/rois", rois);
    if (!o.fluorescenceOnly) {
      typed(f, "/processing/ophys/DfOverF", "DfOverF");
      series(f, "/processing/ophys/DfOverF/RoiResponseSeries", "RoiResponseSeries", matrix(DFF), [T, N], time);
      put(f, "/processing/ophys/DfOverF/RoiResponseSeries/rois", rois);
    }
    if (o.rawSide) {
      const side = o.rawSide;
      series(f, "/acquisition/TwoPhotonSeries", "TwoPhotonSeries", new Uint16Array(T * side * side).map((_, i) => i % 4093), [T, side, side], { rate: RATE, start: T0 }, "<H");
    }
    if (o.extras) writeExtras(f, o.movieOnset ?? MOVIE.onset);
  });
}

/** Behaviour series, trials, epochs, movie presentations and the movie template. */
function writeExtras(f: H5File, onset: number): void {
  typed(f, "/processing/behavior", "ProcessingModule");
  typed(f, "/processing/behavior/Position", "Position");
  const np = 30 * BEHAVIOUR.pos_rate;
  series(f, "/processing/behavior/Position/SpatialSeries", "SpatialSeries", Float64Array.from({ length: 2 * np }, (_, i) => (i % 2 ? 2 : 1) * (Math.floor(i / 2) / BEHAVIOUR.pos_rate)), [np, 2], { rate: BEHAVIOUR.pos_rate, start: 0 });
  const ns = 29 * BEHAVIOUR.speed_rate;
  series(f, "/processing/behavior/running_speed", "TimeSeries", Float64Array.from({ length: ns }, (_, k) => 3 * (1 + k / BEHAVIOUR.speed_rate)), [ns], { timestamps: Float64Array.from({ length: ns }, (_, k) => 1 + k / BEHAVIOUR.speed_rate) });
  intervals(f, "/intervals/trials", [3, 8, 13, 18, 23], [7, 12, 17, 22, 27]);
  intervals(f, "/intervals/epochs", [0, 10, 20], [10, 20, 30]);
  put(f, "/intervals/epochs/tags", ["baseline", "movie", "repeat", "late"]);
  put(f, "/intervals/epochs/tags_index", Int32Array.of(1, 3, 4));
  const rows = range(MOVIE.frames * MOVIE.repeats);
  const start = rows.map((k) => onset + k * MOVIE.frame_s - 0.005);
  intervals(f, "/intervals/movie_presentations", start, start.map((s) => s + MOVIE.frame_s));
  put(f, "/intervals/movie_presentations/frame", Int32Array.from(rows, (k) => k % MOVIE.frames));
  put(f, "/intervals/movie_presentations/stimulus_name", rows.map(() => "movie"));
  const { frames, height, width } = MOVIE;
  const px = Uint8Array.from({ length: frames * height * width }, (_, i) => moviePixel(Math.floor(i / (height * width)), Math.floor(i / width) % height, i % width));
  series(f, "/stimulus/templates/movie", "ImageSeries", px, [frames, height, width], { rate: 10, start: 0 }, "<B");
}

/** A TimeIntervals table. */
export function intervals(f: H5File, path: string, start: number[], stop: number[]): void {
  typed(f, path, "TimeIntervals");
  put(f, `${path}/id`, Int32Array.from(range(start.length)));
  put(f, `${path}/start_time`, Float64Array.from(start));
  put(f, `${path}/stop_time`, Float64Array.from(stop));
}

/**
 * Ecephys: 4 units. obs_intervals: units 0–2 [0, 10] s, unit 3 [1, 6] and [7, 10] → observed by all:
 * [1, 6) and [7, 10). Spikes: unit 0 at 1.01, 1.02 and 8.0; unit 1 at 0.5 (unobserved) and 2.03; unit 2
 * at 6.5 (unobserved gap) and 9.99; unit 3 at 5.96. Quality: good, good, noise, good. Electrodes: unit u on
 * electrode u % 2 (locations CA1, VISp). Also a raw ElectricalSeries, trials, and `grating_presentations`
 * with a stimulus_name column (discrete labels). `speedRate` adds a running speed series at that rate.
 */
export async function writeStandardEcephys(path: string, o: { speedRate?: number } = {}): Promise<void> {
  const spikes = [[1.01, 1.02, 8.0], [0.5, 2.03], [6.5, 9.99], [5.96]];
  await writeH5(path, (f) => {
    nwbRoot(f, "2.5.0");
    typed(f, "/units", "Units");
    put(f, "/units/id", Int32Array.of(10, 11, 12, 13));
    put(f, "/units/spike_times", Float64Array.from(spikes.flat()));
    put(f, "/units/spike_times_index", Int32Array.from(spikes.map((_, u) => spikes.slice(0, u + 1).flat().length)));
    put(f, "/units/obs_intervals", Float64Array.of(0, 10, 0, 10, 0, 10, 1, 6, 7, 10), { shape: [5, 2] });
    put(f, "/units/obs_intervals_index", Int32Array.of(1, 2, 3, 5));
    put(f, "/units/quality", ["good", "good", "noise", "good"]);
    put(f, "/units/electrodes", Int32Array.of(0, 1, 0, 1));
    put(f, "/units/electrodes_index", Int32Array.of(1, 2, 3, 4));
    typed(f, "/general/extracellular_ephys/electrodes", "DynamicTable");
    put(f, "/general/extracellular_ephys/electrodes/id", Int32Array.of(0, 1));
    put(f, "/general/extracellular_ephys/electrodes/location", ["CA1", "VISp"]);
    series(f, "/acquisition/ElectricalSeries", "ElectricalSeries", new Float32Array(3000 * 4), [3000, 4], { rate: 300, start: 0 });
    intervals(f, "/intervals/trials", [1, 4], [3, 9]);
    intervals(f, "/intervals/grating_presentations", [1, 2, 3], [2, 3, 4]);
    put(f, "/intervals/grating_presentations/stimulus_name", ["gratings", "gratings", "flash"]);
    if (o.speedRate) {
      typed(f, "/processing/behavior", "ProcessingModule");
      const n = 10 * o.speedRate;
      series(f, "/processing/behavior/speed", "TimeSeries", Float64Array.from({ length: n }, (_, k) => k / o.speedRate!), [n], { rate: o.speedRate, start: 0 });
    }
  });
}

/** An NWB file with nothing to analyse: only a raw TwoPhotonSeries and an ElectricalSeries. */
export async function writeNoNeural(path: string): Promise<void> {
  await writeH5(path, (f) => {
    nwbRoot(f);
    series(f, "/acquisition/TwoPhotonSeries", "TwoPhotonSeries", new Uint16Array(10 * 4 * 4), [10, 4, 4], { rate: 10, start: 0 }, "<H");
    series(f, "/acquisition/ElectricalSeries", "ElectricalSeries", new Float32Array(100), [100, 1], { rate: 100, start: 0 });
  });
}

/** IndexSeries scenes: 6 RGB frames (3×4), shown twice from 5 s, one per 0.1 s (onsets 5 ms early). */
export const SCENES = { frames: 6, height: 3, width: 4, repeats: 2, onset: 5, frame_s: 0.1 };
export const scenePixel = (f: number, y: number, x: number, c: number) => (f * 20 + y * 5 + x + c * 7) % 256;

/**
 * Fluorescence only, its data scaled by a `conversion` attribute of 2; presentations as an IndexSeries
 * whose `indexed_timeseries` soft link points to an RGB ImageSeries template; a second template kept in
 * an external file (never opened).
 */
export async function writeIndexSeriesFile(path: string): Promise<void> {
  await writeStandardOphys(path, { fluorescenceOnly: true });
  const h5 = await import("h5wasm/node");
  const f = new h5.default.File(path, "a");
  try {
    (f.get("/processing/ophys/Fluorescence/RoiResponseSeries/data") as unknown as Group).create_attribute("conversion", 2);
    const { frames, height, width, repeats, onset, frame_s } = SCENES;
    const rgb = Uint8Array.from({ length: frames * height * width * 3 }, (_, i) => scenePixel(Math.floor(i / (height * width * 3)), Math.floor(i / (width * 3)) % height, Math.floor(i / 3) % width, i % 3));
    series(f, "/stimulus/templates/scenes", "ImageSeries", rgb, [frames, height, width, 3], { rate: 10, start: 0 }, "<B");
    const n = frames * repeats;
    series(f, "/stimulus/presentation/scenes", "IndexSeries", Int32Array.from(range(n), (k) => k % frames), [n], { timestamps: Float64Array.from(range(n), (k) => onset + k * frame_s - 0.005) });
    (f.get("/stimulus/presentation/scenes") as Group).create_soft_link("/stimulus/templates/scenes", "indexed_timeseries");
    typed(f, "/stimulus/templates/external", "ImageSeries");
    put(f, "/stimulus/templates/external/data", new Uint8Array(0), { shape: [0, 0, 0], dtype: "<B" });
    put(f, "/stimulus/templates/external/external_file", ["../movies/clip.avi"]);
  } finally {
    f.close();
  }
}
