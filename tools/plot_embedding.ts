/** plot_embedding: a trained embedding in 2-D/3-D coloured by frame, time or a label, with the loss curve. */
import { z } from "zod";
import { plotStoredEmbedding } from "../src/app/render.js";
import { MODEL_OR_EMBEDDING } from "./kit/schemas.js";
import { defineTool } from "./kit/define.js";
import { embeddingPlotResult } from "./kit/render-view.js";

const INPUT = z.object({
  ...MODEL_OR_EMBEDDING,
  colour_by: z
    .union([z.enum(["frame", "time", "repeat", "discrete", "none"]), z.object({ column: z.string().min(1).max(128).describe("Label column.") })])
    .default("frame")
    .describe("frame, time, repeat, discrete, none or {column}."),
  samples: z.enum(["all", "train", "test"]).default("all").describe("all, train or test (held out)."),
  dims: z.union([z.literal(2), z.literal(3)]).optional().describe("2 or 3 (default 3 if ≥ 3 dims)."),
  projection: z.enum(["first", "pca"]).default("first").describe("first dims (as CEBRA) or pca."),
  include_loss: z.boolean().default(true).describe("Add the loss curve."),
});

export const plotEmbeddingTool = defineTool({
  name: "plot_embedding",
  title: "Plot an embedding",
  description:
    "Plots an embedding as a 2-D/3-D PNG coloured by frame, time, repeat or a label, with the loss curve. Returns the image and path.",
  inputSchema: INPUT,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async handler(args, ctx) {
    const r = await plotStoredEmbedding(ctx, {
      model_id: args.model_id,
      embedding_id: args.embedding_id,
      colour_by: args.colour_by,
      samples: args.samples,
      dims: args.dims,
      projection: args.projection,
      include_loss: args.include_loss,
    });
    return embeddingPlotResult(args.colour_by, args.samples, r);
  },
});
