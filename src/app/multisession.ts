/**
 * Multi-session training as a workspace job (train_embedding with `recording_ids`): one encoder per
 * recording into one shared embedding space (CEBRA §3.4, engine/fit.ts `fitSessions`), stored as ONE
 * model with one embedding per recording (model-artifacts.ts `saveSessionsFit`), optionally with its
 * shuffled-label control (each session's labels shuffled, same seed, samples and steps). Checkpoints
 * work as for one recording: a job run again after its process stopped goes on from its last one.
 */
import { fitSessions, type MultiFitResult } from "../engine/fit.js";
import { goodnessOfFitBits } from "../engine/cebra/metrics.js";
import { storedTrainConfig } from "../engine/types.js";
import type { Recording } from "../data/recording.js";
import type { JobControl } from "../store/jobs.js";
import type { RecordingStore } from "../store/recordings.js";
import type { Workspace } from "../store/workspace.js";
import { CancelledError } from "../util/errors.js";
import { mean } from "../util/stats.js";
import { CheckpointWriter, checkpointPolicy, latestCheckpoint, removeCheckpoint, type Checkpoint } from "./checkpoint.js";
import { loadModel, saveSessionsFit, type ModelMeta } from "./model-artifacts.js";
import type { LabelSource, TrainingMode } from "../engine/train/prepare.js";
import type { TrainingRequest as FullRequest } from "./training-request.js";

/** The part of a training request a multi-session run reads. */
type TrainingRequest = Pick<FullRequest, "recording_ids" | "mode" | "labels" | "config" | "train_repeats" | "train_fraction" | "shuffled_control">;


type Deps = { workspace: Workspace; recordings: RecordingStore };

/** The recordings of a request, loaded, and a warning when the sessions' frame features differ (different movies). */
async function loadSessions(deps: Deps, ids: string[], labels: LabelSource | undefined): Promise<{ recs: Recording[]; warnings: string[] }> {
  const recs: Recording[] = [];
  for (const id of ids) recs.push(await deps.recordings.loadRecordingArtifact(id));
  const warnings: string[] = [];
  const ff = recs.map((r) => r.frame_features);
  if ((labels === undefined || labels === "frame_features") && ff.every((f) => f) && ff.some((f) => !sameArray(f!.data, ff[0]!.data))) {
    warnings.push(`The recordings' frame features differ (${ids.join(", ")}): they show different movies, so positives across sessions match frames by their features, not the same frame. Joint training is meant for sessions of the same stimulus (builtin:allen-like: give the recordings one movie_seed).`);
  }
  return { recs, warnings };
}

function sameArray(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Runs a multi-session training request (the "train" job kind with `recording_ids`). */
export async function runMultiSessionTraining(deps: Deps, req: TrainingRequest, control: JobControl) {
  const writer = new CheckpointWriter(deps.workspace, control.id);
  const checkpoint = await latestCheckpoint(deps.workspace, control.id);
  if (checkpoint) control.warn(`It resumed from its checkpoint at step ${(checkpoint.phase === "control" ? req.config.max_iterations : 0) + checkpoint.model.steps_done} (${checkpoint.phase === "control" ? "shuffled-label control" : "model"}, saved ${checkpoint.saved_at}).`);
  try {
    return await runFrom(deps, req, control, checkpoint, writer);
  } finally {
    await writer.flush();
    await removeCheckpoint(deps.workspace, control.id);
  }
}

async function runFrom(deps: Deps, req: TrainingRequest, control: JobControl, checkpoint: Checkpoint | null, writer: CheckpointWriter) {
  const ids = req.recording_ids!;
  const { recs, warnings } = await loadSessions(deps, ids, req.labels);
  warnings.forEach((w) => control.warn(w));
  const steps = req.config.max_iterations;
  const S = ids.length;
  const chance = `log(${S}·${req.config.batch_size}) = ${Math.log(S * req.config.batch_size).toFixed(3)}`;
  const policy = checkpointPolicy();
  const ctx = { recordings: recs.map((r, i) => ({ id: ids[i], sha256: r.provenance.sha256 })), mode: req.mode, labels: req.labels ?? null };
  let saved: { model_id: string; embedding_ids: string[] } | null = null;
  const fit = (shuffled: boolean, offset: number) =>
    fitSessions(recs, {
      names: ids,
      mode: req.mode,
      labels: req.labels,
      train_repeats: req.train_repeats,
      train_fraction: req.train_fraction,
      shuffle_labels: shuffled,
      shuffle_seed: req.config.seed + 1,
      config: req.config,
      resumeFrom: checkpoint?.phase === (shuffled ? "control" : "model") ? checkpoint.model : undefined,
      signal: control.signal,
      checkpointEvery: policy,
      onCheckpoint: writer.callback(shuffled ? "control" : "model", shuffled && saved ? { ...saved } : { prior_steps: 0 }),
      onWarnings: shuffled ? undefined : (ws) => ws.forEach((w) => control.warn(w)),
      onProgress: (p) => {
        const what = shuffled ? "shuffled-label control" : "model";
        control.report({
          step: offset + p.step, phase: `training ${what}`, phase_step: p.step, phase_total: steps,
          message: `${what} (${S} sessions): step ${p.step}/${steps} loss=${p.loss.toFixed(4)} (chance ${chance})`,
          metrics: { loss: p.loss, align: p.align, uniform: p.uniform, temperature: p.temperature },
          steps_per_s: p.steps_per_s,
          eta_s: p.eta_s + (shuffled || !req.shuffled_control ? 0 : steps / Math.max(p.steps_per_s, 1e-9)),
        });
        if (p.step >= p.total_steps) control.report({ step: offset + p.step, phase: `embedding (${what})`, phase_step: p.step, phase_total: steps, message: `embedding every session with its encoder and scoring the held-out loss` });
      },
    });
  let real: MultiFitResult;
  if (checkpoint?.phase === "control") {
    // The model was saved before the process stopped: embed and score it again (no steps), keep its ids.
    saved = checkpoint.context as unknown as { model_id: string; embedding_ids: string[] };
    const stored = await loadModel(deps.workspace, saved.model_id);
    real = await fitSessions(recs, { ...setupOf(stored.manifest.meta), names: ids, config: stored.model.config, resumeFrom: stored.model, signal: control.signal });
  } else {
    real = await fit(false, 0);
    saved = await saveSessionsFit(deps.workspace, real, ctx);
  }
  let shuffled: MultiFitResult | null = null;
  let shuffledId: string | null = null;
  if (req.shuffled_control && !real.model.cancelled) {
    shuffled = await fit(true, steps);
    shuffledId = (await saveSessionsFit(deps.workspace, shuffled, { ...ctx, control_of: saved.model_id })).model_id;
  }
  return multiSessionResult(ids, real, saved, shuffled, shuffledId, warnings);
}

function setupOf(m: ModelMeta): { mode: TrainingMode; labels?: LabelSource; train_repeats?: number[]; train_fraction?: number } {
  return {
    mode: m.mode as TrainingMode,
    labels: m.labels ?? undefined,
    train_repeats: m.split.kind === "repeats" ? m.split.train_repeats : undefined,
    train_fraction: m.split.train_fraction ?? undefined,
  };
}

function multiSessionResult(
  ids: string[], real: MultiFitResult, saved: { model_id: string; embedding_ids: string[] },
  shuffled: MultiFitResult | null, shuffledId: string | null, warnings: string[],
) {
  const m = real.model;
  const S = ids.length;
  const tail = (xs: number[]) => (xs.length ? mean(xs.slice(-Math.min(100, xs.length))) : null);
  const finalLoss = tail(m.log.total);
  const bits = real.heldout.map((h) => h?.gof_bits ?? null);
  const known = bits.filter((b): b is number => b !== null);
  const sbits = (shuffled?.heldout ?? []).map((h) => h?.gof_bits).filter((b): b is number => b !== undefined);
  return {
    model_id: saved.model_id,
    embedding_id: saved.embedding_ids[0],
    embedding_ids: saved.embedding_ids,
    recording_ids: ids,
    session_heldout_bits: bits,
    shuffled_model_id: shuffledId,
    recording_id: ids[0],
    mode: "behavior" as const,
    labels: real.prepared[0].label_description,
    split: ids.map((id, s) => `${id}: ${real.prepared[s].split.description}`).join("; "),
    steps_done: m.steps_done,
    cancelled: m.cancelled,
    final_loss: finalLoss,
    // The training loss is InfoNCE over the S·B stacked batch (engine/train/evaluate.ts: GoF = log(B·S) − loss).
    goodness_of_fit_bits: finalLoss === null ? null : goodnessOfFitBits(finalLoss, m.config.batch_size, S),
    heldout_infonce: known.length ? mean(real.heldout.filter((h) => h).map((h) => h!.infonce)) : null,
    heldout_goodness_of_fit_bits: known.length ? mean(known) : null,
    shuffled_final_loss: shuffled ? tail(shuffled.model.log.total) : null,
    shuffled_heldout_goodness_of_fit_bits: sbits.length ? mean(sbits) : null,
    temperature: m.log.temperature.length ? m.log.temperature[m.log.temperature.length - 1] : null,
    steps_per_s: m.wall_time_s > 0 ? m.steps_done / m.wall_time_s : 0,
    device_used: m.device_used,
    device_notes: m.device_notes,
    wall_time_s: m.wall_time_s,
    warnings: [...warnings, ...real.warnings],
  };
}

/**
 * The shuffled-label control of a stored multi-session model, trained now (same recordings, labels,
 * splits, configuration, seed and steps, each session's labels shuffled); returns its id.
 */
export async function trainMultiSessionTwin(
  deps: Deps, model: { id: string; meta: ModelMeta },
  opts: { signal?: AbortSignal; onProgress?: (step: number, total: number, message: string) => void } = {},
): Promise<string> {
  const m = model.meta;
  const ids = m.sessions!.map((x) => x.recording_id);
  const { recs } = await loadSessions(deps, ids, m.labels ?? undefined);
  const total = m.config.max_iterations + 2;
  const fit = await fitSessions(recs, {
    ...setupOf(m),
    names: ids,
    shuffle_labels: true,
    shuffle_seed: m.config.seed + 1,
    config: storedTrainConfig(m.config),
    signal: opts.signal,
    onProgress: (p) => {
      opts.onProgress?.(p.step, total, `training shuffled-label control (this decoding asked for it; model ${model.id} has none): step ${p.step}/${p.total_steps} loss=${p.loss.toFixed(4)}`);
      if (p.step >= p.total_steps) opts.onProgress?.(p.total_steps + 1, total, "embedding (shuffled-label control): embedding every session with its encoder");
    },
  });
  if (fit.model.cancelled) throw new CancelledError("shuffled-label control training was cancelled");
  opts.onProgress?.(total, total, "saving shuffled-label control: saving it and its embeddings to the workspace, then decoding");
  const recordings = recs.map((r, i) => ({ id: ids[i], sha256: r.provenance.sha256 }));
  return (await saveSessionsFit(deps.workspace, fit, { recordings, mode: m.mode, labels: m.labels, control_of: model.id })).model_id;
}
