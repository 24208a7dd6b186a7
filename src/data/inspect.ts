/**
 * `inspectSource`: what a file holds before it is loaded, from its metadata only (HDF5 structure,
 * attributes and shapes; `.npy`/`.npz` headers): neural series with their type, path, shape, rate and
 * unit count; candidate labels (interval tables with their columns, behavioural series, frame
 * presentations); movies; the size of each; what cannot be used and why; and the exact
 * `load_recording` arguments that load each candidate. The result stays a few KB: every list is cut at
 * MAX_ENTRIES with a count of what was left out.
 *
 * The source is resolved and opened exactly as `loadRecording` opens it (allowed roots, URL guard,
 * download limits), so inspecting is never a way around the intake rules.
 */
import { openSync, readSync, closeSync } from "node:fs";
import { UserError } from "../util/errors.js";
import { detectFormat } from "./formats/index.js";
import { withHdf5, type Hdf5Reader } from "./formats/hdf5.js";
import { npyHeaderLength, npyInfo } from "./formats/npy.js";
import { withNpzFile } from "./formats/npz.js";
import { detectNwbLayout } from "./formats/nwb.js";
import { DEFAULT_BIN_MS } from "./formats/nwb/standard.js";
import { walkNwb, type SeriesInfo } from "./formats/nwb/walk.js";
import { openSource, probeSource } from "./load.js";
import type { LoadContext } from "./options.js";

/** Entries per list in an inspection (the rest is counted in a note). */
const MAX_ENTRIES = 12;
/** Characters of JSON an inspection may take (the tool adds a text of about a third of it; budget 12,000). */
export const MAX_INSPECTION_CHARS = 4500;

export interface ArrayEntry {
  path: string;
  shape: number[];
  dtype: string;
  /** Uncompressed size in bytes. */
  bytes: number;
}

export interface NeuralEntry extends ArrayEntry {
  type: string;
  rate_hz?: number;
  rate_from?: string;
  n_units: number;
  /** For a Units table: total spikes (the shape is that of spike_times). */
  n_spikes?: number;
}

export interface LabelEntry {
  kind: "intervals" | "behaviour" | "presentations";
  path: string;
  /** What it becomes at load: frame/repeat, repeat, discrete or continuous labels. */
  becomes: string;
  rows?: number;
  columns?: string[];
  shape?: number[];
  rate_hz?: number;
}

export interface LoadCall {
  what: string;
  arguments: Record<string, unknown>;
}

export interface SourceInspection {
  source: string;
  format: string;
  file_bytes: number;
  nwb_version?: string;
  /** The NWB layout load_recording would use. */
  layout?: string;
  neural: NeuralEntry[];
  labels: LabelEntry[];
  movies: (ArrayEntry & { type: string; rate_hz?: number })[];
  unusable: { path: string; type: string; why: string }[];
  /** npy/npz members and generic HDF5 datasets. */
  arrays: ArrayEntry[];
  load_calls: LoadCall[];
  notes: string[];
}

/** Inspect `source` (a local path or URL, resolved as load_recording resolves it). */
export async function inspectSource(source: string, ctx: LoadContext): Promise<SourceInspection> {
  if (source.startsWith("builtin:")) throw new UserError("builtin:allen-like is generated, not read from a file: there is nothing to inspect.", "Load it with load_recording; its parameters are in the resource builtin://allen-like/parameters.");
  // "auto": a large remote HDF5 is read lazily (range requests), so inspecting it transfers only its metadata.
  const file = await openSource(source, ctx, false, "auto");
  try {
    const format = detectFormat(await probeSource(file))?.name;
    const base: SourceInspection = { source: file.source, format: format ?? "unknown", file_bytes: file.size, neural: [], labels: [], movies: [], unusable: [], arrays: [], load_calls: [], notes: [] };
    if (format === "hdf5") return fit(await withHdf5(file, ctx, (reader) => inspectHdf5(reader, base)));
    if (format === "npz") return fit(withNpzFile(file, ctx, [], (arrays) => arraysInspection(base, arrays.list().map((k) => ({ path: k, ...info(arrays.info(k)) })))));
    if (format === "npy") return arraysInspection(base, [{ path: "(array)", ...info(npyHead(file.path, file.name)) }]);
    throw new UserError(`Cannot tell the format of ${file.name} (not .npy, .npz or HDF5/NWB).`, "Convert it to .npz (see docs/DATA.md).");
  } finally {
    await file.close();
  }
}

const ITEM: Record<string, number> = { "1": 1, "2": 2, "4": 4, "8": 8 };
function itemBytes(dtype: string): number {
  return ITEM[dtype.replace(/\D/g, "")] ?? 1;
}
const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
function info(x: { shape: number[]; dtype: string }): Omit<ArrayEntry, "path"> {
  return { shape: x.shape, dtype: x.dtype, bytes: count(x.shape) * itemBytes(x.dtype) };
}

function npyHead(path: string, name: string): { shape: number[]; dtype: string } {
  const fd = openSync(path, "r");
  try {
    const head = new Uint8Array(65536 + 16);
    const n = readSync(fd, head, 0, head.length, 0);
    const len = npyHeaderLength(head.subarray(0, n), name);
    return npyInfo(head.subarray(0, Math.min(n, len)), name);
  } finally {
    closeSync(fd);
  }
}

/** npy/npz: the arrays, and the call that loads them (keys when `neural` is not the name). */
function arraysInspection(out: SourceInspection, arrays: ArrayEntry[]): SourceInspection {
  out.arrays = cut(arrays, out, "arrays");
  if (out.format === "npy") {
    out.load_calls.push({ what: "the array as neural [T, N]", arguments: { source: out.source } });
    return out;
  }
  const neural = arrays.find((a) => a.path === "neural") ?? largest2d(arrays);
  if (!neural) out.notes.push("No 2-D array to read as neural [T, N].");
  else out.load_calls.push({ what: `${neural.path} as neural`, arguments: { source: out.source, ...(neural.path === "neural" ? {} : { keys: { neural: neural.path } }) } });
  return out;
}

function largest2d(arrays: ArrayEntry[]): ArrayEntry | undefined {
  return arrays.filter((a) => a.shape.length === 2).sort((a, b) => b.bytes - a.bytes)[0];
}

/**
 * Keep an inspection within MAX_INSPECTION_CHARS: long texts are shortened, then entries are dropped from
 * the end of the longest list (the first load call always stays), with a note of how many per list.
 */
export function fit(out: SourceInspection): SourceInspection {
  for (const u of out.unusable) if (u.why.length > 200) u.why = `${u.why.slice(0, 199)}…`;
  const lists = ["unusable", "labels", "arrays", "movies", "load_calls", "neural"] as const;
  const dropped: Record<string, number> = {};
  while (JSON.stringify(out).length > MAX_INSPECTION_CHARS) {
    const longest = lists.filter((k) => out[k].length > (k === "load_calls" ? 1 : 0)).sort((a, b) => JSON.stringify(out[b]).length - JSON.stringify(out[a]).length)[0];
    if (!longest) break;
    (out[longest] as unknown[]).pop();
    dropped[longest] = (dropped[longest] ?? 0) + 1;
  }
  for (const [k, n] of Object.entries(dropped)) out.notes.push(`${n} more ${k} left out to keep the answer short.`);
  return out;
}

function cut<T>(list: T[], out: SourceInspection, what: string): T[] {
  if (list.length <= MAX_ENTRIES) return list;
  out.notes.push(`${list.length - MAX_ENTRIES} more ${what} not listed.`);
  return list.slice(0, MAX_ENTRIES);
}

function inspectHdf5(reader: Hdf5Reader, out: SourceInspection): SourceInspection {
  const layout = detectNwbLayout(reader);
  if (!layout) {
    out.format = "hdf5";
    const arrays = reader.listDatasets(MAX_ENTRIES * 4).filter((d) => d !== "...").map((d) => d.match(/^(.*) \(([^)]*)\)$/)).filter((m): m is RegExpMatchArray => !!m);
    const entries = arrays.map(([, path, dims]) => {
      const shape = dims === "scalar" ? [] : dims.split("×").map(Number);
      const dtype = reader.dtype(path);
      return { path, shape, dtype, bytes: count(shape) * itemBytes(dtype) };
    });
    out.notes.push("Not an NWB file: read as generic HDF5, naming the datasets with keys.");
    return arraysInspection(out, entries);
  }
  out.format = "nwb";
  out.layout = layout;
  const c = walkNwb(reader);
  if (c.nwb_version) out.nwb_version = c.nwb_version;
  if (c.truncated) out.notes.push("The file has more groups than the walk visits; only part of it is listed.");
  if (layout !== "nwb-standard") {
    out.notes.push(`Allen layout ${layout}: load_recording reads it with the Allen reader (stimulus, restrict_to_stimulus and neuropixels options apply).`);
    out.load_calls.push({ what: `the Allen session (${layout})`, arguments: { source: out.source } });
  }
  // NWB 1.x (Allen) stores dF/F as [units, samples].
  const unitMajor = layout === "nwb-allen-2p-v1";
  const seriesEntry = (s: SeriesInfo): NeuralEntry => ({
    type: s.type,
    path: s.path,
    ...info({ shape: s.shape, dtype: s.dtype }),
    n_units: (unitMajor ? s.shape[0] : s.shape[1]) ?? 1,
    ...(s.time?.rate_hz ? { rate_hz: s.time.rate_hz, rate_from: s.time.kind === "timestamps" ? `${s.time.path} (median step${s.time.irregular ? ", irregular" : ""})` : `${s.time.path}@rate` } : {}),
  });
  out.neural = c.roi_series.map(seriesEntry);
  if (c.units) {
    const u = c.units;
    out.neural.push({ type: "Units", path: u.path, shape: [u.n_spikes], dtype: "<f8", bytes: u.n_spikes * 8, n_units: u.n_units, n_spikes: u.n_spikes });
  }
  out.neural = cut(out.neural, out, "neural series");
  const labels: LabelEntry[] = [
    ...c.intervals.map((t): LabelEntry => ({ kind: "intervals", path: t.path, rows: t.rows, columns: t.columns.slice(0, 12), becomes: ROLE[t.role] })),
    ...c.presentations.map((s): LabelEntry => ({ kind: "presentations", path: s.path, shape: s.shape, becomes: "frame and repeat labels", ...(s.time?.rate_hz ? { rate_hz: s.time.rate_hz } : {}) })),
    ...c.behavior.map((s): LabelEntry => ({ kind: "behaviour", path: s.path, shape: s.shape, becomes: `continuous labels (${s.type}; linear interpolation at the neural samples)`, ...(s.time?.rate_hz ? { rate_hz: s.time.rate_hz } : {}) })),
  ];
  out.labels = cut(labels, out, "labels");
  out.movies = cut(c.movies.map((m) => ({ type: m.type, path: `${m.path}/data`, ...info({ shape: m.shape, dtype: m.dtype }), ...(m.rate_hz ? { rate_hz: m.rate_hz } : {}) })), out, "movies");
  out.unusable = cut(c.unusable, out, "unusable entries");
  if (layout === "nwb-standard") {
    c.roi_series.slice(0, MAX_ENTRIES).forEach((s, i) =>
      out.load_calls.push({ what: `${s.container}/${s.name} (${s.shape.join("×")})`, arguments: { source: out.source, ...(i === 0 ? {} : { series: `${s.container}/${s.name}` }) } }),
    );
    if (c.units) {
      out.load_calls.push({
        what: `Units table: ${c.units.n_units} units binned (default bin: the movie presentations' duration, a behaviour rate, else ${DEFAULT_BIN_MS} ms; set bin_ms)`,
        arguments: { source: out.source, ...(c.roi_series.length ? { series: "units" } : {}) },
      });
    }
    const stimuli = [...c.intervals.filter((t) => t.role === "frame").map((t) => t.name), ...c.presentations.map((p) => p.name)].map((n) => n.replace(/_presentations$/, ""));
    for (const stimulus of stimuli.slice(1, MAX_ENTRIES)) out.load_calls.push({ what: `frames of ${stimulus} instead of ${stimuli[0]}`, arguments: { source: out.source, stimulus } });
    if (!c.roi_series.length && !c.units) out.notes.push("No neural data: no RoiResponseSeries in Fluorescence/DfOverF and no Units table; load_recording refuses this file.");
  }
  return out;
}

const ROLE: Record<string, string> = {
  frame: "frame and repeat labels (frame column)",
  stimulus_name: "discrete labels (stimulus_name)",
  trials: "repeat labels (trial index) unless a movie gives repeats",
  epochs: "discrete labels (tags) unless stimulus_name gives them",
  other: "not used",
};
