/**
 * Jobs for long-running work (training, sweeps): the MCP job-handle pattern, behind one interface
 * (`JobBackend`) with two implementations: this in-process registry (the default, `JobRegistry`) and
 * BullMQ on Redis (`queue-redis.ts`, `--queue redis://…`), whose jobs run in `cebra-mcp worker` processes.
 * src/app submits a job by KIND (`JobRequest`: a registered kind name and JSON arguments), so a worker
 * process on another machine can run it from its data; the kinds are registered by src/app/jobs.ts.
 *
 * The in-process registry: A tool starts a job and
 * returns its id at once; later calls read its status and progress (`get`, `wait`) or stop it (`cancel`).
 *
 * Generic: a job is any `run(control)` async function. It reports progress through `control.report`,
 * must watch `control.signal` (awaiting between work units) and leave the workspace consistent when
 * cancelled — either throw `CancelledError`, or return a partial result (kept, status "cancelled").
 *
 * Every job is also a workspace artifact (`jobs/<id>/manifest.json`, meta = the JobRecord), rewritten
 * atomically on every status change and, while it runs, on its first progress report and then at most
 * every `persistIntervalMs`, so after a kill -9 the stored step is at most that interval old. A job that
 * was queued or running when a previous server process died is resumed when the registry opens if its
 * kind can be (`resume`: training, from its last checkpoint), else shown as "interrupted" at the last
 * step it recorded.
 */
import { hostname } from "node:os";
import { CancelledError, UserError } from "../util/errors.js";
import { roundTo } from "../util/stats.js";
import { newId, parseId } from "./ids.js";
import type { Workspace } from "./workspace.js";

export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled", "interrupted"] as const;
type JobStatus = (typeof JOB_STATUSES)[number];

const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set(["succeeded", "failed", "cancelled", "interrupted"]);

/** True once a job can no longer change. */
export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** Latest progress of a running job. */
interface JobProgress {
  step: number;
  total: number;
  /** Phase text, e.g. "step 120/1000 loss=5.91". */
  message?: string;
  /**
   * The part of the work running now (e.g. "training model", "training shuffled-label control", "saving"),
   * with its own step counter; `step`/`total` count the whole job. Absent in manifests written before phases.
   */
  phase?: string;
  phase_step?: number;
  phase_total?: number;
  /** Latest metric values (loss, align, uniform, temperature ...). */
  metrics?: Record<string, number>;
  steps_per_s?: number;
  /** Estimated seconds to completion. */
  eta_s?: number;
  elapsed_s: number;
}

/** A metric sample kept in the (thinned) history: `step` plus the metric values at that step. */
type JobHistoryPoint = { step: number } & Record<string, number>;

interface JobError {
  message: string;
  fix?: string;
  code?: string;
}

/** Everything known about a job; this is what is persisted and what tools return. */
export interface JobRecord {
  id: string;
  /** What kind of work, e.g. "train_embedding". */
  type: string;
  status: JobStatus;
  summary: string;
  /** The job's inputs, as given (JSON). */
  params: Record<string, unknown>;
  /** Artifact ids the job works on. */
  parents: string[];
  created_at: string;
  started_at?: string;
  finished_at?: string;
  progress?: JobProgress;
  /** Metric history, thinned to at most ~2×MAX_HISTORY points spread over the whole run. */
  history: JobHistoryPoint[];
  /** JSON result of the work (also set for a cancelled job that returned a partial result). */
  result?: unknown;
  error?: JobError;
  /** Why a job was cancelled ("cancel_job", "server shutdown" ...). */
  cancel_reason?: string;
  /** What the work warned about while running (e.g. constant units in the training data); absent if nothing. */
  warnings?: string[];
  /** The registered kind that runs it (e.g. "train"); absent in manifests written before kinds. */
  kind?: string;
  /** Who ran it: "host:pid" of the worker (or of the server, embedded) and the device it offered. */
  worker?: string;
  device?: string;
  /** Why a queued job is not running yet (e.g. no connected worker has its device). */
  waiting?: string;
}

/** A job by kind, with JSON arguments: what src/app submits, and all a worker needs to run it. */
export interface JobRequest {
  kind: string;
  summary: string;
  args: Record<string, unknown>;
  parents?: string[];
  /** Expected number of steps (shown before the first report). */
  total?: number;
  /** Device the job needs (its queue on the Redis backend); "auto"/absent: any worker. */
  device?: string;
}

/** A kind of job: its record type (e.g. "train_embedding") and the work, run from JSON arguments. */
export interface JobKind {
  type: string;
  /**
   * A coordination job (a sweep on the Redis backend): it submits other jobs through `control.children`
   * and waits for them, so it runs from the queue's control queue, not in a training slot.
   */
  control?: boolean;
  run(args: Record<string, unknown>, control: JobControl): Promise<unknown>;
}

export type JobKinds = ReadonlyMap<string, JobKind>;

/** Called with a snapshot on every progress report and status change. */
export type JobListener = (record: JobRecord) => void;

/** The queue's state (Redis backend): workers with their devices, and jobs per device queue. */
export interface QueueStatus {
  backend: string;
  workers: { name: string; device: string }[];
  queues: { device: string; waiting: number; active: number }[];
  /** Why the queue could not be read (Redis down). */
  error?: string;
}

/** What src/app and the tools use; chosen in src/app/context.ts from the configuration. */
export interface JobBackend {
  readonly name: "embedded" | "redis";
  /** Queues a job of a registered kind; returns its record at once. */
  submit(request: JobRequest): Promise<JobRecord>;
  get(id: string): Promise<JobRecord>;
  list(): Promise<JobRecord[]>;
  /** Waits up to `seconds` for the job to finish (or `signal` to abort); returns its record. */
  wait(id: string, seconds: number, signal?: AbortSignal): Promise<JobRecord>;
  /** Asks the job to stop (a queued job ends at once); returns the record after the request. */
  cancel(id: string, reason?: string): Promise<JobRecord>;
  /** Subscribes to progress and status changes; returns the unsubscribe function. */
  onProgress(id: string, listener: JobListener): () => void;
  /** Jobs this process would cancel at shutdown. */
  readonly activeCount: number;
  shutdown(graceMs?: number): Promise<void>;
  /** Workers and queue depth (null for the embedded registry). */
  queueStatus(): Promise<QueueStatus | null>;
}

/** Handed to the work function. */
export interface JobControl {
  readonly id: string;
  /** Aborted when the job is cancelled (cancel_job, server shutdown). */
  readonly signal: AbortSignal;
  /** Reports progress. `total` defaults to the spec's total; rate and ETA are computed unless given. */
  report(p: { step: number; total?: number; message?: string; phase?: string; phase_step?: number; phase_total?: number; metrics?: Record<string, number>; steps_per_s?: number; eta_s?: number }): void;
  /** Records a warning on the job (shown with its progress and result; repeated texts are kept once). */
  warn(message: string): void;
  /** Throws CancelledError if the job was cancelled. */
  throwIfCancelled(): void;
  /** The device the running worker offers (Redis workers); absent in the embedded registry. */
  readonly device?: string;
  /**
   * Where a job may submit jobs of its own and wait for them (Redis workers: the same queue, so any
   * worker runs them). Absent in the embedded registry: there a job does its work inline (a child
   * waiting for a slot its parent holds would deadlock at concurrency 1).
   */
  readonly children?: Pick<JobBackend, "submit" | "wait" | "cancel">;
}

/** What to run. */
interface JobSpec<R> {
  type: string;
  summary: string;
  params?: Record<string, unknown>;
  parents?: string[];
  /** Expected number of steps (shown before the first report). */
  total?: number;
  run(control: JobControl): Promise<R>;
}

interface JobRegistryOptions {
  /** Jobs run at the same time; more are queued (default 1: training is CPU/GPU bound). */
  concurrency?: number;
  /** Minimum interval between progress writes of a running job's manifest (default 2000 ms). */
  persistIntervalMs?: number;
  /** The kinds `submit` runs (src/app/jobs.ts). */
  kinds?: JobKinds;
  /**
   * Rebuilds the work of a job that a dead process left queued or running (e.g. from its last checkpoint),
   * or returns null to mark it "interrupted". Called once per such job when the registry opens.
   */
  resume?: (record: JobRecord) => Promise<ResumedWork | null>;
}

/** How an interrupted job goes on: its work, and the step it starts again from (the checkpoint's; 0 = from the start). */
export interface ResumedWork {
  run(control: JobControl): Promise<unknown>;
  step: number;
  /** Recorded as a warning on the job, e.g. "resumed from the checkpoint at step 500 after a server restart". */
  note: string;
}

const MAX_HISTORY = 100;

interface LiveJob {
  record: JobRecord;
  spec: JobSpec<unknown>;
  controller: AbortController;
  listeners: Set<JobListener>;
  done: Promise<void>;
  resolveDone: () => void;
  persistTimer?: NodeJS.Timeout;
  /** When progress was last written (Date.now()); status changes are written at once and do not count. */
  persistedMs?: number;
  startedMs?: number;
}

/** Runs, tracks, persists and cancels jobs in this process (the embedded backend). One per server process. */
export class JobRegistry implements JobBackend {
  readonly name = "embedded";
  private readonly live = new Map<string, LiveJob>();
  private readonly queue: LiveJob[] = [];
  private running = 0;
  private closed = false;
  private readonly concurrency: number;
  private readonly persistIntervalMs: number;
  private readonly kinds: JobKinds;

  private constructor(private readonly workspace: Workspace, private readonly opts: JobRegistryOptions) {
    this.concurrency = Math.max(1, opts.concurrency ?? 1);
    this.persistIntervalMs = opts.persistIntervalMs ?? 2000;
    this.kinds = opts.kinds ?? new Map();
  }

  /**
   * Opens the registry on a workspace. Jobs a dead process left queued or running are resumed where
   * `opts.resume` can rebuild their work (queued again, same id, history kept up to the resume step), and
   * marked "interrupted" otherwise.
   */
  static async open(workspace: Workspace, opts: JobRegistryOptions = {}): Promise<JobRegistry> {
    const registry = new JobRegistry(workspace, opts);
    await registry.markInterrupted();
    registry.pump();
    return registry;
  }

  /** Queues a job of a registered kind, run in this process. */
  async submit(request: JobRequest): Promise<JobRecord> {
    const kind = kindOf(this.kinds, request.kind);
    const { args, summary, parents, total, device } = request;
    return this.start({ kind: request.kind, type: kind.type, summary, params: args, parents, total, device, run: (control) => kind.run(args, control) });
  }

  /** No queue to report: jobs run in this process. */
  async queueStatus(): Promise<QueueStatus | null> {
    return null;
  }

  /** Starts (or queues) a job given as a closure (tests, and `submit`); returns its record immediately. */
  async start<R>(spec: JobSpec<R> & { kind?: string; device?: string }): Promise<JobRecord> {
    if (this.closed) throw new UserError("The server is shutting down and accepts no new jobs.", "Restart the server and try again.", "shutting_down");
    const id = newId("job");
    const record: JobRecord = {
      id,
      type: spec.type,
      status: "queued",
      summary: spec.summary,
      params: toJson(spec.params ?? {}) as Record<string, unknown>,
      parents: spec.parents ?? [],
      created_at: new Date().toISOString(),
      history: [],
      ...(spec.total !== undefined ? { progress: { step: 0, total: spec.total, elapsed_s: 0 } } : {}),
      ...(spec.kind ? { kind: spec.kind } : {}),
      ...(spec.device ? { device: spec.device } : {}),
    };
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const job: LiveJob = { record, spec: spec as JobSpec<unknown>, controller: new AbortController(), listeners: new Set(), done, resolveDone };
    await this.workspace.create("job", { summary: summaryOf(record), meta: record, parents: record.parents }, id);
    this.live.set(id, job);
    this.queue.push(job);
    this.pump();
    return snapshot(record);
  }

  /** The current record of job `id` (live, or as persisted by an earlier server process). */
  async get(id: string): Promise<JobRecord> {
    parseId(id, "job");
    const job = this.live.get(id);
    if (job) return snapshot(job.record);
    const manifest = await this.workspace.get<JobRecord>(id, "job");
    return manifest.meta;
  }

  /** All jobs, oldest first. */
  async list(): Promise<JobRecord[]> {
    const persisted = await this.workspace.manifests<JobRecord>("job");
    return persisted.map((m) => (this.live.has(m.id) ? snapshot(this.live.get(m.id)!.record) : m.meta));
  }

  /**
   * Waits up to `seconds` for job `id` to finish (or until `signal` aborts), then returns its record.
   * Returns at once for finished jobs.
   */
  async wait(id: string, seconds: number, signal?: AbortSignal): Promise<JobRecord> {
    const job = this.live.get(id);
    if (!job || isTerminal(job.record.status) || seconds <= 0 || signal?.aborted) return this.get(id);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(finish, seconds * 1000);
      function finish(): void {
        clearTimeout(timer);
        signal?.removeEventListener("abort", finish);
        resolve();
      }
      signal?.addEventListener("abort", finish, { once: true });
      void job.done.then(finish);
    });
    return this.get(id);
  }

  /**
   * Cancels job `id`: a queued job ends at once; a running job's signal is aborted and the job ends when
   * its work returns. Cancelling a finished job is a no-op. Returns the record after the request.
   */
  async cancel(id: string, reason = "cancel_job"): Promise<JobRecord> {
    const job = this.live.get(id);
    if (!job) return this.get(id);
    if (isTerminal(job.record.status)) return snapshot(job.record);
    job.record.cancel_reason = reason;
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      await this.finish(job, "cancelled");
    } else {
      job.controller.abort(new CancelledError(`job ${id} cancelled (${reason})`));
      this.notify(job);
    }
    return snapshot(job.record);
  }

  /** Subscribes to progress and status changes of job `id`; returns the unsubscribe function. */
  onProgress(id: string, listener: JobListener): () => void {
    const job = this.live.get(id);
    if (!job) return () => undefined;
    job.listeners.add(listener);
    return () => job.listeners.delete(listener);
  }

  /** Number of jobs queued or running in this process. */
  get activeCount(): number {
    return [...this.live.values()].filter((j) => !isTerminal(j.record.status)).length;
  }

  /**
   * Stops accepting jobs, cancels all active ones, waits up to `graceMs` for them to wind down (saving
   * their partial results), marks any that did not as "interrupted", and flushes every manifest.
   */
  async shutdown(graceMs = 10_000): Promise<void> {
    this.closed = true;
    const active = [...this.live.values()].filter((j) => !isTerminal(j.record.status));
    for (const job of active) await this.cancel(job.record.id, "server shutdown");
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, graceMs)));
    await Promise.race([Promise.all(active.map((j) => j.done)), timeout]);
    clearTimeout(timer);
    for (const job of active) {
      if (!isTerminal(job.record.status)) {
        job.record.error = { message: `The job did not stop within ${graceMs} ms of server shutdown.` };
        await this.finish(job, "interrupted");
      }
    }
    // A job that ended just before the deadline may still be writing its final manifest.
    await Promise.all(active.map((j) => j.done));
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running++;
      void this.execute(job).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async execute(job: LiveJob): Promise<void> {
    const { record, controller } = job;
    record.status = "running";
    record.started_at = new Date().toISOString();
    record.worker = `${hostname()}:${process.pid}`;
    job.startedMs = Date.now();
    await this.persist(job);
    this.notify(job);
    try {
      const result = await job.spec.run(this.controlFor(job));
      if (!isTerminal(record.status)) record.result = toJson(result);
      await this.finish(job, controller.signal.aborted ? "cancelled" : "succeeded");
    } catch (e) {
      if (controller.signal.aborted || e instanceof CancelledError) {
        await this.finish(job, "cancelled");
      } else {
        record.error = jobErrorOf(e, record.id);
        await this.finish(job, "failed");
      }
    }
  }

  private controlFor(job: LiveJob): JobControl {
    const { controller } = job;
    return {
      id: job.record.id,
      signal: controller.signal,
      report: (p) => this.report(job, p),
      warn: (message) => this.warn(job, message),
      throwIfCancelled: () => {
        if (controller.signal.aborted) throw new CancelledError(`job ${job.record.id} cancelled`);
      },
    };
  }

  private report(job: LiveJob, p: Parameters<JobControl["report"]>[0]): void {
    if (isTerminal(job.record.status)) return;
    applyReport(job.record, p, job.startedMs ?? Date.now(), job.spec.total);
    this.schedulePersist(job);
    this.notify(job);
  }

  private warn(job: LiveJob, message: string): void {
    if (!applyWarning(job.record, message)) return;
    this.schedulePersist(job);
    this.notify(job);
  }

  private async finish(job: LiveJob, status: JobStatus): Promise<void> {
    if (isTerminal(job.record.status)) return; // e.g. marked interrupted at shutdown, work returned later
    job.record.status = status;
    job.record.finished_at = new Date().toISOString();
    if (job.persistTimer) clearTimeout(job.persistTimer);
    job.persistTimer = undefined;
    await this.persist(job);
    this.notify(job);
    job.resolveDone();
  }

  /** Writes the progress soon: at once (next tick) for the first report or when the last write is older than the interval, else when it will be. */
  private schedulePersist(job: LiveJob): void {
    if (job.persistTimer) return;
    const wait = job.persistedMs === undefined ? 0 : Math.max(0, job.persistedMs + this.persistIntervalMs - Date.now());
    job.persistTimer = setTimeout(() => {
      job.persistTimer = undefined;
      job.persistedMs = Date.now();
      void this.persist(job);
    }, wait);
    job.persistTimer.unref();
  }

  private async persist(job: LiveJob): Promise<void> {
    try {
      await this.workspace.update(job.record.id, { summary: summaryOf(job.record), meta: snapshot(job.record) });
    } catch (e) {
      process.stderr.write(`cebra-mcp: could not save job ${job.record.id}: ${(e as Error).message}\n`);
    }
  }

  private notify(job: LiveJob): void {
    const snap = snapshot(job.record);
    for (const listener of job.listeners) {
      try {
        listener(snap);
      } catch (e) {
        process.stderr.write(`cebra-mcp: job listener failed: ${(e as Error).message}\n`);
      }
    }
  }

  private async markInterrupted(): Promise<void> {
    for (const m of await this.workspace.manifests<JobRecord>("job")) {
      if (isTerminal(m.meta.status)) continue;
      const resumed = await this.opts.resume?.(m.meta).catch((e: unknown) => {
        process.stderr.write(`cebra-mcp: job ${m.id} cannot resume (${(e as Error).message}); marking it interrupted\n`);
        return null;
      });
      if (resumed) {
        this.requeue(m.meta, resumed);
        continue;
      }
      const p = m.meta.status === "running" ? m.meta.progress : undefined;
      const at = p ? ` at step ${p.step}/${p.total} (progress last saved ${m.updated_at})` : "";
      const record: JobRecord = {
        ...m.meta,
        status: "interrupted",
        finished_at: new Date().toISOString(),
        error: { message: `The server process stopped${at} before this job finished; its unfinished work was not saved.`, fix: "Start the job again." },
      };
      await this.workspace.update(m.id, { summary: summaryOf(record), meta: record });
    }
  }

  /** Queues an interrupted job again under its own id, its progress and history cut back to the resume step. */
  private requeue(old: JobRecord, work: ResumedWork): void {
    const record: JobRecord = {
      ...old,
      status: "queued",
      history: old.history.filter((h) => h.step <= work.step),
      warnings: [...(old.warnings ?? []), work.note],
      ...(old.progress ? { progress: { step: work.step, total: old.progress.total, elapsed_s: old.progress.elapsed_s } } : {}),
    };
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const spec: JobSpec<unknown> = { type: record.type, summary: record.summary, params: record.params, parents: record.parents, total: record.progress?.total, run: work.run };
    const job: LiveJob = { record, spec, controller: new AbortController(), listeners: new Set(), done, resolveDone };
    this.live.set(record.id, job);
    this.queue.push(job);
    void this.persist(job);
  }
}

/** The kind registered as `name`, or a UserError naming those that are. */
export function kindOf(kinds: JobKinds, name: string): JobKind {
  const kind = kinds.get(name);
  if (!kind) throw new UserError(`No job kind "${name}" is registered here.`, `Use one of: ${[...kinds.keys()].join(", ") || "(none)"}.`, "unknown_job_kind");
  return kind;
}

/** Applies a progress report to a running record: step, rate and ETA (computed unless given), metric history. */
export function applyReport(record: JobRecord, p: Parameters<JobControl["report"]>[0], startedMs: number, specTotal?: number): void {
  const elapsed = (Date.now() - startedMs) / 1000;
  const total = p.total ?? record.progress?.total ?? specTotal ?? p.step;
  const rate = p.steps_per_s ?? (elapsed > 0 ? p.step / elapsed : undefined);
  const eta = p.eta_s ?? (rate && rate > 0 ? Math.max(0, (total - p.step) / rate) : undefined);
  record.progress = {
    step: p.step,
    total,
    elapsed_s: roundTo(elapsed, 3),
    ...(p.message !== undefined ? { message: p.message } : {}),
    ...(p.phase !== undefined ? { phase: p.phase } : {}),
    ...(p.phase_step !== undefined ? { phase_step: p.phase_step } : {}),
    ...(p.phase_total !== undefined ? { phase_total: p.phase_total } : {}),
    ...(p.metrics ? { metrics: p.metrics } : {}),
    ...(rate !== undefined ? { steps_per_s: roundTo(rate, 3) } : {}),
    ...(eta !== undefined ? { eta_s: roundTo(eta, 3) } : {}),
  };
  if (p.metrics) appendHistory(record.history, { ...p.metrics, step: p.step });
}

/** Records a warning once on a running record; false if nothing changed. */
export function applyWarning(record: JobRecord, message: string): boolean {
  if (isTerminal(record.status)) return false;
  const warnings = (record.warnings ??= []);
  if (warnings.includes(message)) return false;
  warnings.push(message);
  return true;
}

export function summaryOf(r: JobRecord): string {
  const p = r.progress;
  const step = p ? ` step ${p.step}/${p.total}` : "";
  return `${r.type} ${r.status}${step}: ${r.summary}`;
}

export function jobErrorOf(e: unknown, id: string): JobError {
  if (e instanceof UserError) return { message: e.problem, fix: e.fix, code: e.code };
  const err = e instanceof Error ? e : new Error(String(e));
  process.stderr.write(`cebra-mcp: job ${id} failed: ${err.stack ?? err.message}\n`);
  return { message: err.message || "unknown error", code: "internal" };
}

/** Appends a point, halving the history (every other point) when it grows past 2×MAX_HISTORY. */
function appendHistory(history: JobHistoryPoint[], point: JobHistoryPoint): void {
  history.push(point);
  if (history.length <= 2 * MAX_HISTORY) return;
  const last = history[history.length - 1]!;
  const kept = history.filter((_, i) => i % 2 === 0);
  if (kept[kept.length - 1] !== last) kept.push(last);
  history.splice(0, history.length, ...kept);
}

export function snapshot(r: JobRecord): JobRecord {
  return structuredClone(r);
}

/** Round-trips through JSON, so only serialisable data is stored (typed arrays become plain objects: avoid them). */
export function toJson(v: unknown): unknown {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}
