/** How decodings and their controls are shown in tool results (shared by the decode tools). */
import { z } from "zod";
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { StoredDecoding } from "../../src/app/decode.js";
import type { DecoderSettings, DecodingSummary, FrameDecodeResult } from "../../src/decode/types.js";
import { structuredResult } from "./define.js";

/** Per-sample rows in a tool result; the complete table is the decoding resource. */
const ROWS_SHOWN = 10;
/** Voting neighbours shown per row in a tool result. */
const NEIGHBOURS_SHOWN = 3;

/** A decoder's distance, preprocessing and k, and whether validation or the user set the distance. */
export const SETTINGS_SCHEMA = z.object({
  metric: z.string(),
  preprocessing: z.string(),
  k: z.number(),
  metric_source: z.string(),
});

const COMPARISON_SCHEMA = z.object({
  score: z.string(),
  n_paired: z.number(),
  main: z.number(),
  control: z.number(),
  difference: z.number(),
  ci_low: z.number(),
  ci_high: z.number(),
  verdict: z.string(),
  block_length: z.number(),
});

export const CONTROLS_SCHEMA = z.record(
  z.string(),
  z.object({
    status: z.enum(["ok", "not_run"]),
    description: z.string(),
    reason: z.string().optional(),
    settings: SETTINGS_SCHEMA.optional(),
    scores: z.record(z.string(), z.union([z.number(), z.array(z.number()), z.record(z.string(), z.number()), z.null()])).optional(),
    comparison: COMPARISON_SCHEMA.optional().describe("Main decoder minus this control, 95% paired block-bootstrap interval."),
  }),
).describe("Each control run with the same protocol: raw_per_sample, raw_window_averaged, shuffled_labels, untrained_encoder.");

export function controlsView(s: DecodingSummary): z.output<typeof CONTROLS_SCHEMA> {
  const out: z.output<typeof CONTROLS_SCHEMA> = {};
  for (const [name, c] of Object.entries(s.controls)) {
    if (!c) continue;
    out[name] = c.status === "ok"
      ? {
        status: "ok", description: c.description, ...(c.settings ? { settings: c.settings } : {}),
        scores: numericScores(c.scores as unknown as Record<string, unknown>), ...(c.comparison ? { comparison: c.comparison } : {}),
      }
      : { status: "not_run", description: c.description, reason: c.reason };
  }
  return out;
}

/** "euclidean, z-scored, k=9" (with "metric fixed by the user" when it was). */
export function settingsText(x: DecoderSettings): string {
  const prep = x.preprocessing === "none" ? "" : x.preprocessing === "sqrt" ? ", √counts" : ", z-scored";
  return `${x.metric}${x.metric_source === "user" ? " (fixed by the user)" : ""}${prep}, k=${x.k}`;
}

/**
 * The settings every decoder chose, one line per control with its headline score, and the reading of the
 * model's score against chance and the controls, with the comparisons in words.
 */
export function controlsText(s: DecodingSummary): string {
  const src = s.settings?.metric_source;
  const how = src === "validation" ? "chosen on validation" : src === "user" ? "metric fixed by the user" : "no validation split";
  const lines: string[] = s.settings ? [`Decoder settings (${how}): model ${settingsText(s.settings)}.`] : [];
  for (const [name, c] of Object.entries(s.controls)) {
    if (!c) continue;
    if (c.status !== "ok") lines.push(`Control ${name}: not run — ${c.reason}`);
    else lines.push(`Control ${name}: ${headline(c.scores as unknown as Record<string, unknown>)}${c.settings ? ` (${settingsText(c.settings)})` : ""}`);
  }
  const reading = readingText(s);
  const comparisons = Object.values(s.controls).flatMap((c) => (c?.comparison_text ? [`Comparison: ${c.comparison_text}`] : []));
  if (comparisons.length && s.comparison_method) comparisons.push(`Comparison method: ${s.comparison_method}`);
  return [...lines, ...(reading ? [reading] : []), ...comparisons].join("\n");
}

/**
 * The reference points that make the headline score readable, measured on this data with the same
 * protocol: chance, the shuffled-label control (should sit near chance), the best raw-activity kNN
 * (what the recording gives without a model) and the untrained encoder (the architecture without
 * training); the model's margins over the latter two are its contribution.
 */
export function readingText(s: DecodingSummary): string | null {
  const score = headlineValue(s.scores as unknown as Record<string, unknown>);
  const chance = headlineValue(s.chance as unknown as Record<string, unknown>);
  if (!score || !chance || score.kind !== chance.kind) return null;
  const fmt = score.kind === "accuracy" ? pct : (x: number) => x.toFixed(3);
  const diff = (x: number) => (score.kind === "accuracy" ? `${(Math.abs(x) * 100).toFixed(1)} points` : Math.abs(x).toFixed(3));
  const value = (name: string) => {
    const c = s.controls[name as keyof typeof s.controls];
    const v = c?.status === "ok" ? headlineValue(c.scores as unknown as Record<string, unknown>) : null;
    return v && v.kind === score.kind ? v.value : null;
  };
  const parts = [`chance ${fmt(chance.value)}`];
  const shuffled = value("shuffled_labels");
  if (shuffled !== null) parts.push(`shuffled-label control ${fmt(shuffled)}`);
  const raw = (["raw_per_sample", "raw_window_averaged"] as const)
    .map((name) => ({ name, v: value(name) }))
    .filter((r): r is { name: "raw_per_sample" | "raw_window_averaged"; v: number } => r.v !== null)
    .sort((a, b) => b.v - a.v)[0];
  if (raw) parts.push(`best raw-activity kNN ${fmt(raw.v)} (${raw.name === "raw_per_sample" ? "per sample" : "window-averaged"})`);
  const untrained = value("untrained_encoder");
  if (untrained !== null) parts.push(`untrained encoder ${fmt(untrained)}`);
  const overUntrained = untrained === null ? "" : `; ${diff(score.value - untrained)} ${score.value >= untrained ? "above" : "below"} the untrained encoder (what training added)`;
  const margin = raw ? raw.v : shuffled ?? chance.value;
  const against = raw ? "the raw activity" : shuffled !== null ? "the shuffled-label control" : "chance";
  const d = score.value - margin;
  return `Reading: the model's ${fmt(score.value)} against ${parts.join(", ")}: ${diff(d)} ${d >= 0 ? "above" : "below"} ${against}${overUntrained}.`;
}

function headlineValue(scores: Record<string, unknown>): { kind: "accuracy" | "r2"; value: number } | null {
  if (typeof scores.accuracy === "number") return { kind: "accuracy", value: scores.accuracy };
  if (typeof scores.r2_mean === "number") return { kind: "r2", value: scores.r2_mean };
  return null;
}

function headline(scores: Record<string, unknown>): string {
  if (typeof scores.accuracy === "number" && typeof scores.window === "number") {
    return `${pct(scores.accuracy)} within ${scores.window} frames${typeof scores.median_abs_error === "number" ? `, median error ${scores.median_abs_error} frames` : ""}`;
  }
  if (typeof scores.accuracy === "number") return `accuracy ${pct(scores.accuracy)}`;
  if (typeof scores.r2_mean === "number") return `mean r² ${scores.r2_mean.toFixed(3)}`;
  return JSON.stringify(scores);
}

function numericScores(scores: Record<string, unknown>): Record<string, number | number[] | Record<string, number> | null> {
  const out: Record<string, number | number[] | Record<string, number> | null> = {};
  for (const [k, v] of Object.entries(scores)) {
    if (typeof v === "number" || v === null) out[k] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === "number")) out[k] = v as number[];
    else if (v && typeof v === "object" && Object.values(v).every((x) => typeof x === "number")) out[k] = v as Record<string, number>;
  }
  return out;
}

export function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** decode_video_frames' result: scores, chance, controls, the first rows with provenance, and where the full table is. */
export const FRAME_DECODING_SCHEMA = z.object({
  decoding_id: z.string(),
  model_id: z.string(),
  recording_id: z.string(),
  test_repeat: z.number(),
  train_repeats: z.array(z.number()),
  k: z.number(),
  settings: SETTINGS_SCHEMA.optional().describe("The model's distance, preprocessing and k, and who set the distance."),
  window: z.number(),
  lag_frames: z.number(),
  n_test: z.number(),
  accuracy: z.number().describe("Fraction of test samples with |decoded − true| < window."),
  exact_accuracy: z.number(),
  median_abs_error: z.number(),
  mean_abs_error: z.number(),
  chance: z.object({ accuracy: z.number(), exact_accuracy: z.number(), mean_abs_error: z.number() }),
  controls: CONTROLS_SCHEMA,
  rows: z.array(z.object({
    sample: z.number(), time_s: z.number().nullable(), true_frame: z.number().nullable(), predicted_frame: z.number(),
    error: z.number().nullable(), confidence: z.number(),
    neighbours: z.array(z.object({ train_sample: z.number(), repeat: z.number(), frame: z.number(), distance: z.number() })),
  })).describe(`First ${ROWS_SHOWN} per-sample rows (${NEIGHBOURS_SHOWN} nearest voters each); the complete table is the resource in table_uri.`),
  rows_total: z.number(),
  table_uri: z.string(),
  warnings: z.array(z.string()),
  protocol: z.string(),
  next: z.string(),
});

type FrameDecodingView = z.output<typeof FRAME_DECODING_SCHEMA>;

/** decode_video_frames' result for a stored frame decoding: text and structured content. */
export function frameDecodingResult(d: StoredDecoding<FrameDecodeResult>): CallToolResult & { structuredContent: FrameDecodingView } {
  const view = frameDecodingView(d);
  return structuredResult(frameDecodingText(view, d.summary), view);
}

function frameDecodingView(d: StoredDecoding<FrameDecodeResult>): FrameDecodingView {
const m = d.main;
return {
    decoding_id: d.decoding_id,
    model_id: d.model_id,
    recording_id: d.recording_id,
    test_repeat: m.test_repeat,
    train_repeats: m.train_repeats,
    k: m.k,
    ...(d.summary.settings ? { settings: d.summary.settings } : {}),
    window: m.window,
    lag_frames: m.lag_frames,
    n_test: m.scores.n_test,
    accuracy: m.scores.accuracy,
    exact_accuracy: m.scores.exact_accuracy,
    median_abs_error: m.scores.median_abs_error,
    mean_abs_error: m.scores.mean_abs_error,
    chance: { accuracy: m.chance.accuracy, exact_accuracy: m.chance.exact_accuracy, mean_abs_error: m.chance.mean_abs_error },
    controls: controlsView(d.summary),
    rows: m.rows.slice(0, ROWS_SHOWN).map((r) => ({
      sample: r.sample, time_s: r.time_s, true_frame: r.true_frame, predicted_frame: r.predicted_frame, error: r.error,
      confidence: r.confidence, neighbours: r.neighbours.slice(0, NEIGHBOURS_SHOWN),
    })),
    rows_total: m.rows.length,
    table_uri: `decoding://${d.decoding_id}`,
    warnings: d.summary.warnings,
    protocol: m.protocol,
    next: `render_reconstruction with decoding_id "${d.decoding_id}" shows decoded vs true frames; read ${`decoding://${d.decoding_id}`} for every sample.`,
  };
}

function frameDecodingText(o: FrameDecodingView, summary: DecodingSummary): string {
  return [
    `Decoding ${o.decoding_id} (model ${o.model_id}, repeat ${o.test_repeat}, k=${o.k}): ${pct(o.accuracy)} of ${o.n_test} samples within ${o.window} frames (chance ${pct(o.chance.accuracy)}); exact frame ${pct(o.exact_accuracy)}; median error ${o.median_abs_error} frames.`,
    controlsText(summary),
    "The reconstructed video is retrieval: each decoded frame is looked up in the stimulus movie by its decoded index.",
    ...o.warnings.map((w) => `Warning: ${w}`),
    `Next: ${o.next}`,
  ].join("\n");
}
