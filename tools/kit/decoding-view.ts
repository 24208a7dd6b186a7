/** How decodings and their controls are shown in tool results (shared by the decode tools). */
import { z } from "zod";
import type { DecodingSummary } from "../../src/decode/types.js";

/** Per-sample rows in a tool result; the complete table is the decoding resource. */
export const ROWS_SHOWN = 10;
/** Voting neighbours shown per row in a tool result. */
export const NEIGHBOURS_SHOWN = 3;

export const CONTROLS_SCHEMA = z.record(
  z.string(),
  z.object({
    status: z.enum(["ok", "not_run"]),
    description: z.string(),
    reason: z.string().optional(),
    scores: z.record(z.string(), z.union([z.number(), z.array(z.number()), z.record(z.string(), z.number()), z.null()])).optional(),
  }),
).describe("Each control run with the same protocol: raw_per_sample, raw_window_averaged, shuffled_labels.");

export function controlsView(s: DecodingSummary): z.output<typeof CONTROLS_SCHEMA> {
  const out: z.output<typeof CONTROLS_SCHEMA> = {};
  for (const [name, c] of Object.entries(s.controls)) {
    if (!c) continue;
    out[name] = c.status === "ok"
      ? { status: "ok", description: c.description, scores: numericScores(c.scores as unknown as Record<string, unknown>) }
      : { status: "not_run", description: c.description, reason: c.reason };
  }
  return out;
}

/** One line per control, with its headline score. */
export function controlsText(s: DecodingSummary): string {
  const lines: string[] = [];
  for (const [name, c] of Object.entries(s.controls)) {
    if (!c) continue;
    if (c.status !== "ok") lines.push(`Control ${name}: not run — ${c.reason}`);
    else lines.push(`Control ${name}: ${headline(c.scores as unknown as Record<string, unknown>)}`);
  }
  return lines.join("\n");
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
