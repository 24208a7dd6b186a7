/**
 * Following a job from a tool call: wait up to `waitSeconds` for it to finish while forwarding its
 * progress as MCP progress notifications. With `cancelOnAbort`, a client that cancels the call (or
 * disconnects) cancels the job too, but only while the call is waiting; afterwards the job outlives it.
 */
import { isTerminal, type JobRecord } from "../../src/store/jobs.js";
import type { ToolContext } from "./define.js";

export async function followJob(ctx: ToolContext, jobId: string, waitSeconds: number, opts: { cancelOnAbort?: boolean } = {}): Promise<JobRecord> {
  const record = await ctx.jobs.get(jobId);
  if (waitSeconds <= 0 || isTerminal(record.status)) return record;
  const cancelOnAbort = () => void ctx.jobs.cancel(jobId, "request cancelled by the client");
  if (opts.cancelOnAbort) ctx.signal.addEventListener("abort", cancelOnAbort, { once: true });
  const unsubscribe = ctx.jobs.onProgress(jobId, (r) => {
    if (r.progress) void ctx.progress(r.progress.step, r.progress.total, r.progress.message ?? `${r.status} step ${r.progress.step}/${r.progress.total}`);
  });
  try {
    return await ctx.jobs.wait(jobId, waitSeconds, ctx.signal);
  } finally {
    unsubscribe();
    ctx.signal.removeEventListener("abort", cancelOnAbort);
  }
}
