/**
 * Training checkpoints of a job: the state a training run hands out every K steps or T seconds
 * (engine/train/trainer.ts `onCheckpoint`: parameters, Adam moments and step, the loss log so far), kept
 * as ONE file in the job's folder, `<workspace>/jobs/<job id>/checkpoint.bin`, replaced atomically
 * (temp file + rename, store/atomic.ts), so a reader sees the previous or the next checkpoint, never half.
 * The sampler's state is not stored: it is a function of the seed and the step (the trainer fast-forwards
 * it on resume), so a run resumed from a checkpoint continues the exact loss trajectory.
 *
 * Layout: uint32 LE header length, the JSON header (padded with spaces to a multiple of 4 bytes), then
 * float32 blocks: per session params, Adam m, Adam v; then the log's total, align, uniform, temperature.
 * The file is not a workspace artifact file (it is not in the job's manifest): it is deleted when the
 * job ends, and what a job leaves is its model artifacts, never rewritten.
 */
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { getArchitecture } from "../engine/cebra/lookup.js";
import type { CheckpointPolicy } from "../engine/train/trainer.js";
import type { TrainedModel } from "../engine/types.js";
import { writeFileAtomic } from "../store/atomic.js";
import type { Workspace } from "../store/workspace.js";

const FORMAT = "cebra-mcp-checkpoint/1";
export const CHECKPOINT_FILE = "checkpoint.bin";

/** Defaults: a checkpoint every 500 steps or 60 s, whichever comes first. */
export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = { steps: 500, seconds: 60 };

/** Which training of a job a checkpoint belongs to: the model, or its shuffled-label control (after the model was saved). */
export type CheckpointPhase = "model" | "control";

export interface Checkpoint {
  job_id: string;
  phase: CheckpointPhase;
  saved_at: string;
  /** The state: resuming from it (`resumeFrom`) continues the run exactly. */
  model: TrainedModel;
  /** What the job had stored before this phase (e.g. the model's ids while its control trains). */
  context: Record<string, unknown>;
}

interface Header {
  format: typeof FORMAT;
  job_id: string;
  phase: CheckpointPhase;
  saved_at: string;
  context: Record<string, unknown>;
  model: Omit<TrainedModel, "params" | "optimizer" | "log" | "architecture"> & { param_counts: number[]; optimizer_steps: number[]; log_length: number };
}

/**
 * The checkpoint policy: `CEBRA_MCP_CHECKPOINT_STEPS` and `CEBRA_MCP_CHECKPOINT_SECONDS` override the
 * defaults (positive numbers; anything else is ignored).
 */
export function checkpointPolicy(env: NodeJS.ProcessEnv = process.env): CheckpointPolicy {
  const num = (v: string | undefined, d: number) => (v !== undefined && Number(v) > 0 ? Number(v) : d);
  return { steps: num(env.CEBRA_MCP_CHECKPOINT_STEPS, DEFAULT_CHECKPOINT_POLICY.steps), seconds: num(env.CEBRA_MCP_CHECKPOINT_SECONDS, DEFAULT_CHECKPOINT_POLICY.seconds) };
}

/** Where job `jobId` keeps its checkpoint. */
export function checkpointPath(ws: Workspace, jobId: string): string {
  return path.join(ws.artifactDir(jobId), CHECKPOINT_FILE);
}

/** Serialises a checkpoint to bytes (see the layout above). */
export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const { params, optimizer, log, architecture: _a, ...rest } = c.model;
  const header: Header = {
    format: FORMAT, job_id: c.job_id, phase: c.phase, saved_at: c.saved_at, context: c.context,
    model: { ...rest, param_counts: params.map((p) => p.length), optimizer_steps: optimizer.map((o) => o.step), log_length: log.total.length },
  };
  let json = JSON.stringify(header);
  json += " ".repeat((4 - (Buffer.byteLength(json) % 4)) % 4);
  const head = Buffer.from(json, "utf8");
  const blocks: Float32Array[] = [];
  params.forEach((p, s) => blocks.push(p, optimizer[s].m, optimizer[s].v));
  blocks.push(Float32Array.from(log.total), Float32Array.from(log.align), Float32Array.from(log.uniform), Float32Array.from(log.temperature));
  const floats = blocks.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(4 + head.length + 4 * floats);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  let off = 4 + head.length;
  for (const b of blocks) {
    out.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), off);
    off += b.byteLength;
  }
  return out;
}

/** Parses bytes written by `encodeCheckpoint`; throws on a file of another format or size. */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headLen = view.getUint32(0, true);
  const header = JSON.parse(Buffer.from(bytes.subarray(4, 4 + headLen)).toString("utf8")) as Header;
  if (header.format !== FORMAT) throw new Error(`not a checkpoint (format ${String(header.format)})`);
  const { param_counts, optimizer_steps, log_length, ...rest } = header.model;
  const floats = new Float32Array(bytes.slice(4 + headLen).buffer);
  const expected = param_counts.reduce((n, p) => n + 3 * p, 0) + 4 * log_length;
  if (floats.length !== expected) throw new Error(`checkpoint has ${floats.length} values, its header describes ${expected}`);
  let off = 0;
  const take = (n: number) => floats.slice(off, (off += n));
  const params: Float32Array[] = [];
  const optimizer: TrainedModel["optimizer"] = [];
  param_counts.forEach((p, s) => {
    params.push(take(p));
    optimizer.push({ step: optimizer_steps[s], m: take(p), v: take(p) });
  });
  const list = () => Array.from(take(log_length));
  const log = { total: list(), align: list(), uniform: list(), temperature: list() };
  const model: TrainedModel = { ...rest, architecture: getArchitecture(rest.config.model_architecture), params, optimizer, log };
  return { job_id: header.job_id, phase: header.phase, saved_at: header.saved_at, context: header.context, model };
}

/** Replaces job `jobId`'s checkpoint atomically. */
export async function saveCheckpoint(ws: Workspace, jobId: string, phase: CheckpointPhase, model: TrainedModel, context: Record<string, unknown> = {}): Promise<void> {
  await writeFileAtomic(checkpointPath(ws, jobId), encodeCheckpoint({ job_id: jobId, phase, saved_at: new Date().toISOString(), model, context }));
}

/**
 * The last checkpoint job `jobId` saved, or null if it has none (never checkpointed, finished, or the
 * file is unreadable: a resume then starts from step 0, which is correct, only slower).
 */
export async function latestCheckpoint(ws: Workspace, jobId: string): Promise<Checkpoint | null> {
  let bytes: Buffer;
  try {
    bytes = await readFile(checkpointPath(ws, jobId));
  } catch {
    return null;
  }
  try {
    return decodeCheckpoint(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    process.stderr.write(`cebra-mcp: ignoring the unreadable checkpoint of ${jobId}: ${(e as Error).message}\n`);
    return null;
  }
}

/** Deletes job `jobId`'s checkpoint (no error if there is none). */
export async function removeCheckpoint(ws: Workspace, jobId: string): Promise<void> {
  await rm(checkpointPath(ws, jobId), { force: true });
}

/**
 * Writes the checkpoints a training run hands out, one at a time in order (a newer one waits for the
 * write before it; a write that fails is reported on stderr and training goes on). `flush` waits for the
 * last write, so the job's end can delete the file after it.
 */
export class CheckpointWriter {
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly ws: Workspace, private readonly jobId: string) {}

  /** The `onCheckpoint` callback for one phase of the job. */
  callback(phase: CheckpointPhase, context: Record<string, unknown> = {}): (model: TrainedModel) => void {
    return (model) => {
      this.chain = this.chain.then(() => saveCheckpoint(this.ws, this.jobId, phase, model, context)).catch((e: unknown) => {
        process.stderr.write(`cebra-mcp: could not save the checkpoint of ${this.jobId}: ${(e as Error).message}\n`);
      });
    };
  }

  async flush(): Promise<void> {
    await this.chain;
  }
}
