/**
 * Compact, model-facing views of store objects, shared by several tools (get_job, cancel_job, and
 * train_embedding which returns a job). Views summarise; full data stays in resources (job://…).
 */
import { z } from "zod";
import { JOB_STATUSES, type JobRecord } from "../../src/store/jobs.js";
import { roundTo } from "../../src/util/stats.js";

/** Loss-history points included in a job view (the full history is in the job:// resource). */
const VIEW_HISTORY_POINTS = 12;

/** outputSchema of tools that return a job. */
export const JOB_VIEW_SCHEMA = z.object({
  job_id: z.string(),
  type: z.string(),
  status: z.enum(JOB_STATUSES),
  summary: z.string(),
  progress: z
    .object({
      step: z.number(),
      total: z.number(),
      fraction: z.number(),
      message: z.string().optional(),
      phase: z.string().optional().describe("What runs now, e.g. training model, training shuffled-label control, embedding (model), saving model."),
      phase_step: z.number().optional().describe("Step within the phase; step/total count the whole job."),
      phase_total: z.number().optional(),
      metrics: z.record(z.string(), z.number()).optional(),
      steps_per_s: z.number().optional(),
      eta_s: z.number().optional(),
      elapsed_s: z.number(),
    })
    .optional(),
  loss_history: z.array(z.object({ step: z.number(), loss: z.number() })).describe("Up to 12 evenly spaced points; full history in the job:// resource."),
  result: z.unknown().optional().describe("Result of the work when finished (ids of created artifacts, metrics)."),
  error: z.object({ message: z.string(), fix: z.string().optional(), code: z.string().optional() }).optional(),
  cancel_reason: z.string().optional(),
  warnings: z.array(z.string()).optional().describe("What the work warned about (e.g. constant units or labels in the training data)."),
  worker: z.string().optional().describe("host:pid that ran it."),
  device: z.string().optional(),
  waiting: z.string().optional().describe("Why a queued job has not started."),
  created_at: z.string(),
  started_at: z.string().optional(),
  finished_at: z.string().optional(),
  uri: z.string(),
  next: z.string().describe("What to do next."),
});

export type JobView = z.output<typeof JOB_VIEW_SCHEMA>;

/** The view of a job record, with a hint for the next call. */
export function jobView(r: JobRecord): JobView {
  const p = r.progress;
  return {
    job_id: r.id,
    type: r.type,
    status: r.status,
    summary: r.summary,
    ...(p ? { progress: { ...p, fraction: p.total > 0 ? roundTo(p.step / p.total, 3) : 0 } } : {}),
    loss_history: thinLoss(r.history),
    ...(r.result !== undefined ? { result: r.result } : {}),
    ...(r.error ? { error: r.error } : {}),
    ...(r.cancel_reason ? { cancel_reason: r.cancel_reason } : {}),
    ...(r.warnings?.length ? { warnings: r.warnings } : {}),
    ...(r.worker ? { worker: r.worker } : {}),
    ...(r.device ? { device: r.device } : {}),
    ...(r.waiting && r.status === "queued" ? { waiting: r.waiting } : {}),
    created_at: r.created_at,
    ...(r.started_at ? { started_at: r.started_at } : {}),
    ...(r.finished_at ? { finished_at: r.finished_at } : {}),
    uri: `job://${r.id}`,
    next: nextHint(r),
  };
}

/** One or two lines for the text block of a job result. */
export function jobText(v: JobView): string {
  const p = v.progress;
  const err = v.error ? `\nError: ${v.error.message}${v.error.fix ? ` Fix: ${v.error.fix}` : ""}` : "";
  const warn = v.warnings?.length ? `\nWarnings:${v.warnings.map((w) => `\n- ${w}`).join("")}` : "";
  const where = v.waiting ? ` — ${v.waiting}` : v.worker && v.status !== "queued" ? ` (worker ${v.worker}${v.device ? `, ${v.device}` : ""})` : "";
  return `Job ${v.job_id} (${v.type}) ${statusPhrase(v.status)}${where}${p ? ` — ${progressPhrase(p, v.status)}` : ""}.${err}${warn}\nNext: ${v.next}`;
}

/** "is running", "succeeded", "was cancelled": a status as the predicate of a sentence. */
export function statusPhrase(status: JobView["status"]): string {
  switch (status) {
    case "queued":
    case "running":
      return `is ${status}`;
    case "succeeded":
    case "failed":
      return status;
    case "cancelled":
    case "interrupted":
      return `was ${status}`;
  }
}

/**
 * Where a job stands: the phase with its own step counter and loss when the job reports phases
 * ("training shuffled-label control: step 120/500, loss 6.2401 (whole job: step 620/1000, 62%)"), and why a
 * phase's loss differs (the progress message) while the job runs.
 */
export function progressPhrase(p: Omit<NonNullable<JobView["progress"]>, "elapsed_s">, status: JobView["status"]): string {
  const loss = p.metrics?.loss !== undefined ? `, loss ${p.metrics.loss.toFixed(4)}` : "";
  const eta = p.eta_s !== undefined && status === "running" ? `, ETA ${Math.round(p.eta_s)} s` : "";
  const whole = `step ${p.step}/${p.total} (${Math.round(p.fraction * 100)}%)`;
  // A finished job's last phase (saving) says nothing more than "succeeded"; a stopped job's phase says where it stopped.
  if (p.phase === undefined || p.phase_step === undefined || status === "succeeded") return `${whole}${loss}${eta}`;
  const why = status === "running" && p.message && p.message.includes(";") ? ` — ${p.message.slice(p.message.indexOf(";") + 1).trim()}` : "";
  return `${p.phase}: step ${p.phase_step}/${p.phase_total ?? p.total}${loss} (whole job: ${whole}${eta})${why}`;
}

function nextHint(r: JobRecord): string {
  switch (r.status) {
    case "queued":
    case "running":
      return `Call get_job with job_id "${r.id}" and wait_seconds up to 55 to follow it, or cancel_job to stop it.`;
    case "succeeded":
      return "Use the ids in result with the next tool (e.g. a model_id with decode_video_frames).";
    case "cancelled":
      return r.result !== undefined ? "The partial result in result is usable; start a new job to train further." : "Start a new job if the work is still needed.";
    case "failed":
      return r.error?.fix ?? "Fix the inputs named in error and start a new job.";
    case "interrupted": {
      const at = r.progress && r.started_at ? ` at step ${r.progress.step}/${r.progress.total}` : "";
      const again = r.type === "train_embedding" ? "call train_embedding again with the same arguments (to keep a partial model next time, stop a run with cancel_job rather than the server)" : "start it again";
      return `The server stopped during this job${at}; nothing from the unfinished run was saved, so ${again}.`;
    }
  }
}

function thinLoss(history: JobRecord["history"]): { step: number; loss: number }[] {
  const withLoss = history.filter((h) => typeof h.loss === "number");
  if (withLoss.length <= VIEW_HISTORY_POINTS) return withLoss.map((h) => ({ step: h.step, loss: roundTo(h.loss!, 4) }));
  const out: { step: number; loss: number }[] = [];
  for (let i = 0; i < VIEW_HISTORY_POINTS; i++) {
    const h = withLoss[Math.round((i * (withLoss.length - 1)) / (VIEW_HISTORY_POINTS - 1))]!;
    out.push({ step: h.step, loss: roundTo(h.loss!, 4) });
  }
  return out;
}

/** Human-readable byte count: "512 B", "12.3 kB", "4.5 MB", "1.2 GB". */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}
