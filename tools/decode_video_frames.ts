/** decode_video_frames: decode which movie frame was on screen at each held-out sample, with controls → decoding_id. */
import { z } from "zod";
import { decodeAndStoreFrames } from "../src/app/decode.js";
import { defineTool, structuredResult } from "./kit/define.js";
import { CONTROLS_SCHEMA, NEIGHBOURS_SHOWN, ROWS_SHOWN, controlsView, controlsText, pct } from "./kit/decoding-view.js";

const INPUT = z.object({
  model_id: z.string().min(1).max(64).optional().describe("Model id (mdl_…) from train_embedding. Give this or embedding_id."),
  embedding_id: z.string().min(1).max(64).optional().describe("Embedding id (emb_…) instead of model_id."),
  test_repeat: z.number().int().min(0).max(100_000).optional().describe("Repeat to decode (default: the one held out from training)."),
  k: z.number().int().min(1).max(1000).optional().describe("Fixed number of neighbours (default: chosen from 1,4,9,16,25,49 on the last training repeat)."),
  window: z.number().int().min(1).max(10_000).default(30).describe("A sample counts as correct when |decoded − true| < window frames (30 = 1 s at 30 Hz, as the paper)."),
  lag_frames: z.number().int().min(-10_000).max(10_000).default(0).describe("Decode the frame shown this many frames later (+) or earlier (−) than the sample's own frame (latency / prediction analyses)."),
  metric: z.enum(["cosine", "euclidean"]).default("cosine"),
  shuffled_control: z.boolean().default(false).describe("Also decode the shuffled-label model; trains it now (as long as the first training) unless train_embedding made it."),
  skip_raw_controls: z.boolean().default(false).describe("Skip the raw-activity kNN controls (they take seconds for ~1000 neurons)."),
});

const OUTPUT = z.object({
  decoding_id: z.string(),
  model_id: z.string(),
  recording_id: z.string(),
  test_repeat: z.number(),
  train_repeats: z.array(z.number()),
  k: z.number(),
  window: z.number(),
  lag_frames: z.number(),
  n_test: z.number(),
  accuracy: z.number().describe("Fraction of test samples with |decoded − true| < window."),
  exact_accuracy: z.number(),
  median_abs_error: z.number(),
  mean_abs_error: z.number(),
  chance: z.object({ accuracy: z.number(), exact_accuracy: z.number(), mean_abs_error: z.number() }),
  controls: CONTROLS_SCHEMA,
  rows: z.array(z.object({
    sample: z.number(), time_s: z.number().nullable(), true_frame: z.number().nullable(), predicted_frame: z.number(),
    error: z.number().nullable(), confidence: z.number(),
    neighbours: z.array(z.object({ train_sample: z.number(), repeat: z.number(), frame: z.number(), distance: z.number() })),
  })).describe(`First ${ROWS_SHOWN} per-sample rows (${NEIGHBOURS_SHOWN} nearest voters each); the complete table is the resource in table_uri.`),
  rows_total: z.number(),
  table_uri: z.string(),
  warnings: z.array(z.string()),
  protocol: z.string(),
  next: z.string(),
});

export const decodeVideoFrames = defineTool({
  name: "decode_video_frames",
  title: "Decode movie frames",
  description:
    "Decodes which movie frame was on screen at each sample of a held-out repeat from a trained CEBRA embedding (kNN, k chosen by validation, as the paper). Returns accuracy (|error| < window frames), exact-frame accuracy, median/mean error, chance, and the same protocol on controls: raw activity per sample, raw activity averaged over the model's receptive field, and (optional) a shuffled-label model. Every sample keeps its provenance (decoded/true frame, error, confidence, voting training samples). Next: render_reconstruction with the decoding_id.",
  inputSchema: INPUT,
  outputSchema: OUTPUT,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    const d = await decodeAndStoreFrames(ctx, {
      ...args,
      signal: ctx.signal,
      onProgress: (step, total, message) => void ctx.progress(step, total, message),
    });
    const m = d.main;
    const out: z.output<typeof OUTPUT> = {
      decoding_id: d.decoding_id,
      model_id: d.model_id,
      recording_id: d.recording_id,
      test_repeat: m.test_repeat,
      train_repeats: m.train_repeats,
      k: m.k,
      window: m.window,
      lag_frames: m.lag_frames,
      n_test: m.scores.n_test,
      accuracy: m.scores.accuracy,
      exact_accuracy: m.scores.exact_accuracy,
      median_abs_error: m.scores.median_abs_error,
      mean_abs_error: m.scores.mean_abs_error,
      chance: { accuracy: m.chance.accuracy, exact_accuracy: m.chance.exact_accuracy, mean_abs_error: m.chance.mean_abs_error },
      controls: controlsView(d.summary),
      rows: m.rows.slice(0, ROWS_SHOWN).map((r) => ({
        sample: r.sample, time_s: r.time_s, true_frame: r.true_frame, predicted_frame: r.predicted_frame, error: r.error,
        confidence: r.confidence, neighbours: r.neighbours.slice(0, NEIGHBOURS_SHOWN),
      })),
      rows_total: m.rows.length,
      table_uri: `decoding://${d.decoding_id}`,
      warnings: d.summary.warnings,
      protocol: m.protocol,
      next: `render_reconstruction with decoding_id "${d.decoding_id}" shows decoded vs true frames; read ${`decoding://${d.decoding_id}`} for every sample.`,
    };
    const text = [
      `Decoding ${out.decoding_id} (model ${out.model_id}, repeat ${out.test_repeat}, k=${out.k}): ${pct(out.accuracy)} of ${out.n_test} samples within ${out.window} frames (chance ${pct(out.chance.accuracy)}); exact frame ${pct(out.exact_accuracy)}; median error ${out.median_abs_error} frames.`,
      controlsText(d.summary),
      "The reconstructed video is retrieval: each decoded frame is looked up in the stimulus movie by its decoded index.",
      ...out.warnings.map((w) => `Warning: ${w}`),
      `Next: ${out.next}`,
    ].join("\n");
    return structuredResult(text, out);
  },
});
