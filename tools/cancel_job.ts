/** cancel_job: stops a queued or running job. */
import { z } from "zod";
import { defineTool, structuredResult } from "./kit/define.js";
import { JOB_VIEW_SCHEMA, jobText, jobView } from "./kit/job-view.js";

/** How long cancel_job waits for a running job to wind down before returning. */
const SETTLE_SECONDS = 10;

export const cancelJob = defineTool({
  name: "cancel_job",
  title: "Cancel job",
  description:
    "Stops a queued or running job (a cancelled training keeps its model). Returns its status.",
  inputSchema: z.object({
    job_id: z.string().min(1).max(64).describe("Job id (job_…)."),
  }),
  outputSchema: JOB_VIEW_SCHEMA,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async handler({ job_id }, ctx) {
    await ctx.jobs.cancel(job_id);
    const record = await ctx.jobs.wait(job_id, SETTLE_SECONDS, ctx.signal);
    const view = jobView(record);
    return structuredResult(jobText(view), view);
  },
});
