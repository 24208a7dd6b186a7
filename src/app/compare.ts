/**
 * Consistency between stored embeddings (CEBRA's consistency_score): how well one embedding predicts
 * another by a linear map (R², src/engine/cebra/metrics.ts). Between runs: embeddings of the same recording
 * (e.g. different seeds or settings), sample by sample. Between datasets: embeddings of different
 * recordings, aligned through a 1-D label (movie frame or a continuous column) binned into
 * `bins` bins; only pairs across different recordings are scored.
 */
import { consistencyScore, type EmbeddingMatrix } from "../engine/cebra/metrics.js";
import { selectContinuous, type Recording } from "../data/recording.js";
import { UserError } from "../util/errors.js";
import { mean } from "../util/stats.js";
import { resolveEmbedding, type ModelMeta } from "./model-artifacts.js";
import type { RecordingStore } from "../store/recordings.js";
import type { Workspace } from "../store/workspace.js";

interface CompareRequest {
  /** Model or embedding ids (mdl_… or emb_…), 2 or more. */
  ids: string[];
  between?: "runs" | "datasets";
  /** Datasets: the 1-D label that aligns the embeddings. */
  label?: "frame" | { column: string };
  bins?: number;
}

export interface CompareResult {
  between: "runs" | "datasets";
  embeddings: { model_id: string; embedding_id: string; recording_id: string; rows: number; dim: number; control: string | null }[];
  /** R² of the linear map source → target, per ordered pair. */
  pairs: { source: string; target: string; r2: number }[];
  mean_r2: number;
  label: string | null;
  bins: number | null;
}

export async function compareEmbeddings(deps: { workspace: Workspace; recordings: RecordingStore }, req: CompareRequest): Promise<CompareResult> {
  const resolved = [];
  for (const id of req.ids) {
    const byEmbedding = id.startsWith("emb_");
    // A multi-session model stands for all its sessions' embeddings: their consistency is the cross-session one.
    const sessions = byEmbedding ? undefined : (await deps.workspace.get<ModelMeta>(id, "model")).meta.sessions;
    if (sessions) for (const x of sessions) resolved.push(await resolveEmbedding(deps.workspace, { embedding_id: x.embedding_id }));
    else resolved.push(await resolveEmbedding(deps.workspace, byEmbedding ? { embedding_id: id } : { model_id: id }));
  }
  if (resolved.length < 2) throw new UserError(`compare_embeddings needs at least 2 embeddings, got ${resolved.length}.`, "Pass two or more model_ids (or embedding_ids), or one multi-session model_id; list_artifacts shows them.");
  const recordingIds = resolved.map((r) => r.model.meta.recording_id);
  const sameRecording = recordingIds.every((r) => r === recordingIds[0]);
  const between = req.between ?? (sameRecording ? "runs" : "datasets");
  const matrices: EmbeddingMatrix[] = resolved.map((r) => ({ data: r.embedding.data, rows: r.embedding.rows, dim: r.embedding.dim }));
  const names = resolved.map((r) => r.model_id);
  const embeddings = resolved.map((r) => ({
    model_id: r.model_id, embedding_id: r.embedding_id, recording_id: r.model.meta.recording_id,
    rows: r.embedding.rows, dim: r.embedding.dim, control: r.model.meta.control,
  }));
  if (between === "runs") {
    if (!sameRecording || new Set(matrices.map((m) => m.rows)).size > 1) {
      throw new UserError(
        `Consistency between runs compares embeddings sample by sample, but these come from ${new Set(recordingIds).size > 1 ? `different recordings (${[...new Set(recordingIds)].join(", ")})` : "embeddings with different row counts"}.`,
        "Pass between: 'datasets' with a label (e.g. 'frame') to align them, or compare models of one recording.",
      );
    }
    const res = consistencyScore(matrices, { between: "runs" });
    const pairs = res.pairs.map(([a, b], i) => ({ source: names[Number(a)], target: names[Number(b)], r2: res.scores[i] }));
    return { between, embeddings, pairs, mean_r2: mean(res.scores), label: null, bins: null };
  }
  const label = req.label ?? "frame";
  const bins = req.bins ?? 100;
  const labels: Float64Array[] = [];
  for (const id of recordingIds) labels.push(labelValues(await deps.recordings.loadRecordingArtifact(id), label, id));
  const res = consistencyScore(matrices, { between: "datasets", labels, dataset_ids: recordingIds, num_discretization_bins: bins });
  if (res.scores.length === 0) {
    throw new UserError("All embeddings come from the same recording, so there is no pair across datasets to score.", "Use between: 'runs' for embeddings of one recording.");
  }
  const pairs = res.pairs.map(([a, b], i) => ({ source: String(a), target: String(b), r2: res.scores[i] }));
  return { between, embeddings, pairs, mean_r2: mean(res.scores), label: typeof label === "string" ? label : label.column, bins };
}

/**
 * How to read the mean R²: what 1 and 0 mean, and the measured reference point where the ids include a
 * shuffled-label control (pairs of real models against pairs involving a control, same recording and
 * protocol). Without a control there is no published threshold to compare with, so the sentence says how to get one.
 */
export function consistencyReading(r: CompareResult): string {
  const scale = "R² 1 means the embeddings are the same up to a linear map, 0 that a linear map predicts no better than the mean";
  const controlModels = new Set(r.embeddings.filter((e) => e.control !== null).map((e) => e.model_id));
  if (r.between === "runs" && controlModels.size > 0) {
    const real = r.pairs.filter((p) => !controlModels.has(p.source) && !controlModels.has(p.target) && p.source !== p.target).map((p) => p.r2);
    const withControl = r.pairs.filter((p) => controlModels.has(p.source) !== controlModels.has(p.target)).map((p) => p.r2);
    if (real.length && withControl.length) {
      const a = mean(real);
      const b = mean(withControl);
      return `Reading: ${scale}; pairs of trained models average ${a.toFixed(3)}, pairs with a shuffled-label control ${b.toFixed(3)}, so the models agree ${a > b ? `${(a - b).toFixed(3)} more than with a control` : "no more than with a control"}.`;
    }
    if (withControl.length) {
      return `Reading: ${scale}; every pair here involves a shuffled-label control (mean ${mean(withControl).toFixed(3)}), which is the agreement expected without label structure: add a second trained model (another seed) to ids to compare models with it.`;
    }
  }
  const how = r.between === "runs"
    ? "for a measured floor, add a shuffled-label control (shuffled_model_id from train_embedding) to ids"
    : "compare with the same score between runs of one recording (seeds) to see how much is lost across recordings";
  return `Reading: ${scale}; ${how}.`;
}

function labelValues(rec: Recording, label: "frame" | { column: string }, id: string): Float64Array {
  if (label === "frame") {
    if (!rec.frame) throw new UserError(`Recording ${id} has no movie frame indices to align by.`, "Pass label: {column: NAME} with a continuous label column.");
    return Float64Array.from(rec.frame, (f) => (f < 0 ? NaN : f)); // no frame on screen: not aligned
  }
  if (!rec.continuous) throw new UserError(`Recording ${id} has no continuous column '${label.column}'.`, "Align by label: 'frame'.");
  return Float64Array.from(selectContinuous(rec.continuous, [label.column]).data);
}
