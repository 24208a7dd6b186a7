/**
 * Models, embeddings and decodings as workspace artifacts.
 *
 * - model `mdl_…`: the engine's export (self-contained ONNX encoder, parameters, Adam state, training log,
 *   the engine's model.json manifest) plus workspace meta (recording, labels, split, controls);
 * - embedding `emb_…`: `embedding.npy` `[rows, D]` float32 for every sample of the recording (numpy opens it);
 *   a model's untrained-encoder embedding (the same model at its initialisation) is one too, made on first use;
 * - decoding `dec_…`: `decoding.json`, the complete per-sample table with provenance (resource `decoding://{id}`).
 */
import { parseNpy, writeNpy } from "../data/formats/npy.js";
import { exportModel, loadModelFiles, type ModelFile, type TrainingSummary } from "../engine/train/export.js";
import type { FitResult } from "../engine/fit.js";
import { transformRecording, untrainedModel } from "../engine/train/transform.js";
import type { LabelSource } from "../engine/train/prepare.js";
import type { InfoNCEResult } from "../engine/train/evaluate.js";
import type { ArchitectureInfo, TrainConfig, TrainedModel } from "../engine/types.js";
import { UserError } from "../util/errors.js";
import type { ArtifactManifest, Workspace } from "../store/workspace.js";

/** What a model artifact records beside the engine's own manifest. */
export interface ModelMeta {
  recording_id: string;
  recording_sha256: string;
  mode: string;
  /** The label choice as requested (null = the recording's default), so controls can repeat it. */
  labels: LabelSource | null;
  label_description: string;
  label_kind: string;
  split: SplitMeta;
  architecture: ArchitectureInfo;
  config: TrainConfig;
  training: TrainingSummary;
  heldout: InfoNCEResult | null;
  embedding_id: string;
  /** "shuffled_labels" for a control model; null for a real one. */
  control: "shuffled_labels" | null;
  shuffle_description: string | null;
  /** For a control: the model it controls. For a real model: its shuffled-label twin, once trained. */
  control_of?: string;
  shuffled_model_id?: string;
  /** The embedding of this model's encoder at its initialisation (untrained-encoder control), once computed. */
  untrained_embedding_id?: string;
  resumed_from?: string;
  engine_files: string[];
}

interface SplitMeta {
  kind: "repeats" | "fraction";
  train_repeats: number[];
  test_repeats: number[];
  train_fraction: number | null;
  n_train: number;
  n_test: number;
  description: string;
  /** Sample indices the model trained on (fraction splits: [start, end) ranges; repeats: implied by train_repeats). */
  train_range: [number, number] | null;
}

interface EmbeddingMeta {
  model_id: string;
  recording_id: string;
  rows: number;
  dim: number;
  architecture: ArchitectureInfo;
  split: SplitMeta;
  /** "untrained_encoder": the model's encoder at its initialisation (no training), a decoding control. */
  control: "shuffled_labels" | "untrained_encoder" | null;
}

const EMBEDDING_FILE = "embedding.npy";
const DECODING_FILE = "decoding.json";

/** Context of a fit that the engine does not know. */
interface FitContext {
  recording_id: string;
  recording_sha256: string;
  mode: string;
  labels: LabelSource | null;
  control_of?: string;
  /** The model this one continued (train_embedding resume_from). */
  resumed_from?: string;
}

/** Stores a fit as a model artifact plus its embedding artifact; links a control to its real model. */
export async function saveFit(ws: Workspace, fit: FitResult, ctx: FitContext): Promise<{ model_id: string; embedding_id: string }> {
  const { model, prepared } = fit;
  const exported = exportModel(model, {
    data: [{ recording_id: ctx.recording_id, sha256: ctx.recording_sha256 }],
    label_types: { kind: prepared.label_kind, description: prepared.label_description, shuffled: prepared.shuffled },
  });
  const split: SplitMeta = {
    kind: prepared.split.kind,
    train_repeats: prepared.split.train_repeats,
    test_repeats: prepared.split.test_repeats,
    train_fraction: prepared.split.train_fraction,
    n_train: prepared.split.train.length,
    n_test: prepared.split.test.length,
    description: prepared.split.description,
    train_range: prepared.split.kind === "fraction" ? [0, prepared.split.train.length] : null,
  };
  const control = prepared.shuffled ? ("shuffled_labels" as const) : null;
  const draft = await ws.begin("model");
  const modelId = draft.id;
  const embedding = await ws.create<EmbeddingMeta>(
    "embedding",
    {
      summary: `${fit.embedding_rows}×${fit.dim} embedding of ${ctx.recording_id} by ${modelId}${control ? " (shuffled-label control)" : ""}`,
      parents: [modelId, ctx.recording_id],
      meta: { model_id: modelId, recording_id: ctx.recording_id, rows: fit.embedding_rows, dim: fit.dim, architecture: model.architecture, split, control },
      files: { [EMBEDDING_FILE]: writeNpy({ dtype: "<f4", shape: [fit.embedding_rows, fit.dim], data: fit.embedding }) },
    },
  );
  try {
    for (const f of exported.files) await draft.writeFile(f.name, f.data);
    const training = exported.manifest.training;
    const meta: ModelMeta = {
      recording_id: ctx.recording_id,
      recording_sha256: ctx.recording_sha256,
      mode: ctx.mode,
      labels: ctx.labels,
      label_description: prepared.label_description,
      label_kind: prepared.label_kind,
      split,
      architecture: model.architecture,
      config: model.config,
      training,
      heldout: fit.heldout,
      embedding_id: embedding.id,
      control,
      shuffle_description: prepared.shuffle_description,
      ...(ctx.control_of ? { control_of: ctx.control_of } : {}),
      ...(ctx.resumed_from ? { resumed_from: ctx.resumed_from } : {}),
      engine_files: exported.files.map((f) => f.name),
    };
    const loss = training.loss_final_mean !== null ? `, final loss ${training.loss_final_mean.toFixed(3)}` : "";
    await draft.commit<ModelMeta>({
      summary: `${model.config.model_architecture} ${ctx.mode} on ${ctx.recording_id}${control ? " — SHUFFLED-LABEL CONTROL" : ""}, ${training.steps_done} steps${loss}`,
      parents: [ctx.recording_id, ...(ctx.resumed_from ? [ctx.resumed_from] : [])],
      meta,
    });
  } catch (e) {
    await draft.abort();
    throw e;
  }
  if (ctx.control_of) {
    const real = await ws.get<ModelMeta>(ctx.control_of, "model");
    await ws.update<ModelMeta>(ctx.control_of, { meta: { ...real.meta, shuffled_model_id: modelId } });
  }
  return { model_id: modelId, embedding_id: embedding.id };
}

/** A stored model, ready to transform or resume. */
export async function loadModel(ws: Workspace, id: string): Promise<{ model: TrainedModel; manifest: ArtifactManifest<ModelMeta> }> {
  const manifest = await ws.get<ModelMeta>(id, "model");
  const files: ModelFile[] = [];
  for (const name of manifest.meta.engine_files) files.push({ name, data: await ws.readFile(id, name) });
  return { model: loadModelFiles(files), manifest };
}

/** A stored embedding `[rows, dim]`. */
export async function loadEmbedding(ws: Workspace, id: string): Promise<{ data: Float32Array; rows: number; dim: number; manifest: ArtifactManifest<EmbeddingMeta> }> {
  const manifest = await ws.get<EmbeddingMeta>(id, "embedding");
  const arr = parseNpy(await ws.readFile(id, EMBEDDING_FILE), `${id}/${EMBEDDING_FILE}`);
  if (!(arr.data instanceof Float32Array) || arr.shape.length !== 2) {
    throw new UserError(`Embedding ${id} is not a 2-D float32 array (${arr.dtype} [${arr.shape.join(", ")}]).`, "Re-run train_embedding to recreate it.");
  }
  return { data: arr.data, rows: arr.shape[0], dim: arr.shape[1], manifest };
}

/**
 * The untrained-encoder control of a model: its architecture, sizes and seed at initialisation (the
 * parameters training started from), transformed over `neural` exactly like the trained embedding.
 * Stored as an embedding artifact linked from the model (`untrained_embedding_id`) so later decodings
 * reuse it.
 */
export async function untrainedEmbedding(
  ws: Workspace, modelId: string, rec: { neural: Float32Array; n_samples: number; n_neurons: number },
): Promise<{ id: string; data: Float32Array; rows: number; dim: number }> {
  const cached = (await ws.get<ModelMeta>(modelId, "model")).meta.untrained_embedding_id;
  if (cached && (await ws.has(cached))) {
    const e = await loadEmbedding(ws, cached);
    return { id: cached, data: e.data, rows: e.rows, dim: e.dim };
  }
  const { model, manifest } = await loadModel(ws, modelId);
  const data = await transformRecording(untrainedModel(model), rec.neural, rec.n_samples, rec.n_neurons);
  const dim = model.config.output_dimension;
  const rows = data.length / dim;
  const m = manifest.meta;
  const emb = await ws.create<EmbeddingMeta>("embedding", {
    summary: `${rows}×${dim} embedding of ${m.recording_id} by ${modelId} at its initialisation (untrained-encoder control)`,
    parents: [modelId, m.recording_id],
    meta: { model_id: modelId, recording_id: m.recording_id, rows, dim, architecture: model.architecture, split: m.split, control: "untrained_encoder" },
    files: { [EMBEDDING_FILE]: writeNpy({ dtype: "<f4", shape: [rows, dim], data }) },
  });
  const fresh = await ws.get<ModelMeta>(modelId, "model");
  await ws.update<ModelMeta>(modelId, { meta: { ...fresh.meta, untrained_embedding_id: emb.id } });
  return { id: emb.id, data, rows, dim };
}

/** Resolves `model_id` or `embedding_id` to the embedding and the model's meta (both given: they must belong together). */
export async function resolveEmbedding(ws: Workspace, ids: { model_id?: string; embedding_id?: string }) {
  if (!ids.model_id && !ids.embedding_id) {
    throw new UserError("Neither model_id nor embedding_id was given.", "Pass the model_id (or embedding_id) that train_embedding returned; list_artifacts shows them.");
  }
  const modelId = ids.model_id ?? (await ws.get<EmbeddingMeta>(ids.embedding_id!, "embedding")).meta.model_id;
  const model = await ws.get<ModelMeta>(modelId, "model");
  const embeddingId = ids.embedding_id ?? model.meta.embedding_id;
  const embedding = await loadEmbedding(ws, embeddingId);
  if (embedding.manifest.meta.model_id !== modelId) {
    throw new UserError(
      `Embedding ${embeddingId} was computed by model ${embedding.manifest.meta.model_id}, not by ${modelId}, so they cannot be used together.`,
      `Pass only model_id (its embedding is ${model.meta.embedding_id}) or only embedding_id.`,
    );
  }
  return { model_id: modelId, model, embedding_id: embeddingId, embedding };
}

/** Stores a decoding's complete JSON, with its id as `decoding_id` (served as `decoding://{id}`). */
export async function saveDecoding<M, F extends object>(
  ws: Workspace, init: { summary: string; parents: string[]; meta: M; full: F },
): Promise<F & { decoding_id: string }> {
  const draft = await ws.begin("decoding");
  const full = { decoding_id: draft.id, ...init.full };
  try {
    await draft.writeFile(DECODING_FILE, JSON.stringify(full));
    await draft.commit<M>({ summary: init.summary, parents: init.parents, meta: init.meta, resource: { file: DECODING_FILE, mime_type: "application/json" } });
  } catch (e) {
    await draft.abort();
    throw e;
  }
  return full;
}

export async function loadDecoding<T>(ws: Workspace, id: string): Promise<{ full: T; manifest: ArtifactManifest }> {
  const manifest = await ws.get(id, "decoding");
  return { full: await ws.readJson<T>(id, DECODING_FILE), manifest };
}
