/**
 * The job kinds this application runs, by name, with JSON arguments: what the job backends
 * (src/store/jobs.ts, in this process; src/store/queue-redis.ts, in `cebra-mcp worker` processes) look up
 * to run a job from its data. A new long analysis (e.g. sweeps) registers its kind here.
 */
import type { JobKind, JobKinds } from "../store/jobs.js";
import type { RecordingStore } from "../store/recordings.js";
import type { Workspace } from "../store/workspace.js";
import { runTraining, type TrainingRequest } from "./train.js";
import { runSweepJob, SWEEP_ARGS_SCHEMA } from "./sweep.js";

/** What every kind may use: the (shared) workspace and its recordings, and how many fits a sweep runs at once. */
export interface JobDeps {
  workspace: Workspace;
  recordings: RecordingStore;
  /** Fits a sweep runs at the same time (the server's jobConcurrency; default 1). */
  concurrency?: number;
}

/** The kinds, built on one process's workspace. */
export function jobKinds(deps: JobDeps): JobKinds {
  const kinds = new Map<string, JobKind>();
  kinds.set("train", {
    type: "train_embedding",
    run: (args, control) => runTraining(deps, onWorkerDevice(args as unknown as TrainingRequest, control.device), control),
  });
  kinds.set("sweep", {
    type: "sweep_embeddings",
    // On the Redis backend a sweep coordinates: its fits are "train" jobs any worker takes (src/app/sweep.ts).
    control: true,
    run: (args, control) => runSweepJob({ ...deps, concurrency: deps.concurrency ?? 1 }, SWEEP_ARGS_SCHEMA.parse(args), control),
  });
  return kinds;
}

/** A request for "auto" runs on the device the worker offers (a worker for cpu trains on cpu). */
function onWorkerDevice(req: TrainingRequest, device: string | undefined): TrainingRequest {
  if (!device || req.config.device !== "auto") return req;
  return { ...req, config: { ...req.config, device: device as TrainingRequest["config"]["device"] } };
}
