/**
 * Standard NWB 2.x files from any lab, read by neurodata type (walk.ts), not by one lab's paths:
 * - ophys: a RoiResponseSeries in DfOverF (preferred) or Fluorescence, `rois` → PlaneSegmentation ids;
 * - ecephys: the Units table binned into counts (units.ts) at `bin_ms` (default: the movie
 *   presentations' median duration, else the first behavioural series' rate, else 25 ms);
 * - time from the file (timing.ts); labels, behaviour and the movie from labels.ts.
 * TwoPhotonSeries, ElectricalSeries and external files are never read. The provenance says what was
 * read from where: the series and its rate source, the binning, each label's table and rule.
 */
import { UserError } from "../../../util/errors.js";
import { gatherRows, loaderProvenance } from "../../arrays.js";
import type { LoadOptions } from "../../options.js";
import type { Movie, PreprocessingStep, Recording } from "../../recording.js";
import type { Hdf5Reader } from "../hdf5.js";
import { chooseFrames, physical, readLabels, readNwbMovie, type FrameSource } from "./labels.js";
import { samplesOnScreen } from "./stimulus.js";
import { seriesTimes, fmt } from "./timing.js";
import { binUnits } from "./units.js";
import { walkNwb, type NwbContents, type SeriesInfo, type UnitsInfo } from "./walk.js";

/** Bin width for Units when neither the options nor a label give one. */
export const DEFAULT_BIN_MS = 25;

type Neural = { kind: "roi"; series: SeriesInfo } | { kind: "units"; units: UnitsInfo };

/** The names `series` may take for each neural candidate (name, path, Container/name; "units" for the Units table). */
export function neuralNames(c: NwbContents): string[] {
  return [...c.roi_series.map((s) => `${s.container}/${s.name}`), ...(c.units ? ["units"] : [])];
}

/** The neural data to load: `series` by name, else DfOverF, else Fluorescence, else Units. */
export function chooseNeural(reader: Hdf5Reader, c: NwbContents, series: string | undefined): Neural {
  if (series !== undefined) {
    const s = c.roi_series.find((x) => x.name === series || x.path === series || `${x.container}/${x.name}` === series);
    if (s) return { kind: "roi", series: s };
    if (c.units && (series.toLowerCase() === "units" || series === c.units.path)) return { kind: "units", units: c.units };
    throw new UserError(`${reader.name} has no neural series '${series}'.`, `Use one of: ${neuralNames(c).join(", ") || "(none)"}.`);
  }
  if (c.roi_series.length) return { kind: "roi", series: c.roi_series[0] };
  if (c.units) return { kind: "units", units: c.units };
  const unusable = c.unusable.slice(0, 6).map((u) => `${u.path} (${u.type}: ${u.why})`);
  throw new UserError(
    `${reader.name} holds no neural data cebra-mcp can analyse: no RoiResponseSeries in Fluorescence/DfOverF and no Units table with spike_times${unusable.length ? `; found ${unusable.join("; ")}` : ""}.`,
    'Run inspect_source on it to see what it holds; for arrays in other places use format: "hdf5" with keys: { neural: "<dataset path>" }.',
  );
}

/** Load a standard NWB 2.x file. */
export function loadStandardNwb(reader: Hdf5Reader, opts: LoadOptions, signal?: AbortSignal): Recording {
  const c = walkNwb(reader);
  const warnings: string[] = [];
  const neural = chooseNeural(reader, c, opts.series);
  const others = neuralNames(c).filter((n) => n !== (neural.kind === "roi" ? `${neural.series.container}/${neural.series.name}` : "units"));
  if (opts.series === undefined && others.length) warnings.push(`${reader.name} also holds ${others.join(", ")}; pick one with the series option.`);
  const frames = chooseFrames(reader, c, opts.stimulus, warnings);
  const steps: PreprocessingStep[] = [];
  const notes: Record<string, unknown> = {};
  let base: Pick<Recording, "neural" | "n_samples" | "n_neurons" | "sampling_rate_hz" | "timestamps" | "unit_ids" | "unit_metadata" | "modality" | "signal">;
  let sampleTimes: Float64Array;
  if (neural.kind === "roi") {
    const s = neural.series;
    if (opts.bin_ms !== undefined) warnings.push("bin_ms applies to spike units only; ignored for the RoiResponseSeries.");
    if (s.shape.length !== 1 && s.shape.length !== 2) throw new UserError(`${reader.what(`${s.path}/data`)} has shape (${s.shape.join(", ")}); a RoiResponseSeries must be [time, rois].`, "Pick another series, or fix the file.");
    const [T, N] = [s.shape[0], s.shape[1] ?? 1];
    const times = seriesTimes(reader, s.path, T, opts.sampling_rate_hz);
    const data = physical(reader, `${s.path}/data`, reader.readNumeric(`${s.path}/data`, "f32").data);
    const units = roiUnits(reader, s, N);
    base = { neural: data, n_samples: T, n_neurons: N, sampling_rate_hz: times.rate_hz, timestamps: times.timestamps, unit_ids: units.ids, unit_metadata: units.metadata, modality: "calcium", signal: s.container === "DfOverF" ? "dff" : "fluorescence" };
    sampleTimes = times.timestamps;
    const conversion = Number(reader.attr(`${s.path}/data`, "conversion") ?? 1);
    const offset = Number(reader.attr(`${s.path}/data`, "offset") ?? 0);
    if (conversion !== 1 || offset !== 0) notes.data_scaling = { conversion, offset, rule: "data × conversion + offset (NWB TimeSeries)" };
    notes.neural = { type: "RoiResponseSeries", path: s.path, container: s.container, rate_hz: times.rate_hz, rate_from: times.rate_source, ...(times.irregular ? { irregular_timestamps: times.irregular } : {}), ...(units.from ? { unit_ids_from: units.from } : {}) };
    if (times.irregular) warnings.push(`${reader.what(s.path)} has irregular timestamps (steps ${fmt(times.irregular.min_step_s)}–${fmt(times.irregular.max_step_s)} s); the rate ${fmt(times.rate_hz)} Hz is 1 / the median step, and every sample keeps its own time.`);
  } else {
    const bin = binWidth(opts, frames, c);
    const b = binUnits(reader, neural.units, bin.seconds, bin.from, signal);
    base = { neural: b.neural, n_samples: b.n_bins, n_neurons: b.n_units, sampling_rate_hz: 1 / bin.seconds, timestamps: b.timestamps, unit_ids: b.unit_ids, unit_metadata: b.unit_metadata, modality: "spikes", signal: "spike_counts" };
    sampleTimes = b.timestamps.map((t) => t + bin.seconds / 2);
    steps.push(b.step);
    notes.neural = { type: "Units", path: neural.units.path, n_units: b.n_units, n_spikes: neural.units.n_spikes, bin_ms: Number(fmt(bin.seconds * 1000)), bin_from: bin.from, labelled_at: "bin centres" };
  }
  const labels = readLabels(reader, c, frames, sampleTimes, warnings);
  const movie = opts.movie === undefined && frames?.template ? movieOrWarning(reader, frames.template, opts, warnings) : undefined;
  if (movie) notes.movie = { from: `${frames!.template}/data`, frames: movie.n_frames, height: movie.height, width: movie.width, frame_rate_hz: movie.frame_rate_hz };
  let rec: Recording = {
    ...base,
    ...(labels.frame ? { frame: labels.frame } : {}),
    ...(labels.repeat ? { repeat: labels.repeat } : {}),
    ...(labels.discrete ? { discrete: labels.discrete } : {}),
    ...(labels.continuous ? { continuous: labels.continuous } : {}),
    ...(movie ? { movie } : {}),
    provenance: { ...loaderProvenance("nwb-standard", [...reader.keysRead], { ...fileMetadata(reader, c), nwb: { ...notes, labels: labels.notes } }), preprocessing: steps },
    warnings,
  };
  if (opts.restrict_to_stimulus === true && rec.frame) rec = restrictToStimulus(rec, frames!.stimulus);
  return rec;
}

/** Bin width for Units: bin_ms, else 1 / sampling_rate_hz, else the labels' rate, else DEFAULT_BIN_MS. */
function binWidth(opts: LoadOptions, frames: FrameSource | undefined, c: NwbContents): { seconds: number; from: string } {
  if (opts.bin_ms !== undefined) {
    if (opts.sampling_rate_hz !== undefined && Math.abs(1000 / opts.bin_ms - opts.sampling_rate_hz) > 1e-6 * opts.sampling_rate_hz) {
      throw new UserError(`bin_ms ${opts.bin_ms} gives ${fmt(1000 / opts.bin_ms)} Hz but sampling_rate_hz is ${opts.sampling_rate_hz} Hz.`, "Pass only one of them.");
    }
    return { seconds: opts.bin_ms / 1000, from: "bin_ms option" };
  }
  if (opts.sampling_rate_hz !== undefined) return { seconds: 1 / opts.sampling_rate_hz, from: "sampling_rate_hz option" };
  if (frames && frames.rate_hz > 0 && Number.isFinite(frames.rate_hz)) return { seconds: 1 / frames.rate_hz, from: `median presentation duration of ${frames.path}` };
  const behaviour = c.behavior.find((s) => (s.time?.rate_hz ?? 0) > 0);
  if (behaviour) return { seconds: 1 / behaviour.time!.rate_hz!, from: `rate of ${behaviour.path}` };
  return { seconds: DEFAULT_BIN_MS / 1000, from: `default ${DEFAULT_BIN_MS} ms` };
}

function movieOrWarning(reader: Hdf5Reader, path: string, opts: LoadOptions, warnings: string[]): Movie | undefined {
  try {
    return readNwbMovie(reader, path, opts);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    warnings.push(`No movie: ${e.problem}`);
    return undefined;
  }
}

/** Unit ids from `rois` (rows of a PlaneSegmentation table: its `id` column), else 0..N-1. */
function roiUnits(reader: Hdf5Reader, s: SeriesInfo, N: number): { ids: string[]; metadata: Record<string, (string | number | boolean)[]>; from?: string } {
  const plain = { ids: Array.from({ length: N }, (_, i) => String(i)), metadata: {} };
  if (!reader.isDataset(`${s.path}/rois`)) return plain;
  const rows = reader.readNumeric(`${s.path}/rois`, "i32").data;
  if (rows.length !== N) return plain;
  const max = rows.reduce((m, r) => Math.max(m, r), -1);
  const module = s.path.split("/").slice(0, 3).join("/");
  const tables = [module, "/processing"].flatMap((m) => planeSegmentations(reader, m));
  const table = tables.find((t) => (reader.shape(`${t}/id`)[0] ?? 0) > max);
  if (!table || rows.some((r) => r < 0)) return { ids: Array.from(rows, String), metadata: { roi_row: Array.from(rows) }, from: `${s.path}/rois` };
  const ids = reader.readNumeric(`${table}/id`, "f64").data;
  return { ids: Array.from(rows, (r) => String(ids[r])), metadata: { roi_row: Array.from(rows) }, from: `${s.path}/rois → ${table}/id` };
}

/** PlaneSegmentation tables (groups with an `id` dataset) under the ImageSegmentation containers of `module`. */
function planeSegmentations(reader: Hdf5Reader, module: string): string[] {
  const out: string[] = [];
  const visit = (p: string, depth: number) => {
    for (const k of reader.children(p)) {
      const c = `${p}/${k}`;
      if (!reader.isGroup(c)) continue;
      if (reader.isDataset(`${c}/id`) && (String(reader.attr(c, "neurodata_type") ?? "") === "PlaneSegmentation" || /ImageSegmentation/.test(p))) out.push(c);
      else if (depth < 3) visit(c, depth + 1);
    }
  };
  visit(module, 0);
  return out;
}

function fileMetadata(reader: Hdf5Reader, c: NwbContents): Record<string, unknown> {
  const m: Record<string, unknown> = reader.readTexts({ identifier: "/identifier", session_description: "/session_description", session_start_time: "/session_start_time", lab: "/general/lab", institution: "/general/institution" });
  if (c.nwb_version) m.nwb_version = c.nwb_version;
  return m;
}

function restrictToStimulus(rec: Recording, stimulus: string): Recording {
  const keep = samplesOnScreen(rec.frame!);
  if (keep.length === 0) return rec; // validateRecording refuses labels that cover no sample
  const pick = <A extends Int32Array | Float64Array | Float32Array>(a: A, cols = 1): A => gatherRows(a, cols, keep);
  return {
    ...rec,
    neural: pick(rec.neural, rec.n_neurons),
    n_samples: keep.length,
    timestamps: pick(rec.timestamps),
    frame: pick(rec.frame!),
    ...(rec.repeat ? { repeat: pick(rec.repeat) } : {}),
    ...(rec.discrete ? { discrete: { ...rec.discrete, data: pick(rec.discrete.data) } } : {}),
    ...(rec.continuous ? { continuous: { ...rec.continuous, data: pick(rec.continuous.data, rec.continuous.dim) } } : {}),
    provenance: { ...rec.provenance, preprocessing: [...rec.provenance.preprocessing, { op: "restrict_to_stimulus", params: { stimulus, kept_samples: keep.length, of_samples: rec.n_samples }, note: `kept the samples while ${stimulus} was on screen` }] },
  };
}
