/** train_embedding: train a CEBRA model on a recording as a job → model_id, embedding_id (or a running job_id). */
import { z } from "zod";
import { listArchitectures } from "../src/engine/cebra/lookup.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../src/engine/types.js";
import type { JobRecord } from "../src/store/jobs.js";
import { startTrainingJob, type TrainingResult } from "../src/app/train.js";
import { defineTool, structuredResult } from "./kit/define.js";
import { jobView } from "./kit/job-view.js";
import { UserError } from "../src/util/errors.js";

const ARCHITECTURES = listArchitectures().map((a) => a.name) as [string, ...string[]];

const INPUT = z.object({
  recording_id: z.string().min(1).max(64).describe("Recording id (rec_…) from load_recording."),
  mode: z.enum(["behavior", "time", "hybrid"]).default("behavior").describe("behavior: positives share labels (CEBRA-Behavior); time: positives are Δ later (CEBRA-Time, no labels); hybrid: both objectives."),
  labels: z
    .union([z.enum(["frame_features", "frame", "continuous", "discrete"]), z.array(z.string().min(1).max(128)).min(1).max(64)])
    .optional()
    .describe("Labels for behavior/hybrid: frame_features (default for movies: features of the frame shown), frame (frame id as a discrete label), continuous, discrete, or a list of continuous column names."),
  model_architecture: z.enum(ARCHITECTURES).default("offset10-model").describe("CEBRA architecture (receptive field in the name). offset10-model is the paper's 2P/hippocampus model."),
  output_dimension: z.number().int().min(2).max(128).default(8).describe("Embedding dimension D."),
  num_hidden_units: z.number().int().min(4).max(512).default(32),
  batch_size: z.number().int().min(16).max(4096).default(512).describe("References (and negatives) per step."),
  max_iterations: z.number().int().min(1).max(100_000).default(2000).describe("Training steps (paper: 10000)."),
  learning_rate: z.number().positive().max(1).default(3e-4),
  temperature: z.number().positive().max(100).default(1),
  temperature_mode: z.enum(["constant", "auto"]).default("constant").describe("auto = learnable temperature, bounded below by min_temperature."),
  min_temperature: z.number().positive().max(10).default(0.1),
  distance: z.enum(["cosine", "euclidean"]).default("cosine"),
  time_offsets: z.number().int().min(1).max(1000).default(1).describe("Δ in samples for time positives and label differences."),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  device: z.enum(["auto", "cpu", "cuda", "webgpu"]).default("auto").describe("auto tries CUDA, WebGPU, then CPU and reports why it skipped each."),
  threads: z.number().int().min(1).max(64).optional().describe("CPU threads for ONNX Runtime (default 1 on machines with ≤ 2 cores, else half the cores, at most 4)."),
  train_repeats: z.array(z.number().int().min(0).max(100_000)).min(1).max(10_000).optional().describe("Movie repeats to train on (default: all but the last, which is held out for decoding)."),
  train_fraction: z.number().gt(0).max(1).optional().describe("For recordings without repeats: the first fraction trains, the rest is held out (default 0.8)."),
  resume_from: z.string().min(1).max(64).optional().describe("Continue this model (mdl_…) for max_iterations more steps from its saved optimizer state; its recording, labels, split and settings are reused. The result is a new model."),
  shuffled_control: z.boolean().default(false).describe("Also train the same model on shuffled labels (doubles the cost); decode_video_frames then reports it as a control."),
  wait_seconds: z.number().min(0).max(55).default(40).describe("Wait this long for the job; if it is not done, status 'running' comes back — poll with get_job."),
});

const OUTPUT = z.object({
  job_id: z.string(),
  status: z.string(),
  progress: z.object({ step: z.number(), total: z.number(), fraction: z.number(), message: z.string().optional(), eta_s: z.number().optional() }).optional(),
  model_id: z.string().optional(),
  embedding_id: z.string().optional(),
  shuffled_model_id: z.string().nullable().optional(),
  final_loss: z.number().nullable().optional(),
  goodness_of_fit_bits: z.number().nullable().optional(),
  heldout_goodness_of_fit_bits: z.number().nullable().optional(),
  steps_done: z.number().optional(),
  steps_per_s: z.number().optional(),
  device_used: z.string().optional(),
  device_notes: z.array(z.string()).optional(),
  wall_time_s: z.number().optional(),
  labels: z.string().optional(),
  split: z.string().optional(),
  error: z.object({ message: z.string(), fix: z.string().optional() }).optional(),
  next: z.string(),
});

export const trainEmbedding = defineTool({
  name: "train_embedding",
  title: "Train a CEBRA embedding",
  description:
    "Trains a CEBRA model (contrastive learning, InfoNCE) on a loaded recording and embeds every sample. Runs as a job: if it finishes within wait_seconds you get model_id and embedding_id with final loss, goodness of fit (bits; 0 = chance), steps/s and device; otherwise status 'running' and a job_id to poll with get_job (cancel with cancel_job). Default: held-out last repeat, frame-feature labels for movies. Next: decode_video_frames (movies) or decode_labels.",
  inputSchema: INPUT,
  outputSchema: OUTPUT,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async handler(args, ctx) {
    await ctx.recordings.summary(args.recording_id); // unknown id → UserError before a job is created
    const config: TrainConfig = {
      ...DEFAULT_TRAIN_CONFIG,
      model_architecture: args.model_architecture,
      output_dimension: args.output_dimension,
      num_hidden_units: args.num_hidden_units,
      batch_size: args.batch_size,
      max_iterations: args.max_iterations,
      learning_rate: args.learning_rate,
      temperature: args.temperature,
      temperature_mode: args.temperature_mode,
      min_temperature: args.min_temperature,
      distance: args.distance,
      time_offset: args.time_offsets,
      seed: args.seed,
      device: args.device,
      ...(args.threads !== undefined ? { threads: args.threads } : {}),
    };
    const labels = Array.isArray(args.labels) ? { columns: args.labels } : args.labels;
    const started = await startTrainingJob(ctx, {
      recording_id: args.recording_id,
      mode: args.mode,
      labels,
      config,
      train_repeats: args.train_repeats,
      train_fraction: args.train_fraction,
      shuffled_control: args.shuffled_control,
      resume_from: args.resume_from,
    });
    const cancelOnAbort = () => void ctx.jobs.cancel(started.id, "request cancelled by the client");
    ctx.signal.addEventListener("abort", cancelOnAbort, { once: true });
    const unsubscribe = ctx.jobs.onProgress(started.id, (r) => {
      if (r.progress) void ctx.progress(r.progress.step, r.progress.total, r.progress.message);
    });
    let record = started;
    try {
      record = await ctx.jobs.wait(started.id, args.wait_seconds, ctx.signal);
    } finally {
      unsubscribe();
      ctx.signal.removeEventListener("abort", cancelOnAbort); // after the wait, the job outlives this request
    }
    if (record.status === "failed") throw failedTraining(record);
    const view = jobView(record);
    const result = record.result as TrainingResult | undefined;
    const out: z.output<typeof OUTPUT> = {
      job_id: record.id,
      status: record.status,
      ...(view.progress ? { progress: { step: view.progress.step, total: view.progress.total, fraction: view.progress.fraction, message: view.progress.message, eta_s: view.progress.eta_s } } : {}),
      ...(result
        ? {
            model_id: result.model_id,
            embedding_id: result.embedding_id,
            shuffled_model_id: result.shuffled_model_id,
            final_loss: result.final_loss,
            goodness_of_fit_bits: result.goodness_of_fit_bits,
            heldout_goodness_of_fit_bits: result.heldout_goodness_of_fit_bits,
            steps_done: result.steps_done,
            steps_per_s: result.steps_per_s,
            device_used: result.device_used,
            device_notes: result.device_notes,
            wall_time_s: result.wall_time_s,
            labels: result.labels,
            split: result.split,
          }
        : {}),
      ...(record.error ? { error: { message: record.error.message, ...(record.error.fix ? { fix: record.error.fix } : {}) } } : {}),
      next: result && !result.cancelled ? `Call decode_video_frames with model_id "${result.model_id}" (movies) or decode_labels.` : view.next,
    };
    return structuredResult(trainingText(out), out);
  },
});

/** A job that failed within wait_seconds (e.g. labels the recording lacks) fails the call: isError with the fix. */
function failedTraining(record: JobRecord): UserError {
  const e = record.error;
  return new UserError(
    `Training job ${record.id} failed: ${e?.message ?? "unknown error"}`,
    e?.fix ?? `The server log (stderr) has the details; get_job with job_id "${record.id}" shows the record.`,
    e?.code,
  );
}

function trainingText(o: z.output<typeof OUTPUT>): string {
  if (o.model_id) {
    const f = (x: number | null | undefined, d = 3) => (x === null || x === undefined ? "n/a" : x.toFixed(d));
    return [
      `Training ${o.status}: model ${o.model_id}, embedding ${o.embedding_id}${o.shuffled_model_id ? `, shuffled-label control ${o.shuffled_model_id}` : ""}.`,
      `${o.steps_done} steps on ${o.device_used} at ${f(o.steps_per_s, 1)} steps/s (${f(o.wall_time_s, 1)} s). Final loss ${f(o.final_loss)}; goodness of fit ${f(o.goodness_of_fit_bits, 2)} bits (train), ${f(o.heldout_goodness_of_fit_bits, 2)} bits (held out).`,
      `Labels: ${o.labels}. Split: ${o.split}.`,
      `Next: ${o.next}`,
    ].join("\n");
  }
  const p = o.progress;
  const err = o.error ? `\nError: ${o.error.message}${o.error.fix ? ` Fix: ${o.error.fix}` : ""}` : "";
  return `Training job ${o.job_id} is ${o.status}${p ? ` — step ${p.step}/${p.total}${p.eta_s !== undefined ? `, ETA ${Math.round(p.eta_s)} s` : ""}` : ""}.${err}\nNext: ${o.next}`;
}
