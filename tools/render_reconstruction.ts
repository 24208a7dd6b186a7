/** render_reconstruction: decoded vs true frames of a decoding as images (retrieval, labelled with provenance). */
import { z } from "zod";
import { renderStoredReconstruction } from "../src/app/render.js";
import { defineTool } from "./kit/define.js";
import { reconstructionResult } from "./kit/render-view.js";

const INPUT = z.object({
  decoding_id: z.string().min(1).max(64).describe("Decoding id (dec_…) from decode_video_frames."),
  layout: z.enum(["side_by_side", "contact_sheet", "animation", "timeline"]).default("side_by_side").describe(
    "side_by_side: true frame above decoded frame per time step; contact_sheet: many decoded tiles; animation: animated WebP of true | decoded; timeline: decoded vs true frame index over time.",
  ),
  start: z.number().int().min(0).max(100_000_000).optional().describe("First sample index of the range (default: first decoded sample)."),
  end: z.number().int().min(1).max(100_000_000).optional().describe("End sample index (exclusive)."),
  count: z.number().int().min(1).max(5000).optional().describe("How many samples, evenly spaced in the range (default depends on the layout)."),
  samples: z.array(z.number().int().min(0).max(100_000_000)).min(1).max(300).optional().describe("Explicit sample indices (overrides start/end/count)."),
});

export const renderReconstructionTool = defineTool({
  name: "render_reconstruction",
  title: "Render decoded frames",
  description:
    "Shows a decoding as images: for each time step the frame that was on screen and the frame retrieved from the stimulus movie by the decoded index (not generated), each tile labelled with time, decoded and true index, error and confidence. Layouts: side_by_side, contact_sheet, animation (WebP), timeline (index plot). Previews fit client limits; full-resolution files are saved in the workspace (paths in the text). Provenance (decoded/true frame per tile) is in the JSON text block and the image _meta.",
  inputSchema: INPUT,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    const r = await renderStoredReconstruction(ctx, {
      decoding_id: args.decoding_id,
      layout: args.layout,
      selection: { start: args.start, end: args.end, count: args.count, samples: args.samples },
    });
    return reconstructionResult(args.decoding_id, args.layout, r);
  },
});
