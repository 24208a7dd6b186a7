/**
 * The Redis job backend: BullMQ queues behind `JobBackend` (jobs.ts), for `serve --queue redis://…`.
 * The server only enqueues and observes; `cebra-mcp worker` processes (queue-worker.ts) on any machine
 * that shares the workspace run the jobs. One queue per device (`cebra-jobs-cpu`, `-cuda`, `-webgpu`;
 * "auto" waits in the cpu queue), so a job goes only to workers that offer its device; coordination jobs
 * (a sweep: `JobKind.control`) wait in `cebra-control`, which every worker serves besides its device
 * queue, and submit their fits as ordinary training jobs (`JobControl.children`, queue-worker.ts).
 *
 * Where each fact lives: BullMQ holds the live state (waiting, active with the running record as the
 * job's progress, completed with the final record as its return value, failed, delayed for a retry);
 * the workspace manifest `jobs/<id>/manifest.json` is the durable copy, written at submission by the
 * server and then by the worker that runs the job (on every status change and at most every 2 s of
 * progress). `get` reads the manifest first: a finished job needs no Redis; an unfinished one is read
 * from BullMQ, so progress is at most one progress event old.
 *
 * BullMQ does the rest: retries with exponential backoff for unexpected errors (attempts), stalled-job
 * detection (a worker killed mid-job loses its lock; the job goes back to waiting and another worker
 * takes it), progress (`updateProgress` → QueueEvents "progress" → MCP progress notifications), queue
 * events for waits, worker discovery (`getWorkers`, from the connection names) and, on the worker,
 * `cancelJob` (the processor's AbortSignal). Cancelling a job running on another machine sets
 * `cebra:cancel:<id>` in Redis, which its worker polls every second.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { Queue, QueueEvents, type ConnectionOptions, type Job } from "bullmq";
import { UserError } from "../util/errors.js";
import { newId, parseId } from "./ids.js";
import { isTerminal, kindOf, summaryOf, type JobBackend, type JobKinds, type JobListener, type JobRecord, type JobRequest, type QueueStatus } from "./jobs.js";
import { QUEUE_DEVICES, QUEUE_PREFIX, cancelKey, parseQueueUrl, queueDevice, queueName, type QueueKey } from "./queue-url.js";
import type { Workspace } from "./workspace.js";

/** The BullMQ job: its data is the record as submitted (params = the kind's arguments); its return value the final record. */
export type QueueJob = Job<{ record: JobRecord }, JobRecord>;

/**
 * BullMQ connects through ioredis, which it loads itself (an optional peer dependency): without it every
 * connection attempt fails in a loop, so a missing driver is a clear error up front instead.
 */
export function checkRedisDriver(): void {
  const require = createRequire(import.meta.url);
  try {
    require.resolve("ioredis", { paths: [path.dirname(require.resolve("bullmq"))] });
  } catch {
    throw new UserError("The Redis client library (ioredis) that BullMQ needs is not installed.", "Run `npm ci` in the cebra-mcp checkout (ioredis is one of its dependencies), or `npm install ioredis`.", "missing_dependency");
  }
}

/** Reconnect every 0.5–5 s, forever: Redis coming back resumes everything. */
const retryStrategy = (times: number): number => Math.min(500 * times, 5000);

/**
 * ioredis options: the server fails fast while Redis is down (no offline queue, one retry) so a tool
 * call gets a clear error; workers and event listeners wait for Redis (blocking commands need that).
 */
export function connectionOptions(url: string, role: "server" | "blocking"): ConnectionOptions {
  return role === "server"
    ? { url, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 3000, retryStrategy }
    : { url, maxRetriesPerRequest: null, connectTimeout: 3000, retryStrategy };
}

const CONNECTION_ERROR = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Connection is closed|enableOfflineQueue|Stream isn't writeable|MaxRetriesPerRequest|no answer within|connect/i;

/** Seconds a queue call may take before it counts as Redis being unreachable. */
const CALL_TIMEOUT_MS = 3000;
const DAY_S = 86_400;

/** Jobs in BullMQ on Redis, run by `cebra-mcp worker` processes. */
export class RedisJobs implements JobBackend {
  readonly name = "redis";
  readonly display: string;
  private readonly url: string;
  private readonly queues = new Map<QueueKey, Queue>();
  private readonly events = new Map<QueueKey, QueueEvents>();
  private readonly listeners = new Map<string, Set<JobListener>>();
  private readonly wakers = new Map<string, Set<() => void>>();
  private lastLogged = 0;

  private constructor(private readonly workspace: Workspace, url: string, private readonly kinds: JobKinds) {
    const parsed = parseQueueUrl(url);
    this.url = parsed.url;
    this.display = parsed.display;
  }

  /** Connects lazily: the server starts (and stays up) while Redis is down. */
  static open(workspace: Workspace, url: string, kinds: JobKinds): RedisJobs {
    checkRedisDriver();
    return new RedisJobs(workspace, url, kinds);
  }

  async submit(request: JobRequest): Promise<JobRecord> {
    const kind = kindOf(this.kinds, request.kind);
    const device = queueDevice(request.device);
    const key: QueueKey = kind.control ? "control" : device;
    const queue = this.queue(key);
    await this.call("queueing the job", () => queue.getJobCounts("waiting"));
    const id = newId("job");
    const record: JobRecord = {
      id,
      type: kind.type,
      kind: request.kind,
      status: "queued",
      summary: request.summary,
      params: request.args,
      parents: request.parents ?? [],
      created_at: new Date().toISOString(),
      history: [],
      ...(request.total !== undefined ? { progress: { step: 0, total: request.total, elapsed_s: 0 } } : {}),
      // A coordination job has no device of its own; the worker that runs it records its own.
      ...(kind.control ? {} : { device }),
    };
    await this.workspace.create("job", { summary: summaryOf(record), meta: record, parents: record.parents }, id);
    try {
      await this.call("queueing the job", () =>
        queue.add(request.kind, { record }, {
          jobId: id,
          attempts: 3,
          backoff: { type: "exponential", delay: 5000 },
          removeOnComplete: { age: 7 * DAY_S },
          removeOnFail: { age: 7 * DAY_S },
        }),
      );
    } catch (e) {
      await this.persist({ ...record, status: "failed", finished_at: new Date().toISOString(), error: { message: "The job could not be queued: Redis did not answer.", code: "queue_unavailable" } });
      throw e;
    }
    this.watch(key);
    return this.withWaiting(record, key);
  }

  async get(id: string): Promise<JobRecord> {
    parseId(id, "job");
    const stored = (await this.workspace.get<JobRecord>(id, "job")).meta;
    if (isTerminal(stored.status)) return stored;
    const key = this.route(stored);
    const queue = this.queue(key);
    // State first, then the job: the job read is at least as new as its state (a failed job has its reason).
    const state = await this.call("reading the job", () => queue.getJobState(id));
    const job = state === "unknown" ? undefined : ((await this.call("reading the job", () => queue.getJob(id))) as QueueJob | undefined);
    if (!job) return stored;
    return this.recordOf(job, state, stored, key);
  }

  async list(): Promise<JobRecord[]> {
    return (await this.workspace.manifests<JobRecord>("job")).map((m) => m.meta);
  }

  async wait(id: string, seconds: number, signal?: AbortSignal): Promise<JobRecord> {
    const deadline = Date.now() + seconds * 1000;
    let record = await this.get(id);
    if (!isTerminal(record.status)) this.watch(this.route(record));
    while (!isTerminal(record.status) && Date.now() < deadline && !signal?.aborted) {
      await this.sleep(id, Math.min(1000, deadline - Date.now()), signal);
      record = await this.get(id);
    }
    return record;
  }

  async cancel(id: string, reason = "cancel_job"): Promise<JobRecord> {
    const record = await this.get(id);
    if (isTerminal(record.status)) return record;
    const queue = this.queue(this.route(record));
    const job = (await this.call("cancelling the job", () => queue.getJob(id))) as QueueJob | undefined;
    const state = job ? await this.call("cancelling the job", () => job.getState()) : "unknown";
    if (job && state !== "active") {
      // Not running anywhere: take it off the queue (fails if a worker took it meanwhile).
      const removed = await job.remove().then(() => true, () => false);
      if (removed) {
        const { waiting: _, ...rest } = record;
        const done: JobRecord = { ...rest, status: "cancelled", cancel_reason: reason, finished_at: new Date().toISOString() };
        await this.persist(done);
        this.emit(id, done);
        return done;
      }
    }
    await this.call("cancelling the job", async () => (await queue.backend.client).set(cancelKey(id), reason, { EX: DAY_S }));
    return { ...record, cancel_reason: reason };
  }

  onProgress(id: string, listener: JobListener): () => void {
    const set = this.listeners.get(id) ?? new Set();
    set.add(listener);
    this.listeners.set(id, set);
    void this.workspace.get<JobRecord>(id, "job").then((m) => this.watch(this.route(m.meta)), () => undefined);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(id);
    };
  }

  /** Jobs belong to the workers: the server cancels none when it stops. */
  get activeCount(): number {
    return 0;
  }

  async queueStatus(): Promise<QueueStatus> {
    const workers: QueueStatus["workers"] = [];
    const queues: QueueStatus["queues"] = [];
    for (const device of QUEUE_DEVICES) {
      const queue = this.queue(device);
      const [counts, clients] = await this.call("reading the queue", () => Promise.all([queue.getJobCounts("waiting", "delayed", "prioritized", "active"), queue.getWorkers()]));
      queues.push({ device, waiting: (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0), active: counts.active ?? 0 });
      for (const name of workerNames(clients)) workers.push({ name, device });
    }
    const control = await this.call("reading the queue", () => this.queue("control").getJobCounts("waiting", "delayed", "prioritized", "active"));
    queues.push({ device: "control", waiting: (control.waiting ?? 0) + (control.delayed ?? 0) + (control.prioritized ?? 0), active: control.active ?? 0 });
    return { backend: `redis ${this.display}`, workers, queues };
  }

  /** Closes this server's connections; queued and running jobs carry on in Redis and the workers. */
  async shutdown(): Promise<void> {
    const closing = [...this.events.values(), ...this.queues.values()].map((c) => c.close().catch(() => undefined));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(closing), new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
    for (const c of [...this.events.values(), ...this.queues.values()]) void c.disconnect().catch(() => undefined);
  }

  /** The queue a job waits in: the control queue for coordination kinds, else its device's. */
  private route(record: Pick<JobRecord, "kind" | "device">): QueueKey {
    return this.kinds.get(record.kind ?? "")?.control ? "control" : queueDevice(record.device);
  }

  private queue(device: QueueKey): Queue {
    let queue = this.queues.get(device);
    if (!queue) {
      // Progress events carry the running record (up to ~16 kB with its history): keep the last 1,000, not BullMQ's 10,000.
      queue = new Queue(queueName(device), { connection: connectionOptions(this.url, "server"), prefix: QUEUE_PREFIX, streams: { events: { maxLen: 1000 } } });
      queue.on("error", (e) => this.logError(e));
      this.queues.set(device, queue);
    }
    return queue;
  }

  /** Listens to a device queue's events (once): progress and finishing reach listeners and waiters at once. */
  private watch(device: QueueKey): void {
    if (this.events.has(device)) return;
    const events = new QueueEvents(queueName(device), { connection: connectionOptions(this.url, "blocking"), prefix: QUEUE_PREFIX });
    events.on("error", (e) => this.logError(e));
    events.on("progress", ({ jobId, data }) => {
      if (isRecord(data)) this.emit(jobId, data);
      this.wake(jobId);
    });
    events.on("completed", ({ jobId, returnvalue }) => {
      const r = typeof returnvalue === "string" ? safeParse(returnvalue) : returnvalue;
      if (isRecord(r)) this.emit(jobId, r);
      this.wake(jobId);
    });
    for (const name of ["failed", "removed", "stalled", "active", "waiting"] as const) events.on(name, ({ jobId }: { jobId: string }) => this.wake(jobId));
    this.events.set(device, events);
  }

  /** The record of a job BullMQ knows about, by its state; a finished job's manifest is brought up to date. */
  private async recordOf(job: QueueJob, state: string, stored: JobRecord, device: QueueKey): Promise<JobRecord> {
    const progress = isRecord(job.progress) ? job.progress : undefined;
    if (state === "completed") {
      if (!isRecord(job.returnvalue)) return stored;
      await this.persist(job.returnvalue);
      return job.returnvalue;
    }
    if (state === "failed") {
      const failed: JobRecord = {
        ...(progress ?? stored),
        status: "failed",
        finished_at: new Date(job.finishedOn ?? Date.now()).toISOString(),
        error: { message: `${job.failedReason || "The job failed"} (after ${job.attemptsMade} attempt(s)).`, fix: "Check the worker's log for the cause, then start the job again." },
      };
      await this.persist(failed);
      return failed;
    }
    if (state === "active") return progress ?? { ...stored, status: "running" };
    const waiting = await this.withWaiting({ ...(progress ?? stored) }, device, job);
    return waiting;
  }

  /** A queued record with `waiting` saying why it does not run yet. */
  private async withWaiting(record: JobRecord, device: QueueKey, job?: QueueJob): Promise<JobRecord> {
    const queue = this.queue(device);
    const [counts, clients] = await this.call("reading the queue", () => Promise.all([queue.getJobCounts("waiting", "active"), queue.getWorkers()]));
    const workers = workerNames(clients).length;
    const retry = job && job.attemptsMade > 0 ? `retrying after attempt ${job.attemptsMade} failed (${job.failedReason}); ` : "";
    const stalled = record.status === "running" ? `its worker ${record.worker ?? ""} stopped; ` : "";
    const why = workers === 0
      ? device === "control"
        ? `waiting for a worker (none connected; start one: cebra-mcp worker --queue ${this.display})`
        : `waiting for a worker with ${device} (none connected; start one: cebra-mcp worker --queue ${this.display} --device ${device})`
      : `waiting in queue ${queueName(device)}: ${workers} worker(s) connected, ${counts.active ?? 0} job(s) running, ${counts.waiting ?? 0} waiting`;
    return { ...record, status: "queued", waiting: `${retry}${stalled}${why}` };
  }

  private async persist(record: JobRecord): Promise<void> {
    try {
      await this.workspace.update(record.id, { summary: summaryOf(record), meta: record });
    } catch (e) {
      process.stderr.write(`cebra-mcp: could not save job ${record.id}: ${(e as Error).message}\n`);
    }
  }

  private emit(id: string, record: JobRecord): void {
    for (const listener of this.listeners.get(id) ?? []) {
      try {
        listener(record);
      } catch (e) {
        process.stderr.write(`cebra-mcp: job listener failed: ${(e as Error).message}\n`);
      }
    }
  }

  private wake(id: string): void {
    for (const w of this.wakers.get(id) ?? []) w();
  }

  /** Sleeps up to `ms`, less if an event for job `id` arrives or `signal` aborts. */
  private sleep(id: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const set = this.wakers.get(id) ?? new Set();
      this.wakers.set(id, set);
      const done = (): void => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.wakers.delete(id);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      set.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /** Runs a queue call; Redis being unreachable (or silent for 3 s) becomes a UserError naming it. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${CALL_TIMEOUT_MS / 1000} s`)), CALL_TIMEOUT_MS)));
    try {
      return await Promise.race([fn(), timeout]);
    } catch (e) {
      const message = (e as Error)?.message ?? String(e);
      if (e instanceof UserError || !CONNECTION_ERROR.test(message)) throw e;
      throw new UserError(
        `The job queue (Redis at ${this.display}) is unreachable, so ${what} failed: ${message}.`,
        "Start Redis (or fix --queue / CEBRA_MCP_QUEUE) and call again. The server keeps running and reconnects by itself; queued and running jobs continue when Redis is back.",
        "queue_unavailable",
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** Logs a connection error at most every 10 s (ioredis retries every few seconds while Redis is down). */
  private logError(e: Error): void {
    if (Date.now() - this.lastLogged < 10_000) return;
    this.lastLogged = Date.now();
    process.stderr.write(`cebra-mcp: job queue ${this.display}: ${e.message}\n`);
  }
}

/** Worker names from BullMQ's client list (a worker has several connections; each name once). */
export function workerNames(clients: Record<string, string>[]): string[] {
  const names = clients.map((c) => (c.rawname ?? c.name ?? "").split(":w:")[1] ?? c.addr ?? "unnamed");
  return [...new Set(names)];
}

function isRecord(v: unknown): v is JobRecord {
  return typeof v === "object" && v !== null && typeof (v as JobRecord).id === "string" && typeof (v as JobRecord).status === "string";
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
