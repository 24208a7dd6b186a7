/** render_reconstruction: decoded vs true frames of a decoding as images (retrieval, labelled with provenance). */
import { z } from "zod";
import { renderStoredReconstruction } from "../src/app/render.js";
import { VIEWER_URI } from "../src/app/viewer.js";
import { defineTool } from "./kit/define.js";
import { reconstructionResult } from "./kit/render-view.js";

const INPUT = z.object({
  decoding_id: z.string().min(1).max(64).describe("From decode_video_frames (dec_…)."),
  layout: z.enum(["side_by_side", "contact_sheet", "pairs", "animation", "timeline"]).default("side_by_side").describe(
    "side_by_side, contact_sheet, pairs (true | decoded tiles), animation, or timeline (index over time).",
  ),
  start: z.number().int().min(0).max(100_000_000).optional().describe("First sample (default: first decoded)."),
  end: z.number().int().min(1).max(100_000_000).optional().describe("End sample, exclusive (default: last decoded + 1)."),
  count: z.number().int().min(1).max(5000).optional().describe("Samples evenly spaced in the range."),
  samples: z.array(z.number().int().min(0).max(100_000_000)).min(1).max(300).optional().describe("Sample indices (override start/end/count)."),
});

export const renderReconstructionTool = defineTool({
  name: "render_reconstruction",
  title: "Render decoded frames",
  description:
    "Shows a decoding: true and decoded movie frames (retrieved, not generated) per sample, or decoded vs true index over time. Returns a preview and full-size file paths.",
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
