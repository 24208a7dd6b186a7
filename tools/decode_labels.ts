/** decode_labels: decode continuous or discrete labels of held-out samples (recordings without a movie) → decoding_id. */
import { z } from "zod";
import { decodeAndStoreLabels } from "../src/app/decode.js";
import { METRIC, MODEL_OR_EMBEDDING } from "./kit/schemas.js";
import { defineTool, structuredResult } from "./kit/define.js";
import { CONTROLS_SCHEMA, controlsText, controlsView, pct } from "./kit/decoding-view.js";

const INPUT = z.object({
  ...MODEL_OR_EMBEDDING,
  labels: z
    .union([z.enum(["continuous", "discrete"]), z.array(z.string().min(1).max(128)).min(1).max(64)])
    .optional()
    .describe("continuous (default if present), discrete, or continuous column names."),
  k: z.number().int().min(1).max(1000).optional().describe("Fixed k (default: chosen on validation)."),
  metric: METRIC,
  shuffled_control: z.boolean().default(false).describe("Also decode the shuffled-label model (trained now if missing)."),
  skip_raw_controls: z.boolean().default(false).describe("Skip raw-activity controls."),
});

const OUTPUT = z.object({
  decoding_id: z.string(),
  model_id: z.string(),
  recording_id: z.string(),
  kind: z.enum(["continuous", "discrete"]),
  k: z.number(),
  n_train: z.number(),
  n_test: z.number(),
  scores: z.record(z.string(), z.unknown()).describe("continuous: r2 and median_abs_error per column, r2_mean; discrete: accuracy and confusion counts."),
  chance: z.record(z.string(), z.unknown()),
  controls: CONTROLS_SCHEMA,
  table_uri: z.string(),
  warnings: z.array(z.string()),
  protocol: z.string(),
  next: z.string(),
});

export const decodeLabelsTool = defineTool({
  name: "decode_labels",
  title: "Decode labels of held-out samples",
  description:
    "kNN-decodes continuous (r², median error) or discrete (accuracy) held-out labels, with raw-activity, untrained-encoder (and shuffled-label) controls; returns decoding_id, scores. Next: plot_embedding.",
  inputSchema: INPUT,
  outputSchema: OUTPUT,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async handler(args, ctx) {
    const d = await decodeAndStoreLabels(ctx, { ...args, signal: ctx.signal, onProgress: (step, total, message) => void ctx.progress(step, total, message) });
    const m = d.main;
    const out: z.output<typeof OUTPUT> = {
      decoding_id: d.decoding_id,
      model_id: d.model_id,
      recording_id: d.recording_id,
      kind: m.kind === "labels_continuous" ? "continuous" : "discrete",
      k: m.k,
      n_train: m.counts.n_train,
      n_test: m.scores.n_test,
      scores: { ...m.scores },
      chance: { ...m.chance },
      controls: controlsView(d.summary),
      table_uri: `decoding://${d.decoding_id}`,
      warnings: d.summary.warnings,
      protocol: m.protocol,
      next: `Read decoding://${d.decoding_id} for every sample; plot_embedding colours the embedding by a label.`,
    };
    const headline = m.kind === "labels_continuous"
      ? `mean r² ${m.scores.r2_mean.toFixed(3)} over ${m.scores.columns.join(", ")} (median |error| ${m.scores.median_abs_error.map((x) => x.toPrecision(3)).join(", ")})`
      : `accuracy ${pct(m.scores.accuracy)}`;
    const text = [
      `Decoding ${d.decoding_id} (model ${d.model_id}, k=${m.k}, ${m.scores.n_test} held-out samples): ${headline}.`,
      controlsText(d.summary),
      ...out.warnings.map((w) => `Warning: ${w}`),
      `Next: ${out.next}`,
    ].join("\n");
    return structuredResult(text, out);
  },
});
