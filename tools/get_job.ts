/** get_job: status, progress, loss so far and result of a long-running job; optionally waits for it. */
import { z } from "zod";
import { defineTool, structuredResult } from "./kit/define.js";
import { followJob } from "./kit/follow.js";
import { JOB_VIEW_SCHEMA, jobText, jobView } from "./kit/job-view.js";

export const getJob = defineTool({
  name: "get_job",
  title: "Get job status",
  description:
    "Returns a job's status, progress, recent losses, and result or error when done. Call again while running.",
  inputSchema: z.object({
    job_id: z.string().min(1).max(64).describe("Job id (job_…)."),
    wait_seconds: z.number().min(0).max(55).default(0).describe("Seconds to wait for it to finish."),
  }),
  outputSchema: JOB_VIEW_SCHEMA,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler({ job_id, wait_seconds }, ctx) {
    const record = await followJob(ctx, job_id, wait_seconds);
    const view = jobView(record);
    return structuredResult(jobText(view), view);
  },
});
