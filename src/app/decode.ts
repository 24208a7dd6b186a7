/**
 * Decoding as a workspace operation: resolve the embedding (and the shuffled-label twin, training it on
 * request, and the untrained encoder's embedding, computing it on first use), run the decoder with its controls (decode/pipeline.ts), and store the complete result with
 * provenance as a decoding artifact. Control rows are stored without their neighbour lists (their
 * predictions per sample are kept) so a decoding stays a few MB.
 */
import { decodeHeldOutLabels, decodeMovie, type DecodingWithControls, type ShuffledInput } from "../decode/pipeline.js";
import type { DecodeControls, FrameDecodeResult, LabelDecodeResult } from "../decode/types.js";
import type { KnnMetric } from "../decode/knn.js";
import { selectContinuous, type Recording } from "../data/recording.js";
import { UserError } from "../util/errors.js";
import { loadEmbedding, resolveEmbedding, saveDecoding, sessionView, untrainedEmbedding, type ModelMeta } from "./model-artifacts.js";
import type { RecordingStore } from "../store/recordings.js";
import { trainShuffledTwin } from "./train.js";
import { isSupervised } from "../engine/cebra/lookup.js";
import type { ArtifactManifest, Workspace } from "../store/workspace.js";

interface DecodeDeps {
  workspace: Workspace;
  recordings: RecordingStore;
}

interface ControlRequest {
  /** Decode the shuffled-label twin as a control (training it now if the model has none). */
  shuffled_control: boolean;
  signal?: AbortSignal;
  onProgress?: (step: number, total: number, message: string) => void;
}

/** What is stored in `decoding.json` (and served as `decoding://{id}`). */
export interface StoredDecoding<R> {
  decoding_id: string;
  kind: "frames" | "labels";
  model_id: string;
  embedding_id: string;
  recording_id: string;
  shuffled_model_id: string | null;
  /** The untrained-encoder control's embedding (absent in decodings made before the control existed). */
  untrained_embedding_id?: string | null;
  created_at: string;
  summary: DecodingWithControls<R>["summary"];
  main: R;
  controls: DecodeControls;
}

interface DecodingMeta {
  kind: "frames" | "labels";
  model_id: string;
  embedding_id: string;
  recording_id: string;
  shuffled_model_id: string | null;
  untrained_embedding_id: string | null;
  summary: DecodingWithControls<unknown>["summary"];
}

interface Resolved {
  rec: Recording;
  model_id: string;
  model: ArtifactManifest<ModelMeta>;
  embedding_id: string;
  embedding: { data: Float32Array; rows: number; dim: number; source?: string; encoder?: string };
  shuffled: ShuffledInput;
  shuffled_model_id: string | null;
  untrained: ShuffledInput;
  untrained_embedding_id: string | null;
}

async function resolve(deps: DecodeDeps, ids: { model_id?: string; embedding_id?: string; recording_id?: string }, req: ControlRequest): Promise<Resolved> {
  const r = await resolveEmbedding(deps.workspace, ids);
  if (r.model.meta.control) {
    throw new UserError(
      `${r.model_id} is a shuffled-label control model, not a real one.`,
      `Decode its real model ${r.model.meta.control_of ?? "(see list_artifacts)"}; the control is reported next to it when shuffled_control is true.`,
    );
  }
  if (r.embedding.manifest.meta.control === "untrained_encoder") {
    throw new UserError(
      `${r.embedding_id} is the untrained-encoder control of ${r.model_id}, not its embedding.`,
      `Decode the model ${r.model_id}; the untrained encoder is reported next to it as a control.`,
    );
  }
  const rec = await deps.recordings.loadRecordingArtifact(r.model.meta.recording_id);
  let shuffled: ShuffledInput = {
    not_run: "not requested (it costs a second training); pass shuffled_control: true, or train with train_embedding(shuffled_control: true)",
  };
  let shuffledId: string | null = null;
  if (req.shuffled_control) {
    shuffledId = r.model.meta.shuffled_model_id ?? (await trainShuffledTwin(deps, { id: r.model_id, meta: r.model.meta }, req));
    const twin = await deps.workspace.get<ModelMeta>(shuffledId, "model");
    // A multi-session model's twin is multi-session too: the same session's embedding.
    const emb = await loadEmbedding(deps.workspace, sessionView(twin.meta, r.model.meta.session_index ?? 0).embedding_id);
    shuffled = { embedding: emb, model_id: shuffledId };
  }
  const u = await untrainedInput(deps, r.model_id, rec, r.model.meta.session_index ?? 0);
  // A supervised model's embedding is its ReLU features, not a CEBRA (contrastive) embedding: the results say so.
  const arch = r.model.meta.config.model_architecture;
  const embedding = isSupervised(arch) ? { ...r.embedding, source: `${arch} embedding (supervised: its ReLU features)`, encoder: `${arch} encoder` } : r.embedding;
  return { rec, model_id: r.model_id, model: r.model, embedding_id: r.embedding_id, embedding, shuffled, shuffled_model_id: shuffledId, ...u };
}

/** The untrained encoder's embedding for the control (one transform, cached on the model), or why it was not run. */
async function untrainedInput(deps: DecodeDeps, modelId: string, rec: Recording, session: number): Promise<{ untrained: ShuffledInput; untrained_embedding_id: string | null }> {
  try {
    const e = await untrainedEmbedding(deps.workspace, modelId, rec, session);
    return { untrained: { embedding: e, model_id: modelId }, untrained_embedding_id: e.id };
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    return { untrained: { not_run: `could not build the untrained encoder: ${err.problem}` }, untrained_embedding_id: null };
  }
}

interface FrameDecodeRequest extends ControlRequest {
  model_id?: string;
  /** A multi-session model's session to decode (or pass one of its embedding ids). */
  recording_id?: string;
  embedding_id?: string;
  test_repeat?: number;
  k?: number;
  window?: number;
  lag_frames?: number;
  metric?: KnnMetric;
  skip_raw_controls?: boolean;
}

/** Decodes movie frames of the held-out repeat (default) and stores the decoding. */
export async function decodeAndStoreFrames(deps: DecodeDeps, req: FrameDecodeRequest): Promise<StoredDecoding<FrameDecodeResult>> {
  const r = await resolve(deps, req, req);
  const split = r.model.meta.split;
  if (split.kind !== "repeats") {
    throw new UserError(`${r.model_id} was trained on a fraction split, not on movie repeats.`, "Use decode_labels for recordings without repeats.");
  }
  const out = decodeMovie(r.rec, r.embedding, r.model.meta.architecture, r.shuffled, {
    train_repeats: split.train_repeats,
    test_repeat: req.test_repeat ?? (split.test_repeats.length ? split.test_repeats[split.test_repeats.length - 1] : undefined),
    k: req.k,
    window: req.window,
    lag_frames: req.lag_frames,
    metric: req.metric,
    skip_raw_controls: req.skip_raw_controls,
    untrained: r.untrained,
  });
  const a = out.main.scores;
  return store(deps, r, "frames", out,
    `frames of repeat ${out.main.test_repeat} from ${r.model_id}: ${(a.accuracy * 100).toFixed(1)}% within ${a.window} frames (chance ${(out.main.chance.accuracy * 100).toFixed(1)}%)`);
}

interface LabelDecodeRequest extends ControlRequest {
  model_id?: string;
  recording_id?: string;
  embedding_id?: string;
  /** Which labels to decode: the recording's continuous (default if present) or discrete labels, or named continuous columns. */
  labels?: "continuous" | "discrete" | string[];
  k?: number;
  metric?: KnnMetric;
  skip_raw_controls?: boolean;
}

/** Decodes continuous or discrete labels on the samples the model did not train on, and stores the decoding. */
export async function decodeAndStoreLabels(deps: DecodeDeps, req: LabelDecodeRequest): Promise<StoredDecoding<LabelDecodeResult>> {
  const r = await resolve(deps, req, req);
  const rec = r.rec;
  const which = req.labels ?? (rec.continuous ? "continuous" : rec.discrete ? "discrete" : null);
  if (which === null) {
    throw new UserError("The recording has no continuous or discrete labels to decode.", rec.frame ? "Use decode_video_frames for movie frames." : "Load a recording with labels.");
  }
  let labels;
  if (which === "discrete") {
    if (!rec.discrete) throw new UserError("The recording has no discrete labels.", "Pass labels: 'continuous'.");
    labels = { kind: "discrete" as const, data: rec.discrete.data, class_names: rec.discrete.class_names };
  } else {
    if (!rec.continuous) throw new UserError("The recording has no continuous labels.", "Pass labels: 'discrete'.");
    labels = { kind: "continuous" as const, ...selectContinuous(rec.continuous, which === "continuous" ? undefined : which) };
  }
  const { train, test } = heldOutRanges(r.model.meta, rec);
  const out = decodeHeldOutLabels(rec, r.embedding, r.model.meta.architecture, r.shuffled, {
    labels, train_ranges: train, test_ranges: test, k: req.k, metric: req.metric, skip_raw_controls: req.skip_raw_controls, untrained: r.untrained,
  });
  return store(deps, r, "labels", out, `labels (${labels.kind}) of held-out samples from ${r.model_id}`);
}

/** Train/test sample ranges from a model's split (the samples it trained on vs the rest). */
function heldOutRanges(meta: ModelMeta, rec: Recording): { train: [number, number][]; test: [number, number][] } {
  const T = rec.n_samples;
  if (meta.split.kind === "fraction" && meta.split.train_range) {
    const [a, b] = meta.split.train_range;
    return { train: [[a, b]], test: b < T ? [[b, T]] : [] };
  }
  // Repeat split: contiguous runs of train / test repeats.
  const trainSet = new Set(meta.split.train_repeats);
  const runs = { train: [] as [number, number][], test: [] as [number, number][] };
  const rep = rec.repeat!;
  let start = 0;
  for (let t = 1; t <= T; t++) {
    if (t === T || rep[t] !== rep[start]) {
      if (rep[start] >= 0) runs[trainSet.has(rep[start]) ? "train" : "test"].push([start, t]);
      start = t;
    }
  }
  return runs;
}

async function store<R extends FrameDecodeResult | LabelDecodeResult>(
  deps: DecodeDeps, r: Resolved, kind: "frames" | "labels", out: DecodingWithControls<R>, summary: string,
): Promise<StoredDecoding<R>> {
  const controls = compactControls(out.controls);
  const meta: DecodingMeta = { kind, model_id: r.model_id, embedding_id: r.embedding_id, recording_id: r.model.meta.recording_id, shuffled_model_id: r.shuffled_model_id, untrained_embedding_id: r.untrained_embedding_id, summary: out.summary };
  const body = { kind, model_id: r.model_id, embedding_id: r.embedding_id, recording_id: meta.recording_id, shuffled_model_id: r.shuffled_model_id, untrained_embedding_id: r.untrained_embedding_id, created_at: new Date().toISOString(), summary: out.summary, main: out.main, controls };
  const parents = [r.model_id, r.embedding_id, meta.recording_id, ...(r.shuffled_model_id ? [r.shuffled_model_id] : []), ...(r.untrained_embedding_id ? [r.untrained_embedding_id] : [])];
  const stored = (await saveDecoding(deps.workspace, { summary, parents, meta, full: body })) as StoredDecoding<R>;
  await deps.workspace.writeFile(stored.decoding_id, DECODING_TABLE_FILE, decodingTableCsv(stored));
  return stored;
}

/** The complete per-sample table of a decoding, as CSV in its artifact (results and resources name its path). */
export const DECODING_TABLE_FILE = "rows.csv";

/** The path of a decoding's per-sample CSV, writing it first if the decoding predates it. */
export async function decodingTablePath(ws: Workspace, full: StoredDecoding<FrameDecodeResult | LabelDecodeResult>): Promise<string> {
  const manifest = await ws.get(full.decoding_id, "decoding");
  if (!manifest.files?.[DECODING_TABLE_FILE]) await ws.writeFile(full.decoding_id, DECODING_TABLE_FILE, decodingTableCsv(full));
  return ws.filePath(full.decoding_id, DECODING_TABLE_FILE);
}

const csvCell = (v: unknown): string => (v === null || v === undefined ? "" : typeof v === "number" ? String(Number.isInteger(v) ? v : Number(v.toPrecision(6))) : String(v));

/**
 * One row per decoded test sample: the main decoder's truth, prediction, error and confidence, then each
 * control's prediction for the same sample (empty where a control did not run or skipped the sample).
 */
export function decodingTableCsv(full: StoredDecoding<FrameDecodeResult | LabelDecodeResult>): string {
  const controls = (Object.entries(full.controls) as [string, DecodeControls[keyof DecodeControls]][])
    .filter(([, c]) => c?.status === "ok")
    .map(([name, c]) => {
      const bySample = new Map<number, unknown>();
      for (const row of (c as { result: { rows: { sample: number; predicted_frame?: number; predicted?: unknown }[] } }).result.rows) {
        bySample.set(row.sample, row.predicted_frame ?? row.predicted);
      }
      return { name, bySample };
    });
  const m = full.main;
  let header: string[];
  let cells: (row: never) => unknown[];
  if (m.kind === "frames") {
    header = ["sample", "time_s", "true_frame", "predicted_frame", "error_frames", `correct_within_${m.window}`, "confidence"];
    cells = (r: FrameDecodeResult["rows"][number]) => [r.sample, r.time_s, r.true_frame, r.predicted_frame, r.error, r.error === null ? null : Math.abs(r.error) < m.window ? 1 : 0, r.confidence];
  } else if (m.kind === "labels_discrete") {
    header = ["sample", "time_s", "true_label", "predicted", "correct", "confidence"];
    cells = (r: (typeof m.rows)[number]) => [r.sample, r.time_s, r.true_label, r.predicted, r.correct ? 1 : 0, r.confidence];
  } else {
    const cols = m.scores.columns;
    header = ["sample", "time_s", ...cols.map((c) => `true_${c}`), ...cols.map((c) => `predicted_${c}`), ...cols.map((c) => `error_${c}`)];
    cells = (r: (typeof m.rows)[number]) => [r.sample, r.time_s, ...r.true_label, ...r.predicted, ...r.error];
  }
  header.push(...controls.map((c) => `${c.name}_predicted`));
  const lines = [header.join(",")];
  for (const row of m.rows as { sample: number }[]) {
    const ctl = controls.map((c) => {
      const v = c.bySample.get(row.sample);
      return Array.isArray(v) ? v.map(csvCell).join(";") : csvCell(v);
    });
    lines.push([...cells(row as never).map(csvCell), ...ctl].join(","));
  }
  return lines.join("\n") + "\n";
}

/** Control results without neighbour lists (the predictions per sample stay). */
function compactControls(controls: DecodeControls): DecodeControls {
  const out: DecodeControls = {};
  for (const [name, c] of Object.entries(controls) as [keyof DecodeControls, DecodeControls[keyof DecodeControls]][]) {
    if (!c) continue;
    out[name] = c.status === "ok" ? { status: "ok", result: { ...c.result, rows: c.result.rows.map((row) => ({ ...row, neighbours: [] })) } as typeof c.result } : c;
  }
  return out;
}
