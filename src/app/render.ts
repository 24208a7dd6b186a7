/**
 * Rendering stored results: reconstructions of a decoding (frames looked up in the recording's movie)
 * and embedding plots. Full-resolution files go into a render artifact; previews are returned inline.
 */
import { renderReconstruction, plotEmbedding, type AccuracyReference, type RenderResult, type PreviewImage, type ReconstructionImage, type SampleSelection } from "../render/index.js";
import { selectContinuous, type Recording } from "../data/recording.js";
import type { FrameDecodeResult } from "../decode/types.js";
import { UserError } from "../util/errors.js";
import { lossCurveOf } from "./loss-curve.js";
import { loadDecoding, resolveEmbedding, type ModelMeta } from "./model-artifacts.js";
import type { StoredDecoding } from "./decode.js";
import type { RecordingStore } from "../store/recordings.js";
import type { Workspace } from "../store/workspace.js";
import { isSupervised } from "../engine/cebra/lookup.js";

export type ReconstructionLayout = "side_by_side" | "contact_sheet" | "pairs" | "animation" | "timeline";

interface StoredRender<I extends PreviewImage> {
  render_id: string;
  render: RenderResult<I>;
  /** Absolute paths of the full-resolution files. */
  files: { name: string; path: string; mime_type: string; width: number; height: number }[];
  /** Absolute paths of the tables stored beside them (CSV). */
  tables: { name: string; path: string }[];
}

async function storeRender<I extends PreviewImage>(
  ws: Workspace, render: RenderResult<I>, summary: string, parents: string[], meta: Record<string, unknown>, tables: Record<string, string> = {},
): Promise<StoredRender<I>> {
  const files: Record<string, Uint8Array | string> = { ...tables };
  for (const f of render.full_resolution) files[f.name] = f.data;
  const m = await ws.create("render", { summary, parents, meta: { ...meta, notes: render.notes }, files });
  return {
    render_id: m.id,
    render,
    files: render.full_resolution.map((f) => ({
      name: f.name, path: ws.filePath(m.id, f.name), mime_type: f.mime_type, width: f.width, height: f.height,
    })),
    tables: Object.keys(tables).map((name) => ({ name, path: ws.filePath(m.id, name) })),
  };
}

/** Name of the per-frame table (CSV) a reconstruction render stores beside its images. */
export const FRAMES_SHOWN_FILE = "frames_shown.csv";

/** Every frame a reconstruction shows, one row per image and sample (the result lists only a summary). */
function framesShownCsv(images: readonly ReconstructionImage[]): string {
  const lines = ["image,sample,true_frame,predicted_frame,error"];
  images.forEach((im, i) => {
    for (const f of im.frames_shown) {
      lines.push(`${i},${f.sample},${f.true_frame ?? ""},${f.predicted_frame},${f.true_frame === null ? "" : f.predicted_frame - f.true_frame}`);
    }
  });
  return lines.join("\n") + "\n";
}

interface ReconstructionRequest {
  decoding_id: string;
  layout: ReconstructionLayout;
  selection: SampleSelection;
}

/** Renders a frame decoding (decoded frames retrieved from the movie next to the true ones). */
export async function renderStoredReconstruction(deps: { workspace: Workspace; recordings: RecordingStore }, req: ReconstructionRequest) {
  const { start, end } = req.selection;
  if (start !== undefined && end !== undefined && start >= end) {
    throw new UserError(`The sample range is empty: start (${start}) must be less than end (${end}, exclusive).`, "Pass start < end, or omit them to use the whole decoded range.");
  }
  const { full } = await loadDecoding<StoredDecoding<FrameDecodeResult>>(deps.workspace, req.decoding_id);
  if (full.kind !== "frames") {
    throw new UserError(`${req.decoding_id} decoded labels, not movie frames, so there are no frames to show.`, "Use plot_embedding for label decodings, or render a decode_video_frames decoding.");
  }
  const rec: Recording = await deps.recordings.loadRecordingArtifact(full.recording_id);
  if (!rec.movie) {
    throw new UserError(`Recording ${full.recording_id} has no stimulus movie, so decoded frame indices cannot be shown as images.`, "Load the recording with its movie (load_recording's movie option), or use layout 'timeline'.");
  }
  const m = full.main;
  const rows = m.rows.map((r) => ({ ...r, time_s: r.time_s ?? r.sample / rec.sampling_rate_hz }));
  const render = await renderReconstruction({
    rows,
    movie: rec.movie,
    layout: req.layout,
    selection: req.selection,
    summary: {
      decoding_id: full.decoding_id,
      recording_id: full.recording_id,
      model_id: full.model_id,
      accuracy: m.scores.accuracy,
      window_frames: m.window,
      decoder: `kNN (k=${m.k}, ${m.metric})`,
      chance_accuracy: m.chance.accuracy,
      controls: controlReferences(full),
    },
  });
  const stored = await storeRender(deps.workspace, render, `${req.layout} of ${req.decoding_id}`, [req.decoding_id, full.recording_id], {
    decoding_id: req.decoding_id, layout: req.layout, selection: req.selection,
  }, { [FRAMES_SHOWN_FILE]: framesShownCsv(render.images) });
  return { ...stored, decoding: full };
}

/** Names of a frame decoding's controls as drawn on its figures, in the order shown. */
const CONTROL_NAMES: [keyof StoredDecoding<FrameDecodeResult>["controls"], string][] = [
  ["raw_window_averaged", "raw activity, window-averaged"],
  ["raw_per_sample", "raw activity, per sample"],
  ["shuffled_labels", "shuffled-label CEBRA"],
  ["untrained_encoder", "untrained encoder"],
];

/** Each control's accuracy as measured for this decoding, or that it was not computed. */
function controlReferences(full: StoredDecoding<FrameDecodeResult>): AccuracyReference[] {
  return CONTROL_NAMES.map(([key, name]) => {
    const c = full.controls[key];
    if (c?.status === "ok" && c.result.kind === "frames") return { name, accuracy: c.result.scores.accuracy };
    return { name, not_run: c?.status === "not_run" ? c.reason : "not computed" };
  });
}

export interface EmbeddingPlotRequest {
  model_id?: string;
  embedding_id?: string;
  colour_by: "frame" | "time" | "repeat" | "discrete" | "none" | { column: string };
  samples: "all" | "train" | "test";
  dims?: 2 | 3;
  projection: "first" | "pca";
  include_loss: boolean;
}

/** Plots a stored embedding coloured by a label, with the model's loss curve. */
export async function plotStoredEmbedding(deps: { workspace: Workspace; recordings: RecordingStore }, req: EmbeddingPlotRequest) {
  const r = await resolveEmbedding(deps.workspace, req);
  const meta: ModelMeta = r.model.meta;
  const rec = await deps.recordings.loadRecordingArtifact(meta.recording_id);
  const { data, rows, dim } = r.embedding;
  const keep = sampleSubset(rec, meta, req.samples, rows);
  const sub = new Float32Array(keep.length * dim);
  keep.forEach((t, i) => sub.set(data.subarray(t * dim, t * dim + dim), i * dim));
  const colour = colourValues(rec, req.colour_by, keep);
  // The untrained-encoder control's embedding (plotted by embedding_id) had no training, hence no loss curve.
  const untrained = r.embedding.manifest.meta.control === "untrained_encoder";
  const loss = req.include_loss && !untrained ? await lossCurveOf(deps.workspace, r.model_id, meta) : undefined;
  const plot = await plotEmbedding({
    embedding: { data: sub, n_samples: keep.length, dim },
    dims: req.dims,
    projection: req.projection,
    colour_by: colour,
    loss,
    title: `${isSupervised(meta.config.model_architecture) ? "Supervised-model features" : "CEBRA embedding"} ${r.embedding_id}${untrained ? " (UNTRAINED-ENCODER CONTROL)" : meta.control ? " (SHUFFLED-LABEL CONTROL)" : ""}`,
    subtitle: `model ${r.model_id} (${meta.config.model_architecture}, ${meta.mode}, ${untrained ? "at initialisation, 0" : meta.training.steps_done} steps) · recording ${meta.recording_id} · ${req.samples} samples (${keep.length})${loss?.control?.id ? ` · loss panel: ${meta.control ? "real model" : "control"} ${loss.control.id}` : ""}`,
  });
  const stored = await storeRender(deps.workspace, plot, `embedding plot of ${r.embedding_id}`, [r.embedding_id, r.model_id], {
    embedding_id: r.embedding_id, model_id: r.model_id, colour_by: req.colour_by, samples: req.samples,
  });
  return { ...stored, points_shown: plot.points_shown, embedding_id: r.embedding_id, model_id: r.model_id };
}

function sampleSubset(rec: Recording, meta: ModelMeta, which: "all" | "train" | "test", rows: number): number[] {
  const all = Array.from({ length: rows }, (_, t) => t);
  if (which === "all") return all;
  const s = meta.split;
  if (s.kind === "fraction" && s.train_range) {
    const [a, b] = s.train_range;
    return all.filter((t) => (which === "train") === (t >= a && t < b));
  }
  if (!rec.repeat) return all;
  const train = new Set(s.train_repeats);
  return all.filter((t) => rec.repeat![t] >= 0 && (which === "train") === train.has(rec.repeat![t]));
}

function colourValues(rec: Recording, by: EmbeddingPlotRequest["colour_by"], keep: number[]) {
  const pick = (src: ArrayLike<number>) => keep.map((t) => src[t]);
  if (by === "none") return undefined;
  if (by === "time") return { values: pick(rec.timestamps), name: "time (s)", kind: "continuous" as const };
  if (by === "frame") {
    if (!rec.frame) throw new UserError("colour_by 'frame' needs movie frame indices; this recording has none.", "Use colour_by 'time' or a label column.");
    return { values: pick(rec.frame), name: "movie frame", kind: "continuous" as const };
  }
  if (by === "repeat") {
    if (!rec.repeat) throw new UserError("colour_by 'repeat' needs repeat indices; this recording has none.", "Use colour_by 'time'.");
    return { values: pick(rec.repeat), name: "repeat", kind: "categorical" as const };
  }
  if (by === "discrete") {
    if (!rec.discrete) throw new UserError("colour_by 'discrete' needs discrete labels; this recording has none.", "Use colour_by 'time' or a continuous column.");
    return { values: pick(rec.discrete.data), name: rec.discrete.name, kind: "categorical" as const, class_names: rec.discrete.class_names };
  }
  if (!rec.continuous) throw new UserError(`Continuous column '${by.column}' does not exist.`, "This recording has no continuous labels; use colour_by 'time'.");
  return { values: pick(selectContinuous(rec.continuous, [by.column]).data), name: by.column, kind: "continuous" as const };
}
