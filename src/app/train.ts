/**
 * Training as a workspace job: fit a recording (engine/fit.ts), store the model and its embedding
 * (models.ts), and optionally fit the shuffled-label control with the same samples, configuration, seed
 * and steps. Progress goes to the job; cancellation stops the running fit within a step, the partial
 * model is still stored (marked cancelled) and the control is not started.
 */
import { fitEmbedding, type FitResult } from "../engine/fit.js";
import { goodnessOfFitBits } from "../engine/cebra/metrics.js";
import type { TrainingMode } from "../engine/train/prepare.js";
import { checkSupervisedRequest } from "../engine/train/supervised.js";
import { z } from "zod";
import { isSupervised, listArchitectures } from "../engine/cebra/lookup.js";
import { DEFAULT_TRAIN_CONFIG, TRAIN_CONFIG_SCHEMA, storedTrainConfig, type TrainConfig } from "../engine/types.js";
import type { JobBackend, JobControl, JobRecord, ResumedWork } from "../store/jobs.js";
import { CheckpointWriter, checkpointPolicy, latestCheckpoint, removeCheckpoint, type Checkpoint } from "./checkpoint.js";
import { loadModel, saveFit, type ModelMeta } from "./model-artifacts.js";
import { CancelledError, UserError } from "../util/errors.js";
import { runMultiSessionTraining, trainMultiSessionTwin } from "./multisession.js";
import { importAndStage, importStagedCheckpoint } from "./import-checkpoint.js";
import type { AllowedRoots } from "../store/roots.js";
import { resolveSource } from "./load.js";
import { mean } from "../util/stats.js";
import type { RecordingStore } from "../store/recordings.js";
import type { Workspace } from "../store/workspace.js";

/** The training settings a user chooses (train_embedding's arguments); the rest of TrainConfig follows from mode and labels. */
const USER_CONFIG = TRAIN_CONFIG_SCHEMA.pick({
  model_architecture: true, output_dimension: true, num_hidden_units: true, batch_size: true, max_iterations: true,
  learning_rate: true, temperature: true, temperature_mode: true, min_temperature: true, distance: true,
  time_offsets: true, seed: true, device: true, threads: true, positive_ties: true, full_batch: true, delta: true, discrete_prior: true,
});

/**
 * What a training request takes, flat as a client sends it: the recording, the objective and its labels,
 * the split, the user-facing TrainConfig fields (TRAIN_CONFIG_SCHEMA), resume and control options.
 */
export const TRAINING_ARGS_SCHEMA = z.object({
  recording_id: z.string().min(1).max(64).optional().describe("From load_recording (rec_…)."),
  recording_ids: z.array(z.string().min(1).max(64)).min(2).max(8).optional().describe("Or 2–8, one encoder each, one space."),
  mode: z.enum(["behavior", "time", "hybrid"]).default("behavior").describe("behavior: positives share labels; time: time_offsets later; hybrid: both."),
  labels: z
    .union([z.enum(["frame_features", "frame", "continuous", "discrete"]), z.array(z.string().min(1).max(128)).min(1).max(64)])
    .optional()
    .describe("Or column names; movie default frame_features."),
  ...USER_CONFIG.shape,
  // CEBRA's 121 parametrised names by their prefix (tools/list has no room for them); findSpec refuses non-members.
  model_architecture: z
    .union([z.enum(listArchitectures().map((a) => a.name) as [string, ...string[]]), z.string().regex(/^offset1-model-mse-(clip|v2|resnet)-/)])
    .default(DEFAULT_TRAIN_CONFIG.model_architecture)
    .describe("Receptive field in the name."),
  max_iterations: z.number().int().min(0).max(100_000).default(2000).describe("Steps (CEBRA 10,000: +5 pts, 5× time)."),
  temperature: USER_CONFIG.shape.temperature.describe("InfoNCE τ (start if auto)."),
  min_temperature: USER_CONFIG.shape.min_temperature.describe("Auto τ floor."),
  distance: USER_CONFIG.shape.distance.describe("cosine or −squared Euclidean."),
  seed: USER_CONFIG.shape.seed.describe("Random seed."),
  output_dimension: USER_CONFIG.shape.output_dimension.describe("Embedding dims."),
  learning_rate: USER_CONFIG.shape.learning_rate.describe("Adam step size."),
  temperature_mode: USER_CONFIG.shape.temperature_mode.describe("auto: learnable."),
  threads: USER_CONFIG.shape.threads.describe("Default: cores/2, ≤4."),
  device: USER_CONFIG.shape.device.describe("auto: CUDA, WebGPU or CPU."),
  batch_size: USER_CONFIG.shape.batch_size.describe("Samples (+negatives) per step."),
  time_offsets: USER_CONFIG.shape.time_offsets.describe("Samples between time positives."),
  positive_ties: USER_CONFIG.shape.positive_ties.unwrap().default("first").describe("Label ties: first (CEBRA) or random."),
  full_batch: USER_CONFIG.shape.full_batch.describe("batch_size None: all samples."),
  delta: USER_CONFIG.shape.delta.describe("σ: positive nearest label+N(0,σ²)."),
  discrete_prior: USER_CONFIG.shape.discrete_prior.describe("uniform: class-balanced."),
  train_repeats: z.array(z.number().int().min(0).max(100_000)).min(1).max(10_000).optional().describe("Default: all but the last."),
  train_fraction: z.number().gt(0).max(1).optional().describe("No repeats: first fraction trained (0.8)."),
  resume_from: z.string().min(1).max(512).optional().describe("Model id or CEBRA .pt: train max_iterations more (0: embed)."),
  shuffled_control: z.boolean().default(false).describe("Also a shuffled-label control (2×)."),
  adapt_from: z.string().min(1).max(64).optional().describe("Fit this model to recording_id (new layer 1)."),
  adapt_all: z.boolean().default(false).describe("adapt_from: train all layers."),
});

type TrainingArgs = z.output<typeof TRAINING_ARGS_SCHEMA>;

import type { TrainingRequest } from "./training-request.js";
export type { TrainingRequest } from "./training-request.js";

/** What a finished training job returns (the job's `result`), as a schema so the tool's output is derived from it. */
export const TRAINING_RESULT_SCHEMA = z.object({
  model_id: z.string(),
  embedding_id: z.string(),
  /** Multi-session: one embedding per recording, in the order of recording_ids (embedding_id is the first). */
  embedding_ids: z.array(z.string()).optional(),
  recording_ids: z.array(z.string()).optional(),
  /** Multi-session: each session's held-out goodness of fit (bits), in the order of recording_ids; heldout_goodness_of_fit_bits is their mean. */
  session_heldout_bits: z.array(z.number().nullable()).optional(),
  adapted_from: z.string().optional(),
  shuffled_model_id: z.string().nullable(),
  recording_id: z.string(),
  mode: z.enum(["behavior", "time", "hybrid"]),
  labels: z.string(),
  split: z.string(),
  steps_done: z.number(),
  cancelled: z.boolean(),
  final_loss: z.number().nullable(),
  goodness_of_fit_bits: z.number().nullable(),
  heldout_infonce: z.number().nullable(),
  heldout_goodness_of_fit_bits: z.number().nullable(),
  shuffled_final_loss: z.number().nullable(),
  shuffled_heldout_goodness_of_fit_bits: z.number().nullable(),
  /** Supervised models (no InfoNCE): the held-out MSE (continuous labels) or cross-entropy (discrete), and the shuffled-label control's. */
  heldout_supervised_loss: z.number().nullable().optional(),
  shuffled_heldout_supervised_loss: z.number().nullable().optional(),
  temperature: z.number().nullable(),
  steps_per_s: z.number(),
  device_used: z.string(),
  device_notes: z.array(z.string()),
  wall_time_s: z.number(),
  warnings: z.array(z.string()).describe("What the training data checks warned about (constant units or labels); empty if nothing."),
});

export type TrainingResult = z.output<typeof TRAINING_RESULT_SCHEMA>;

/**
 * The loss at chance, for progress messages. Contrastive: InfoNCE with all similarities equal is
 * log(batch size), once per objective (hybrid sums two); `batch` is "training samples" for a full-batch
 * run whose batch (every training sample) is known only once the fit has prepared the data. Supervised:
 * the loss of predicting without the neural data.
 */
export function chanceLossText(mode: TrainingMode, architecture: string, batch: number | "training samples"): string {
  if (isSupervised(architecture)) return "= the labels' variance (MSE) or log(classes) (cross-entropy)";
  const times = mode === "hybrid" ? 2 : 1;
  return typeof batch === "number"
    ? `${times === 2 ? "2·" : ""}log(${batch}) = ${(times * Math.log(batch)).toFixed(3)}`
    : `${times === 2 ? "2·" : ""}log(${batch})`;
}

/** The request a client's arguments stand for: defaults for the engine-only fields, label columns as a LabelSource. */
export function trainingRequest(args: TrainingArgs): TrainingRequest {
  const { recording_id, recording_ids, mode, labels, train_repeats, train_fraction, resume_from, shuffled_control, adapt_from, adapt_all, ...chosen } = args;
  if ((recording_id === undefined) === (recording_ids === undefined)) {
    throw new UserError(
      recording_id === undefined ? "Neither recording_id nor recording_ids was given." : "Both recording_id and recording_ids were given.",
      "Pass recording_id for one recording, or recording_ids (2–8) to train one encoder per recording into one shared space.",
    );
  }
  if (recording_ids && new Set(recording_ids).size !== recording_ids.length) {
    throw new UserError(`recording_ids lists a recording twice (${recording_ids.join(", ")}).`, "List each recording once.");
  }
  if (recording_ids && (adapt_from || resume_from)) {
    throw new UserError(`${adapt_from ? "adapt_from" : "resume_from"} cannot be combined with recording_ids: ${adapt_from ? "adapting fits one new recording" : "resume_from continues single-session models"}.`,
      adapt_from ? "Pass one recording_id with adapt_from (the model may be multi-session)." : "Train the sessions again with a larger max_iterations.");
  }
  if (adapt_from && resume_from) throw new UserError("adapt_from and resume_from cannot be combined.", "Adapt first, then resume the adapted model with resume_from.");
  if (chosen.max_iterations === 0 && !resume_from) throw new UserError("max_iterations 0 trains nothing; it only embeds with a model given by resume_from.", "Pass max_iterations ≥ 1, or resume_from (a model id or a CEBRA .pt path) to embed with that model.");
  const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, ...chosen };
  checkSupervisedRequest({ architecture: config.model_architecture, mode, sessions: recording_ids?.length ?? 1, adapt: adapt_from !== undefined, config });
  return {
    recording_id: recording_id ?? recording_ids![0], ...(recording_ids ? { recording_ids } : {}), mode, config, train_repeats, train_fraction, shuffled_control, resume_from,
    ...(adapt_from ? { adapt_from, adapt_frozen: !adapt_all } : {}),
    labels: Array.isArray(labels) ? { columns: labels } : labels,
  };
}

/** Starts training as a job (an unknown recording id fails here, before a job exists). */
export async function startTrainingJob(
  deps: { workspace: Workspace; jobs: JobBackend; recordings: RecordingStore; roots?: AllowedRoots; config?: { cwd: string } },
  request: TrainingRequest,
): Promise<JobRecord> {
  for (const id of request.recording_ids ?? [request.recording_id]) await deps.recordings.summary(id);
  const req = request.resume_from && isCheckpointPath(request.resume_from) ? await importRequest(deps, request)
    : request.resume_from ? await resumeRequest(deps.workspace, request) : request.adapt_from ? await adaptRequest(deps.workspace, request) : request;
  const runs = req.shuffled_control ? 2 : 1;
  const steps = req.config.max_iterations;
  const on = req.recording_ids ? `${req.recording_ids.length} sessions (${req.recording_ids.join(", ")})` : req.recording_id;
  return deps.jobs.submit({
    kind: "train",
    summary: `${req.imported ? `CEBRA model ${req.imported.path}` : req.config.model_architecture} ${req.mode} on ${on}${req.adapt_from ? ` adapted from ${req.adapt_from}` : ""}, ${steps} steps${req.shuffled_control ? " + shuffled-label control" : ""}`,
    args: JSON.parse(JSON.stringify(req)) as Record<string, unknown>,
    parents: [...(req.recording_ids ?? [req.recording_id]), ...(req.adapt_from ? [req.adapt_from] : [])],
    total: steps * runs,
    device: req.config.device,
  });
}

/** resume_from names a file (a CEBRA checkpoint), not a model id. */
export function isCheckpointPath(s: string): boolean {
  return /[/\\]/.test(s) || /\.(pt|pth)$/i.test(s);
}

/**
 * A request that imports a CEBRA checkpoint (cebra-import.ts): the file is read now, inside the allowed
 * roots, so a file that is not one, or a model that does not fit the recording, fails before a job
 * exists; the bytes read are kept in the workspace (`importAndStage`), and the job reads that copy and
 * checks it is the same file (sha256).
 */
async function importRequest(deps: { workspace: Workspace; recordings: RecordingStore; roots?: AllowedRoots; config?: { cwd: string } }, req: TrainingRequest): Promise<TrainingRequest> {
  if (!deps.roots || !deps.config) throw new Error("importing a CEBRA checkpoint needs the allowed roots");
  if (req.shuffled_control) {
    throw new UserError("resume_from and shuffled_control cannot be combined.", "Import without shuffled_control, then call decode_video_frames or decode_labels with shuffled_control: true.");
  }
  const roots = deps.roots;
  const imp = await importAndStage(deps.workspace, resolveSource(req.resume_from!, deps.config.cwd), roots.dirs);
  const n = (await deps.recordings.summary(req.recording_id)).n_neurons;
  if (imp.model.n_neurons[0] !== n) {
    throw new UserError(`The CEBRA model takes ${imp.model.n_neurons[0]} neurons; recording ${req.recording_id} has ${n}.`, "Load the recording the model was fitted on (same units, same order).");
  }
  return { ...req, mode: imp.mode, imported: imp.imported_from };
}

/** The model of an import request, read again by the job from the workspace's copy (which must be the file checked at submission). */
async function importedModel(ws: Workspace, imported: NonNullable<TrainingRequest["imported"]>, signal?: AbortSignal) {
  const imp = await importStagedCheckpoint(ws, imported.sha256, signal);
  if (imp.imported_from.sha256 !== imported.sha256) {
    throw new UserError(`${imported.path} changed after train_embedding checked it (the copy's sha256 differs).`, "Call train_embedding again with the file as it is now.");
  }
  return { model: imp.model };
}

/** A resume request takes the stored model's recording, mode, labels and split (a model is one fit of one recording). */
async function resumeRequest(ws: Workspace, req: TrainingRequest): Promise<TrainingRequest> {
  const m = (await ws.get<ModelMeta>(req.resume_from!, "model")).meta;
  if (m.sessions) {
    throw new UserError(`${req.resume_from} is a multi-session model; resume_from continues single-session models only.`, "Train the sessions again (recording_ids) with a larger max_iterations.");
  }
  if (m.control) {
    throw new UserError(`${req.resume_from} is a shuffled-label control; it is not trained further on its own.`, `Resume its real model ${m.control_of ?? ""} with shuffled_control: true instead.`);
  }
  if (req.shuffled_control) {
    throw new UserError("resume_from and shuffled_control cannot be combined (the control must match the resumed model's total steps).", "Resume without shuffled_control, then call decode_video_frames with shuffled_control: true; it trains the control with the same total steps.");
  }
  if (req.recording_id !== m.recording_id) {
    throw new UserError(`Model ${req.resume_from} was trained on ${m.recording_id}, not on ${req.recording_id}.`, `Pass recording_id "${m.recording_id}" to resume it, or train a new model.`);
  }
  return { ...req, ...fitSetup(m) };
}

/**
 * An adapt request: the architecture and sizes are the source model's (its encoder body is reused); the
 * steps, learning rate, labels, split and seed are this call's. A control cannot be adapted from.
 */
async function adaptRequest(ws: Workspace, req: TrainingRequest): Promise<TrainingRequest> {
  const m = (await ws.get<ModelMeta>(req.adapt_from!, "model")).meta;
  if (m.control) {
    throw new UserError(`${req.adapt_from} is a shuffled-label control; its encoder learned no label structure to transfer.`, `Adapt from its real model ${m.control_of ?? "(see list_artifacts)"}.`);
  }
  const c = m.config;
  return { ...req, config: { ...req.config, model_architecture: c.model_architecture, num_hidden_units: c.num_hidden_units, output_dimension: c.output_dimension, distance: c.distance } };
}

/** The `adapt` option of a fit for an adapt request (the source model's first session's encoder). */
async function adaptOption(ws: Workspace, req: Pick<TrainingRequest, "adapt_from" | "adapt_frozen">) {
  if (!req.adapt_from) return undefined;
  return { source: (await loadModel(ws, req.adapt_from)).model, session: 0, freeze: req.adapt_frozen ?? true };
}

/** What a stored model was fitted on (mode, labels, split): a resumed run or a control repeats it. */
function fitSetup(m: ModelMeta): Pick<TrainingRequest, "mode" | "labels" | "train_repeats" | "train_fraction" | "adapt_from" | "adapt_frozen"> {
  return {
    ...(m.adapted_from ? { adapt_from: m.adapted_from.model_id, adapt_frozen: m.adapted_from.frozen } : {}),
    mode: m.mode as TrainingMode,
    labels: m.labels ?? undefined,
    train_repeats: m.split.kind === "repeats" ? m.split.train_repeats : undefined,
    train_fraction: m.split.train_fraction ?? undefined,
  };
}

/**
 * The work of a training job that a dead server left queued or running: the same request (its params),
 * continued from the job's last checkpoint (from step 0 if it saved none). For JobRegistry's `resume`.
 */
export async function resumeTrainingJob(deps: { workspace: Workspace; recordings: RecordingStore }, record: JobRecord): Promise<ResumedWork | null> {
  const req = record.params as unknown as Partial<TrainingRequest>;
  // Only a job whose params are a complete request (every train_embedding job records one) can run again.
  if (record.type !== "train_embedding" || typeof req.recording_id !== "string" || !req.config || typeof req.mode !== "string") return null;
  const ck = await latestCheckpoint(deps.workspace, record.id);
  const step = ck ? checkpointJobStep(ck, req as TrainingRequest) : 0;
  // runTraining itself says from which checkpoint it went on (it does the same when a queue worker takes over a job).
  const note = ck
    ? "The server stopped during this job; it was queued again under the same id."
    : "The server stopped during this job before its first checkpoint; it started again from step 0.";
  return { step, note, run: (control) => runTraining(deps, req as TrainingRequest, control) };
}

/** The job step a checkpoint stands for: the job counts the steps of this request (model, then control); a checkpoint counts all steps of its model (resume_from's included). */
function checkpointJobStep(ck: Checkpoint, req: TrainingRequest): number {
  return (ck.phase === "control" ? req.config.max_iterations : 0) + ck.model.steps_done - (ck.phase === "model" ? Number(ck.context.prior_steps ?? 0) : 0);
}

/** Runs a training request (the "train" job kind, src/app/jobs.ts). */
export async function runTraining(
  deps: { workspace: Workspace; recordings: RecordingStore },
  req: TrainingRequest,
  control: JobControl,
): Promise<TrainingResult> {
  if (req.recording_ids) return runMultiSessionTraining(deps, req, control);
  const writer = new CheckpointWriter(deps.workspace, control.id);
  const checkpoint = await latestCheckpoint(deps.workspace, control.id);
  // A job run again after its process stopped (a server restart, a queue worker killed) goes on from its last checkpoint.
  if (checkpoint) control.warn(`It resumed from its checkpoint at step ${checkpointJobStep(checkpoint, req)} (${checkpoint.phase === "control" ? "shuffled-label control" : "model"}, saved ${checkpoint.saved_at}).`);
  try {
    return await runTrainingFrom(deps, req, control, checkpoint, writer);
  } finally {
    // A finished, failed or cancelled job keeps what it saved (its models); the checkpoint has no further use.
    await writer.flush();
    await removeCheckpoint(deps.workspace, control.id);
  }
}

async function runTrainingFrom(
  deps: { workspace: Workspace; recordings: RecordingStore },
  req: TrainingRequest,
  control: JobControl,
  checkpoint: Checkpoint | null,
  writer: CheckpointWriter,
): Promise<TrainingResult> {
  const rec = await deps.recordings.loadRecordingArtifact(req.recording_id);
  const resume = req.imported ? await importedModel(deps.workspace, req.imported, control.signal) : req.resume_from ? await loadModel(deps.workspace, req.resume_from) : null;
  const adapt = await adaptOption(deps.workspace, req);
  const steps = req.config.max_iterations;
  const config = resume ? { ...resume.model.config, max_iterations: resume.model.steps_done + steps, device: req.config.device, threads: req.config.threads } : req.config;
  const chanceText = chanceLossText(req.mode, config.model_architecture, config.full_batch ? "training samples" : config.batch_size);
  const policy = checkpointPolicy();
  let savedIds: { model_id?: string; embedding_id?: string } = {};
  const fit = (shuffled: boolean, offset: number) =>
    fitEmbedding(rec, {
      mode: req.mode,
      labels: req.labels,
      train_repeats: req.train_repeats,
      train_fraction: req.train_fraction,
      shuffle_labels: shuffled,
      shuffle_seed: config.seed + 1,
      config,
      adapt,
      resumeFrom: checkpoint?.phase === (shuffled ? "control" : "model") ? checkpoint.model : shuffled ? undefined : resume?.model,
      signal: control.signal,
      checkpointEvery: policy,
      onCheckpoint: writer.callback(shuffled ? "control" : "model", shuffled ? { ...savedIds } : { prior_steps: resume?.model.steps_done ?? 0 }),
      onWarnings: shuffled ? undefined : (ws) => ws.forEach((w) => control.warn(w)),
      onProgress: (p) => {
        const phaseStep = p.step - (resume && !shuffled ? resume.model.steps_done : 0);
        control.report({
          step: offset + phaseStep,
          phase: shuffled ? "training shuffled-label control" : "training model",
          phase_step: phaseStep,
          phase_total: steps,
          message: shuffled
            ? `shuffled-label control: step ${phaseStep}/${steps} loss=${p.loss.toFixed(4)}; its labels are shuffled, so its loss stays near chance ${chanceText} instead of falling like the model's`
            : `model: step ${phaseStep}/${steps} loss=${p.loss.toFixed(4)} (chance ${chanceText})`,
          metrics: { loss: p.loss, align: p.align, uniform: p.uniform, temperature: p.temperature },
          steps_per_s: p.steps_per_s,
          eta_s: p.eta_s + (shuffled || !req.shuffled_control ? 0 : steps / Math.max(p.steps_per_s, 1e-9)),
        });
        // The last step is reported after it is taken; the fit then embeds every sample and scores the held-out part.
        if (p.step >= p.total_steps) {
          const what = shuffled ? "shuffled-label control" : "model";
          control.report({ step: offset + phaseStep, phase: `embedding (${what})`, phase_step: phaseStep, phase_total: steps, message: `embedding every sample with the trained ${what} and scoring the held-out loss` });
        }
      },
    });
  /** Reports a step without training (saving): the counters stay where training left them. */
  const saving = (what: "model" | "shuffled-label control", offset: number, done: number) =>
    control.report({ step: offset + done, phase: `saving ${what}`, phase_step: done, phase_total: steps, message: `saving the ${what} and its embedding to the workspace` });
  const adaptedFrom = req.adapt_from ? { model_id: req.adapt_from, session: 0, recording_id: (await deps.workspace.get<ModelMeta>(req.adapt_from, "model")).meta.recording_id, frozen: req.adapt_frozen ?? true } : undefined;
  const ctx = { recording_id: req.recording_id, recording_sha256: rec.provenance.sha256, mode: req.mode, labels: req.labels ?? null, resumed_from: req.imported ? undefined : req.resume_from, adapted_from: adaptedFrom, imported_from: req.imported };
  let real: FitResult;
  let ids: { model_id: string; embedding_id: string };
  if (checkpoint?.phase === "control") {
    // The model was saved before the server stopped: embed and score it again (no steps), keep its ids.
    ids = checkpoint.context as typeof ids;
    const saved = await loadModel(deps.workspace, ids.model_id);
    real = await fitEmbedding(rec, { ...fitSetup(saved.manifest.meta), config: saved.model.config, resumeFrom: saved.model, signal: control.signal });
  } else {
    real = await fit(false, 0);
    saving("model", 0, real.model.steps_done - (resume?.model.steps_done ?? 0));
    ids = await saveFit(deps.workspace, real, ctx);
  }
  savedIds = ids;
  let shuffled: FitResult | null = null;
  let shuffledId: string | null = null;
  if (req.shuffled_control && !real.model.cancelled) {
    shuffled = await fit(true, steps);
    saving("shuffled-label control", steps, shuffled.model.steps_done);
    shuffledId = (await saveFit(deps.workspace, shuffled, { ...ctx, control_of: ids.model_id })).model_id;
  }
  return trainingResult(req, real, ids, shuffled, shuffledId);
}

function trainingResult(
  req: TrainingRequest, real: FitResult, ids: { model_id: string; embedding_id: string },
  shuffled: FitResult | null, shuffledId: string | null,
): TrainingResult {
  const m = real.model;
  const tail = (xs: number[]) => (xs.length ? mean(xs.slice(-Math.min(100, xs.length))) : null);
  const finalLoss = tail(m.log.total);
  // Hybrid losses are the sum of two InfoNCE terms, and supervised losses are no InfoNCE, so the bits formula does not apply.
  const gof = (loss: number | null) => (loss === null || m.config.hybrid || isSupervised(m.config.model_architecture) ? null : goodnessOfFitBits(loss, m.config.batch_size));
  return {
    model_id: ids.model_id,
    embedding_id: ids.embedding_id,
    shuffled_model_id: shuffledId,
    recording_id: req.recording_id,
    mode: req.mode,
    labels: real.prepared.label_description,
    split: real.prepared.split.description,
    steps_done: m.steps_done,
    cancelled: m.cancelled,
    final_loss: finalLoss,
    goodness_of_fit_bits: gof(finalLoss),
    heldout_infonce: real.heldout?.infonce ?? null,
    heldout_goodness_of_fit_bits: real.heldout?.gof_bits ?? null,
    shuffled_final_loss: shuffled ? tail(shuffled.model.log.total) : null,
    shuffled_heldout_goodness_of_fit_bits: shuffled?.heldout?.gof_bits ?? null,
    ...(isSupervised(m.config.model_architecture) ? { heldout_supervised_loss: real.heldout_supervised_loss ?? null, shuffled_heldout_supervised_loss: shuffled ? (shuffled.heldout_supervised_loss ?? null) : null } : {}),
    temperature: m.log.temperature.length ? m.log.temperature[m.log.temperature.length - 1] : null,
    steps_per_s: m.wall_time_s > 0 ? m.steps_done / m.wall_time_s : 0,
    device_used: m.device_used,
    device_notes: m.device_notes,
    wall_time_s: m.wall_time_s,
    warnings: real.warnings,
    ...(req.adapt_from ? { adapted_from: req.adapt_from } : {}),
  };
}

/**
 * Trains the shuffled-label control of a stored model now (same recording, labels, split, configuration,
 * seed and steps), stores it linked to the model, and returns its id. Used when a decoding asks for the
 * control and the model was trained without it.
 */
export async function trainShuffledTwin(
  deps: { workspace: Workspace; recordings: RecordingStore },
  model: { id: string; meta: ModelMeta },
  opts: { signal?: AbortSignal; onProgress?: (step: number, total: number, message: string) => void } = {},
): Promise<string> {
  const m = model.meta;
  if (m.sessions) return trainMultiSessionTwin(deps, model, opts);
  const rec = await deps.recordings.loadRecordingArtifact(m.recording_id);
  // A stored model's batch_size is the one it trained with (for full batch, its training sample count).
  const chanceText = chanceLossText(m.mode as TrainingMode, m.config.model_architecture, m.config.batch_size);
  const fit = await fitEmbedding(rec, {
    ...fitSetup(m),
    shuffle_labels: true,
    shuffle_seed: m.config.seed + 1,
    config: storedTrainConfig(m.config),
    adapt: await adaptOption(deps.workspace, fitSetup(m)),
    signal: opts.signal,
    // Progress notifications carry only progress/total/message, so the message names the phase as get_job
    // does; embedding and saving count as one unit each after the steps (progress must increase).
    onProgress: (p) => {
      opts.onProgress?.(p.step, p.total_steps + 2, `training shuffled-label control (this decoding asked for it; model ${model.id} has none): step ${p.step}/${p.total_steps} loss=${p.loss.toFixed(4)}; its labels are shuffled, so its loss stays near chance ${chanceText}`);
      if (p.step >= p.total_steps) opts.onProgress?.(p.total_steps + 1, p.total_steps + 2, "embedding (shuffled-label control): embedding every sample with the trained control");
    },
  });
  if (fit.model.cancelled) throw new CancelledError("shuffled-label control training was cancelled");
  opts.onProgress?.(m.config.max_iterations + 2, m.config.max_iterations + 2, "saving shuffled-label control: saving it and its embedding to the workspace, then decoding");
  const ids = await saveFit(deps.workspace, fit, { recording_id: m.recording_id, recording_sha256: m.recording_sha256, mode: m.mode, labels: m.labels, control_of: model.id, adapted_from: m.adapted_from });
  return ids.model_id;
}
