/**
 * Labels of a standard NWB 2.x file, by time:
 * - movie frames (and repeats) from a `*_presentations` TimeIntervals table with a `frame` column, or
 *   from an IndexSeries in /stimulus/presentation (its stops: the next onset, see stopsFromStarts);
 * - repeats from `trials` when no movie gives them (trial row index, -1 outside every trial);
 * - a discrete label from a table with a `stimulus_name` column, else from `epochs` (its tags): class 0
 *   is "none" (no interval), then the distinct names in order of first appearance;
 * - continuous labels from behavioural series (Position/SpatialSeries, BehavioralTimeSeries, plain
 *   TimeSeries such as running speed), resampled to the neural sample times by linear interpolation
 *   between the two nearest samples of the series (before its first / after its last sample: that value);
 * - the stimulus movie from /stimulus/templates (ImageSeries/OpticalSeries; RGB becomes luminance).
 */
import { UserError } from "../../../util/errors.js";
import { medianStep, movieRate } from "../../arrays.js";
import type { LoadOptions } from "../../options.js";
import type { Movie } from "../../recording.js";
import type { Hdf5Reader } from "../hdf5.js";
import { labelSamples, lastAtOrBefore, sortPresentations, stopsFromStarts, type Presentations } from "./stimulus.js";
import { seriesTimes, fmt } from "./timing.js";
import { MAX_BEHAVIOR_COLUMNS, type IntervalsInfo, type NwbContents, type SeriesInfo } from "./walk.js";

/** The frame presentations chosen for a file. */
export interface FrameSource {
  /** Path of the table or IndexSeries. */
  path: string;
  /** Stimulus name (the table name without `_presentations`). */
  stimulus: string;
  pres: Presentations;
  /** 1 / the median presentation duration. */
  rate_hz: number;
  /** The movie template that goes with it, if any. */
  template?: string;
}

const stimulusOf = (name: string) => name.replace(/_presentations$/, "").replace(/_stimulus$/, "");

/** The movie presentations to label frames with: `opts.stimulus` by name, else the first table with a frame column, else the first IndexSeries. */
export function chooseFrames(reader: Hdf5Reader, c: NwbContents, stimulus: string | undefined, warnings: string[]): FrameSource | undefined {
  const tables = c.intervals.filter((t) => t.role === "frame");
  const table = stimulus ? tables.find((t) => stimulusOf(t.name) === stimulus || t.name === stimulus) : tables[0];
  const series = stimulus ? c.presentations.find((s) => stimulusOf(s.name) === stimulus) : c.presentations[0];
  if (!table && !series) {
    if (stimulus) warnings.push(`${reader.name} has no presentations of ${stimulus} (looked for /intervals/${stimulus}_presentations and /stimulus/presentation/${stimulus}); samples carry no movie-frame labels.`);
    return undefined;
  }
  const pres = table ? tablePresentations(reader, table) : indexPresentations(reader, series!);
  const name = stimulusOf(table?.name ?? series!.name);
  const durations = Float64Array.from(pres.stop, (s, k) => s - pres.start[k]).sort();
  const template = series?.template && !table ? series.template : c.movies.find((m) => stimulusOf(m.name) === name || m.name === `${name}_image_stack`)?.path ?? (c.movies.length === 1 ? c.movies[0].path : undefined);
  return { path: table?.path ?? series!.path, stimulus: name, pres, rate_hz: 1 / durations[durations.length >> 1], ...(template ? { template } : {}) };
}

function tablePresentations(reader: Hdf5Reader, t: IntervalsInfo): Presentations {
  const fix = `Check ${t.path}: a presentations table needs start_time, stop_time and frame of equal length.`;
  const start = reader.readNumeric(`${t.path}/start_time`, "f64", { fix }).data;
  const stop = reader.readNumeric(`${t.path}/stop_time`, "f64", { fix }).data;
  const frame = reader.readNumeric(`${t.path}/frame`, "i32", { fix }).data;
  if (stop.length !== start.length || frame.length !== start.length) throw new UserError(`${reader.what(t.path)}: start_time, stop_time and frame have ${start.length}, ${stop.length} and ${frame.length} rows.`, fix);
  return sortPresentations({ frame, start, stop });
}

function indexPresentations(reader: Hdf5Reader, s: SeriesInfo): Presentations {
  const frame = reader.readNumeric(`${s.path}/data`, "i32").data;
  const start = seriesTimes(reader, s.path, frame.length).timestamps;
  const p = sortPresentations({ frame, start, stop: start });
  return { ...p, stop: stopsFromStarts(p.start, medianStep(p.start)) };
}

/** Per-sample labels and what they were read from. */
export interface Labels {
  frame?: Int32Array;
  repeat?: Int32Array;
  discrete?: { data: Int32Array; name: string; class_names: string[] };
  continuous?: { data: Float32Array; dim: number; columns: string[] };
  /** For provenance: label → where it came from and how. */
  notes: Record<string, unknown>;
}

/** Label the samples at `times` (seconds) from everything the walk found. */
export function readLabels(reader: Hdf5Reader, c: NwbContents, frames: FrameSource | undefined, times: Float64Array, warnings: string[]): Labels {
  const out: Labels = { notes: {} };
  if (frames) {
    const l = labelSamples(times, frames.pres);
    out.frame = l.frame;
    out.repeat = l.repeat;
    out.notes.frame = { from: frames.path, rows: frames.pres.frame.length, stimulus: frames.stimulus, rule: "the presentation with start ≤ t < stop; -1 outside" };
    out.notes.repeat = { from: frames.path, rule: "a new repeat whenever the frame index goes back" };
  }
  const trials = c.intervals.find((t) => t.role === "trials");
  const rowsOf = (t: IntervalsInfo): Rows | undefined => {
    try {
      return intervalRows(reader, t);
    } catch (e) {
      // An optional label the file stores in an unexpected way is left out, not fatal.
      if (!(e instanceof UserError)) throw e;
      warnings.push(`${reader.what(t.path)} not used as a label: ${e.problem}`);
      return undefined;
    }
  };
  const trialRows = !out.repeat && trials ? rowsOf(trials) : undefined;
  if (trials && trialRows) {
    out.repeat = Int32Array.from(times, (t) => rowAt(trialRows, t));
    out.notes.repeat = { from: trials.path, rule: "trial row index at each sample; -1 outside every trial" };
  }
  const classes = c.intervals.find((t) => t.role === "stimulus_name") ?? c.intervals.find((t) => t.role === "epochs");
  const rows = classes && rowsOf(classes);
  if (classes && rows) {
    const names = ["none"];
    const idOf = rows.names.map((n) => (names.includes(n) ? names.indexOf(n) : names.push(n) - 1));
    out.discrete = { data: Int32Array.from(times, (t) => { const k = rowAt(rows, t); return k < 0 ? 0 : idOf[k]; }), name: classes.name, class_names: names };
    out.notes.discrete = { from: classes.path, column: classes.role === "stimulus_name" ? "stimulus_name" : "tags", classes: names.length, rule: "class of the interval at each sample; 0 = none" };
  }
  if (c.behavior.length) out.continuous = behaviour(reader, c.behavior, times, out.notes, warnings);
  if (!out.continuous) delete out.continuous;
  return out;
}

interface Rows {
  start: Float64Array;
  stop: Float64Array;
  names: string[];
  /** Row indices sorted by start. */
  order: Int32Array;
  sortedStart: Float64Array;
}

function intervalRows(reader: Hdf5Reader, t: IntervalsInfo): Rows {
  const start = reader.readNumeric(`${t.path}/start_time`, "f64").data;
  const stop = reader.readNumeric(`${t.path}/stop_time`, "f64").data;
  const names = t.role === "stimulus_name" ? reader.readStrings(`${t.path}/stimulus_name`) : epochNames(reader, t, start.length);
  if (stop.length !== start.length || names.length !== start.length) throw new UserError(`start_time, stop_time and the names have ${start.length}, ${stop.length} and ${names.length} rows.`, "Fix the table.");
  const order = Int32Array.from(start, (_, i) => i).sort((a, b) => start[a] - start[b]);
  return { start, stop, names, order, sortedStart: Float64Array.from(order, (i) => start[i]) };
}

/** Each epoch's tags joined by "+", else "epoch k". */
function epochNames(reader: Hdf5Reader, t: IntervalsInfo, n: number): string[] {
  const fallback = Array.from({ length: n }, (_, k) => `${t.name} ${k}`);
  if (!t.columns.includes("tags") || !reader.isDataset(`${t.path}/tags_index`)) return fallback;
  const tags = reader.readStrings(`${t.path}/tags`);
  const ends = reader.readNumeric(`${t.path}/tags_index`, "f64").data;
  if (ends.length !== n) return fallback;
  return fallback.map((f, k) => tags.slice(k === 0 ? 0 : ends[k - 1], ends[k]).join("+") || f);
}

/** Original row index of the interval containing t (the last to start), or -1. */
function rowAt(rows: Rows, t: number): number {
  const k = lastAtOrBefore(rows.sortedStart, t);
  if (k < 0) return -1;
  const i = rows.order[k];
  return t < rows.stop[i] ? i : -1;
}

/** All behavioural series resampled to `times`, one column per series dimension. */
function behaviour(reader: Hdf5Reader, series: SeriesInfo[], times: Float64Array, notes: Record<string, unknown>, warnings: string[]): Labels["continuous"] {
  const cols: { name: string; values: Float32Array }[] = [];
  const used: Record<string, unknown>[] = [];
  for (const s of series) {
    try {
      addBehaviour(reader, s, times, cols, used, warnings);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      warnings.push(`${reader.what(s.path)} not used as a label: ${e.problem}`);
    }
  }
  if (!cols.length) return undefined;
  const dim = cols.length;
  const T = times.length;
  const data = new Float32Array(T * dim);
  cols.forEach((c, j) => c.values.forEach((v, t) => (data[t * dim + j] = v)));
  notes.continuous = { series: used, method: "linear interpolation at the neural sample times (before the first / after the last sample of a series: that sample's value)" };
  return { data, dim, columns: cols.map((c) => c.name) };
}

/** Resample one behavioural series to `times` and append its columns (or say in `warnings` why not). */
function addBehaviour(reader: Hdf5Reader, s: SeriesInfo, times: Float64Array, cols: { name: string; values: Float32Array }[], used: Record<string, unknown>[], warnings: string[]): void {
  const n = s.shape[0] ?? 0;
  const d = s.shape.length === 2 ? s.shape[1] : 1;
  if (n < 2) {
    warnings.push(`${reader.what(s.path)} has ${n} sample(s); not used as a label.`);
    return;
  }
  if (cols.length + d > MAX_BEHAVIOR_COLUMNS) {
    warnings.push(`${reader.what(s.path)} not used as a label: the continuous labels already have ${cols.length} of at most ${MAX_BEHAVIOR_COLUMNS} columns.`);
    return;
  }
  const st = seriesTimes(reader, s.path, n);
  const data = physical(reader, `${s.path}/data`, reader.readNumeric(`${s.path}/data`, "f64").data);
  const t0 = st.timestamps[0];
  const t1 = st.timestamps[n - 1];
  let outside = 0;
  for (const t of times) if (t < t0 || t > t1) outside++;
  if (outside === times.length) {
    warnings.push(`${reader.what(s.path)} (${fmt(t0)}–${fmt(t1)} s) covers none of the neural samples; not used as a label.`);
    return;
  }
  if (outside) warnings.push(`${reader.what(s.path)} covers ${fmt(t0)}–${fmt(t1)} s; ${outside} of ${times.length} neural samples lie outside and hold its first/last value.`);
  for (let j = 0; j < d; j++) {
    const base = d === 1 ? s.name : `${s.name}_${"xyz"[j] ?? j}`;
    let name = base;
    for (let k = 2; cols.some((c) => c.name === name); k++) name = `${base}_${k}`;
    cols.push({ name, values: interpolate(st.timestamps, data, d, j, times) });
  }
  used.push({ path: s.path, type: s.type, rate_hz: Number(fmt(st.rate_hz)), rate_from: st.rate_source, samples_outside: outside });
}

/** `data` in the series' units: data × the `conversion` attribute + `offset` (NWB TimeSeries; defaults 1 and 0), in place. */
export function physical<A extends Float32Array | Float64Array>(reader: Hdf5Reader, dataPath: string, data: A): A {
  const conversion = Number(reader.attr(dataPath, "conversion") ?? 1);
  const offset = Number(reader.attr(dataPath, "offset") ?? 0);
  if ((conversion === 1 || !Number.isFinite(conversion)) && (offset === 0 || !Number.isFinite(offset))) return data;
  const c = Number.isFinite(conversion) ? conversion : 1;
  const o = Number.isFinite(offset) ? offset : 0;
  for (let i = 0; i < data.length; i++) data[i] = data[i] * c + o;
  return data;
}

/** Column j of a [n, d] series with times `ts`, linearly interpolated at `at`. */
export function interpolate(ts: Float64Array, data: Float64Array, d: number, j: number, at: Float64Array): Float32Array {
  const n = ts.length;
  return Float32Array.from(at, (t) => {
    const k = lastAtOrBefore(ts, t);
    if (k < 0) return data[j];
    if (k >= n - 1) return data[(n - 1) * d + j];
    const a = data[k * d + j];
    const b = data[(k + 1) * d + j];
    const w = (t - ts[k]) / (ts[k + 1] - ts[k]);
    return w > 0 ? a + (b - a) * w : a;
  });
}

/** The stimulus movie at `path` as [F, H, W] uint8 (RGB [F, H, W, 3] becomes luminance); external files are refused. */
export function readNwbMovie(reader: Hdf5Reader, path: string, opts: LoadOptions): Movie {
  if (reader.isDataset(`${path}/external_file`)) {
    throw new UserError(`${reader.what(path)} keeps its frames in an external file, which cebra-mcp never opens (docs/SECURITY.md).`, "Pass the movie option with a local .npy/.npz/frame folder, or movie: false.");
  }
  const shape = reader.shape(`${path}/data`);
  if (shape.length !== 3 && !(shape.length === 4 && shape[3] === 3)) {
    throw new UserError(`${reader.what(`${path}/data`)} has shape (${shape.join(", ")}); a movie must be [frames, height, width] or [frames, height, width, 3].`, "Pass the movie option with a [F,H,W] uint8 array, or movie: false.");
  }
  const [F, H, W] = shape;
  const raw = reader.readNumeric(`${path}/data`, "u8").data;
  let frames = raw;
  if (shape.length === 4) {
    frames = new Uint8Array(F * H * W);
    for (let i = 0; i < frames.length; i++) frames[i] = Math.round(0.299 * raw[3 * i] + 0.587 * raw[3 * i + 1] + 0.114 * raw[3 * i + 2]);
  }
  const rate = Number(reader.attr(`${path}/starting_time`, "rate"));
  return { frames, n_frames: F, height: H, width: W, frame_rate_hz: rate > 0 ? rate : movieRate(opts), source: `${reader.name}:${path}/data` };
}
