/** load_recording: load a recording (file, URL or built-in simulator) into the workspace → recording_id. */
import { z } from "zod";
import { LOAD_OPTIONS_SCHEMA } from "../src/data/load.js";
import { loadAndStoreRecording } from "../src/app/load.js";
import { artifactUri } from "./kit/uris.js";
import { defineTool, structuredResult } from "./kit/define.js";
import { describeLoadedRecording } from "./kit/recording-view.js";

const INPUT = z.object({
  source: z.string().min(1).max(4096).describe("Path, URL, dandi:<id>/<path>[@version] or builtin:allen-like."),
  ...LOAD_OPTIONS_SCHEMA.shape,
});

const PROVENANCE = z.object({
  source: z.string(),
  format: z.string(),
  sha256: z.string().describe("SHA-256 of the source bytes (builtin: of the canonical parameters)."),
  keys_read: z.array(z.string()),
  preprocessing: z.array(z.object({ op: z.string(), params: z.record(z.string(), z.unknown()), note: z.string().optional() })),
  loaded_at: z.string(),
  cached_path: z.string().optional(),
  generator: z.record(z.string(), z.unknown()).optional(),
  source_metadata: z.record(z.string(), z.unknown()).optional(),
});

const OUTPUT = z.object({
  recording_id: z.string(),
  uri: z.string(),
  n_samples: z.number(),
  n_neurons: z.number(),
  sampling_rate_hz: z.number(),
  duration_s: z.number(),
  n_repeats: z.number().describe("Distinct movie repeats (0 if no repeat labels)."),
  n_frames: z.number().describe("Distinct movie frames (0 if no frame labels)."),
  modality: z.enum(["calcium", "spikes", "other"]),
  signal: z.string(),
  label_columns: z.object({ continuous: z.array(z.string()), discrete: z.array(z.string()), frame_features: z.array(z.string()) }),
  has_movie: z.boolean(),
  movie: z.object({ n_frames: z.number(), height: z.number(), width: z.number(), frame_rate_hz: z.number(), source: z.string() }).optional(),
  unit_metadata_columns: z.array(z.string()).describe("Per-unit metadata fields (area, cell_type ...)."),
  warnings: z.array(z.string()),
  provenance: PROVENANCE,
});

export const loadRecordingTool = defineTool({
  name: "load_recording",
  title: "Load recording",
  description:
    "Loads neural data and its movie from a file, URL, DANDI or builtin:allen-like (simulated V1). Returns recording_id, shapes, repeats, frames, labels, warnings. Next: train_embedding.",
  inputSchema: INPUT,
  outputSchema: OUTPUT,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async handler(args, ctx) {
    const { recording_id, summary } = await loadAndStoreRecording(ctx, args);
    return structuredResult(describeLoadedRecording(recording_id, summary), { recording_id, uri: artifactUri("recording", recording_id), ...summary });
  },
});
