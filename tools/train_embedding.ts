/** train_embedding: train a CEBRA model on a recording as a job → model_id, embedding_id (or a running job_id). */
import { z } from "zod";
import { TRAINING_ARGS_SCHEMA, startTrainingJob, trainingRequest } from "../src/app/train.js";
import { defineTool, structuredResult } from "./kit/define.js";
import { followJob } from "./kit/follow.js";
import { TRAINING_VIEW_SCHEMA, trainingText, trainingView } from "./kit/training-view.js";

const INPUT = TRAINING_ARGS_SCHEMA.extend({
  wait_seconds: z.number().min(0).max(55).default(40).describe("Wait before returning job_id."),
});

export const trainEmbedding = defineTool({
  name: "train_embedding",
  title: "Train a CEBRA embedding",
  description:
    "Trains CEBRA, embeds every sample; returns model_id, embedding_id(s), fit, or job_id (get_job). Next: decode_video_frames/decode_labels.",
  inputSchema: INPUT,
  outputSchema: TRAINING_VIEW_SCHEMA,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async handler({ wait_seconds, ...args }, ctx) {
    const job = await startTrainingJob(ctx, trainingRequest(args));
    const view = trainingView(await followJob(ctx, job.id, wait_seconds, { cancelOnAbort: true }));
    return structuredResult(trainingText(view), view);
  },
});
