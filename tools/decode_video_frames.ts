/** decode_video_frames: decode which movie frame was on screen at each held-out sample, with controls → decoding_id. */
import { z } from "zod";
import { decodeAndStoreFrames } from "../src/app/decode.js";
import { VIEWER_URI } from "../src/app/viewer.js";
import { defineTool } from "./kit/define.js";
import { FRAME_DECODING_SCHEMA, frameDecodingResult } from "./kit/decoding-view.js";
import { METRIC, MODEL_OR_EMBEDDING } from "./kit/schemas.js";

const INPUT = z.object({
  ...MODEL_OR_EMBEDDING,
  recording_id: z.string().min(1).max(64).optional().describe("Multi-session model's session."),
  test_repeat: z.number().int().min(0).max(100_000).optional().describe("Repeat to decode (default: held out)."),
  k: z.number().int().min(1).max(1000).optional().describe("Fixed k (default: chosen on validation)."),
  window: z.number().int().min(1).max(10_000).default(30).describe("Correct if |error| < window frames (30 = 1 s, as the paper)."),
  lag_frames: z.number().int().min(-10_000).max(10_000).default(0).describe("Decode the frame this many frames later (+)/earlier (−)."),
  metric: METRIC,
  shuffled_control: z.boolean().default(false).describe("Also decode the shuffled-label model (trained now if missing)."),
  skip_raw_controls: z.boolean().default(false).describe("Skip raw-activity controls."),
});

export const decodeVideoFrames = defineTool({
  name: "decode_video_frames",
  title: "Decode movie frames",
  description:
    "kNN-decodes the movie frame at each held-out sample; returns decoding_id, accuracy within window, errors, chance, raw-activity, untrained-encoder (and shuffled-label) controls with margins. Next: render_reconstruction.",
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
