/** decode_video_frames: decode which movie frame was on screen at each held-out sample, with controls → decoding_id. */
import { z } from "zod";
import { decodeAndStoreFrames } from "../src/app/decode.js";
import { defineTool } from "./kit/define.js";
import { FRAME_DECODING_SCHEMA, frameDecodingResult } from "./kit/decoding-view.js";
import { METRIC, MODEL_OR_EMBEDDING } from "./kit/schemas.js";

const INPUT = z.object({
  ...MODEL_OR_EMBEDDING,
  test_repeat: z.number().int().min(0).max(100_000).optional().describe("Repeat to decode (default: the one held out from training)."),
  k: z.number().int().min(1).max(1000).optional().describe("Fixed number of neighbours (default: chosen from 1,4,9,16,25,49 on the last training repeat)."),
  window: z.number().int().min(1).max(10_000).default(30).describe("A sample counts as correct when |decoded − true| < window frames (30 = 1 s at 30 Hz, as the paper)."),
  lag_frames: z.number().int().min(-10_000).max(10_000).default(0).describe("Decode the frame shown this many frames later (+) or earlier (−) than the sample's own frame (latency / prediction analyses)."),
  metric: METRIC,
  shuffled_control: z.boolean().default(false).describe("Also decode the shuffled-label model; trains it now (as long as the first training) unless train_embedding made it."),
  skip_raw_controls: z.boolean().default(false).describe("Skip the raw-activity kNN controls (they take seconds for ~1000 neurons)."),
});

export const decodeVideoFrames = defineTool({
  name: "decode_video_frames",
  title: "Decode movie frames",
  description:
    "Decodes which movie frame was on screen at each sample of a held-out repeat from a trained CEBRA embedding (kNN, k chosen by validation, as the paper). Returns accuracy (|error| < window frames), exact-frame accuracy, median/mean error, chance, and the same protocol on controls: raw activity per sample, raw activity averaged over the model's receptive field, and (optional) a shuffled-label model. Every sample keeps its provenance (decoded/true frame, error, confidence, voting training samples). Next: render_reconstruction with the decoding_id.",
  inputSchema: INPUT,
  outputSchema: FRAME_DECODING_SCHEMA,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    return frameDecodingResult(await decodeAndStoreFrames(ctx, {
      ...args,
      signal: ctx.signal,
      onProgress: (step, total, message) => void ctx.progress(step, total, message),
    }));
  },
});
