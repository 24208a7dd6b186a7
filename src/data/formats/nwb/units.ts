/**
 * An NWB Units table (nwb.misc Units: `spike_times` + `spike_times_index`, optional `obs_intervals` +
 * `obs_intervals_index`, `quality`, `electrodes` + `electrodes_index`) binned into a [T, N] count
 * matrix. Binning rule: bins of `bin_s` seconds tile each observed segment from its start (a partial
 * bin at a segment's end is dropped); the observed segments are the intersection of every unit's
 * observation intervals (where any unit was not observed no bin is made, so a zero count always means
 * "observed, no spike"); without obs_intervals, one segment from the first to the last spike of the
 * table. A spike at time s counts in the bin with start ≤ s < start + bin_s.
 */
import { UserError } from "../../../util/errors.js";
import { throwIfCancelled } from "../../options.js";
import type { PreprocessingStep } from "../../recording.js";
import type { Hdf5Reader } from "../hdf5.js";
import { lastAtOrBefore } from "./stimulus.js";
import { fmt } from "./timing.js";
import type { UnitsInfo } from "./walk.js";

const ELECTRODES = "/general/extracellular_ephys/electrodes";
/** Largest count matrix (values) a load may build. */
const MAX_BINNED_VALUES = 400_000_000;

export interface BinnedUnits {
  neural: Float32Array;
  n_bins: number;
  n_units: number;
  /** Bin starts (s). */
  timestamps: Float64Array;
  unit_ids: string[];
  unit_metadata: Record<string, (string | number | boolean)[]>;
  step: PreprocessingStep;
  keys: string[];
}

type Segment = [number, number];

/** Bin the units table at `info.path` into counts per `bin_s` seconds. */
export function binUnits(reader: Hdf5Reader, info: UnitsInfo, bin_s: number, binSource: string, signal?: AbortSignal): BinnedUnits {
  const p = info.path;
  const ends = reader.readNumeric(`${p}/spike_times_index`, "f64").data;
  const spikes = reader.readNumeric(`${p}/spike_times`, "f64").data;
  const n = ends.length;
  for (let i = 0; i < n; i++) {
    const a = i === 0 ? 0 : ends[i - 1];
    if (!(a <= ends[i] && ends[i] <= spikes.length)) {
      throw new UserError(`${reader.what(`${p}/spike_times_index`)} is not a valid index into ${spikes.length} spike times (row ${i}).`, "The units table is corrupt; re-export the file.");
    }
  }
  if (n === 0) throw new UserError(`${reader.what(p)} has no units.`, "Load a file whose Units table has rows.");
  const segments = observedSegments(reader, p, n, spikes);
  if (segments.length === 0) {
    throw new UserError(`${reader.what(p)}: the units' observation intervals (obs_intervals) have no time in common, so no bin is observed for every unit.`, "Load a file whose units were recorded over a common period.");
  }
  const starts: number[] = [];
  for (const [a, b] of segments) {
    const k = Math.floor((b - a) / bin_s + 1e-9);
    for (let j = 0; j < k; j++) starts.push(a + j * bin_s);
    if (starts.length * n > MAX_BINNED_VALUES) {
      throw new UserError(`Binning ${reader.what(p)} at ${fmt(bin_s * 1000)} ms gives more than ${MAX_BINNED_VALUES} counts (${n} units).`, "Pass a larger bin_ms or a time_range.");
    }
  }
  const T = starts.length;
  if (T === 0) throw new UserError(`${reader.what(p)}: the observed time (${segments.map(([a, b]) => `${fmt(a)}–${fmt(b)} s`).join(", ")}) is shorter than one ${fmt(bin_s * 1000)} ms bin.`, "Pass a smaller bin_ms.");
  const timestamps = Float64Array.from(starts);
  const neural = new Float32Array(T * n);
  for (let u = 0; u < n; u++) {
    throwIfCancelled(signal);
    for (let k = u === 0 ? 0 : ends[u - 1]; k < ends[u]; k++) {
      const b = lastAtOrBefore(timestamps, spikes[k]);
      if (b >= 0 && spikes[k] < timestamps[b] + bin_s) neural[b * n + u] += 1;
    }
  }
  const ids = reader.isDataset(`${p}/id`) ? Array.from(reader.readNumeric(`${p}/id`, "f64").data, String) : Array.from({ length: n }, (_, i) => String(i));
  const step: PreprocessingStep = {
    op: "bin_spikes",
    params: { bin_ms: Number(fmt(bin_s * 1000)), bin_from: binSource, rate_hz: Number(fmt(1 / bin_s)), n_bins: T, segments: segments.length, observed_s: Number(fmt(segments.reduce((s, [a, b]) => s + b - a, 0))), from: info.has_obs_intervals ? "obs_intervals (intersection over units)" : "first to last spike" },
    note: `spike counts in ${T} bins of ${fmt(bin_s * 1000)} ms over the observed time of all ${n} units`,
  };
  return { neural, n_bins: T, n_units: n, timestamps, unit_ids: ids.length === n ? ids : Array.from({ length: n }, (_, i) => String(i)), unit_metadata: unitMetadata(reader, p, n), step, keys: [...reader.keysRead] };
}

/** Intersection over units of their observation intervals (or first to last spike when there are none). */
function observedSegments(reader: Hdf5Reader, p: string, n: number, spikes: Float64Array): Segment[] {
  if (!reader.isDataset(`${p}/obs_intervals`)) {
    if (spikes.length === 0) return [];
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of spikes) {
      if (s < lo) lo = s;
      if (s > hi) hi = s;
    }
    return hi > lo ? [[lo, hi]] : [];
  }
  const iv = reader.readNumeric(`${p}/obs_intervals`, "f64").data;
  const rows = iv.length / 2;
  const idx = reader.isDataset(`${p}/obs_intervals_index`) ? reader.readNumeric(`${p}/obs_intervals_index`, "f64").data : rows === n ? Float64Array.from({ length: n }, (_, i) => i + 1) : null;
  if (!idx || idx.length !== n || idx[n - 1] !== rows) {
    throw new UserError(`${reader.what(`${p}/obs_intervals`)} does not give intervals per unit (${rows} rows for ${n} units${idx ? ", index inconsistent" : ", no obs_intervals_index"}).`, "Fix the units table (obs_intervals with obs_intervals_index).");
  }
  let common: Segment[] | null = null;
  for (let u = 0; u < n; u++) {
    const own: Segment[] = [];
    for (let r = u === 0 ? 0 : idx[u - 1]; r < idx[u]; r++) if (iv[2 * r + 1] > iv[2 * r]) own.push([iv[2 * r], iv[2 * r + 1]]);
    const merged = merge(own);
    common = common ? intersect(common, merged) : merged;
  }
  return common ?? [];
}

function merge(s: Segment[]): Segment[] {
  const sorted = [...s].sort((a, b) => a[0] - b[0]);
  const out: Segment[] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

function intersect(x: Segment[], y: Segment[]): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const a = Math.max(x[i][0], y[j][0]);
    const b = Math.min(x[i][1], y[j][1]);
    if (b > a) out.push([a, b]);
    if (x[i][1] < y[j][1]) i++;
    else j++;
  }
  return out;
}

/** quality and area (the location of each unit's first electrode) when the table has them. */
function unitMetadata(reader: Hdf5Reader, p: string, n: number): Record<string, (string | number | boolean)[]> {
  const md: Record<string, (string | number | boolean)[]> = {};
  if (reader.isDataset(`${p}/quality`)) {
    const q = reader.dtype(`${p}/quality`) === "other" ? reader.readStrings(`${p}/quality`) : Array.from(reader.readNumeric(`${p}/quality`, "f64").data, String);
    if (q.length === n) md.quality = q;
  }
  if (reader.isDataset(`${p}/electrodes`) && reader.isDataset(`${ELECTRODES}/location`)) {
    const rows = reader.readNumeric(`${p}/electrodes`, "f64").data;
    const ends = reader.isDataset(`${p}/electrodes_index`) ? reader.readNumeric(`${p}/electrodes_index`, "f64").data : Float64Array.from({ length: n }, (_, i) => i + 1);
    const loc = reader.readStrings(`${ELECTRODES}/location`);
    const first = (u: number) => (u === 0 ? 0 : ends[u - 1]);
    if (ends.length === n) md.area = Array.from({ length: n }, (_, u) => (first(u) < ends[u] ? (loc[rows[first(u)]] ?? "") : ""));
  }
  return md;
}
