/**
 * The walk of a standard NWB 2.x file by neurodata type: which groups hold neural series, spike units,
 * interval tables, behavioural series, stimulus movies and frame presentations, and what cannot be used
 * (with why). Reads metadata only: group names, `neurodata_type` attributes and dataset shapes, plus
 * `starting_time`'s `rate` attribute and at most the first TIMESTAMP_PROBE timestamps of a series for
 * its rate. Both the standard loader (standard.ts) and inspect_source (src/data/inspect.ts) use it.
 *
 * Types follow the NWB core schema (nwb.base, nwb.ophys, nwb.ecephys, nwb.misc, nwb.behavior,
 * nwb.image, nwb.epoch); a group without a `neurodata_type` attribute is recognised by its members
 * (a `data` dataset with `timestamps` or `starting_time` is a series, `start_time`+`stop_time` an
 * interval table, `spike_times`+`spike_times_index` a units table).
 */
import { UserError } from "../../../util/errors.js";
import { medianStep } from "../../arrays.js";
import type { Hdf5Reader } from "../hdf5.js";

/** How a series' sample times are given in the file. */
export interface TimeBase {
  /** "starting_time@rate": starting_time dataset + its rate attribute; "timestamps": explicit times. */
  kind: "starting_time@rate" | "timestamps";
  path: string;
  /** Samples per second: the rate attribute, or 1 / the median step of the first timestamps. */
  rate_hz?: number;
  /** True when the first timestamps are not evenly spaced (steps differ by more than 1%). */
  irregular?: boolean;
}

export interface SeriesInfo {
  /** Group name, e.g. "RoiResponseSeries". */
  name: string;
  /** Absolute path of the group. */
  path: string;
  /** neurodata_type (or "TimeSeries" when untyped). */
  type: string;
  /** neurodata_type of the enclosing container (Fluorescence, DfOverF, Position, ...), or its name. */
  container: string;
  shape: number[];
  dtype: string;
  time?: TimeBase;
}

export interface UnitsInfo {
  path: string;
  n_units: number;
  n_spikes: number;
  columns: string[];
  has_obs_intervals: boolean;
}

export interface IntervalsInfo {
  name: string;
  path: string;
  rows: number;
  columns: string[];
  /** What the table can label: movie frames (a `frame` column), classes (`stimulus_name`), trials, epochs. */
  role: "frame" | "stimulus_name" | "trials" | "epochs" | "other";
}

export interface MovieInfo {
  name: string;
  path: string;
  type: string;
  shape: number[];
  dtype: string;
  rate_hz?: number;
}

/** Frame indices over time: an IndexSeries in /stimulus/presentation (data = frame, timestamps = onsets). */
export interface IndexSeriesInfo extends SeriesInfo {
  /** Path of the template it indexes (the `indexed_timeseries` link), when it resolves in this file. */
  template?: string;
}

export interface Unusable {
  path: string;
  type: string;
  why: string;
}

/** Everything the walk found. */
export interface NwbContents {
  nwb_version?: string;
  /** RoiResponseSeries in Fluorescence / DfOverF (DfOverF first). */
  roi_series: SeriesInfo[];
  units?: UnitsInfo;
  intervals: IntervalsInfo[];
  behavior: SeriesInfo[];
  movies: MovieInfo[];
  presentations: IndexSeriesInfo[];
  unusable: Unusable[];
  /** True when the walk stopped at MAX_GROUPS. */
  truncated: boolean;
}

/** Timestamps read to estimate a series' rate. */
const TIMESTAMP_PROBE = 2000;
/** Groups visited at most (a file with more is walked in part and says so). */
const MAX_GROUPS = 4000;
const MAX_DEPTH = 8;
/** Behavioural series with more columns than this are not used as labels. */
export const MAX_BEHAVIOR_COLUMNS = 16;
/** Behavioural series with more samples than this (a raw signal sampled at kHz) are not used as labels. */
export const MAX_BEHAVIOR_SAMPLES = 5_000_000;

const RAW_IMAGING = new Set(["TwoPhotonSeries", "OnePhotonSeries", "ImageMaskSeries"]);
const RAW_EPHYS = new Set(["ElectricalSeries", "SpikeEventSeries", "FeatureExtraction", "LFP", "FilteredEphys", "EventWaveform"]);
const VIDEO = new Set(["ImageSeries", "OpticalSeries"]);
const NON_NUMERIC = new Set(["AnnotationSeries", "IntervalSeries", "AbstractFeatureSeries"]);
/** Top-level groups walked (general/ holds metadata, specifications/ the cached schema). */
const ROOTS = ["/acquisition", "/processing", "/stimulus", "/intervals", "/units", "/analysis"];

/** The file's NWB version ("2.2.5"), or undefined when it has none. */
export function nwbVersion(reader: Hdf5Reader): string | undefined {
  const v = reader.attr("/", "nwb_version") ?? reader.readText("/nwb_version");
  return v === undefined ? undefined : String(v);
}

/** True for an NWB 2.x file: nwb_version 2.x, or a root NWBFile from the core namespace. */
export function isStandardNwb(reader: Hdf5Reader): boolean {
  const v = nwbVersion(reader);
  if (v !== undefined) return /^2\./.test(v);
  return typeOf(reader, "/") === "NWBFile" || String(reader.attr("/", "namespace") ?? "") === "core";
}

/** The neurodata_type attribute of `p`, or "" when it has none. */
export function typeOf(reader: Hdf5Reader, p: string): string {
  const t = reader.attr(p, "neurodata_type");
  return t === undefined || t === null ? "" : String(t);
}

const join = (a: string, b: string) => (a === "/" ? `/${b}` : `${a}/${b}`);
const base = (p: string) => p.slice(p.lastIndexOf("/") + 1);

/** Walk the file's groups by neurodata type (metadata only). */
export function walkNwb(reader: Hdf5Reader): NwbContents {
  const out: NwbContents = { nwb_version: nwbVersion(reader), roi_series: [], intervals: [], behavior: [], movies: [], presentations: [], unusable: [], truncated: false };
  let visited = 0;
  const visit = (p: string, depth: number, container: string): void => {
    if (visited++ >= MAX_GROUPS) {
      out.truncated = true;
      return;
    }
    const type = typeOf(reader, p);
    const kids = reader.children(p);
    const has = (n: string) => kids.includes(n) && reader.isDataset(join(p, n));
    if (type === "Units" || (has("spike_times") && has("spike_times_index"))) {
      out.units ??= unitsInfo(reader, p, kids);
      return;
    }
    if (type === "TimeIntervals" || (has("start_time") && has("stop_time"))) {
      out.intervals.push(intervalsInfo(reader, p, kids));
      return;
    }
    if (has("data") && (has("timestamps") || has("starting_time") || type.endsWith("Series") || p.startsWith("/stimulus/templates/"))) {
      try {
        classifySeries(reader, out, p, type || "TimeSeries", container, kids);
      } catch (e) {
        // A damaged series is listed as unusable; the rest of the file can still be read.
        if (!(e instanceof UserError)) throw e;
        out.unusable.push({ path: p, type: type || "TimeSeries", why: `unreadable: ${e.problem}` });
      }
      return;
    }
    if (depth >= MAX_DEPTH) return;
    for (const k of kids) {
      const c = join(p, k);
      if (reader.isGroup(c)) visit(c, depth + 1, type || base(p));
    }
  };
  for (const r of ROOTS) if (reader.isGroup(r)) visit(r, 0, "");
  // DfOverF before Fluorescence; then by path, so the choice does not depend on the file's link order.
  out.roi_series.sort((a, b) => rank(a.container) - rank(b.container) || a.path.localeCompare(b.path));
  return out;
}

const rank = (container: string) => (container === "DfOverF" ? 0 : container === "Fluorescence" ? 1 : 2);

function classifySeries(reader: Hdf5Reader, out: NwbContents, p: string, type: string, container: string, kids: string[]): void {
  const shape = reader.shape(`${p}/data`);
  const dtype = reader.dtype(`${p}/data`);
  const info = (): SeriesInfo => ({ name: base(p), path: p, type, container, shape, dtype, time: timeBase(reader, p, kids) });
  const untyped = !typeOf(reader, p);
  if (type === "RoiResponseSeries" || ((kids.includes("rois") || untyped) && /DfOverF|Fluorescence/.test(container) && shape.length <= 2)) {
    out.roi_series.push({ ...info(), type: "RoiResponseSeries" });
  } else if (RAW_IMAGING.has(type)) {
    out.unusable.push({ path: p, type, why: "raw imaging frames: never read (cebra-mcp reads the RoiResponseSeries traces extracted from them)" });
  } else if (RAW_EPHYS.has(type) || RAW_EPHYS.has(container)) {
    out.unusable.push({ path: p, type, why: "raw or filtered voltage: not treated as units (spikes come from the Units table)" });
  } else if (kids.includes("external_file")) {
    out.unusable.push({ path: p, type, why: "data kept in an external file, which cebra-mcp never opens (docs/SECURITY.md)" });
  } else if ((type === "IndexSeries" || (untyped && shape.length === 1)) && p.startsWith("/stimulus/presentation")) {
    // An untyped 1-D series here is an NWB 1.x (Allen) presentation of frame indices.
    const link = `${p}/indexed_timeseries`;
    const template = reader.isDataset(`${link}/data`) ? linkTarget(reader, link) : undefined;
    out.presentations.push({ ...info(), ...(template ? { template } : {}) });
  } else if (VIDEO.has(type) || shape.length >= 3) {
    if (p.startsWith("/stimulus/")) out.movies.push({ name: base(p), path: p, type, shape, dtype, ...rateOf(reader, p) });
    else out.unusable.push({ path: p, type, why: "video outside /stimulus: not a stimulus movie and not a label" });
  } else if (NON_NUMERIC.has(type) || dtype === "other") {
    out.unusable.push({ path: p, type, why: "not a numeric series" });
  } else if (p.startsWith("/stimulus/")) {
    out.unusable.push({ path: p, type, why: "a stimulus series other than frame indices (IndexSeries): not read" });
  } else if (/^\/processing\/(ophys|ecephys)\b/.test(p) && !/Position|BehavioralTimeSeries|SpatialSeries/.test(`${type} ${container}`)) {
    out.unusable.push({ path: p, type, why: `a ${container || "processing"} series that is neither RoiResponseSeries nor behaviour` });
  } else if ((shape[1] ?? 1) > MAX_BEHAVIOR_COLUMNS || shape.length > 2) {
    out.unusable.push({ path: p, type, why: `more than ${MAX_BEHAVIOR_COLUMNS} columns: too wide for a behavioural label` });
  } else if ((shape[0] ?? 0) > MAX_BEHAVIOR_SAMPLES) {
    out.unusable.push({ path: p, type, why: `${shape[0]} samples: too long for a behavioural label (at most ${MAX_BEHAVIOR_SAMPLES}; a raw signal rather than behaviour)` });
  } else {
    out.behavior.push(info());
  }
}

/** The template an IndexSeries' link points to: the matching /stimulus/templates group, or the link itself. */
function linkTarget(reader: Hdf5Reader, link: string): string {
  const shape = reader.shape(`${link}/data`).join("×");
  const match = reader.children("/stimulus/templates").map((n) => `/stimulus/templates/${n}`).find((t) => reader.isDataset(`${t}/data`) && reader.shape(`${t}/data`).join("×") === shape);
  return match ?? link;
}

function rateOf(reader: Hdf5Reader, p: string): { rate_hz?: number } {
  const r = Number(reader.attr(`${p}/starting_time`, "rate"));
  return r > 0 ? { rate_hz: r } : {};
}

/** How the series at `p` gives its sample times (undefined when it gives none). */
export function timeBase(reader: Hdf5Reader, p: string, kids = reader.children(p)): TimeBase | undefined {
  if (kids.includes("timestamps") && reader.isDataset(`${p}/timestamps`)) {
    const path = `${p}/timestamps`;
    const n = reader.shape(path)[0] ?? 0;
    const head = reader.readNumeric(path, "f64", { ranges: [[0, Math.min(n, TIMESTAMP_PROBE)]] }).data;
    const dt = medianStep(head);
    return { kind: "timestamps", path, ...(dt > 0 ? { rate_hz: Number((1 / dt).toPrecision(9)) } : {}), ...(isIrregular(head, dt) ? { irregular: true } : {}) };
  }
  if (kids.includes("starting_time")) {
    const path = `${p}/starting_time`;
    const r = Number(reader.attr(path, "rate"));
    return { kind: "starting_time@rate", path, ...(r > 0 ? { rate_hz: r } : {}) };
  }
  return undefined;
}

function isIrregular(ts: Float64Array, dt: number): boolean {
  if (!(dt > 0)) return false;
  for (let i = 1; i < ts.length; i++) if (Math.abs(ts[i] - ts[i - 1] - dt) > 0.01 * dt) return true;
  return false;
}

function unitsInfo(reader: Hdf5Reader, p: string, kids: string[]): UnitsInfo {
  return {
    path: p,
    n_units: reader.shape(`${p}/spike_times_index`)[0] ?? 0,
    n_spikes: reader.shape(`${p}/spike_times`)[0] ?? 0,
    columns: kids.filter((k) => !k.endsWith("_index") && k !== "id" && reader.isDataset(join(p, k))),
    has_obs_intervals: kids.includes("obs_intervals"),
  };
}

function intervalsInfo(reader: Hdf5Reader, p: string, kids: string[]): IntervalsInfo {
  const columns = kids.filter((k) => !k.endsWith("_index") && k !== "id" && reader.isDataset(join(p, k)));
  const name = base(p);
  const role = columns.includes("frame") ? "frame" : columns.includes("stimulus_name") ? "stimulus_name" : name === "trials" ? "trials" : name === "epochs" ? "epochs" : "other";
  return { name, path: p, rows: reader.shape(`${p}/start_time`)[0] ?? 0, columns, role };
}
