/**
 * Process-wide server state: the workspace, job registry, recording store and allowed roots.
 * Opened once per process; every MCP server instance (one per stdio connection, one per HTTP
 * request) shares it, so artifacts and jobs created through one client are visible to all.
 */
import { JobRegistry, type JobBackend } from "../store/jobs.js";
import { RecordingStore } from "../store/recordings.js";
import { AllowedRoots } from "../store/roots.js";
import { Workspace } from "../store/workspace.js";
import type { ServerConfig } from "./config.js";
import { resumeTrainingJob } from "./train.js";
import { jobKinds } from "./jobs.js";

export interface AppState {
  readonly config: ServerConfig;
  readonly workspace: Workspace;
  readonly jobs: JobBackend;
  readonly recordings: RecordingStore;
  readonly roots: AllowedRoots;
}

/** Opens the workspace (creating it), the job backend (in-process, or BullMQ with `queue`) and the roots. */
export async function openApp(config: ServerConfig): Promise<AppState> {
  const workspace = await Workspace.open(config.workspaceDir);
  const roots = AllowedRoots.create([config.cwd, workspace.root, ...config.allowRoots], config.cwd);
  const recordings = new RecordingStore(workspace);
  const kinds = jobKinds({ workspace, recordings, concurrency: config.jobConcurrency });
  // In process: training jobs a killed server left running go on from their last checkpoint (src/app/checkpoint.ts).
  // With --queue the workers own the jobs (BullMQ retries a stalled one on another worker).
  const jobs = config.queue
    ? (await import("../store/queue-redis.js")).RedisJobs.open(workspace, config.queue, kinds)
    : await JobRegistry.open(workspace, { concurrency: config.jobConcurrency, kinds, resume: (r) => resumeTrainingJob({ workspace, recordings }, r) });
  return { config, workspace, jobs, recordings, roots };
}

/** Cancels running jobs (letting them save partial results) and flushes job manifests. */
export async function closeApp(app: AppState): Promise<void> {
  await app.jobs.shutdown(app.config.shutdownGraceMs);
}
