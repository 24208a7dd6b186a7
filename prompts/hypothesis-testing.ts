/** Prompt `hypothesis_testing`: which labels explain the neural code — a controlled comparison of CEBRA models. */
import type { GetPromptResult, McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { choiceArgument, idArgument, type PromptContext } from "./complete.js";

const HYPOTHESIS_PROMPT = "hypothesis_testing";

/** Default hypotheses: the stimulus, time alone, and the shuffled-label null. */
const DEFAULT_HYPOTHESES = "frame_features, time, shuffled";

/** Suggested hypothesis lists for completion. */
const HYPOTHESIS_CHOICES = [DEFAULT_HYPOTHESES, "frame_features, time, hybrid, shuffled", "continuous, discrete, time, shuffled"];

/** Registers the prompt (recording argument completed with the workspace's recording ids). */
export function registerHypothesisPrompt(server: McpServer, ctx: PromptContext): void {
  server.registerPrompt(
    HYPOTHESIS_PROMPT,
    {
      title: "Which labels explain the neural code?",
      description:
        "A controlled comparison of CEBRA models trained with different labels (stimulus features, time only, behaviour) on the same recording, with shuffled-label and chance controls, several seeds, and a cautious verdict.",
      argsSchema: z.strictObject({
        recording_id: idArgument(ctx, "recording", "Recording to analyse (rec_…; call list_artifacts or load_recording first)."),
        hypotheses: choiceArgument(HYPOTHESIS_CHOICES, `Comma-separated labels to compare: frame_features, continuous, discrete, time, hybrid, shuffled (default "${DEFAULT_HYPOTHESES}").`).optional(),
        seeds: z.string().regex(/^[1-9]\d?$/, "a number of seeds such as 3").optional().describe("Training seeds per hypothesis (default 3)."),
      }),
    },
    ({ recording_id, hypotheses, seeds }): GetPromptResult => ({
      description: "Hypothesis test: which labels explain the neural code",
      messages: [{ role: "user", content: { type: "text", text: hypothesisText(recording_id, hypotheses ?? DEFAULT_HYPOTHESES, Number(seeds ?? 3)) } }],
    }),
  );
}

/** The prompt text. */
function hypothesisText(recordingId: string, hypotheses: string, seeds: number): string {
  const list = hypotheses.split(",").map((h) => h.trim()).filter(Boolean);
  return [
    `Test which labels explain the neural code in recording ${recordingId}. Treat this as a hypothesis test with controls, not a leaderboard.`,
    "",
    `Hypotheses: ${list.map(describeHypothesis).join("; ")}.`,
    "",
    "Protocol — keep everything identical across hypotheses except the labels, and fix it before looking at any result:",
    `1. Read recording://${recordingId} (or the load_recording result) to see which label columns exist and whether there is a movie with repeats. Drop hypotheses whose labels the recording lacks, and say so.`,
    "2. Fix one split for every model: the same held-out test repeat (movie data) or the same train_fraction (other data). Fix model_architecture, output_dimension, batch_size, max_iterations, learning_rate and temperature once.",
    `3. For each hypothesis call train_embedding (mode "behavior" with labels for stimulus/behaviour labels, mode "time" for time only, mode "hybrid" for hybrid) with ${seeds} seed${seeds === 1 ? "" : "s"} (seed 1…${seeds}); follow each job with get_job until it has succeeded.`,
    "4. Decode every model with the same call: decode_video_frames with the same test_repeat, window and k for movie frames (shuffled_control true for the behaviour models), or decode_labels with the same split for position or other labels.",
    "5. For every model record the decoding accuracy or error, chance, the shuffled-label control, goodness of fit (bits) and the final loss. Across seeds report mean ± standard deviation.",
    "",
    "Interpretation rules:",
    "- A hypothesis is supported only if it beats chance AND its shuffled-label control by more than the seed-to-seed spread.",
    "- The shuffled control near chance shows the pipeline does not leak labels; if it is well above chance, stop and report that instead.",
    "- A time-only model that decodes well means the activity is temporally structured (e.g. repeated stimulus), not that the labels are irrelevant; compare it with the same protocol.",
    "- Raw-activity baselines (in the decode result) show how much the embedding adds.",
    "",
    "Report a table (hypothesis, mode/labels, seeds, accuracy mean ± sd, chance, shuffled control, goodness of fit), a short verdict in cautious words (\"under this protocol, … explains more of the held-out activity than …\"), what was not tested, and every id so the comparison can be reproduced.",
  ].join("\n");
}

function describeHypothesis(h: string): string {
  switch (h) {
    case "frame_features":
      return 'frame_features (the movie frame on screen; mode "behavior")';
    case "time":
      return 'time (no labels, time-contrastive; mode "time")';
    case "hybrid":
      return 'hybrid (labels plus time; mode "hybrid")';
    case "shuffled":
      return "shuffled (the null: labels permuted; shuffled_control on the decode call)";
    case "continuous":
      return 'continuous (the recording\'s continuous labels, e.g. position; mode "behavior")';
    case "discrete":
      return 'discrete (the recording\'s discrete labels, e.g. running direction; mode "behavior")';
    default:
      return `${h} (as labels with mode "behavior", if the recording has them)`;
  }
}
