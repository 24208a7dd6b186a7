/** get_job: status, progress, loss so far and result of a long-running job; optionally waits for it. */
import { z } from "zod";
import { defineTool, structuredResult } from "./kit/define.js";
import { followJob } from "./kit/follow.js";
import { JOB_VIEW_SCHEMA, jobText, jobView } from "./kit/job-view.js";

export const getJob = defineTool({
  name: "get_job",
  title: "Get job status",
  description:
    "Returns a job's status, progress (step/total, loss, ETA), a short loss history and, when finished, its result (e.g. model_id) or error. Optionally waits for it; call again while status is running.",
  inputSchema: z.object({
    job_id: z.string().min(1).max(64).describe("Job id (job_…) from the tool that started it."),
    wait_seconds: z.number().min(0).max(55).default(0).describe("Seconds to wait for the job to finish (0 = return at once)."),
  }),
  outputSchema: JOB_VIEW_SCHEMA,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler({ job_id, wait_seconds }, ctx) {
    const record = await followJob(ctx, job_id, wait_seconds);
    const view = jobView(record);
    return structuredResult(jobText(view), view);
  },
});
