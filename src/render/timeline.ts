/**
 * The `timeline` layout: decoded vs true movie-frame index over time. The true index is a line
 * (broken where no frame was shown or the movie restarts), the acceptance window (±window frames)
 * a shaded band around it, decoded indices dots — blue within the window, red at |error| ≥ window,
 * grey where the true frame is unknown.
 */
import sharp from "sharp";
import { fitToBudget, type ImageBudget } from "./budget.js";
import { decodeStatus, provenanceLine, STATUS_COLOUR, type DecodeStatus } from "./labels.js";
import { areaScales, axisMargins, drawAxes, drawLegend, finiteExtent, padDomain, type LegendItem, type PlotArea } from "./plot.js";
import { drawTextBlock, fmt, svgDocument, textBlock } from "./svg.js";
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
  const header = textBlock(
    [
      { text: `Decoded vs true movie frame over time · decoding ${summary.decoding_id}`, size: 16, weight: "bold" },
      { text: provenanceLine(summary, rows.length, req.total_rows), size: 12, fill: "#333" },
      { text: "Dots: movie frame index decoded by kNN on the embedding for each sample (the frame it retrieves); line: frame on screen.", size: 12, fill: "#333" },
    ],
    WIDTH - 32,
  );
  const nFrames = req.n_frames ?? Math.max(...rows.map((r) => Math.max(r.predicted_frame, r.true_frame ?? 0))) + 1;
  const margins = axisMargins(FONT, String(nFrames).length);
  const top = 16 + header.height + 12;
  const items = legendItems(rows, w);
  const legendWidth = drawLegend(items, 0, 0, FONT).width;
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
  ];
  return body.join("");
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
