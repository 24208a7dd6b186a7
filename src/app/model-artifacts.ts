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
import { adaptedStart, type FitResult, type MultiFitResult } from "../engine/fit.js";
import type { PreparedTraining } from "../engine/train/prepare.js";
import { transformRecording, untrainedModel } from "../engine/train/transform.js";
import type { LabelSource } from "../engine/train/prepare.js";
import type { InfoNCEResult } from "../engine/train/evaluate.js";
import type { ArchitectureInfo, TrainConfig, TrainedModel } from "../engine/types.js";
import type { ImportedFrom } from "./cebra-import.js";
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
  /** Imported from a CEBRA (Python) checkpoint (train_embedding resume_from: <path>). */
  imported_from?: ImportedFrom;
  /** Adapted (train_embedding adapt_from): the model whose encoder body it started from, which session's, and whether that body was frozen. */
  adapted_from?: AdaptedFrom;
  /**
   * Multi-session models: one entry per recording, in training order (the top-level recording, split,
   * embedding and held-out fields repeat session 0's). `sessionView` gives the model as one session sees it.
   */
  sessions?: SessionMeta[];
  /** In a session view (`sessionView`): which session the top-level fields describe. */
  session_index?: number;
  engine_files: string[];
}

export interface AdaptedFrom {
  model_id: string;
  session: number;
  recording_id: string;
  frozen: boolean;
}

/** One session of a multi-session model. */
export interface SessionMeta {
  recording_id: string;
  recording_sha256: string;
  n_neurons: number;
  embedding_id: string;
  split: SplitMeta;
  label_description: string;
  heldout: InfoNCEResult | null;
  untrained_embedding_id?: string;
}

/** The model as session `s` sees it: its recording, split, embedding and held-out score at the top level. */
export function sessionView(meta: ModelMeta, s: number): ModelMeta {
  const x = meta.sessions?.[s];
  if (!x) return meta;
  return {
    ...meta, recording_id: x.recording_id, recording_sha256: x.recording_sha256, embedding_id: x.embedding_id, split: x.split,
    label_description: x.label_description, heldout: x.heldout, untrained_embedding_id: x.untrained_embedding_id, session_index: s,
  };
}

/** Which session of multi-session model `modelId` a recording or embedding names; a UserError listing the sessions otherwise. */
export function sessionIndex(modelId: string, meta: ModelMeta, by: { recording_id?: string; embedding_id?: string }): number {
  const sessions = meta.sessions ?? [];
  const i = by.embedding_id ? sessions.findIndex((x) => x.embedding_id === by.embedding_id) : by.recording_id ? sessions.findIndex((x) => x.recording_id === by.recording_id) : -1;
  if (i >= 0) return i;
  const list = `recording_id ${sessions.map((x) => x.recording_id).join(", ")} (embedding_id ${sessions.map((x) => x.embedding_id).join(", ")})`;
  throw new UserError(
    by.recording_id || by.embedding_id
      ? `Multi-session model ${modelId} has no session ${by.recording_id ?? by.embedding_id}; its sessions are ${list}.`
      : `Model ${modelId} is multi-session (${sessions.length} sessions, one embedding each), so it needs the session to use; its sessions are ${list}.`,
    `Pass recording_id with model_id, or pass one of its embedding_ids instead: ${sessions.map((x) => x.embedding_id).join(", ")}.`,
  );
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
  /** Multi-session models: which session's encoder made it. */
  session?: number;
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
  adapted_from?: AdaptedFrom;
  imported_from?: ImportedFrom;
}

/** ", final loss x.xxx" for a model summary, or nothing when no loss was recorded. */
function finalLoss(training: { loss_final_mean: number | null }): string {
  return training.loss_final_mean !== null ? `, final loss ${training.loss_final_mean.toFixed(3)}` : "";
}

/**
 * Writes a model draft's engine files and commits it with `meta` (the draft is aborted if either fails),
 * then links a shuffled-label control to the model it controls.
 */
async function commitModel(
  ws: Workspace, draft: Awaited<ReturnType<Workspace["begin"]>>, files: { name: string; data: Uint8Array }[], meta: ModelMeta,
  controlOf: string | undefined, manifest: { summary: string; parents: string[] },
): Promise<void> {
  try {
    for (const f of files) await draft.writeFile(f.name, f.data);
    await draft.commit<ModelMeta>({ ...manifest, meta });
  } catch (e) {
    await draft.abort();
    throw e;
  }
  if (controlOf) {
    const real = await ws.get<ModelMeta>(controlOf, "model");
    await ws.update<ModelMeta>(controlOf, { meta: { ...real.meta, shuffled_model_id: draft.id } });
  }
}

/** Stores a fit as a model artifact plus its embedding artifact; links a control to its real model. */
export async function saveFit(ws: Workspace, fit: FitResult, ctx: FitContext): Promise<{ model_id: string; embedding_id: string }> {
  const { model, prepared } = fit;
  const exported = exportModel(model, {
    data: [{ recording_id: ctx.recording_id, sha256: ctx.recording_sha256 }],
    label_types: { kind: prepared.label_kind, description: prepared.label_description, shuffled: prepared.shuffled },
  });
  const split = splitMeta(prepared);
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
    ...(ctx.adapted_from ? { adapted_from: ctx.adapted_from } : {}),
    ...(ctx.imported_from ? { imported_from: ctx.imported_from } : {}),
    engine_files: exported.files.map((f) => f.name),
  };
  await commitModel(ws, draft, exported.files, meta, ctx.control_of, {
    summary: `${ctx.imported_from ? "CEBRA-imported " : ""}${model.config.model_architecture} ${ctx.mode} on ${ctx.recording_id}${control ? " — SHUFFLED-LABEL CONTROL" : ""}, ${training.steps_done} steps${finalLoss(training)}`,
    parents: [ctx.recording_id, ...(ctx.resumed_from ? [ctx.resumed_from] : []), ...(ctx.adapted_from ? [ctx.adapted_from.model_id] : [])],
  });
  return { model_id: modelId, embedding_id: embedding.id };
}

function splitMeta(prepared: PreparedTraining): SplitMeta {
  return {
    kind: prepared.split.kind,
    train_repeats: prepared.split.train_repeats,
    test_repeats: prepared.split.test_repeats,
    train_fraction: prepared.split.train_fraction,
    n_train: prepared.split.train.length,
    n_test: prepared.split.test.length,
    description: prepared.split.description,
    train_range: prepared.split.kind === "fraction" ? [0, prepared.split.train.length] : null,
  };
}

/**
 * Stores a multi-session fit: ONE model artifact (the engine's export holds one encoder per session)
 * and one embedding artifact per session, in the recordings' order; a control is linked to its model.
 */
export async function saveSessionsFit(
  ws: Workspace, fit: MultiFitResult, ctx: { recordings: { id: string; sha256: string }[]; mode: string; labels: LabelSource | null; control_of?: string },
): Promise<{ model_id: string; embedding_ids: string[] }> {
  const { model, prepared } = fit;
  const p0 = prepared[0];
  const exported = exportModel(model, {
    data: ctx.recordings.map((r) => ({ recording_id: r.id, sha256: r.sha256 })),
    label_types: { kind: p0.label_kind, description: p0.label_description, shuffled: p0.shuffled },
  });
  const control = p0.shuffled ? ("shuffled_labels" as const) : null;
  const draft = await ws.begin("model");
  const modelId = draft.id;
  const sessions: SessionMeta[] = [];
  try {
    for (let s = 0; s < ctx.recordings.length; s++) {
      const r = ctx.recordings[s];
      const e = fit.embeddings[s];
      const split = splitMeta(prepared[s]);
      const emb = await ws.create<EmbeddingMeta>("embedding", {
        summary: `${e.rows}×${fit.dim} embedding of ${r.id} by ${modelId} (session ${s})${control ? " (shuffled-label control)" : ""}`,
        parents: [modelId, r.id],
        meta: { model_id: modelId, recording_id: r.id, rows: e.rows, dim: fit.dim, architecture: model.architecture, split, control, session: s },
        files: { [EMBEDDING_FILE]: writeNpy({ dtype: "<f4", shape: [e.rows, fit.dim], data: e.data }) },
      });
      sessions.push({ recording_id: r.id, recording_sha256: r.sha256, n_neurons: model.n_neurons[s], embedding_id: emb.id, split, label_description: prepared[s].label_description, heldout: fit.heldout[s] });
    }
  } catch (e) {
    await draft.abort();
    throw e;
  }
  const training = exported.manifest.training;
  const meta: ModelMeta = {
    ...sessions[0], mode: ctx.mode, labels: ctx.labels, label_kind: p0.label_kind, architecture: model.architecture, config: model.config, training,
    control, shuffle_description: p0.shuffle_description, ...(ctx.control_of ? { control_of: ctx.control_of } : {}),
    sessions, engine_files: exported.files.map((f) => f.name),
  };
  delete (meta as Partial<SessionMeta>).n_neurons;
  await commitModel(ws, draft, exported.files, meta, ctx.control_of, {
    summary: `${model.config.model_architecture} multi-session on ${ctx.recordings.map((r) => r.id).join(" + ")}${control ? " — SHUFFLED-LABEL CONTROL" : ""}, ${training.steps_done} steps${finalLoss(training)}`,
    parents: ctx.recordings.map((r) => r.id),
  });
  return { model_id: modelId, embedding_ids: sessions.map((x) => x.embedding_id) };
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
 * parameters training started from; for an adapted model, its source's layers with the new first layer
 * before training), transformed over `neural` exactly like the trained embedding.
 * Stored as an embedding artifact linked from the model (`untrained_embedding_id`) so later decodings
 * reuse it.
 */
export async function untrainedEmbedding(
  ws: Workspace, modelId: string, rec: { neural: Float32Array; n_samples: number; n_neurons: number }, session = 0,
): Promise<{ id: string; data: Float32Array; rows: number; dim: number }> {
  const cached = sessionView((await ws.get<ModelMeta>(modelId, "model")).meta, session).untrained_embedding_id;
  if (cached && (await ws.has(cached))) {
    const e = await loadEmbedding(ws, cached);
    return { id: cached, data: e.data, rows: e.rows, dim: e.dim };
  }
  const { model, manifest } = await loadModel(ws, modelId);
  // A multi-session model's encoder s started from seed + s (engine/cebra/multisession-step.ts initMultiSessionParams).
  const one = model.n_neurons.length > 1
    ? { ...model, config: { ...model.config, seed: model.config.seed + session }, n_neurons: [model.n_neurons[session]], params: [model.params[session]], optimizer: [model.optimizer[session]] }
    : model;
  // An adapted model started from its source's layers and a new first layer: that start is its initialisation.
  const a = manifest.meta.adapted_from;
  const start = a ? adaptedStart((await loadModel(ws, a.model_id)).model, a.session, model.config, model.n_neurons[0], false).start : untrainedModel(one);
  const data = await transformRecording(start, rec.neural, rec.n_samples, rec.n_neurons);
  const dim = model.config.output_dimension;
  const rows = data.length / dim;
  const m = sessionView(manifest.meta, session);
  const emb = await ws.create<EmbeddingMeta>("embedding", {
    summary: `${rows}×${dim} embedding of ${m.recording_id} by ${modelId} at its initialisation (untrained-encoder control)`,
    parents: [modelId, m.recording_id],
    meta: { model_id: modelId, recording_id: m.recording_id, rows, dim, architecture: model.architecture, split: m.split, control: "untrained_encoder", ...(m.sessions ? { session } : {}) },
    files: { [EMBEDDING_FILE]: writeNpy({ dtype: "<f4", shape: [rows, dim], data }) },
  });
  const fresh = (await ws.get<ModelMeta>(modelId, "model")).meta;
  const next = fresh.sessions
    ? { ...fresh, sessions: fresh.sessions.map((x, i) => (i === session ? { ...x, untrained_embedding_id: emb.id } : x)) }
    : { ...fresh, untrained_embedding_id: emb.id };
  await ws.update<ModelMeta>(modelId, { meta: next });
  return { id: emb.id, data, rows, dim };
}

/**
 * Resolves `model_id` or `embedding_id` to the embedding and the model's meta (both given: they must belong
 * together). A multi-session model needs its session: `recording_id`, or one of its embedding ids; the
 * meta returned is then that session's view (`sessionView`).
 */
export async function resolveEmbedding(ws: Workspace, ids: { model_id?: string; embedding_id?: string; recording_id?: string }) {
  if (!ids.model_id && !ids.embedding_id) {
    throw new UserError("Neither model_id nor embedding_id was given.", "Pass the model_id (or embedding_id) that train_embedding returned; list_artifacts shows them.");
  }
  const modelId = ids.model_id ?? (await ws.get<EmbeddingMeta>(ids.embedding_id!, "embedding")).meta.model_id;
  const stored = await ws.get<ModelMeta>(modelId, "model");
  let model = stored;
  if (stored.meta.sessions) {
    const byEmbedding = ids.embedding_id ? (await ws.get<EmbeddingMeta>(ids.embedding_id, "embedding")).meta.session : undefined;
    const s = byEmbedding ?? sessionIndex(modelId, stored.meta, { recording_id: ids.recording_id });
    model = { ...stored, meta: sessionView(stored.meta, s) };
  }
  if (ids.recording_id && model.meta.recording_id !== ids.recording_id) {
    throw new UserError(`Model ${modelId}${model.meta.sessions ? `'s embedding ${ids.embedding_id}` : ""} embeds ${model.meta.recording_id}, not ${ids.recording_id}.`, `Pass recording_id "${model.meta.recording_id}", or leave it out.`);
  }
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
