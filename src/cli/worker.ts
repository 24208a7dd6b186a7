/**
 * `cebra-mcp worker`: runs the jobs a server queued on Redis (`serve --queue`), on this machine, against
 * the shared workspace (docs/DEPLOY.md). One BullMQ worker on the queue of one device; one log line
 * when a job starts and one when it ends. SIGINT/SIGTERM: take no new jobs and let running ones finish;
 * a second signal exits at once (BullMQ then sees the jobs as stalled and another worker takes them).
 */
import { parseArgs } from "node:util";
import { jobKinds } from "../app/jobs.js";
import { RecordingStore } from "../store/recordings.js";
import { QUEUE_DEVICES, parseQueueUrl, type QueueDevice } from "../store/queue-url.js";
import { QueueWorker } from "../store/queue-worker.js";
import { Workspace, defaultWorkspaceDir } from "../store/workspace.js";
import { UserError } from "../util/errors.js";

export const WORKER_USAGE = `cebra-mcp worker --queue redis://HOST:PORT[/DB] --workspace DIR [options]

  --queue URL          the Redis the server queues jobs on (env CEBRA_MCP_QUEUE)
  --workspace DIR      the workspace shared with the server, e.g. on NFS (env CEBRA_MCP_WORKSPACE)
  --device D           the device this worker offers: ${QUEUE_DEVICES.join(", ")} (default cpu); it takes
                       only jobs that ask for it (jobs asking for auto wait in the cpu queue)
  --concurrency N      jobs run at the same time (default 1); every worker also serves the control
                       queue cebra-control (sweeps, which only submit and wait for training jobs; 4 at a time)
  env CEBRA_MCP_QUEUE_LOCK_S   seconds before a dead worker's job is taken over (default 30)`;

export async function runWorker(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${WORKER_USAGE}\n`);
    return 0;
  }
  const o = parseWorkerArgs(argv, env);
  const workspace = await Workspace.open(o.workspace);
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} cebra-mcp worker: ${line}\n`);
  const worker = new QueueWorker({
    url: o.queue, device: o.device, concurrency: o.concurrency, workspace, log, lockMs: o.lockMs,
    kinds: jobKinds({ workspace, recordings: new RecordingStore(workspace) }),
  });
  log(`${worker.name} serving queue cebra-jobs-${o.device} (and cebra-control, for sweeps) on ${worker.display} (concurrency ${o.concurrency}); workspace ${workspace.root}`);
  let signals = 0;
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      log(signals === 1 ? `${sig}: finishing running jobs, taking no new ones` : `${sig} again: exiting; running jobs go back to the queue`);
      void worker.close(signals > 1).then(resolve, resolve);
      if (signals > 1) setTimeout(resolve, 1000).unref();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  log("stopped");
  return 0;
}

function parseWorkerArgs(argv: string[], env: NodeJS.ProcessEnv): { queue: string; workspace: string; device: QueueDevice; concurrency: number; lockMs?: number } {
  let values;
  try {
    values = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { queue: { type: "string" }, workspace: { type: "string" }, device: { type: "string" }, concurrency: { type: "string" } } }).values;
  } catch (e) {
    throw new UserError(`${(e as Error).message}.`, `Valid options:\n${WORKER_USAGE}`, "bad_flag");
  }
  const queue = values.queue ?? env.CEBRA_MCP_QUEUE;
  if (!queue) throw new UserError("cebra-mcp worker needs the queue's Redis.", "Pass --queue redis://HOST:PORT[/DB] (the same as the server's) or set CEBRA_MCP_QUEUE.", "bad_flag");
  parseQueueUrl(queue);
  const device = values.device ?? "cpu";
  if (!(QUEUE_DEVICES as readonly string[]).includes(device)) throw new UserError(`--device ${device} is not a worker device.`, `Pass one of: ${QUEUE_DEVICES.join(", ")}.`, "bad_flag");
  const concurrency = Number(values.concurrency ?? 1);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UserError(`--concurrency ${values.concurrency} is not a job count.`, "Pass an integer from 1 to 64.", "bad_flag");
  const lockS = env.CEBRA_MCP_QUEUE_LOCK_S ? Number(env.CEBRA_MCP_QUEUE_LOCK_S) : undefined;
  if (lockS !== undefined && !(lockS >= 1)) throw new UserError(`CEBRA_MCP_QUEUE_LOCK_S=${env.CEBRA_MCP_QUEUE_LOCK_S} is not a number of seconds.`, "Set it to 1 or more, or unset it (30 s).", "bad_flag");
  return { queue, workspace: values.workspace ?? env.CEBRA_MCP_WORKSPACE ?? defaultWorkspaceDir(env), device: device as QueueDevice, concurrency, ...(lockS ? { lockMs: lockS * 1000 } : {}) };
}
