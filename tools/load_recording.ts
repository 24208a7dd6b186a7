/** load_recording: load a recording (file, URL or built-in simulator) into the workspace → recording_id. */
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { ARRAY_ROLES, LOAD_FORMATS, NAN_POLICIES, type ArrayRole, type LoadFormat, type LoadOptions, type NanPolicy } from "../src/data/load.js";
import { loadRecordingInWorker } from "../src/app/load.js";
import { recordingOneLine, summarizeRecording, type RecordingSummary } from "../src/store/recordings.js";
import { artifactUri } from "./kit/uris.js";
import { defineTool, structuredResult } from "./kit/define.js";

const KEYS = z
  .partialRecord(z.enum(ARRAY_ROLES as readonly [ArrayRole, ...ArrayRole[]]), z.string().min(1).max(512))
  .describe("Array name (npz member / HDF5 path) per role, if not the role's own name.");

const MOVIE = z
  .union([
    z.literal(false),
    z.string().min(1).max(4096),
    z.object({
      path: z.string().min(1).max(4096),
      dataset: z.string().max(512).optional().describe("HDF5 dataset path"),
      frame_rate_hz: z.number().positive().max(1000).optional(),
    }),
  ])
  .describe("Stimulus movie: path/URL of a .npy [F,H,W] uint8, .npz, NWB/HDF5 or frame folder; false = load no movie. Default: the file's own template if any.");

const NEUROPIXELS = z
  .object({
    bin: z.union([z.number().positive().max(10000), z.literal("per_frame")]).optional().describe("Bin rate in Hz (default 120) or per_frame."),
    rows: z.array(z.number().int().min(0).max(10_000_000)).length(2).optional().describe("Presentation rows [start, end) (default [0, 9000])."),
    quality_filter: z.boolean().optional().describe("Apply the unit quality filter (default true)."),
    quality: z
      .object({
        isi_violations_max: z.number().min(0).optional(),
        presence_ratio_min: z.number().min(0).max(1).optional(),
        amplitude_cutoff_max: z.number().min(0).optional(),
        quality: z.string().nullable().optional(),
      })
      .optional(),
    areas: z.array(z.string().min(1).max(64)).max(50).optional().describe('Keep units in these areas, e.g. ["VISp"].'),
  })
  .describe("Allen Neuropixels NWB: binning, presentation block, unit quality.");

const BUILTIN = z
  .record(z.string(), z.union([z.number(), z.string()]))
  .describe(
    "builtin:allen-like simulator parameters, e.g. {seed: 1, modality: 'calcium'|'neuropixels', n_cells: 300, n_frames: 900, n_repeats: 10, frame_height: 152, frame_width: 304, feature_dim: 16}. All names, units and realistic ranges: resource builtin://allen-like/parameters.",
  );

const INPUT = z.object({
  source: z.string().min(1).max(4096).describe("Local path (.npz, .npy, .nwb, .h5), http(s) URL, or builtin:allen-like."),
  format: z.enum(LOAD_FORMATS as readonly [LoadFormat, ...LoadFormat[]]).optional().describe("Force the format (default: detected)."),
  keys: KEYS.optional(),
  neural_layout: z.enum(["time_major", "unit_major"]).optional().describe("neural array is [T,N] (default) or [N,T]."),
  sampling_rate_hz: z.number().positive().max(100_000).optional().describe("Override the sampling rate."),
  continuous_columns: z.array(z.string().min(1).max(128)).min(1).max(1024).optional().describe('Names of the continuous label columns, e.g. ["position"] (default c0, c1, …).'),
  modality: z.enum(["calcium", "spikes", "other"]).optional(),
  signal: z.string().min(1).max(64).optional().describe("What neural values are: dff, events, spike_counts, rates ..."),
  nan_policy: z.enum(NAN_POLICIES as readonly [NanPolicy, ...NanPolicy[]]).optional().describe("NaN/Inf in neural: error (default), zero, interpolate, drop_units."),
  movie: MOVIE.optional(),
  stimulus: z.string().min(1).max(128).optional().describe("Allen stimulus name (default natural_movie_one)."),
  restrict_to_stimulus: z.boolean().optional().describe("Allen 2P: keep only samples during the movie (default true)."),
  neuropixels: NEUROPIXELS.optional(),
  builtin: BUILTIN.optional(),
  time_range: z.object({ start: z.number().optional(), end: z.number().optional() }).optional().describe("Keep samples with timestamps in [start, end) s."),
  repeats: z.array(z.number().int().min(0).max(100_000)).min(1).max(1000).optional().describe("Keep only these repeat indices."),
  select_units: z
    .object({
      count: z.number().int().min(1).max(100_000),
      seed: z.number().int().min(0).max(4294967295).optional(),
      replace: z.boolean().optional().describe("Sample with replacement (CEBRA pseudo-mice)."),
    })
    .optional()
    .describe("Randomly sample units."),
  zscore: z.boolean().optional().describe("Z-score each unit over time (after all other steps)."),
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
    "Loads neural data recorded while a movie was shown and stores it in the workspace. Sources: a local .npz/.npy/.nwb (Allen 2P or Neuropixels)/.h5 file, an http(s) URL (downloaded and cached), or builtin:allen-like (a realistic simulated V1 dataset with its movie; fast, offline). Optional preprocessing: nan_policy, time_range, repeats, select_units, zscore. Returns recording_id with shapes, repeats, frames, label columns, warnings and provenance. Next: train_embedding with the recording_id.",
  inputSchema: INPUT,
  outputSchema: OUTPUT,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async handler(args, ctx) {
    const { source, ...rest } = args;
    const resolved = resolveSource(source, ctx.config.cwd);
    await ctx.progress(0, 2, `loading ${resolved}`);
    const rec = await loadRecordingInWorker(resolved, rest as LoadOptions, ctx.loadLimits(), ctx.signal);
    await ctx.progress(1, 2, "saving to workspace");
    const id = await ctx.recordings.saveRecording(rec);
    await ctx.progress(2, 2, `saved ${id}`);
    const summary = summarizeRecording(rec);
    return structuredResult(describe(id, summary), { recording_id: id, uri: artifactUri("recording", id), ...summary });
  },
});

/** Local paths are resolved against the server's working directory (and `~`); URLs and builtin: pass through. */
function resolveSource(source: string, cwd: string): string {
  if (/^(https?:|builtin:)/i.test(source)) return source;
  if (source === "~" || source.startsWith("~/")) return path.join(os.homedir(), source.slice(1));
  return path.resolve(cwd, source);
}

function describe(id: string, s: RecordingSummary): string {
  const labels = [
    s.label_columns.frame_features.length ? `frame_features (${s.label_columns.frame_features.length} dims)` : "",
    s.label_columns.continuous.length ? `continuous [${s.label_columns.continuous.join(", ")}]` : "",
    s.label_columns.discrete.length ? `discrete [${s.label_columns.discrete.join(", ")}]` : "",
  ].filter(Boolean);
  const lines = [
    `Loaded ${id}: ${recordingOneLine(s)}.`,
    `Labels: ${labels.join("; ") || "none"}.${s.movie ? ` Movie: ${s.movie.n_frames} frames ${s.movie.height}×${s.movie.width} px.` : ""}`,
  ];
  if (s.warnings.length) lines.push(`Warnings: ${s.warnings.join(" | ")}`);
  lines.push(`Next: train_embedding with recording_id "${id}".`);
  return lines.join("\n");
}
