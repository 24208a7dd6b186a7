/**
 * Reads of long artifacts in pages that fit the context budget (tools/kit/budget.ts, 25,000 characters).
 *
 * `decoding://{id}` is a summary: scores, chance and controls, row counts, error quantiles, runs of
 * correctly decoded samples as ranges, the worst and a few typical rows, and the path of the complete
 * per-sample CSV. `decoding://{id}?offset=N&limit=M` pages through that table (one object per sample, the CSV's
 * columns); each page says how to get the next. `job://{id}` is the job record with its metric history
 * thinned if it would not fit.
 */
import type { AppState } from "../src/app/context.js";
import { decodingTablePath, type StoredDecoding } from "../src/app/decode.js";
import { loadDecoding } from "../src/app/model-artifacts.js";
import type { FrameDecodeResult, LabelDecodeResult } from "../src/decode/types.js";
import { UserError } from "../src/util/errors.js";
import { BUDGETS, cutText, overBudget } from "../tools/kit/budget.js";
import { asRanges } from "../tools/kit/render-view.js";

/** Rows per page when `limit` is not given, and the most a page may ask for. */
export const PAGE_ROWS = 80;
export const MAX_PAGE_ROWS = 500;

type AnyDecoding = StoredDecoding<FrameDecodeResult | LabelDecodeResult>;

/** Parses `?offset=&limit=` of a resource URI (undefined offset = the summary page). */
function pageParams(url: URL): { offset?: number; limit: number } {
  const int = (name: string, min: number, max: number): number | undefined => {
    const raw = url.searchParams.get(name);
    if (raw === null) return undefined;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new UserError(`${name}=${raw} in ${url.href} is not an integer in [${min}, ${max}].`, `Use e.g. ?offset=0&limit=${PAGE_ROWS}.`);
    }
    return v;
  };
  const offset = int("offset", 0, 1e9);
  const limit = int("limit", 1, MAX_PAGE_ROWS) ?? PAGE_ROWS;
  return { offset: offset ?? (url.searchParams.has("limit") ? 0 : undefined), limit };
}

/** The id in a URI that may carry a query (`dec_x?offset=0` → `dec_x`). */
export function bareId(id: string): string {
  const q = id.indexOf("?");
  return q < 0 ? id : id.slice(0, q);
}

/** One page of `decoding://{id}` as JSON text. */
export async function decodingPage(app: AppState, id: string, url: URL): Promise<string> {
  const { offset, limit } = pageParams(url);
  const { full } = await loadDecoding<AnyDecoding>(app.workspace, id);
  const csvPath = await decodingTablePath(app.workspace, full);
  const base = `decoding://${id}`;
  if (offset === undefined) return fit(JSON.stringify(decodingSummary(full, csvPath, base), null, 1), csvPath);
  const lines = (await app.workspace.readText(id, csvPath.slice(csvPath.lastIndexOf("/") + 1))).trimEnd().split("\n");
  const columns = lines[0].split(",");
  const total = lines.length - 1;
  let n = Math.min(limit, Math.max(0, total - offset));
  for (;;) {
    const rows = lines.slice(1 + offset, 1 + offset + n).map((l) => {
      const cells = l.split(",");
      return Object.fromEntries(columns.map((c, i) => [c, cell(cells[i] ?? "")]));
    });
    const end = offset + rows.length;
    const text = JSON.stringify({
      decoding_id: id,
      page: {
        offset, limit: n, returned: rows.length, total_rows: total,
        next: end < total ? `${base}?offset=${end}&limit=${n}` : null,
        how: `Read the next URI for the following rows; ${base} (no query) is the summary; the complete table is ${csvPath}.`,
        ...(n < limit ? { note: `limit lowered from ${limit} to ${n} to keep the page under ${BUDGETS.resource_page} characters` } : {}),
      },
      rows,
    });
    if (text.length <= BUDGETS.resource_page || n <= 1) return fit(text, csvPath);
    n = Math.floor(n / 2);
  }
}

const cell = (s: string): number | string | null => (s === "" ? null : s.includes(";") ? s : Number.isFinite(Number(s)) ? Number(s) : s);

function fit(text: string, whereFull: string): string {
  return overBudget("resource_page", text.length, "a resource page") ? cutText(text, BUDGETS.resource_page, whereFull) : text;
}

const round = (v: number | null, d = 3): number | null => (v === null || !Number.isFinite(v) ? v : Number(v.toFixed(d)));

/** Quantiles of sorted values. */
function quantiles(sorted: number[]): Record<string, number | null> {
  const q = (p: number) => (sorted.length ? round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]) : null);
  return { min: q(0), p10: q(0.1), p25: q(0.25), median: q(0.5), p75: q(0.75), p90: q(0.9), max: sorted.length ? round(sorted[sorted.length - 1]) : null };
}

/** A row without its neighbour list (what made the old resource megabytes). */
function compactRow(row: object): Record<string, unknown> {
  const { neighbours: _n, ...rest } = row as Record<string, unknown>;
  return Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, typeof v === "number" ? round(v) : Array.isArray(v) ? v.map((x) => (typeof x === "number" ? round(x) : x)) : v]));
}

/** A decoder result without its rows, for the summary (controls: scores and chance only). */
function withoutRows(r: FrameDecodeResult | LabelDecodeResult): Record<string, unknown> {
  const { rows: _rows, k_selection: _ks, ...rest } = r as FrameDecodeResult;
  return rest;
}

/** The first page of `decoding://{id}`: everything needed to judge the decoding, no per-sample dump. */
function decodingSummary(full: AnyDecoding, csvPath: string, base: string): unknown {
  const m = full.main;
  const rows = m.rows as { sample: number; neighbours?: unknown }[];
  // Per-row badness (|error| in frames, error norm, or wrong-and-confident) and correctness.
  let bad: (r: never) => number;
  let ok: (r: never) => boolean | null;
  let errorName: string;
  if (m.kind === "frames") {
    errorName = "abs_error_frames";
    bad = (r: FrameDecodeResult["rows"][number]) => (r.error === null ? -1 : Math.abs(r.error));
    ok = (r: FrameDecodeResult["rows"][number]) => (r.error === null ? null : Math.abs(r.error) < m.window);
  } else if (m.kind === "labels_discrete") {
    errorName = "wrong (confidence of a wrong prediction)";
    bad = (r: (typeof m.rows)[number]) => (r.correct ? 0 : r.confidence);
    ok = (r: (typeof m.rows)[number]) => r.correct;
  } else {
    errorName = "error_norm";
    bad = (r: (typeof m.rows)[number]) => Math.hypot(...r.error);
    ok = () => null;
  }
  const scored = rows.map((r, i) => ({ i, bad: bad(r as never), ok: ok(r as never) })).filter((x) => x.bad >= 0);
  const sorted = scored.map((x) => x.bad).sort((a, b) => a - b);
  const median = sorted.length ? sorted[sorted.length >> 1] : 0;
  const worst = [...scored].sort((a, b) => b.bad - a.bad).slice(0, 5).map((x) => compactRow(rows[x.i]));
  const typical = [...scored].sort((a, b) => Math.abs(a.bad - median) - Math.abs(b.bad - median)).slice(0, 5).sort((a, b) => a.i - b.i).map((x) => compactRow(rows[x.i]));
  const correctSamples = scored.filter((x) => x.ok === true).map((x) => rows[x.i].sample);
  const controls = Object.fromEntries(
    Object.entries(full.controls).map(([name, c]) => [name, c?.status === "ok" ? { status: "ok", ...withoutRows(c.result) } : c]),
  );
  return {
    decoding_id: full.decoding_id,
    kind: full.kind,
    model_id: full.model_id,
    embedding_id: full.embedding_id,
    recording_id: full.recording_id,
    shuffled_model_id: full.shuffled_model_id,
    untrained_embedding_id: full.untrained_embedding_id ?? null,
    created_at: full.created_at,
    summary: full.summary,
    main: withoutRows(m),
    controls,
    rows: {
      total: rows.length,
      scored: scored.length,
      [`${errorName}_quantiles`]: quantiles(sorted),
      ...(correctSamples.length || m.kind !== "labels_continuous" ? { correct: correctSamples.length, correct_sample_runs: asRanges(correctSamples, 20) } : {}),
      worst,
      typical,
    },
    full_table: { csv: csvPath, columns: "sample, time, truth, prediction, error, correctness, confidence, then each control's prediction" },
    pages: {
      first: `${base}?offset=0&limit=${PAGE_ROWS}`,
      how: `This is the summary. Per-sample rows: read ${base}?offset=N&limit=M (M ≤ ${MAX_PAGE_ROWS}, default ${PAGE_ROWS}); each page names the next. Or open the CSV.`,
    },
  };
}

/** `job://{id}`: the job record (compact JSON), its metric history thinned evenly if it would not fit one page. */
export async function jobPage(app: AppState, id: string): Promise<string> {
  const job = await app.jobs.get(id);
  const history = job.history;
  let keep = history;
  for (;;) {
    const thinned = keep.length < history.length
      ? { history_note: `history thinned from ${history.length} to ${keep.length} evenly spaced points (first and last kept) to fit the page budget` }
      : {};
    const text = JSON.stringify({ ...job, ...thinned, history: keep.map((h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, round(v, 5)]))) });
    if (text.length <= BUDGETS.resource_page || keep.length <= 2) return fit(text, `get_job(${id})`);
    const last = keep.length - 1;
    keep = keep.filter((_, i) => i % 2 === 0 || i === last);
  }
}
