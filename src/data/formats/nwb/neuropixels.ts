/**
 * Allen Brain Observatory Neuropixels sessions (NWB 2.x): spike times per unit (ragged VectorData +
 * VectorIndex), the AllenSDK/CEBRA unit quality filter, unit areas, and binning into a [T, N] count
 * matrix over the movie presentations (default: first block of 9000 rows, 120 Hz = 4 bins per frame).
 */
import { UserError } from "../../../util/errors.js";
import { loaderProvenance } from "../../arrays.js";
import type { Hdf5Reader } from "../hdf5.js";
import { DEFAULT_QUALITY, throwIfCancelled, type LoadOptions, type NeuropixelsOptions, type QualityThresholds } from "../../options.js";
import type { PreprocessingStep, Recording } from "../../recording.js";
import { DEFAULT_STIMULUS } from "./allen2p.js";
import { labelSamples, lastAtOrBefore, sortPresentations, type Presentations } from "./stimulus.js";

const UNITS = "/units";
const ELECTRODES = "/general/extracellular_ephys/electrodes";
/** CEBRA uses the first block: rows 0..8999 (10 repeats × 900 frames). */
const DEFAULT_ROWS: [number, number] = [0, 9000];
const DEFAULT_BIN_HZ = 120;

type UnitMetadata = Record<string, (string | number | boolean)[]>;

/** True if the file has ragged spike times under /units. */
export function isAllenNeuropixels(reader: Hdf5Reader): boolean {
  return reader.isDataset(`${UNITS}/spike_times`) && reader.isDataset(`${UNITS}/spike_times_index`);
}

/** Per-unit columns that exist in the file (each of length n_units). */
interface UnitTable {
  quality?: string[];
  isi_violations?: Float64Array;
  presence_ratio?: Float64Array;
  amplitude_cutoff?: Float64Array;
  peak_channel_id?: Float64Array;
}

const NUMERIC_COLUMNS = ["isi_violations", "presence_ratio", "amplitude_cutoff", "peak_channel_id"] as const;

function readUnitTable(reader: Hdf5Reader, n: number, warnings: string[]): UnitTable {
  const table: UnitTable = {};
  for (const col of NUMERIC_COLUMNS) {
    const p = `${UNITS}/${col}`;
    if (!reader.isDataset(p)) continue;
    const v = reader.readNumeric(p, "f64").data;
    if (v.length === n) table[col] = v;
    else warnings.push(`${reader.what(p)} has ${v.length} rows for ${n} units; ignored.`);
  }
  if (reader.isDataset(`${UNITS}/quality`)) {
    const q = reader.readStrings(`${UNITS}/quality`);
    if (q.length === n) table.quality = q;
    else warnings.push(`${reader.what(`${UNITS}/quality`)} has ${q.length} rows for ${n} units; ignored.`);
  }
  return table;
}

/** Area (electrode `location`) of each unit through peak_channel_id, or undefined if not available. */
function unitAreas(reader: Hdf5Reader, peak: Float64Array | undefined): string[] | undefined {
  if (!peak || !reader.isDataset(`${ELECTRODES}/id`) || !reader.isDataset(`${ELECTRODES}/location`)) return undefined;
  const ids = reader.readNumeric(`${ELECTRODES}/id`, "f64").data;
  const loc = reader.readStrings(`${ELECTRODES}/location`);
  const byId = new Map<number, string>();
  ids.forEach((id, i) => byId.set(id, loc[i] ?? ""));
  return Array.from(peak, (id) => byId.get(id) ?? "");
}

/** Indices of units passing the quality filter; criteria whose column is missing are skipped (noted). */
function qualityFilter(table: UnitTable, n: number, q: QualityThresholds, missing: string[]): number[] {
  const tests: ((i: number) => boolean)[] = [];
  const need = <T>(col: keyof UnitTable, v: T | undefined, test: (v: T, i: number) => boolean) => {
    if (v === undefined) missing.push(col);
    else tests.push((i) => test(v, i));
  };
  need("isi_violations", table.isi_violations, (v, i) => v[i] <= q.isi_violations_max);
  need("presence_ratio", table.presence_ratio, (v, i) => v[i] >= q.presence_ratio_min);
  need("amplitude_cutoff", table.amplitude_cutoff, (v, i) => v[i] <= q.amplitude_cutoff_max);
  if (q.quality !== null) need("quality", table.quality, (v, i) => v[i] === q.quality);
  const kept: number[] = [];
  for (let i = 0; i < n; i++) if (tests.every((t) => t(i))) kept.push(i);
  return kept;
}

/** Presentation rows [r0, r1) of `<stimulus>_presentations` (clamped to the table, with a warning). */
function readPresentations(reader: Hdf5Reader, stimulus: string, rows: readonly number[], warnings: string[]): Presentations {
  const g = `/intervals/${stimulus}_presentations`;
  const fix = `Check the stimulus name (option stimulus, default "${DEFAULT_STIMULUS}"); this loader needs ${g}/{start_time,stop_time,frame}.`;
  const n = reader.shape(`${g}/start_time`, fix)[0] ?? 0;
  const r0 = Math.max(0, Math.floor(rows[0]));
  const r1 = Math.min(n, Math.floor(rows[1]));
  if (r1 <= r0) throw new UserError(`${reader.what(g)} has ${n} rows; the requested rows [${rows[0]}, ${rows[1]}) select none.`, `Pass neuropixels.rows within [0, ${n}).`);
  if (r1 < rows[1]) warnings.push(`${reader.what(g)} has only ${n} rows; used rows [${r0}, ${r1}) instead of [${rows[0]}, ${rows[1]}).`);
  const ranges: [number, number][] = [[r0, r1]];
  return sortPresentations({
    start: reader.readNumeric(`${g}/start_time`, "f64", { ranges, fix }).data,
    stop: reader.readNumeric(`${g}/stop_time`, "f64", { ranges, fix }).data,
    frame: reader.readNumeric(`${g}/frame`, "i32", { ranges, fix }).data,
  });
}

/** Time bins: [start, stop) each, ascending. */
interface Bins {
  start: Float64Array;
  stop: Float64Array;
  rate: number;
}

/** Uniform bins at `bin` Hz over the presentations, or one bin per presentation row. */
function makeBins(p: Presentations, bin: number | "per_frame"): Bins {
  if (bin === "per_frame") {
    const durations = Float64Array.from(p.stop, (s, k) => s - p.start[k]).sort();
    return { start: p.start, stop: p.stop, rate: 1 / durations[durations.length >> 1] };
  }
  if (!(bin > 0)) throw new UserError(`neuropixels.bin must be a positive rate in Hz or "per_frame", got ${bin}.`, `Use e.g. ${DEFAULT_BIN_HZ}.`);
  const t0 = p.start[0];
  const t1 = p.stop.reduce((a, b) => Math.max(a, b), -Infinity);
  const n = Math.floor((t1 - t0) * bin + 1e-9);
  const start = Float64Array.from({ length: n }, (_, b) => t0 + b / bin);
  return { start, stop: start.map((s) => s + 1 / bin), rate: bin };
}

/** Add each spike to column `col` of the bin containing it. */
function countSpikes(spikes: Float64Array, bins: Bins, out: Float32Array, nCols: number, col: number): void {
  for (const s of spikes) {
    const k = lastAtOrBefore(bins.start, s);
    if (k >= 0 && s < bins.stop[k]) out[k * nCols + col] += 1;
  }
}

/** Unit i's spikes are spike_times[ends[i-1] : ends[i]] with ends[-1] = 0 (VectorIndex; every unit, the last included). */
function spikeRange(ends: Float64Array, i: number): [number, number] {
  return [i === 0 ? 0 : ends[i - 1], ends[i]];
}

function checkIndex(reader: Hdf5Reader, ends: Float64Array): void {
  const total = reader.shape(`${UNITS}/spike_times`)[0] ?? 0;
  for (let i = 0; i < ends.length; i++) {
    const [a, b] = spikeRange(ends, i);
    if (!(a <= b && b <= total)) {
      throw new UserError(`${reader.what(`${UNITS}/spike_times_index`)} is not a valid index into ${total} spike times (unit row ${i} has an invalid or decreasing end).`, "The units table is corrupt; re-download the file.");
    }
  }
}

/** Load an Allen Neuropixels NWB session as binned spike counts. */
export function loadAllenNeuropixels(reader: Hdf5Reader, opts: LoadOptions, signal?: AbortSignal): Recording {
  const np: NeuropixelsOptions = opts.neuropixels ?? {};
  const stimulus = opts.stimulus ?? DEFAULT_STIMULUS;
  const warnings: string[] = [];
  const steps: PreprocessingStep[] = [];

  const ends = reader.readNumeric(`${UNITS}/spike_times_index`, "f64").data;
  checkIndex(reader, ends);
  const n = ends.length;
  const ids = reader.isDataset(`${UNITS}/id`) ? Array.from(reader.readNumeric(`${UNITS}/id`, "f64").data, String) : Array.from({ length: n }, (_, i) => String(i));
  const table = readUnitTable(reader, n, warnings);
  const areas = unitAreas(reader, table.peak_channel_id);

  let kept = Array.from({ length: n }, (_, i) => i);
  if (np.quality_filter ?? true) {
    const q = { ...DEFAULT_QUALITY, ...(np.quality ?? {}) };
    const missing: string[] = [];
    kept = qualityFilter(table, n, q, missing);
    if (missing.length) warnings.push(`${reader.name} lacks unit columns ${missing.join(", ")}; the quality filter skipped them.`);
    steps.push({ op: "unit_quality_filter", params: { ...q, skipped_columns: missing, units_before: n, units_after: kept.length }, note: "AllenSDK/CEBRA unit quality filter" });
  }
  if (np.areas?.length) {
    if (!areas) throw new UserError(`${reader.name} has no unit areas (needs ${UNITS}/peak_channel_id and ${ELECTRODES}/location).`, "Drop the neuropixels.areas option.");
    const before = kept.length;
    kept = kept.filter((i) => np.areas!.includes(areas[i]));
    steps.push({ op: "area_filter", params: { areas: np.areas, units_before: before, units_after: kept.length } });
  }
  if (kept.length === 0) {
    throw new UserError(`${reader.name}: no unit passes the quality/area filters (of ${n} units).`, "Loosen neuropixels.quality thresholds, set neuropixels.quality_filter: false, or change neuropixels.areas.");
  }

  const rows = np.rows ?? DEFAULT_ROWS;
  const pres = readPresentations(reader, stimulus, rows, warnings);
  const bins = makeBins(pres, np.bin ?? DEFAULT_BIN_HZ);
  const T = bins.start.length;
  const K = kept.length;
  const neural = new Float32Array(T * K);
  kept.forEach((u, j) => {
    throwIfCancelled(signal);
    const spikes = reader.readNumeric(`${UNITS}/spike_times`, "f64", { ranges: [spikeRange(ends, u)] }).data;
    countSpikes(spikes, bins, neural, K, j);
  });
  steps.push({
    op: "bin_spikes",
    params: { bin: np.bin ?? DEFAULT_BIN_HZ, rate_hz: bins.rate, stimulus, rows: [rows[0], rows[1]], t_start: bins.start[0], t_stop: bins.stop[T - 1], n_bins: T },
    note: `spike counts in ${T} bins over the ${stimulus} presentations`,
  });

  const centres = Float64Array.from(bins.start, (s, k) => (s + bins.stop[k]) / 2);
  const labels = labelSamples(centres, pres);
  const metadata = reader.readTexts({ session_type: "/general/stimulus", session_id: "/identifier", session_start_time: "/session_start_time" });
  if (metadata.session_type && !metadata.session_type.includes("brain_observatory")) {
    warnings.push(`Session type is "${metadata.session_type}", not brain_observatory; the movie blocks may differ from CEBRA's layout (check neuropixels.rows).`);
  }
  if (opts.movie === undefined) warnings.push("Allen Neuropixels files carry no movie template; pass the movie option (e.g. a 2P NWB file or a .npy) to render frames.");
  return {
    neural,
    n_samples: T,
    n_neurons: K,
    sampling_rate_hz: bins.rate,
    timestamps: bins.start,
    unit_ids: kept.map((i) => ids[i]),
    unit_metadata: keptMetadata(table, areas, kept),
    modality: "spikes",
    signal: "spike_counts",
    frame: labels.frame,
    repeat: labels.repeat,
    provenance: { ...loaderProvenance("nwb-allen-neuropixels", [...reader.keysRead], { ...metadata, stimulus }), preprocessing: steps },
    warnings,
  };
}

function keptMetadata(table: UnitTable, areas: string[] | undefined, kept: number[]): UnitMetadata {
  const md: UnitMetadata = {};
  if (areas) md.area = kept.map((i) => areas[i]);
  if (table.quality) md.quality = kept.map((i) => table.quality![i]);
  for (const col of NUMERIC_COLUMNS) {
    const v = table[col];
    if (v) md[col] = kept.map((i) => v[i]);
  }
  return md;
}
