/**
 * The model-facing view of a training job (train_embedding's result): the job's state while it runs, the
 * training result's headline fields (TRAINING_RESULT_SCHEMA) once it is done, and a hint for the next call.
 */
import { z } from "zod";
import { TRAINING_RESULT_SCHEMA, type TrainingResult } from "../../src/app/train.js";
import type { JobRecord } from "../../src/store/jobs.js";
import { UserError } from "../../src/util/errors.js";
import { JOB_VIEW_SCHEMA, jobView, progressPhrase, statusPhrase } from "./job-view.js";

export const TRAINING_VIEW_SCHEMA = z.object({
  job_id: z.string(),
  status: z.string(),
  progress: JOB_VIEW_SCHEMA.shape.progress.unwrap().pick({ step: true, total: true, fraction: true, message: true, phase: true, phase_step: true, phase_total: true, metrics: true, eta_s: true }).optional(),
  ...TRAINING_RESULT_SCHEMA.pick({
    model_id: true, embedding_id: true, shuffled_model_id: true, final_loss: true, goodness_of_fit_bits: true,
    heldout_goodness_of_fit_bits: true, steps_done: true, steps_per_s: true, device_used: true, device_notes: true,
    wall_time_s: true, labels: true, split: true, embedding_ids: true, recording_ids: true, session_heldout_bits: true, adapted_from: true,
    heldout_supervised_loss: true, shuffled_heldout_supervised_loss: true,
  }).partial().shape,
  shuffled_heldout_goodness_of_fit_bits: z.number().optional().describe("Held-out goodness of fit of the shuffled-label control (bits; 0 is chance), when it was trained and scored."),
  warnings: z.array(z.string()).optional().describe("What the training data checks warned about (constant units or labels)."),
  error: z.object({ message: z.string(), fix: z.string().optional() }).optional(),
  next: z.string(),
});

type TrainingView = z.output<typeof TRAINING_VIEW_SCHEMA>;

/** The view of a training job record. A job that failed within the wait fails the call (isError with the fix). */
export function trainingView(record: JobRecord): TrainingView {
  if (record.status === "failed") throw failedTraining(record);
  const view = jobView(record);
  const result = record.result as TrainingResult | undefined;
  const p = view.progress;
  return {
    job_id: record.id,
    status: record.status,
    ...(p ? { progress: { step: p.step, total: p.total, fraction: p.fraction, message: p.message, phase: p.phase, phase_step: p.phase_step, phase_total: p.phase_total, metrics: p.metrics, eta_s: p.eta_s } } : {}),
    ...(result
      ? {
          model_id: result.model_id,
          embedding_id: result.embedding_id,
          shuffled_model_id: result.shuffled_model_id,
          final_loss: result.final_loss,
          goodness_of_fit_bits: result.goodness_of_fit_bits,
          heldout_goodness_of_fit_bits: result.heldout_goodness_of_fit_bits,
          ...(result.shuffled_heldout_goodness_of_fit_bits !== null ? { shuffled_heldout_goodness_of_fit_bits: result.shuffled_heldout_goodness_of_fit_bits } : {}),
          steps_done: result.steps_done,
          steps_per_s: result.steps_per_s,
          device_used: result.device_used,
          device_notes: result.device_notes,
          wall_time_s: result.wall_time_s,
          labels: result.labels,
          split: result.split,
          ...(result.embedding_ids ? { embedding_ids: result.embedding_ids, recording_ids: result.recording_ids, session_heldout_bits: result.session_heldout_bits } : {}),
          ...(result.adapted_from ? { adapted_from: result.adapted_from } : {}),
          ...(result.heldout_supervised_loss !== undefined ? { heldout_supervised_loss: result.heldout_supervised_loss, shuffled_heldout_supervised_loss: result.shuffled_heldout_supervised_loss } : {}),
        }
      : {}),
    ...(record.warnings?.length ? { warnings: record.warnings } : {}),
    ...(record.error ? { error: { message: record.error.message, ...(record.error.fix ? { fix: record.error.fix } : {}) } } : {}),
    next: result && !result.cancelled
      ? result.embedding_ids
        ? `Call decode_video_frames with model_id "${result.model_id}" and a recording_id (one per session), or with one of embedding_ids; compare_embeddings with ids ["${result.model_id}"] gives the cross-session consistency.`
        : `Call decode_video_frames with model_id "${result.model_id}" (movies) or decode_labels.`
      : view.next,
  };
}

function failedTraining(record: JobRecord): UserError {
  const e = record.error;
  return new UserError(
    `Training job ${record.id} failed: ${e?.message ?? "unknown error"}`,
    e?.fix ?? `The server log (stderr) has the details; get_job with job_id "${record.id}" shows the record.`,
    e?.code,
  );
}

/** The text block of a training result. */
export function trainingText(o: TrainingView): string {
  if (o.model_id) {
    const f = (x: number | null | undefined, d = 3) => (x === null || x === undefined ? "n/a" : x.toFixed(d));
    return [
      `Training ${o.status}: model ${o.model_id}, embedding ${o.embedding_id}${o.shuffled_model_id ? `, shuffled-label control ${o.shuffled_model_id}` : ""}.`,
      `${o.steps_done} steps on ${o.device_used} at ${f(o.steps_per_s, 1)} steps/s (${f(o.wall_time_s, 1)} s). ${o.heldout_supervised_loss !== undefined ? supervisedFit(o, f) : `Final loss ${f(o.final_loss)}; goodness of fit ${f(o.goodness_of_fit_bits, 2)} bits (train), ${f(o.heldout_goodness_of_fit_bits, 2)} bits (held out).`}`,
      ...fitReading(o),
      ...(o.embedding_ids ? [`Sessions (one encoder each, one shared space): ${o.recording_ids!.map((r, i) => `${r} → ${o.embedding_ids![i]} (held out ${f(o.session_heldout_bits?.[i], 2)} bits)`).join(", ")}; the held-out fit above is their mean.`] : []),
      ...(o.adapted_from ? [`Adapted from ${o.adapted_from}: its encoder (first session's, if multi-session) with a new first layer for this recording.`] : []),
      `Labels: ${o.labels}. Split: ${o.split}.`,
      ...warningLines(o.warnings),
      `Next: ${o.next}`,
    ].join("\n");
  }
  const p = o.progress;
  const err = o.error ? `\nError: ${o.error.message}${o.error.fix ? ` Fix: ${o.error.fix}` : ""}` : "";
  const warn = warningLines(o.warnings).map((l) => `\n${l}`).join("");
  const status = o.status as Parameters<typeof statusPhrase>[0];
  return `Training job ${o.job_id} ${statusPhrase(status)}${p ? ` — ${progressPhrase(p, status)}` : ""}.${err}${warn}\nNext: ${o.next}`;
}

/**
 * How to read the goodness of fit: 0 bits is chance (loss = log batch size) and the shuffled-label
 * control, trained identically, is the measured floor; the model's held-out bits above the control's are
 * what the labels explain.
 */
function fitReading(o: TrainingView): string[] {
  const model = o.heldout_goodness_of_fit_bits ?? o.goodness_of_fit_bits;
  if (model === null || model === undefined) return [];
  const which = o.heldout_goodness_of_fit_bits !== null && o.heldout_goodness_of_fit_bits !== undefined ? "held-out" : "training";
  const control = o.shuffled_heldout_goodness_of_fit_bits;
  if (control === null || control === undefined) {
    const how = o.shuffled_model_id ? "decode_video_frames with shuffled_control: true compares the model with its control" : "pass shuffled_control: true to measure the floor this data gives with shuffled labels";
    return [`Reading: 0 bits is chance (loss = log of the batch size); ${how}.`];
  }
  const margin = model - control;
  const verdict = margin > 0 ? `${margin.toFixed(2)} bits above it: structure the shuffled labels do not give` : "not above it: the labels add nothing measurable here";
  return [`Reading: 0 bits is chance; the shuffled-label control, trained the same way, reaches ${control.toFixed(2)} bits held out, and the model's ${which} ${model.toFixed(2)} bits are ${verdict}.`];
}

/** A supervised model's losses (MSE or cross-entropy; no InfoNCE, so no bits), beside its shuffled-label control's. */
function supervisedFit(o: TrainingView, f: (x: number | null | undefined, d?: number) => string): string {
  const control = o.shuffled_heldout_supervised_loss;
  const vs = control === null || control === undefined ? "" : `; the shuffled-label control's held-out loss ${f(control)} (${(o.heldout_supervised_loss ?? Infinity) < control ? "the model's is lower: the neural data predicts the labels beyond what shuffled labels allow" : "the model's is not lower: no measurable prediction"})`;
  return `Supervised loss (MSE on continuous labels, cross-entropy on discrete; chance = the labels' variance or log(classes)): ${f(o.final_loss)} final (train), ${f(o.heldout_supervised_loss)} held out${vs}.`;
}

function warningLines(warnings: string[] | undefined): string[] {
  return warnings?.length ? ["Warnings:", ...warnings.map((w) => `- ${w}`)] : [];
}
