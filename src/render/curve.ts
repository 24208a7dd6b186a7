/**
 * A line chart of a few series against one x variable, each point with an optional spread (drawn as a
 * translucent band and whiskers): the demo's lag curve (accuracy vs lag) and its `--full` curve (accuracy
 * vs number of cells, mean ± spread over seeds). Built on the SVG kit in plot.ts; one PNG.
 */
import sharp from "sharp";
import { areaScales, axisMargins, drawLegend, finiteExtent, formatTick, niceTicks, padDomain, type LegendItem, type PlotArea } from "./plot.js";
import { fmt, svgDocument, svgLine, svgRect, svgText } from "./svg.js";

export interface CurvePoint {
  x: number;
  y: number;
  /** Spread around y (e.g. min and max over seeds); omitted = none. */
  lo?: number;
  hi?: number;
}

export interface CurveSeries {
  label: string;
  colour: string;
  dashed?: boolean;
  points: CurvePoint[];
}

export interface CurveOptions {
  title: string;
  x_label: string;
  y_label: string;
  series: CurveSeries[];
  /** Place x on a log scale (every x must be > 0). */
  log_x?: boolean;
  /** Tick positions on x (default: the series' x values when log_x, else round values). */
  x_ticks?: number[];
  /** Fixed y range (default: the data's, padded). */
  y_domain?: [number, number];
  /** Plot area in pixels (default 520 × 300). */
  width?: number;
  height?: number;
}

const FONT = 13;

/** The chart as SVG (body, width, height). */
export function curveSvg(o: CurveOptions): { svg: string; width: number; height: number } {
  const tx = (x: number) => (o.log_x ? Math.log10(x) : x);
  const xs = o.series.flatMap((s) => s.points.map((p) => p.x));
  const ys = o.series.flatMap((s) => s.points.flatMap((p) => [p.y, p.lo ?? p.y, p.hi ?? p.y]));
  const xExt = finiteExtent(xs.map(tx)) ?? [0, 1];
  const xDomain = padDomain(xExt, 0.04);
  const yDomain = o.y_domain ?? padDomain(finiteExtent(ys) ?? [0, 1], 0.06);
  const m = axisMargins(FONT, 5);
  const W = o.width ?? 520, H = o.height ?? 300;
  const area: PlotArea = { x: m.left + 10, y: 44, width: W, height: H, xDomain, yDomain };
  const { sx: sxRaw, sy } = areaScales(area);
  const sx = (x: number) => sxRaw(tx(x));
  const parts = [svgText(16, 26, o.title, { size: FONT + 2, weight: "bold" })];
  // Axes: frame, y grid and ticks, x ticks.
  parts.push(svgRect(area.x, area.y, area.width, area.height, "none", "#444", 1));
  const yTicks = niceTicks(yDomain[0], yDomain[1], 6);
  for (const t of yTicks) {
    parts.push(svgLine(area.x, sy(t), area.x + area.width, sy(t), "#e6e6e6"), svgLine(area.x - 5, sy(t), area.x, sy(t), "#444"));
    parts.push(svgText(area.x - 8, sy(t) + FONT / 3, formatTick(t, yTicks), { size: FONT, anchor: "end" }));
  }
  const xTicks = o.x_ticks ?? (o.log_x ? [...new Set(xs)].sort((a, b) => a - b) : niceTicks(xExt[0], xExt[1], 7));
  for (const t of xTicks) {
    const x = sx(t);
    parts.push(svgLine(x, area.y, x, area.y + area.height, "#f0f0f0"), svgLine(x, area.y + area.height, x, area.y + area.height + 5, "#444"));
    parts.push(svgText(x, area.y + area.height + 7 + FONT, o.log_x ? String(t) : formatTick(t, xTicks), { size: FONT, anchor: "middle" }));
  }
  parts.push(svgText(area.x + area.width / 2, area.y + area.height + 14 + 2 * FONT, o.x_label, { size: FONT, anchor: "middle", weight: "bold" }));
  parts.push(svgText(area.x - m.left + 14, area.y + area.height / 2, o.y_label, { size: FONT, anchor: "middle", rotate: -90 }));
  for (const s of o.series) {
    const pts = s.points.filter((p) => Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    const banded = pts.filter((p) => p.lo !== undefined && p.hi !== undefined);
    if (banded.length > 1) {
      const upper = banded.map((p) => `${fmt(sx(p.x))},${fmt(sy(p.hi!))}`);
      const lower = banded.slice().reverse().map((p) => `${fmt(sx(p.x))},${fmt(sy(p.lo!))}`);
      parts.push(`<polygon points="${[...upper, ...lower].join(" ")}" fill="${s.colour}" fill-opacity="0.15" stroke="none"/>`);
    }
    for (const p of banded) parts.push(svgLine(sx(p.x), sy(p.lo!), sx(p.x), sy(p.hi!), s.colour, 1.2));
    if (pts.length > 1) {
      parts.push(`<polyline points="${pts.map((p) => `${fmt(sx(p.x))},${fmt(sy(p.y))}`).join(" ")}" fill="none" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`);
    }
    for (const p of pts) parts.push(`<circle cx="${fmt(sx(p.x))}" cy="${fmt(sy(p.y))}" r="3" fill="${s.colour}"/>`);
  }
  const items: LegendItem[] = o.series.map((s) => ({ label: s.label, colour: s.colour, mark: s.dashed ? "dashed" : "line" }));
  const legend = drawLegend(items, area.x + area.width + 14, area.y, FONT);
  parts.push(legend.svg);
  return { svg: parts.join(""), width: Math.ceil(area.x + area.width + 24 + legend.width), height: Math.ceil(area.y + area.height + m.bottom + 16) };
}

/** The chart as a PNG (a few tens of KB). */
export async function renderCurve(o: CurveOptions): Promise<Buffer> {
  const { svg, width, height } = curveSvg(o);
  return sharp(Buffer.from(svgDocument(width, height, svg))).png({ compressionLevel: 9, palette: true }).toBuffer();
}
