/** decode_video_frames: decode which movie frame was on screen at each held-out sample, with controls → decoding_id. */
import { z } from "zod";
import { decodeAndStoreFrames } from "../src/app/decode.js";
import { VIEWER_URI } from "../src/app/viewer.js";
import { defineTool } from "./kit/define.js";
import { FRAME_DECODING_SCHEMA, frameDecodingResult } from "./kit/decoding-view.js";
import { METRIC, MODEL_OR_EMBEDDING } from "./kit/schemas.js";

const INPUT = z.object({
  ...MODEL_OR_EMBEDDING,
  test_repeat: z.number().int().min(0).max(100_000).optional().describe("Repeat index to decode (default: the held-out one)."),
  k: z.number().int().min(1).max(1000).optional().describe("Fixed k (default: chosen on the last training repeat)."),
  window: z.number().int().min(1).max(10_000).default(30).describe("Correct when |decoded − true| < window, in frames (30 = 1 s at 30 Hz, as the paper)."),
  lag_frames: z.number().int().min(-10_000).max(10_000).default(0).describe("Decode the frame shown this many frames later (+) or earlier (−), for latency analyses."),
  metric: METRIC,
  shuffled_control: z.boolean().default(false).describe("Also decode the shuffled-label model (trained now unless train_embedding made it)."),
  skip_raw_controls: z.boolean().default(false).describe("Skip the raw-activity kNN controls (seconds for ~1000 neurons)."),
});

export const decodeVideoFrames = defineTool({
  name: "decode_video_frames",
  title: "Decode movie frames",
  description:
    "Decodes by kNN (as the paper) which movie frame was on screen at each held-out sample from a CEBRA embedding; returns decoding_id, accuracy within window, errors, chance, and raw-activity, untrained-encoder (and shuffled-label) controls with CEBRA's margin over each. Next: render_reconstruction.",
  inputSchema: INPUT,
  outputSchema: FRAME_DECODING_SCHEMA,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  _meta: { ui: { resourceUri: VIEWER_URI } },
  async handler(args, ctx) {
    return frameDecodingResult(await decodeAndStoreFrames(ctx, {
      ...args,
      signal: ctx.signal,
      onProgress: (step, total, message) => void ctx.progress(step, total, message),
    }));
  },
});
