/**
 * The worker side of the Redis job backend (queue-redis.ts): a BullMQ Worker on one device's queue that
 * runs each job's kind from its data against the shared workspace, in `cebra-mcp worker`.
 *
 * For each job it keeps the running record (the same progress, history and warning rules as the
 * in-process registry), publishes it as the job's BullMQ progress (at most every 0.5 s) and writes it
 * to the workspace manifest (on status changes and at most every 2 s). The final record is written to
 * the manifest, then returned (the job's return value). Cancellation: the server sets
 * `cebra:cancel:<id>`; the worker polls it every second and calls BullMQ's `cancelJob`, which aborts
 * the processor's signal and so the work's. A UserError ends the job as failed with no retry; any
 * other error is thrown to BullMQ, which retries it (attempts, backoff) and marks it failed after the
 * last attempt. A worker killed mid-job stops renewing its lock; BullMQ's stalled check (in the other
 * workers) puts the job back in the queue for another worker.
 *
 * Besides its device queue every worker serves the control queue (`cebra-control`) with its own
 * concurrency: coordination jobs (sweeps) that submit their fits as ordinary jobs through
 * `control.children` (this process's own client of the queue, `RedisJobs`) and wait for them, so a
 * sweep holds no training slot while its fits train on every worker.
 */
import { hostname } from "node:os";
import { UnrecoverableError, Worker } from "bullmq";
import { CancelledError, UserError } from "../util/errors.js";
import { applyReport, applyWarning, jobErrorOf, kindOf, snapshot, summaryOf, toJson, type JobControl, type JobKind, type JobKinds, type JobRecord } from "./jobs.js";
import { RedisJobs, checkRedisDriver, connectionOptions, type QueueJob } from "./queue-redis.js";
import { QUEUE_PREFIX, cancelKey, parseQueueUrl, queueName, type QueueDevice, type QueueKey } from "./queue-url.js";
import type { Workspace } from "./workspace.js";

export interface QueueWorkerOptions {
  url: string;
  device: QueueDevice;
  concurrency: number;
  kinds: JobKinds;
  workspace: Workspace;
  /** One line per event (job started, finished), without a newline. */
  log(line: string): void;
  /** How long a job's lock lasts without renewal, i.e. how soon a killed worker's job is taken over (default 30 s). */
  lockMs?: number;
  /** Coordination jobs (sweeps) this worker runs at the same time from the control queue (default 4; 0: none). */
  controlConcurrency?: number;
}

const PUBLISH_MS = 500;
const PERSIST_MS = 2000;
const CANCEL_POLL_MS = 1000;

/** Runs jobs from one device queue until closed. */
export class QueueWorker {
  /** "host:pid": what get_job shows as `worker`, and the BullMQ worker name. */
  readonly name = `${hostname()}:${process.pid}`;
  readonly display: string;
  private readonly worker: Worker<{ record: JobRecord }, JobRecord>;
  /** The control queue's worker (coordination jobs), if this worker serves it. */
  private readonly controlWorker?: Worker<{ record: JobRecord }, JobRecord>;
  /** The queue as a client, for the jobs coordination jobs submit (opened on first use). */
  private children?: RedisJobs;
  private lastLogged = 0;
  private running = 0;

  constructor(private readonly opts: QueueWorkerOptions) {
    this.display = parseQueueUrl(opts.url).display;
    checkRedisDriver();
    const lockDuration = opts.lockMs ?? 30_000;
    const workerOn = (key: QueueKey, concurrency: number): Worker<{ record: JobRecord }, JobRecord> => {
      const w: Worker<{ record: JobRecord }, JobRecord> = new Worker(queueName(key), async (job: QueueJob, _token?: string, signal?: AbortSignal) => {
        this.running++;
        try {
          return await this.process(w, job, signal);
        } finally {
          this.running--;
        }
      }, {
        connection: connectionOptions(opts.url, "blocking"),
        prefix: QUEUE_PREFIX,
        name: this.name,
        concurrency,
        lockDuration,
        stalledInterval: lockDuration,
        maxStalledCount: 2,
      });
      w.on("error", (e) => this.logError(e));
      w.on("failed", (job, err) => void this.onFailed(job as QueueJob | undefined, err));
      return w;
    };
    this.worker = workerOn(opts.device, opts.concurrency);
    const control = opts.controlConcurrency ?? 4;
    if (control > 0) this.controlWorker = workerOn("control", control);
  }

  get device(): QueueDevice {
    return this.opts.device;
  }

  /** Resolves once connected to Redis. */
  async ready(): Promise<void> {
    await Promise.all([this.worker.waitUntilReady(), this.controlWorker?.waitUntilReady()]);
  }

  /**
   * Stops taking jobs; waits for running ones unless `force` (then they stall and another worker takes
   * them). With nothing running (or forced) it waits at most 5 s, so a worker cut off from Redis still exits.
   */
  async close(force = false): Promise<void> {
    const closing = Promise.all([this.worker, this.controlWorker].map((w) => w?.close(force || this.running === 0)))
      .then(() => this.children?.shutdown());
    if (this.running > 0 && !force) return closing;
    await Promise.race([closing, new Promise<void>((r) => setTimeout(r, 5000).unref())]);
  }

  private async process(worker: Worker<{ record: JobRecord }, JobRecord>, job: QueueJob, signal?: AbortSignal): Promise<JobRecord> {
    const base = job.data.record;
    const kind = await this.checkRunnable(base);
    const { waiting: _, error: _e, ...rest } = base;
    const record: JobRecord = { ...rest, status: "running", started_at: new Date().toISOString(), worker: this.name, device: this.opts.device, history: [] };
    const startedMs = Date.now();
    const controller = new AbortController();
    signal?.addEventListener("abort", () => controller.abort(new CancelledError(`job ${base.id} cancelled (${record.cancel_reason ?? "cancel_job"})`)), { once: true });
    const publisher = this.publisher(job, record);
    const client = await worker.backend.client;
    const poll = setInterval(() => {
      client.get(cancelKey(base.id)).then((reason) => {
        if (reason === null || controller.signal.aborted) return;
        record.cancel_reason = reason;
        worker.cancelJob(base.id, reason);
      }, () => undefined);
    }, CANCEL_POLL_MS);
    const control: JobControl = {
      id: base.id,
      signal: controller.signal,
      device: this.opts.device,
      ...(kind.control ? { children: (this.children ??= RedisJobs.open(this.opts.workspace, this.opts.url, this.opts.kinds)) } : {}),
      report: (p) => {
        applyReport(record, p, startedMs, base.progress?.total);
        publisher.changed();
      },
      warn: (message) => applyWarning(record, message) && publisher.changed(),
      throwIfCancelled: () => {
        if (controller.signal.aborted) throw new CancelledError(`job ${base.id} cancelled`);
      },
    };
    await this.persist(record);
    await job.updateProgress(snapshot(record)).catch(() => undefined);
    this.opts.log(`job ${base.id} ${record.type} started on ${this.opts.device} (attempt ${job.attemptsMade + 1}): ${record.summary}`);
    try {
      const result = await kind.run(base.params, control);
      record.result = toJson(result);
      record.status = controller.signal.aborted ? "cancelled" : "succeeded";
    } catch (e) {
      if (controller.signal.aborted || e instanceof CancelledError) record.status = "cancelled";
      else if (e instanceof UserError) {
        record.error = jobErrorOf(e, base.id);
        record.status = "failed";
      } else {
        publisher.stop();
        record.error = jobErrorOf(e, base.id);
        await job.updateProgress(snapshot(record)).catch(() => undefined);
        this.opts.log(`job ${base.id} ${record.type} error on attempt ${job.attemptsMade + 1}: ${record.error.message}`);
        throw e;
      }
    } finally {
      clearInterval(poll);
      publisher.stop();
    }
    record.finished_at = new Date().toISOString();
    await this.persist(record);
    await client.del(cancelKey(base.id)).catch(() => undefined);
    const secs = ((Date.now() - startedMs) / 1000).toFixed(1);
    this.opts.log(`job ${base.id} ${record.type} ${record.status} in ${secs} s on ${this.opts.device}${record.error ? `: ${record.error.message}` : ""}`);
    return snapshot(record);
  }

  /**
   * The job's kind, if this worker can run it here: a kind this build does not know, or a workspace
   * without the job (not the one the server uses), fails the job at once (no retry) saying why.
   */
  private async checkRunnable(base: JobRecord): Promise<JobKind> {
    try {
      const kind = kindOf(this.opts.kinds, base.kind ?? "");
      if (!(await this.opts.workspace.has(base.id))) {
        throw new UserError(`Worker ${this.name} cannot see job ${base.id} in its workspace ${this.opts.workspace.root}.`, "Start the worker with --workspace pointing at the server's workspace (a shared filesystem).");
      }
      return kind;
    } catch (e) {
      const message = e instanceof UserError ? `${e.problem} ${e.fix ?? ""}`.trim() : String(e);
      this.opts.log(`job ${base.id} refused: ${message}`);
      throw new UnrecoverableError(message);
    }
  }

  /** Publishes the running record as BullMQ progress (≤ every 0.5 s) and to the manifest (≤ every 2 s). */
  private publisher(job: QueueJob, record: JobRecord): { changed(): true; stop(): void } {
    let timer: NodeJS.Timeout | undefined;
    let published = 0;
    let persisted = Date.now();
    let stopped = false;
    const flush = (): void => {
      timer = undefined;
      if (stopped) return;
      published = Date.now();
      void job.updateProgress(snapshot(record)).catch((e: Error) => this.logError(e));
      if (Date.now() - persisted >= PERSIST_MS) {
        persisted = Date.now();
        void this.persist(record);
      }
    };
    return {
      changed: () => {
        if (!timer && !stopped) timer = setTimeout(flush, Math.max(0, published + PUBLISH_MS - Date.now()));
        return true;
      },
      stop: () => {
        stopped = true;
        clearTimeout(timer);
      },
    };
  }

  /** After BullMQ's last attempt (or a stall past the limit) the manifest records the failure. */
  private async onFailed(job: QueueJob | undefined, err: Error): Promise<void> {
    if (!job || (job.attemptsMade < (job.opts.attempts ?? 1) && !(err instanceof UnrecoverableError))) return;
    if (!(await this.opts.workspace.has(job.data.record.id))) return;
    const base = typeof job.progress === "object" && job.progress !== null ? (job.progress as JobRecord) : job.data.record;
    await this.persist({ ...base, status: "failed", finished_at: new Date().toISOString(), error: { message: `${err.message} (after ${job.attemptsMade} attempt(s)).`, fix: "Check the worker's log for the cause, then start the job again." } });
    this.opts.log(`job ${base.id} ${base.type} failed after ${job.attemptsMade} attempt(s): ${err.message}`);
  }

  private async persist(record: JobRecord): Promise<void> {
    try {
      await this.opts.workspace.update(record.id, { summary: summaryOf(record), meta: snapshot(record) });
    } catch (e) {
      this.opts.log(`could not save job ${record.id}: ${(e as Error).message}`);
    }
  }

  private logError(e: Error): void {
    if (Date.now() - this.lastLogged < 10_000) return;
    this.lastLogged = Date.now();
    this.opts.log(`queue ${this.display}: ${e.message}`);
  }
}
