/**
 * The `timeline` layout: decoded vs true movie-frame index over time. The true index is a line
 * (broken where no frame was shown or the movie restarts), the acceptance window (±window frames)
 * a shaded band around it, decoded indices dots — blue within the window, red at |error| ≥ window,
 * grey where the true frame is unknown. Beside the plot, under the legend, a bar panel puts the
 * decoding's accuracy next to its controls' and chance (a dashed line), as measured for this decoding.
 */
import sharp from "sharp";
import { fitToBudget, type ImageBudget } from "./budget.js";
import { decodeStatus, provenanceLine, referenceLine, STATUS_COLOUR, type DecodeStatus } from "./labels.js";
import { areaScales, axisMargins, drawAxes, drawLegend, finiteExtent, padDomain, type LegendItem, type PlotArea } from "./plot.js";
import { drawTextBlock, fmt, lineHeight, svgDocument, svgLine, svgRect, svgText, textBlock } from "./svg.js";
import type { DecodedRow, FullResolutionImage, ReconstructionImage, ReconstructionSummary } from "./types.js";

interface TimelineRequest {
  /** Rows to plot, sorted by sample. */
  rows: DecodedRow[];
  summary: ReconstructionSummary;
  /** Movie length, for the y axis (else the largest index plotted). */
  n_frames?: number;
  total_rows: number;
}

const WIDTH = 1400;
const HEIGHT = 660;
const FONT = 13;
const DOT_COLOUR: Record<DecodeStatus, string> = { within: "#2c7bb6", outside: STATUS_COLOUR.outside, unknown: STATUS_COLOUR.unknown };
const TRUE_COLOUR = "#111111";
const BAND_COLOUR = "#7fbf7b";

/** Build the timeline SVG (WIDTH × HEIGHT user units). */
function timelineSvg(req: TimelineRequest): string {
  const { rows, summary } = req;
  const w = summary.window_frames;
  const reference = referenceLine(summary);
  const header = textBlock(
    [
      { text: `Decoded vs true movie frame over time · decoding ${summary.decoding_id}`, size: 16, weight: "bold" },
      { text: provenanceLine(summary, rows.length, req.total_rows), size: 12, fill: "#333" },
      ...(reference ? [{ text: reference, size: 12, fill: "#333" }] : []),
      { text: "Dots: movie frame index decoded by kNN on the embedding for each sample (the frame it retrieves); line: frame on screen.", size: 12, fill: "#333" },
    ],
    WIDTH - 32,
  );
  const nFrames = req.n_frames ?? Math.max(...rows.map((r) => Math.max(r.predicted_frame, r.true_frame ?? 0))) + 1;
  const margins = axisMargins(FONT, String(nFrames).length);
  const top = 16 + header.height + 12;
  const items = legendItems(rows, w);
  const legendWidth = Math.max(drawLegend(items, 0, 0, FONT).width, MIN_PANEL_WIDTH);
  const area: PlotArea = {
    x: 16 + margins.left,
    y: top,
    width: WIDTH - 16 - margins.left - 20 - legendWidth - 16,
    height: HEIGHT - top - margins.bottom - 12,
    xDomain: padDomain(finiteExtent(rows.map((r) => r.time_s)) ?? [0, 1], 0.01),
    yDomain: padDomain([0, nFrames - 1], 0.02),
  };
  const legend = drawLegend(items, area.x + area.width + 20, area.y, FONT);
  const body = [
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    drawTextBlock(header, 16, 16),
    drawAxes(area, { xLabel: "time (s)", yLabel: "movie frame index", fontSize: FONT }),
    `<clipPath id="plot"><rect x="${area.x}" y="${area.y}" width="${area.width}" height="${area.height}"/></clipPath>`,
    `<g clip-path="url(#plot)">${truthSvg(rows, area, w)}${dotsSvg(rows, area, w)}</g>`,
    legend.svg,
    accuracyPanel(summary, area.x + area.width + 20, area.y + legend.height + 24, legendWidth),
  ];
  return body.join("");
}

const MIN_PANEL_WIDTH = 300;
const BAR_COLOUR = "#2c7bb6";
const CONTROL_COLOUR = "#9a9a9a";

/**
 * Accuracy of this decoding (all its test samples) beside its controls', as horizontal bars on a
 * 0–100 % axis, with chance as a dashed line; a control that was not computed is listed as such.
 */
function accuracyPanel(summary: ReconstructionSummary, x: number, y: number, width: number): string {
  if (summary.accuracy === undefined) return "";
  const bars = [{ name: "this decoding (CEBRA)", accuracy: summary.accuracy as number | undefined, main: true }];
  for (const c of summary.controls ?? []) bars.push({ name: c.name, accuracy: c.accuracy, main: false });
  const lh = lineHeight(FONT);
  const barH = 12;
  const rowH = lh + barH + 6;
  const plotW = width - 16;
  const x0 = x + 8;
  const top = y + lh + 6;
  const parts = [svgText(x, y + FONT, `Accuracy, |error| < ${summary.window_frames} frames`, { size: FONT, weight: "bold" })];
  bars.forEach((b, i) => {
    const by = top + i * rowH;
    const value = b.accuracy === undefined ? "not computed" : `${(b.accuracy * 100).toFixed(1)}%`;
    parts.push(svgText(x0, by + FONT, `${b.name}: ${value}`, { size: FONT - 1, weight: b.main ? "bold" : "normal" }));
    parts.push(svgRect(x0, by + lh, plotW, barH, "#f0f0f0"));
    if (b.accuracy !== undefined) parts.push(svgRect(x0, by + lh, plotW * b.accuracy, barH, b.main ? BAR_COLOUR : CONTROL_COLOUR));
  });
  const bottom = top + bars.length * rowH;
  for (const t of [0, 0.5, 1]) {
    parts.push(svgLine(x0 + plotW * t, bottom - 4, x0 + plotW * t, bottom, "#555"));
    parts.push(svgText(x0 + plotW * t, bottom + FONT, `${t * 100}%`, { size: FONT - 2, fill: "#555", anchor: t === 0 ? "start" : t === 1 ? "end" : "middle" }));
  }
  if (summary.chance_accuracy !== undefined) {
    const cx = x0 + plotW * summary.chance_accuracy;
    // Over each bar only, so the line does not cross the labels.
    bars.forEach((_, i) => parts.push(svgLine(cx, top + i * rowH + lh - 1, cx, top + i * rowH + lh + barH + 3, "#111", 2, "3 2")));
    parts.push(svgText(x0, bottom + FONT + lh, `dashed line: chance ${(summary.chance_accuracy * 100).toFixed(1)}%`, { size: FONT - 1, fill: "#333" }));
  }
  return parts.join("");
}

function legendItems(rows: DecodedRow[], w: number): LegendItem[] {
  const counts: Record<DecodeStatus, number> = { within: 0, outside: 0, unknown: 0 };
  for (const r of rows) counts[decodeStatus(r, w)]++;
  const known = counts.within + counts.outside;
  const pct = (n: number) => (known > 0 ? `, ${((100 * n) / known).toFixed(1)}%` : "");
  const items: LegendItem[] = [
    { label: "true frame (on screen)", colour: TRUE_COLOUR, mark: "line" },
    { label: `acceptance window ±${w} frames`, colour: BAND_COLOUR, mark: "band" },
    { label: `decoded, |error| < ${w} (n=${counts.within}${pct(counts.within)})`, colour: DOT_COLOUR.within, mark: "dot" },
    { label: `decoded, |error| ≥ ${w} (n=${counts.outside}${pct(counts.outside)})`, colour: DOT_COLOUR.outside, mark: "dot" },
  ];
  if (counts.unknown > 0) items.push({ label: `decoded, no true frame (n=${counts.unknown})`, colour: DOT_COLOUR.unknown, mark: "dot" });
  return items;
}

/** Split rows into runs of continuous true frames (break at unknown frames, restarts and time gaps). */
function truthRuns(rows: DecodedRow[]): DecodedRow[][] {
  const dts = rows.slice(1).map((r, i) => r.time_s - rows[i]!.time_s).sort((a, b) => a - b);
  const maxGap = 3 * (dts[Math.floor(dts.length / 2)] ?? Infinity);
  const runs: DecodedRow[][] = [];
  let run: DecodedRow[] = [];
  for (const r of rows) {
    const prev = run[run.length - 1];
    const broken = r.true_frame === null || (prev && (r.true_frame < prev.true_frame! || r.time_s - prev.time_s > maxGap));
    if (broken && run.length > 0) {
      runs.push(run);
      run = [];
    }
    if (r.true_frame !== null) run.push(r);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** The window band and the true-frame line. */
function truthSvg(rows: DecodedRow[], area: PlotArea, w: number): string {
  const { sx, sy } = areaScales(area);
  return truthRuns(rows)
    .map((run) => {
      const upper = run.map((r) => `${fmt(sx(r.time_s))},${fmt(sy(r.true_frame! + w))}`);
      const lower = run.map((r) => `${fmt(sx(r.time_s))},${fmt(sy(r.true_frame! - w))}`).reverse();
      const line = run.map((r) => `${fmt(sx(r.time_s))},${fmt(sy(r.true_frame!))}`);
      const band = `<polygon points="${[...upper, ...lower].join(" ")}" fill="${BAND_COLOUR}" fill-opacity="0.3"/>`;
      const path = run.length > 1 ? `<polyline points="${line.join(" ")}" fill="none" stroke="${TRUE_COLOUR}" stroke-width="1.5"/>` : "";
      return band + path;
    })
    .join("");
}

/** Decoded indices as dots; outside-window dots drawn last so they stay visible. */
function dotsSvg(rows: DecodedRow[], area: PlotArea, w: number): string {
  const { sx, sy } = areaScales(area);
  const r = rows.length > 2000 ? 1.6 : rows.length > 500 ? 2.2 : 3;
  const order: DecodeStatus[] = ["unknown", "within", "outside"];
  return order
    .flatMap((status) =>
      rows
        .filter((row) => decodeStatus(row, w) === status)
        .map((row) => `<circle cx="${fmt(sx(row.time_s))}" cy="${fmt(sy(row.predicted_frame))}" r="${r}" fill="${DOT_COLOUR[status]}"/>`),
    )
    .join("");
}

/** Render the timeline preview (fitted to the budget) and a 2× full-resolution PNG. */
export async function renderTimeline(req: TimelineRequest, budget: ImageBudget, notes: string[]): Promise<{ preview: ReconstructionImage; full: FullResolutionImage }> {
  const body = timelineSvg(req);
  const png = await sharp(Buffer.from(svgDocument(WIDTH, HEIGHT, body))).png({ compressionLevel: 6 }).toBuffer();
  const fitted = await fitToBudget(png, budget);
  notes.push(...fitted.notes.map((n) => `timeline preview ${n}`));
  const fullPng = await sharp(Buffer.from(svgDocument(WIDTH, HEIGHT, body, 2))).png({ compressionLevel: 6 }).toBuffer();
  const frames_shown = req.rows.map((r) => ({ sample: r.sample, true_frame: r.true_frame, predicted_frame: r.predicted_frame }));
  return {
    preview: { data: fitted.data, mime_type: fitted.mime_type, width: fitted.width, height: fitted.height, pages: 1, frames_shown, regions: [] },
    full: { name: "reconstruction-timeline.png", data: fullPng, mime_type: "image/png", width: WIDTH * 2, height: HEIGHT * 2, frames_shown },
  };
}
