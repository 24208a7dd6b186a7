/** sweep_embeddings: train settings × seeds × recordings as one job, choose on validation only → table, chosen model_id, plot. */
import { z } from "zod";
import { SWEEP_ARGS_SCHEMA, startSweepJob, sweepImage, sweepText, type SweepResult } from "../src/app/sweep.js";
import { defineTool } from "./kit/define.js";
import { followJob } from "./kit/follow.js";
import { JOB_VIEW_SCHEMA, jobText, jobView } from "./kit/job-view.js";

const INPUT = SWEEP_ARGS_SCHEMA.extend({
  wait_seconds: z.number().min(0).max(55).default(40).describe("As train_embedding."),
});

export const sweepEmbeddings = defineTool({
  name: "sweep_embeddings",
  title: "Sweep",
  description:
    "Trains settings × seeds × recordings in one job, selecting on validation only. Returns a table, chosen model_id, test score, controls, plot, or job_id.",
  inputSchema: INPUT,
  outputSchema: JOB_VIEW_SCHEMA,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async handler({ wait_seconds, ...args }, ctx) {
    const job = await startSweepJob({ ...ctx, concurrency: ctx.config.jobConcurrency }, args);
    const view = jobView(await followJob(ctx, job.id, wait_seconds, { cancelOnAbort: true }));
    const result = view.result as SweepResult | undefined;
    const image = result ? await sweepImage(ctx.workspace, result) : null;
    const { loss_history: _, ...shown } = view;
    return {
      content: [
        { type: "text", text: result ? `${sweepText(result)}\nNext: ${view.next}` : jobText(view) },
        ...(image ? [{ type: "image" as const, ...image }] : []),
      ],
      structuredContent: { ...shown, loss_history: [] },
    };
  },
});
