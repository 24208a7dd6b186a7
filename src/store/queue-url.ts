/**
 * Names and addresses of the Redis job queue (queue-redis.ts), without BullMQ: what the command line
 * checks and what the server and workers agree on (queue per device, key prefix, cancel keys).
 */
import { UserError } from "../util/errors.js";

/** The devices that have a queue; a worker serves one. */
export const QUEUE_DEVICES = ["cpu", "cuda", "webgpu"] as const;
export type QueueDevice = (typeof QUEUE_DEVICES)[number];

/** The queue a job for `device` waits in ("auto" or none: cpu). */
export function queueDevice(device?: string): QueueDevice {
  return device === "cuda" || device === "webgpu" ? device : "cpu";
}

/**
 * A queue: one per device for the work (training), and "control" for coordination jobs (sweeps) that
 * only submit and wait for other jobs; every worker serves it besides its device queue, with its own
 * concurrency, so a waiting sweep holds no training slot.
 */
export type QueueKey = QueueDevice | "control";

export function queueName(key: QueueKey): string {
  return key === "control" ? "cebra-control" : `cebra-jobs-${key}`;
}

/** BullMQ key prefix: every key of this application starts with `cebra:`. */
export const QUEUE_PREFIX = "cebra";

export function cancelKey(id: string): string {
  return `${QUEUE_PREFIX}:cancel:${id}`;
}

/** A checked queue URL: redis:// or rediss://, host, port, optional /DB; `display` hides a password. */
export function parseQueueUrl(value: string): { url: string; display: string } {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UserError(`--queue ${value} is not a URL.`, "Pass redis://HOST:PORT[/DB], e.g. redis://127.0.0.1:6379/0.", "bad_flag");
  }
  const db = u.pathname.replace(/^\//, "");
  if (!/^rediss?:$/.test(u.protocol) || !u.hostname || (db !== "" && !/^\d{1,2}$/.test(db))) {
    throw new UserError(`--queue ${value} is not a Redis URL.`, "Pass redis://HOST:PORT[/DB] (rediss:// for TLS), e.g. redis://127.0.0.1:6379/0.", "bad_flag");
  }
  const display = `${u.protocol}//${u.hostname}:${u.port || "6379"}${db ? `/${db}` : ""}`;
  return { url: u.href, display };
}
