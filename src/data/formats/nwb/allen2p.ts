/**
 * Allen Brain Observatory 2-photon sessions in NWB 1.x (AllenSDK `ophys_experiment_data/<id>.nwb`) and
 * NWB 2.x (DANDI 000728): dF/F traces, timestamps, cell ids, movie presentations and template.
 * Paths and shapes: /work/shared/reference/data-formats.md §1 and docs/DATA.md.
 */
import { UserError } from "../../../util/errors.js";
import { DEFAULT_SAMPLING_RATE_HZ, gatherRows, loaderProvenance, medianStep, movieRate } from "../../arrays.js";
import { readTimeMajor, type Hdf5Reader } from "../hdf5.js";
import { readTemplateMovie } from "../../movie.js";
import type { LoadOptions } from "../../options.js";
import type { PreprocessingStep, Recording } from "../../recording.js";
import { labelSamples, samplesOnScreen, sortPresentations, stopsFromStarts, type SampleLabels } from "./stimulus.js";

/** Stimulus analysed when LoadOptions.stimulus is not given. */
export const DEFAULT_STIMULUS = "natural_movie_one";

type UnitMetadata = Record<string, (string | number | boolean)[]>;

/** What differs between the NWB 1.x and 2.x Allen 2P layouts. */
interface TwoPhotonLayout {
  format: "nwb-allen-2p-v1" | "nwb-allen-2p-v2";
  /** dF/F dataset path. */
  dff: string;
  /** True if dF/F is stored [units, samples] (NWB 1.x). */
  unitMajor: boolean;
  timestamps(reader: Hdf5Reader, T: number): Float64Array;
  units(reader: Hdf5Reader, N: number): { ids: string[]; metadata: UnitMetadata };
  /** Frame/repeat per sample, or null if the stimulus was not shown. */
  labels(reader: Hdf5Reader, stimulus: string, timestamps: Float64Array): SampleLabels | null;
  metadata(reader: Hdf5Reader): Record<string, string>;
}

const V1 = "/processing/brain_observatory_pipeline";
const V1_DFF = `${V1}/DfOverF/imaging_plane_1`;
const V1_PLANE = "/general/optophysiology/imaging_plane_1";

/** True if the file has the NWB 1.x Allen pipeline group. */
export function isAllen2pV1(reader: Hdf5Reader): boolean {
  return reader.isGroup(V1);
}

/** True if the file has an NWB 2.x ophys DfOverF interface. */
export function isAllen2pV2(reader: Hdf5Reader): boolean {
  return reader.isGroup("/processing/ophys/DfOverF");
}

const formatFix = (format: string) => `Check that this is an Allen Brain Observatory 2-photon NWB file, or pass format: "hdf5" with keys: { neural: "<dataset path>" } (current guess: ${format}).`;

/** Presentation group of a stimulus: `<name>_stimulus` (Allen) or `<name>`. */
function presentationGroup(reader: Hdf5Reader, stimulus: string): string | undefined {
  return [`/stimulus/presentation/${stimulus}_stimulus`, `/stimulus/presentation/${stimulus}`].find((g) => reader.isDataset(`${g}/data`));
}

const V1_LAYOUT: TwoPhotonLayout = {
  format: "nwb-allen-2p-v1",
  dff: `${V1_DFF}/data`,
  unitMajor: true,
  timestamps: (reader, T) => timestampsOf(reader, `${V1_DFF}/timestamps`, T),
  units(reader, N) {
    const idsPath = `${V1}/ImageSegmentation/cell_specimen_ids`;
    const ids = reader.isDataset(idsPath) ? Array.from(reader.readNumeric(idsPath, "f64").data, String) : [];
    const area = reader.readText(`${V1_PLANE}/location`);
    const metadata: UnitMetadata = area ? { area: new Array<string>(N).fill(area) } : {};
    return { ids: ids.length === N ? ids : indexIds(N), metadata };
  },
  labels(reader, stimulus, timestamps) {
    const g = presentationGroup(reader, stimulus);
    if (!g) return null;
    const frame = reader.readNumeric(`${g}/data`, "i32").data;
    if (!reader.isDataset(`${g}/frame_duration`)) return labelsFromStarts(reader, g, frame, timestamps);
    // frame_duration is [start, end] in 2P acquisition-frame indices: label samples by index.
    const fd = reader.readNumeric(`${g}/frame_duration`, "f64").data;
    const start = Float64Array.from(frame, (_, k) => Math.floor(fd[2 * k]));
    const stop = Float64Array.from(frame, (_, k) => Math.max(Math.floor(fd[2 * k + 1]), start[k] + 1));
    const sampleIndex = Float64Array.from(timestamps, (_, t) => t);
    return labelSamples(sampleIndex, sortPresentations({ frame, start, stop }));
  },
  metadata(reader) {
    const m = reader.readTexts({
      session_type: "/general/session_type",
      session_id: "/general/session_id",
      experiment_container_id: "/general/experiment_container_id",
      targeted_structure: `${V1_PLANE}/location`,
      imaging_depth: `${V1_PLANE}/imaging depth`,
      genotype: "/general/subject/genotype",
      session_start_time: "/session_start_time",
    });
    if (m.genotype) m.cre_line = m.genotype.split(";")[0].trim();
    return m;
  },
};

/** The NWB 2.x dF/F series: DfOverF/DfOverF, else the first child with a data dataset. */
function v2Series(reader: Hdf5Reader): string {
  const base = "/processing/ophys/DfOverF";
  const names = ["DfOverF", ...reader.children(base)];
  const name = names.find((n) => reader.isDataset(`${base}/${n}/data`));
  if (!name) throw new UserError(`${reader.name} has no dF/F series under ${base} (looked for ${base}/DfOverF/data).`, formatFix("nwb-allen-2p-v2"));
  return `${base}/${name}`;
}

function v2PlaneSegmentation(reader: Hdf5Reader): string | undefined {
  const base = "/processing/ophys/ImageSegmentation";
  const name = ["PlaneSegmentation", ...reader.children(base)].find((n) => reader.isDataset(`${base}/${n}/id`));
  return name ? `${base}/${name}` : undefined;
}

function v2Layout(reader: Hdf5Reader): TwoPhotonLayout {
  const series = v2Series(reader);
  return {
    format: "nwb-allen-2p-v2",
    dff: `${series}/data`,
    unitMajor: false,
    timestamps(r, T) {
      if (r.isDataset(`${series}/timestamps`)) return timestampsOf(r, `${series}/timestamps`, T);
      const t0 = r.readNumeric(`${series}/starting_time`, "f64", { fix: `${r.name} has neither ${series}/timestamps nor starting_time.` }).data[0];
      const rate = Number(r.attr(`${series}/starting_time`, "rate"));
      if (!(rate > 0)) throw new UserError(`${r.what(`${series}/starting_time`)} has no positive 'rate' attribute.`, "Pass sampling_rate_hz or fix the file.");
      return Float64Array.from({ length: T }, (_, t) => t0 + t / rate);
    },
    units(r, N) {
      const ps = v2PlaneSegmentation(r);
      if (!ps) return { ids: indexIds(N), metadata: {} };
      const roiIds = r.readNumeric(`${ps}/id`, "f64").data;
      const cellIds = r.isDataset(`${ps}/global_roi_id`) ? r.readNumeric(`${ps}/global_roi_id`, "f64").data : roiIds;
      const rows = r.isDataset(`${series}/rois`) ? r.readNumeric(`${series}/rois`, "i32").data : Int32Array.from({ length: N }, (_, i) => i);
      if (rows.length !== N || rows.some((i) => i < 0 || i >= roiIds.length)) return { ids: indexIds(N), metadata: {} };
      const metadata: UnitMetadata = { roi_id: Array.from(rows, (i) => roiIds[i]) };
      const area = firstPlaneLocation(r);
      if (area) metadata.area = new Array(N).fill(area);
      return { ids: Array.from(rows, (i) => String(cellIds[i])), metadata };
    },
    labels(r, stimulus, timestamps) {
      const g = presentationGroup(r, stimulus);
      return g ? labelsFromStarts(r, g, r.readNumeric(`${g}/data`, "i32").data, timestamps) : null;
    },
    metadata(r) {
      const m = r.readTexts({ session_id: "/general/session_id", genotype: "/general/subject/genotype", session_description: "/session_description", session_start_time: "/session_start_time" });
      const area = firstPlaneLocation(r);
      if (area) m.targeted_structure = area;
      if (m.genotype) m.cre_line = m.genotype.split(";")[0].trim();
      return m;
    },
  };
}

function firstPlaneLocation(reader: Hdf5Reader): string | undefined {
  const plane = reader.children("/general/optophysiology").find((n) => reader.isDataset(`/general/optophysiology/${n}/location`));
  return plane ? reader.readText(`/general/optophysiology/${plane}/location`) : undefined;
}

/** Presentations known by start times only (`<group>/timestamps`): label samples by time. */
function labelsFromStarts(reader: Hdf5Reader, group: string, frame: Int32Array, timestamps: Float64Array): SampleLabels {
  const start = reader.readNumeric(`${group}/timestamps`, "f64", { fix: `${reader.name}: ${group} has no timestamps.` }).data;
  if (start.length !== frame.length) {
    throw new UserError(`${reader.what(group)}: data has ${frame.length} rows but timestamps has ${start.length}.`, "The presentation table is inconsistent; check the file.");
  }
  const p = sortPresentations({ frame, start, stop: start });
  return labelSamples(timestamps, { ...p, stop: stopsFromStarts(p.start, medianStep(p.start)) });
}

function timestampsOf(reader: Hdf5Reader, path: string, T: number): Float64Array {
  const ts = reader.readNumeric(path, "f64", { fix: `${reader.name} has no ${path}; pass restrict_to_stimulus: false and sampling_rate_hz, or use format: "hdf5".` }).data;
  if (ts.length !== T) throw new UserError(`${reader.what(path)} has ${ts.length} entries but the dF/F has ${T} samples.`, "The file is inconsistent; check that it is complete.");
  return ts;
}

function indexIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(i));
}

/** Load an Allen 2P NWB file (NWB 1.x if `version` is 1, else 2.x). */
export function loadAllen2p(reader: Hdf5Reader, version: 1 | 2, opts: LoadOptions): Recording {
  return loadTwoPhoton(reader, version === 1 ? V1_LAYOUT : v2Layout(reader), opts);
}

function loadTwoPhoton(reader: Hdf5Reader, layout: TwoPhotonLayout, opts: LoadOptions): Recording {
  const fix = formatFix(layout.format);
  const shape = reader.shape(layout.dff, fix);
  if (shape.length !== 2) throw new UserError(`${reader.what(layout.dff)} has shape (${shape.join(", ")}); expected 2-D dF/F.`, fix);
  const [T, N] = layout.unitMajor ? [shape[1], shape[0]] : [shape[0], shape[1]];
  const warnings: string[] = [];
  const timestamps = layout.timestamps(reader, T);
  const stimulus = opts.stimulus ?? DEFAULT_STIMULUS;
  const labels = layout.labels(reader, stimulus, timestamps);
  if (!labels) warnings.push(`${reader.name} has no ${stimulus} presentations; samples carry no movie-frame labels.`);
  const keep = labels && (opts.restrict_to_stimulus ?? true) ? samplesOnScreen(labels.frame) : null;
  if (keep && keep.length === 0) {
    throw new UserError(`${reader.name}: no dF/F sample falls within a ${stimulus} presentation.`, "Pass restrict_to_stimulus: false to load the whole session, or another stimulus name.");
  }
  const t0 = keep ? keep[0] : 0;
  const t1 = keep ? keep[keep.length - 1] + 1 : T;
  const block = readTimeMajor(reader, layout.dff, layout.unitMajor, t0, t1, fix).data;
  const neural = keep ? gatherRows(block, N, keep.map((t) => t - t0)) : block;
  const pick = <A extends Int32Array | Float64Array>(a: A): A => (keep ? gatherRows(a, 1, keep) : a);
  const units = layout.units(reader, N);
  const steps: PreprocessingStep[] = keep
    ? [{ op: "restrict_to_stimulus", params: { stimulus, kept_samples: keep.length, of_samples: T }, note: `kept the samples recorded while ${stimulus} was on screen` }]
    : [];
  const movie = opts.movie === undefined ? readTemplateMovie(reader, stimulus, movieRate(opts)) : undefined;
  const metadata = { ...layout.metadata(reader), stimulus };
  return {
    neural,
    n_samples: neural.length / N,
    n_neurons: N,
    sampling_rate_hz: opts.sampling_rate_hz ?? rateOf(timestamps, warnings),
    timestamps: pick(timestamps),
    unit_ids: units.ids,
    unit_metadata: units.metadata,
    modality: "calcium",
    signal: "dff",
    ...(labels ? { frame: pick(labels.frame), repeat: pick(labels.repeat) } : {}),
    ...(movie ? { movie } : {}),
    provenance: { ...loaderProvenance(layout.format, [...reader.keysRead], metadata), preprocessing: steps },
    warnings,
  };
}

function rateOf(timestamps: Float64Array, warnings: string[]): number {
  const dt = medianStep(timestamps);
  if (dt > 0) return 1 / dt;
  warnings.push(`Could not infer the imaging rate from the timestamps; assumed ${DEFAULT_SAMPLING_RATE_HZ} Hz.`);
  return DEFAULT_SAMPLING_RATE_HZ;
}
