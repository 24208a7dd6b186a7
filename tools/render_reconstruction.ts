/** render_reconstruction: decoded vs true frames of a decoding as images (retrieval, labelled with provenance). */
import { z } from "zod";
import { renderStoredReconstruction } from "../src/app/render.js";
import { VIEWER_URI } from "../src/app/viewer.js";
import { defineTool } from "./kit/define.js";
import { reconstructionResult } from "./kit/render-view.js";

const INPUT = z.object({
  decoding_id: z.string().min(1).max(64).describe("Decoding id (dec_…) from decode_video_frames."),
  layout: z.enum(["side_by_side", "contact_sheet", "pairs", "animation", "timeline"]).default("side_by_side").describe(
    "side_by_side: true above decoded frame; contact_sheet: decoded tiles; pairs: true | decoded tiles; animation: true | decoded; timeline: decoded vs true index.",
  ),
  start: z.number().int().min(0).max(100_000_000).optional().describe("First sample index (default: the first decoded)."),
  end: z.number().int().min(1).max(100_000_000).optional().describe("End sample index, exclusive (default: the last decoded + 1)."),
  count: z.number().int().min(1).max(5000).optional().describe("Samples, evenly spaced in the range (default per layout)."),
  samples: z.array(z.number().int().min(0).max(100_000_000)).min(1).max(300).optional().describe("Explicit sample indices (overrides start/end/count)."),
});

export const renderReconstructionTool = defineTool({
  name: "render_reconstruction",
  title: "Render decoded frames",
  description:
    "Shows a decoding as an image: the frame on screen and the movie frame at the decoded index (retrieved, not generated) per sample, or decoded vs true index over time. Returns a preview and the workspace paths of the full-size files.",
  inputSchema: INPUT,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  _meta: { ui: { resourceUri: VIEWER_URI } },
  async handler(args, ctx) {
    const r = await renderStoredReconstruction(ctx, {
      decoding_id: args.decoding_id,
      layout: args.layout,
      selection: { start: args.start, end: args.end, count: args.count, samples: args.samples },
    });
    return reconstructionResult(args.decoding_id, args.layout, r);
  },
});
