/** compare_embeddings: consistency (R² of linear maps) between embeddings of runs or of datasets. */
import { z } from "zod";
import { compareEmbeddings, consistencyReading } from "../src/app/compare.js";
import { defineTool, structuredResult } from "./kit/define.js";

const INPUT = z.object({
  ids: z.array(z.string().min(1).max(64)).min(1).max(20).describe("Model or embedding ids (multi-session model: all sessions)."),
  between: z.enum(["runs", "datasets"]).optional().describe("runs: one recording; datasets: aligned by label."),
  label: z.union([z.literal("frame"), z.object({ column: z.string().min(1).max(128).describe("Continuous label column.") })]).optional().describe("datasets: aligning label (frame)."),
  bins: z.number().int().min(3).max(1000).default(100).describe("datasets: label bins."),
});

const OUTPUT = z.object({
  between: z.enum(["runs", "datasets"]),
  embeddings: z.array(z.object({ model_id: z.string(), embedding_id: z.string(), recording_id: z.string(), rows: z.number(), dim: z.number(), control: z.string().nullable() })),
  pairs: z.array(z.object({ source: z.string(), target: z.string(), r2: z.number() })),
  mean_r2: z.number(),
  label: z.string().nullable(),
  bins: z.number().nullable(),
});

export const compareEmbeddingsTool = defineTool({
  name: "compare_embeddings",
  title: "Consistency between embeddings",
  description:
    "CEBRA consistency: returns R² of a linear map per ordered embedding pair (runs or datasets) and the mean.",
  inputSchema: INPUT,
  outputSchema: OUTPUT,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    const r = await compareEmbeddings(ctx, { ids: args.ids, between: args.between, label: args.label, bins: args.bins });
    const lines = r.pairs.map((p) => `  ${p.source} → ${p.target}: R² ${p.r2.toFixed(3)}`);
    const text = [
      `Consistency between ${r.between} (${r.embeddings.length} embeddings${r.label ? `, aligned by ${r.label} in ${r.bins} bins` : ""}): mean R² ${r.mean_r2.toFixed(3)}.`,
      ...lines,
      consistencyReading(r),
    ].join("\n");
    const out: z.output<typeof OUTPUT> = { ...r };
    return structuredResult(text, out);
  },
});
