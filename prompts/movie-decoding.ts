/** Prompt `movie_decoding_analysis`: a guided, honest movie-decoding analysis with the cebra-mcp tools. */
import type { GetPromptResult, McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { idArgument, type PromptContext } from "./complete.js";

const BUILTIN = "builtin:allen-like";

const MOVIE_DECODING_PROMPT = "movie_decoding_analysis";

/** Registers the prompt (recording argument completed with the workspace's recording ids). */
export function registerMovieDecodingPrompt(server: McpServer, ctx: PromptContext): void {
  server.registerPrompt(
    MOVIE_DECODING_PROMPT,
    {
      title: "Guided movie-decoding analysis",
      description:
        "Step-by-step plan for decoding which movie frame a mouse saw from its neural activity: load, train a CEBRA model, decode a held-out repeat against chance and controls, render the reconstruction, and report it honestly.",
      argsSchema: z.strictObject({
        recording: idArgument(ctx, "recording", `A loaded recording id (rec_…), or a source to load (path, URL, ${BUILTIN}). Default: ${BUILTIN}.`, [BUILTIN]).optional(),
        test_repeat: z.string().regex(/^\d+$/, "a repeat index such as 9").optional().describe("Movie repeat to hold out for testing (default: the last one)."),
      }),
    },
    ({ recording, test_repeat }): GetPromptResult => ({
      description: "Guided movie-decoding analysis",
      messages: [{ role: "user", content: { type: "text", text: movieDecodingText(recording, test_repeat) } }],
    }),
  );
}

/** The prompt text for a recording (id or source) and an optional test repeat. */
function movieDecodingText(recording: string | undefined, testRepeat: string | undefined): string {
  const held = testRepeat !== undefined ? `repeat ${testRepeat}` : "the last repeat";
  return [
    "Run a movie-decoding analysis with the cebra-mcp tools and report it honestly. Work step by step and show the numbers each tool returns.",
    "",
    `1. Data. ${dataStep(recording)} Note neurons, samples, repeats, frames, modality and warnings. Frame decoding needs a movie and at least 3 repeats (train on some, test on a held-out one): if either is missing, stop and explain why.`,
    `2. Train. Call train_embedding with the recording_id, mode "behavior", labels "frame_features" (features of the movie frame on screen: CEBRA's Allen protocol), train_repeats = every repeat except ${held}, a fixed seed, and wait_seconds up to 50. If the job is still running, call get_job(job_id, wait_seconds 50) until it has succeeded. Report the loss trend and goodness of fit. The defaults are a sensible first pass; say which settings you changed and why.`,
    `3. Decode. Call decode_video_frames with the model_id, test_repeat = ${testRepeat ?? "the last repeat index"}, and shuffled_control true. Report the accuracy together with its window (a frame counts as correct when |decoded − true| < window frames), the exact-frame accuracy and the median absolute frame error, each next to chance and next to the controls (shuffled labels, raw activity). A decoder that does not beat its shuffled control is not evidence of decoding.`,
    "4. Show. Call render_reconstruction with the decoding_id (layout side_by_side for a few moments, contact_sheet for an overview). Say plainly that the decoded frames are RETRIEVED from the training repeats (nearest neighbours in the embedding), not generated images.",
    "5. Summarise in plain language: what was decoded, how well compared with chance and the controls, which repeat was held out, what remains uncertain (one seed, recording size, simulated data if the source is builtin:), and every id (recording, model, decoding, render) so the analysis can be reproduced.",
    "",
    "If a tool returns an error, follow the fix it suggests instead of retrying unchanged.",
  ].join("\n");
}

function dataStep(recording: string | undefined): string {
  if (recording && /^rec_[0-9a-z]+$/.test(recording)) {
    return `Use recording ${recording}, which is already loaded (read recording://${recording} for its summary, or call list_artifacts if the id is unknown).`;
  }
  const source = recording || BUILTIN;
  const note = source === BUILTIN ? " (a simulated Allen-like V1 calcium recording with its movie: fast and offline)" : "";
  return `Call load_recording with source "${source}"${note}.`;
}
