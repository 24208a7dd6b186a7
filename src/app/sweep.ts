/**
 * A hyperparameter sweep as one job: settings (a grid, a list, or both) × seeds × recordings, each a
 * CEBRA fit stored as a model (sequential, or `concurrency` at a time), scored by kNN decoding on
 * VALIDATION data only, and the setting with the best mean validation score chosen. Only then is the test
 * data touched: the chosen model (per recording, its best seed on validation) is decoded on the test
 * repeat / fold with its controls (raw activity per sample and window-averaged, the untrained encoder,
 * chance). The three-way split, per recording:
 * - a movie with R ≥ 3 repeats: models train on repeats 0…R−3, validation = repeat R−2, test = repeat R−1
 *   (kNN references are the training repeats for both);
 * - otherwise: models train on the first 60% of samples, validation = the next 20%, test = the last 20%.
 * Progress is "k of n models"; cancelling keeps the finished models and returns the partial result.
 *
 * Where the fits train: inline in the sweep's own job (the embedded backend: sequential, or `concurrency`
 * at a time), or, where the backend offers `control.children` (Redis workers), as ordinary "train" jobs
 * submitted all at once, so every worker with the device trains them in parallel (with their checkpoints,
 * retries and takeover of a killed worker's fit) while the sweep waits in the control queue and scores
 * each finished model on validation. Cancelling the sweep cancels its unfinished fits.
 */
import path from "node:path";
import { z } from "zod";
import { decodeHeldOutLabels, decodeMovie, type DecodingWithControls } from "../decode/pipeline.js";
import type { DecodeControls, DecodeResult } from "../decode/types.js";
import { repeatsOf, selectContinuous, type Recording } from "../data/recording.js";
import { fitEmbedding } from "../engine/fit.js";
import { plotSweep } from "../render/sweep.js";
import { isTerminal, type JobControl, type JobRecord, type JobBackend } from "../store/jobs.js";
import type { RecordingStore } from "../store/recordings.js";
import type { Workspace } from "../store/workspace.js";
import { UserError } from "../util/errors.js";
import { mean, roundTo } from "../util/stats.js";
import { loadEmbedding, saveFit, untrainedEmbedding } from "./model-artifacts.js";
import { TRAINING_ARGS_SCHEMA, trainingRequest, type TrainingResult } from "./train.js";

type Value = number | string;
/** A setting: train_embedding arguments (those a sweep may set) → value. */
type Setting = Record<string, Value>;
const VALUE = z.union([z.number(), z.string()]);

/** train_embedding arguments a sweep sets itself (the split is the sweep's) or that make no sense per model. */
const NOT_SWEPT = new Set(["recording_id", "recording_ids", "adapt_from", "adapt_all", "train_repeats", "train_fraction", "resume_from", "shuffled_control", "wait_seconds"]);

/** At most this many models per sweep (settings × seeds × recordings). */
export const MAX_SWEEP_MODELS = 48;

export const SWEEP_ARGS_SCHEMA = z.object({
  settings: z.array(z.record(z.string(), z.array(VALUE).max(8))).max(24)
    .describe("Each: train_embedding argument → values (all combinations); recording_id, seed: repeats."),
});
export type SweepArgs = z.output<typeof SWEEP_ARGS_SCHEMA>;

const CONTROL_NAMES = ["raw_per_sample", "raw_window_averaged", "untrained_encoder"] as const;

/** The job's result (also when cancelled: the models finished so far). */
export interface SweepResult {
  metric: string;
  /** Per recording: which data trained, validated and tested. */
  splits: { recording_id: string; split: string }[];
  swept: string[];
  /** Settings every row shares (the rows show only the swept ones). */
  fixed: Setting;
  /** One row per setting (its swept values): mean validation score over its seeds and recordings. */
  rows: { setting: Setting; validation: number | null; validation_sd: number | null; n: number; time_s: number }[];
  chosen: null | {
    setting: Setting;
    /** The chosen setting's best-on-validation model per recording, scored once on test data with controls. */
    models: { recording_id: string; model_id: string; seed: number; validation: number; test: number; controls: Record<string, number | null>; chance: number }[];
  };
  models_done: number;
  models_total: number;
  cancelled: boolean;
  render_id: string | null;
  plot_file: string | null;
  wall_time_s: number;
}

interface Deps {
  workspace: Workspace;
  recordings: RecordingStore;
  /** Fits run at the same time (the server's jobConcurrency). */
  concurrency: number;
}

/** One setting with what it is repeated over (its seeds and recordings). */
interface Expanded {
  setting: Setting;
  seeds: number[];
  recording_ids: string[];
}

/**
 * The settings a sweep trains, in order: every combination of each entry's values, entries in turn.
 * `seed` and `recording_id` are not part of a setting but what it is repeated over (seed default [0];
 * recording_id required). `swept` names the arguments whose value varies. Every combination is checked
 * as train_embedding would check it (a UserError names the bad argument).
 */
export function expandSettings(entries: SweepArgs["settings"]): { settings: Expanded[]; swept: string[] } {
  const known = new Set(Object.keys(TRAINING_ARGS_SCHEMA.shape));
  const out: Expanded[] = [];
  for (const entry of entries) {
    let combos: Setting[] = [{}];
    for (const [k, values] of Object.entries(entry)) {
      if (k === "seed" || k === "recording_id") continue;
      if (!known.has(k) || NOT_SWEPT.has(k)) {
        throw new UserError(`sweep_embeddings cannot set "${k}".`, `Use train_embedding's arguments except ${[...NOT_SWEPT].join(", ")} (the sweep chooses the split).`);
      }
      combos = combos.flatMap((c) => values.map((x) => ({ ...c, [k]: x })));
    }
    const seeds = (entry.seed ?? [0]).map(Number);
    const recording_ids = (entry.recording_id ?? []).map(String);
    if (!recording_ids.length) throw new UserError("A sweep setting has no recording_id.", 'Give each settings entry "recording_id": ["rec_…"] (one or more recordings).');
    for (const setting of combos) {
      const parsed = TRAINING_ARGS_SCHEMA.safeParse({ ...setting, recording_id: recording_ids[0] });
      if (!parsed.success || !seeds.every((x) => Number.isInteger(x) && x >= 0)) {
        const issue = parsed.success ? { path: ["seed"], message: "seeds are non-negative integers" } : parsed.error.issues[0]!;
        throw new UserError(`Setting ${JSON.stringify(setting)}: ${issue.path.join(".")}: ${issue.message}.`, "Pass values train_embedding accepts for that argument.");
      }
      out.push({ setting, seeds, recording_ids });
    }
  }
  if (!out.length) throw new UserError("The sweep has no settings.", 'Pass settings: [{"recording_id": ["rec_…"], "output_dimension": [3, 8]}].');
  const keys = [...new Set(out.flatMap((e) => Object.keys(e.setting)))];
  const swept = keys.filter((k) => new Set(out.map((e) => String(e.setting[k]))).size > 1);
  return { settings: out, swept };
}

interface Split {
  recording_id: string;
  rec: Recording;
  description: string;
  train: { train_repeats?: number[]; train_fraction?: number };
  score(emb: Embedding, field: Field, on: "validation" | "test", controls?: { untrained?: Embedding }): DecodingWithControls<DecodeResult>;
}
type Embedding = { data: Float32Array; rows: number; dim: number };
type Field = Parameters<typeof decodeMovie>[2];

function splitOf(recording_id: string, rec: Recording, labels: Value | undefined): Split {
  const repeats = repeatsOf(rec);
  const untrainedInput = (u?: Embedding) => (u ? { untrained: { embedding: u, model_id: "untrained" } } : {});
  if (rec.frame && repeats.length >= 3) {
    const train = repeats.slice(0, -2);
    const [val, test] = repeats.slice(-2) as [number, number];
    return {
      recording_id, rec, train: { train_repeats: train },
      description: `train repeats ${train.join(",")}, validation repeat ${val}, test repeat ${test}`,
      score: (emb, field, on, c) => decodeMovie(rec, emb, field, { not_run: "not part of a sweep" }, {
        train_repeats: train, test_repeat: on === "validation" ? val : test, skip_raw_controls: !c, ...untrainedInput(c?.untrained),
      }),
    };
  }
  if (rec.frame && repeats.length > 0) {
    throw new UserError(`${recording_id} has ${repeats.length} movie repeats; a sweep needs 3 (train, validation, test).`, "Sweep a recording with at least 3 repeats, or train single models with train_embedding.");
  }
  const T = rec.n_samples;
  const a = Math.floor(0.6 * T);
  const b = Math.floor(0.8 * T);
  const which = labels === "discrete" ? "discrete" : rec.continuous ? "continuous" : rec.discrete ? "discrete" : null;
  if (!which) throw new UserError(`${recording_id} has no movie repeats and no labels to decode, so a sweep has nothing to select on.`, "Sweep a recording with labels or a movie.");
  const spec = which === "discrete"
    ? { kind: "discrete" as const, data: rec.discrete!.data, class_names: rec.discrete!.class_names }
    : { kind: "continuous" as const, ...selectContinuous(rec.continuous!, Array.isArray(labels) ? labels : undefined) };
  return {
    recording_id, rec, train: { train_fraction: 0.6 },
    description: `train samples 0–${a}, validation ${a}–${b}, test ${b}–${T} (${which} labels)`,
    score: (emb, field, on, c) => decodeHeldOutLabels(rec, emb, field, { not_run: "not part of a sweep" }, {
      labels: spec, train_ranges: [[0, a]], test_ranges: [on === "validation" ? [a, b] : [b, T]], skip_raw_controls: !c, ...untrainedInput(c?.untrained),
    }),
  };
}

/** The score a sweep maximises, and chance, of a decoding. */
function scoreOf(d: DecodeResult): { score: number; chance: number } {
  if (d.kind === "frames") return { score: d.scores.accuracy, chance: d.chance.accuracy };
  if (d.kind === "labels_discrete") return { score: d.scores.accuracy, chance: d.chance.accuracy };
  return { score: d.scores.r2_mean, chance: d.chance.r2_mean };
}

function metricOf(d: DecodeResult): string {
  if (d.kind === "frames") return `kNN frame accuracy within ±${d.scores.window} frames`;
  return d.kind === "labels_discrete" ? "kNN label accuracy" : "kNN R² (mean over label columns)";
}

function controlScores(controls: DecodeControls): Record<string, number | null> {
  return Object.fromEntries(CONTROL_NAMES.map((n) => {
    const c = controls[n];
    return [n, c?.status === "ok" ? scoreOf(c.result).score : null];
  }));
}

/** Starts the sweep as a job (unknown recordings, bad settings and oversized sweeps fail here, before a job exists). */
export async function startSweepJob(deps: Deps & { jobs: JobBackend }, args: SweepArgs): Promise<JobRecord> {
  const { settings, swept } = expandSettings(args.settings);
  const recordings = [...new Set(settings.flatMap((e) => e.recording_ids))];
  for (const id of recordings) await deps.recordings.summary(id);
  const n = settings.reduce((a, e) => a + e.seeds.length * e.recording_ids.length, 0);
  if (n > MAX_SWEEP_MODELS) {
    throw new UserError(`This sweep would train ${n} models (${settings.length} settings with their seeds and recordings); the limit is ${MAX_SWEEP_MODELS}.`, "Sweep fewer values or seeds at once, or split the sweep.");
  }
  if (new Set(settings.map((e) => e.setting.labels)).size > 1) {
    throw new UserError("A sweep's settings must share their labels (the selection compares decodings of the same labels).", "Sweep one labels value at a time.");
  }
  // A job kind with JSON arguments (src/app/jobs.ts), so a queue worker can run it too.
  return deps.jobs.submit({
    kind: "sweep",
    summary: `sweep of ${n} models (${settings.length} settings${swept.length ? ` over ${swept.join(", ")}` : ""}) on ${recordings.join(", ")}`,
    args: JSON.parse(JSON.stringify(args)) as Record<string, unknown>,
    parents: recordings,
    total: n,
  });
}

/** Runs a sweep from its arguments (the "sweep" job kind). */
export function runSweepJob(deps: Deps, args: SweepArgs, control: JobControl): Promise<SweepResult> {
  const { settings, swept } = expandSettings(args.settings);
  const recordings = [...new Set(settings.flatMap((e) => e.recording_ids))];
  return runSweep(deps, settings, recordings, swept, control);
}

interface Trained {
  /** Its place in the sweep's task list (results are kept in this order, however the fits finished). */
  task: number;
  setting: number;
  seed: number;
  recording_id: string;
  model_id: string;
  validation: number;
  time_s: number;
}

async function runSweep(deps: Deps, expanded: Expanded[], recordings: string[], swept: string[], control: JobControl): Promise<SweepResult> {
  const settings = expanded.map((e) => e.setting);
  const t0 = performance.now();
  const splits = new Map<string, Split>();
  for (const id of recordings) splits.set(id, splitOf(id, await deps.recordings.loadRecordingArtifact(id), settings[0]?.labels));
  const tasks: Task[] = expanded.flatMap((e, s) => e.seeds.flatMap((seed) => e.recording_ids.map((rid) => ({ s, seed, rid }))))
    .map((t, i) => ({ ...t, i, label: `setting ${t.s + 1}/${settings.length}, seed ${t.seed}, ${t.rid}` }));
  const done: Trained[] = [];
  const report = (what: string) => control.report({ step: done.length, total: tasks.length, phase: "training models", phase_step: done.length, phase_total: tasks.length, message: `${done.length} of ${tasks.length} models done; ${what}` });
  const run = { deps, settings, splits, tasks, control, done, report, metric: "" };
  await (control.children ? trainOnWorkers(run, control.children) : trainInline(run));
  done.sort((a, b) => a.task - b.task);
  const metric = run.metric;
  const rows = settings.map((setting, s) => {
    const mine = done.filter((d) => d.setting === s);
    const v = mine.map((d) => d.validation);
    const m = v.length ? mean(v) : null;
    const sd = v.length > 1 ? Math.sqrt(v.reduce((a, x) => a + (x - m!) ** 2, 0) / (v.length - 1)) : null;
    const shown = Object.fromEntries(Object.entries(setting).filter(([k]) => swept.includes(k)));
    return { setting: shown, validation: m, validation_sd: sd, n: v.length, time_s: roundTo(mine.reduce((a, d) => a + d.time_s, 0), 2) };
  });
  // Selection: the best mean validation score (ties: the earlier setting). Test data is not read before this line.
  let best = -1;
  rows.forEach((r, s) => { if (r.validation !== null && (best < 0 || r.validation > rows[best]!.validation!)) best = s; });
  const result: SweepResult = {
    metric, splits: [...splits.values()].map((s) => ({ recording_id: s.recording_id, split: s.description })), swept,
    fixed: Object.fromEntries(Object.entries(settings[0] ?? {}).filter(([k]) => !swept.includes(k))), rows, chosen: null,
    models_done: done.length, models_total: tasks.length, cancelled: control.signal.aborted, render_id: null, plot_file: null, wall_time_s: 0,
  };
  if (best >= 0) {
    control.report({ step: done.length, total: tasks.length, phase: "scoring the chosen setting", message: "decoding the chosen models' test data with controls and drawing the plot" });
    const validationRefs = await chooseAndTest(deps, result, settings[best]!, done.filter((d) => d.setting === best), splits);
    await drawPlot(deps, result, settings, swept, done, validationRefs);
  }
  result.wall_time_s = (performance.now() - t0) / 1000;
  return result;
}

interface Task {
  i: number;
  s: number;
  seed: number;
  rid: string;
  label: string;
}

/** What the training part of a sweep works with and fills in (`done`, `metric`). */
interface SweepRun {
  deps: Deps;
  settings: Setting[];
  splits: Map<string, Split>;
  tasks: Task[];
  control: JobControl;
  done: Trained[];
  report(what: string): void;
  metric: string;
}

function requestOf(run: SweepRun, task: Task) {
  return trainingRequest(TRAINING_ARGS_SCHEMA.parse({ recording_id: task.rid, ...run.settings[task.s], seed: task.seed, ...run.splits.get(task.rid)!.train }));
}

/** Scores a trained model on validation and records it. */
function record(run: SweepRun, task: Task, model_id: string, emb: Embedding, architecture: Field, time_s: number): void {
  const dec = run.splits.get(task.rid)!.score(emb, architecture, "validation");
  run.metric = metricOf(dec.main);
  run.done.push({ task: task.i, setting: task.s, seed: task.seed, recording_id: task.rid, model_id, validation: scoreOf(dec.main).score, time_s });
  run.report(`${task.label}: validation ${scoreOf(dec.main).score.toFixed(3)}`);
}

/** The fits in this job: `concurrency` at a time (the embedded backend). */
async function trainInline(run: SweepRun): Promise<void> {
  const { deps, tasks, control } = run;
  let next = 0;
  const worker = async () => {
    while (next < tasks.length && !control.signal.aborted) {
      const task = tasks[next++]!;
      const split = run.splits.get(task.rid)!;
      const started = performance.now();
      const req = requestOf(run, task);
      const fit = await fitEmbedding(split.rec, {
        mode: req.mode, labels: req.labels, config: req.config, ...split.train, signal: control.signal, evaluate_batches: 0,
        onProgress: (p) => run.report(`training ${task.label}: step ${p.step}/${p.total_steps} loss=${p.loss.toFixed(4)}`),
      });
      if (fit.model.cancelled) break;
      const ids = await saveFit(deps.workspace, fit, { recording_id: task.rid, recording_sha256: split.rec.provenance.sha256, mode: req.mode, labels: req.labels ?? null });
      record(run, task, ids.model_id, { data: fit.embedding, rows: fit.embedding_rows, dim: fit.dim }, fit.model.architecture, (performance.now() - started) / 1000);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(deps.concurrency, tasks.length)) }, worker));
}

/** Seconds a cancelled sweep waits for its fits to stop before it returns. */
const CANCEL_GRACE_S = 20;

/**
 * The fits as "train" jobs of the backend (Redis: any worker with the device takes one), all submitted at
 * once; each finished model is scored on validation here. Cancelling the sweep cancels every fit not yet
 * finished (a running one stops within seconds; its partial model is not used). A fit that fails is
 * recorded as a warning and left out, like a cancelled one. A sweep run again after its worker died (the
 * queue's stalled-job takeover) adopts the fits its earlier attempt submitted (found by their summary, which
 * names the sweep) instead of training them again, unless they failed or were cancelled.
 */
async function trainOnWorkers(run: SweepRun, children: NonNullable<JobControl["children"]>): Promise<void> {
  const { tasks, control } = run;
  const submitted: { id: string; task: Task }[] = [];
  let abortedAt = 0;
  const cancelAll = () => {
    abortedAt = Date.now();
    for (const s of submitted) void children.cancel(s.id, `sweep ${control.id} cancelled`).catch(() => undefined);
  };
  control.signal.addEventListener("abort", cancelAll, { once: true });
  const summary = (task: Task) => `${task.label} (sweep ${control.id})`;
  const earlier = new Map<string, string>();
  for (const m of await run.deps.workspace.manifests<JobRecord>("job")) {
    if (m.meta.summary.endsWith(`(sweep ${control.id})`) && !["failed", "cancelled", "interrupted"].includes(m.meta.status)) earlier.set(m.meta.summary, m.id);
  }
  try {
    for (const task of tasks) {
      if (control.signal.aborted) break;
      const adopted = earlier.get(summary(task));
      if (adopted) {
        submitted.push({ id: adopted, task });
        continue;
      }
      const req = requestOf(run, task);
      const job = await children.submit({
        kind: "train", summary: summary(task), args: JSON.parse(JSON.stringify(req)) as Record<string, unknown>,
        parents: [task.rid], total: req.config.max_iterations, device: req.config.device,
      });
      submitted.push({ id: job.id, task });
    }
    if (control.signal.aborted) cancelAll();
    if (earlier.size) control.warn(`This attempt of the sweep took over ${earlier.size} fit(s) its earlier attempt had submitted.`);
    run.report(`${submitted.length} fits queued as training jobs: ${submitted.map((s) => s.id).join(", ")}`);
    await Promise.all(submitted.map(async ({ id, task }) => {
      const r = await finished(children, id, () => abortedAt > 0 && Date.now() - abortedAt > CANCEL_GRACE_S * 1000);
      const result = r.result as TrainingResult | undefined;
      if (r.status === "succeeded" && result && !result.cancelled) {
        const model = await run.deps.workspace.get<{ architecture: Field }>(result.model_id, "model");
        record(run, task, result.model_id, await loadEmbedding(run.deps.workspace, result.embedding_id), model.meta.architecture, result.wall_time_s);
      } else if (r.status === "failed" || r.status === "interrupted") {
        control.warn(`The fit ${task.label} (job ${id}) ${r.status}: ${r.error?.message ?? "no reason given"}; the sweep leaves it out.`);
      }
    }));
  } catch (e) {
    // The sweep failed (e.g. its models cannot be scored): its fits still queued or training are of no use.
    for (const s of submitted) void children.cancel(s.id, `sweep ${control.id} failed`).catch(() => undefined);
    throw e;
  } finally {
    control.signal.removeEventListener("abort", cancelAll);
  }
}

/** Job `id` once it has ended (or its record when `giveUp()` says so); a queue briefly unreachable is retried for up to a minute. */
async function finished(children: NonNullable<JobControl["children"]>, id: string, giveUp: () => boolean): Promise<JobRecord> {
  let failures = 0;
  for (;;) {
    try {
      const r = await children.wait(id, 5);
      failures = 0;
      if (isTerminal(r.status) || giveUp()) return r;
    } catch (e) {
      if (++failures > 30) throw e;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

/** Fills `chosen`: per recording the chosen setting's best model on validation, decoded once on test with controls. Returns the controls on validation (for the plot). */
async function chooseAndTest(deps: Deps, result: SweepResult, setting: Setting, models: Trained[], splits: Map<string, Split>): Promise<{ label: string; value: number; dashed?: boolean }[]> {
  const chosen: NonNullable<SweepResult["chosen"]>["models"] = [];
  const refs: Record<string, number[]> = {};
  for (const [rid, split] of splits) {
    const mine = models.filter((m) => m.recording_id === rid).sort((a, b) => b.validation - a.validation)[0];
    if (!mine) continue;
    const model = await deps.workspace.get<{ embedding_id: string; architecture: Field }>(mine.model_id, "model");
    const emb = await loadEmbedding(deps.workspace, model.meta.embedding_id);
    const untrained = await untrainedEmbedding(deps.workspace, mine.model_id, split.rec).catch(() => undefined);
    const val = split.score(emb, model.meta.architecture, "validation", { untrained });
    const test = split.score(emb, model.meta.architecture, "test", { untrained });
    for (const [name, v] of Object.entries({ ...controlScores(val.controls), chance: scoreOf(val.main).chance })) if (v !== null) (refs[name] ??= []).push(v);
    chosen.push({ recording_id: rid, model_id: mine.model_id, seed: mine.seed, validation: mine.validation, test: scoreOf(test.main).score, controls: controlScores(test.controls), chance: scoreOf(test.main).chance });
  }
  result.chosen = { setting, models: chosen };
  const names: Record<string, string> = { raw_per_sample: "raw activity per sample", raw_window_averaged: "raw, window-averaged", untrained_encoder: "untrained encoder", chance: "chance" };
  return Object.entries(refs).map(([k, v]) => ({ label: `${names[k] ?? k} (validation)`, value: mean(v), dashed: k === "chance" }));
}

async function drawPlot(deps: Deps, result: SweepResult, settings: Setting[], swept: string[], done: Trained[], refs: { label: string; value: number; dashed?: boolean }[]): Promise<void> {
  const values = (k: string) => [...new Set(settings.map((s) => s[k]))].filter((v) => v !== undefined).sort((a, b) => (typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b)))) as (number | string)[];
  const image = await plotSweep({
    title: `Sweep: ${result.models_done} of ${result.models_total} models, chosen on validation`,
    // Short enough for the panel's height: "validation accuracy (±10 frames)", "validation R²".
    y_label: `validation ${result.metric.replace(/^kNN (frame |label )?/, "").replace(/ within (±\d+ frames)/, " ($1)").replace(/ \(mean over label columns\)/, "")}`,
    params: swept.map((k) => ({ name: k, values: values(k) })),
    points: done.map((d) => ({ setting: settings[d.setting]!, score: d.validation })),
    chosen: result.chosen?.setting,
    references: refs,
  });
  const file = image.mime_type === "image/png" ? "sweep.png" : "sweep.jpg";
  const m = await deps.workspace.create("render", {
    summary: `sweep plot: validation score against ${swept.join(", ") || "setting"}`,
    parents: [...new Set(done.map((d) => d.model_id))],
    meta: { kind: "sweep", notes: image.notes },
    files: { [file]: image.data },
  });
  result.render_id = m.id;
  result.plot_file = deps.workspace.filePath(m.id, file);
}

/** The sweep's plot as stored (PNG or JPEG), or null when nothing was scored. */
export async function sweepImage(ws: Workspace, r: SweepResult): Promise<{ data: string; mimeType: string } | null> {
  if (!r.render_id || !r.plot_file) return null;
  const name = path.basename(r.plot_file);
  return { data: Buffer.from(await ws.readFile(r.render_id, name)).toString("base64"), mimeType: name.endsWith(".png") ? "image/png" : "image/jpeg" };
}

/** A few lines for the tool's text: the chosen setting, its validation and test scores with controls, and the best rows. */
export function sweepText(r: SweepResult): string {
  const f = (v: number | null) => (v === null ? "–" : v.toFixed(3));
  const set = (s: Setting) => Object.entries(s).map(([k, v]) => `${k}=${v}`).join(" ") || "defaults";
  const lines = [`Sweep ${r.cancelled ? "cancelled after" : "of"} ${r.models_done}/${r.models_total} models (all with ${set(r.fixed)}); metric: ${r.metric}; selection on validation only (${r.splits.map((s) => s.split).join("; ")}).`];
  if (r.chosen) {
    lines.push(`Chosen: ${set(r.chosen.setting)}.`);
    for (const m of r.chosen.models) {
      lines.push(`${m.model_id} (${m.recording_id}, seed ${m.seed}): validation ${f(m.validation)}, test ${f(m.test)}; test controls: ${Object.entries(m.controls).map(([k, v]) => `${k} ${f(v)}`).join(", ")}, chance ${f(m.chance)}.`);
    }
  }
  const ranked = r.rows.map((row, i) => ({ row, i })).filter((x) => x.row.validation !== null).sort((a, b) => b.row.validation! - a.row.validation!);
  for (const { row, i } of ranked.slice(0, 6)) lines.push(`#${i + 1} ${set(row.setting)}: validation ${f(row.validation)}${row.validation_sd !== null ? ` ± ${f(row.validation_sd)}` : ""} (n=${row.n}, ${row.time_s.toFixed(1)} s)`);
  if (ranked.length > 6) lines.push(`… ${ranked.length - 6} more settings in rows.`);
  return lines.join("\n");
}
