/**
 * A minimal SVG plotting kit (no plotting library is installed): linear scales, "nice" tick
 * values, framed axes with ticks, tick labels, grid and axis titles, and a legend.
 */
import { fmt, lineHeight, svgLine, svgRect, svgText, textWidth } from "./svg.js";

/** Maps data values in `domain` linearly onto pixel `range` (range may be reversed, e.g. y axes). */
export function linearScale(domain: [number, number], range: [number, number]): (v: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/** Min and max of the finite values (undefined when there are none). */
export function finiteExtent(values: ArrayLike<number>): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : undefined;
}

/** Widen a domain by `fraction` of its span on each side; a zero-width domain becomes ±0.5 (or ±5 %). */
export function padDomain([lo, hi]: [number, number], fraction: number): [number, number] {
  if (hi === lo) {
    const d = lo === 0 ? 0.5 : Math.abs(lo) * 0.05;
    return [lo - d, hi + d];
  }
  const d = (hi - lo) * fraction;
  return [lo - d, hi + d];
}

/** Tick step of 1, 2 or 5 × 10^k giving about `target` intervals over `span`. */
function niceStep(span: number, target: number): number {
  const raw = span / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3.5 ? 2 : norm < 7.5 ? 5 : 10) * mag;
}

/** Round tick values inside [min, max], about `target` of them. */
export function niceTicks(min: number, max: number, target = 6): number[] {
  if (!(max > min)) return [min];
  const step = niceStep(max - min, target);
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}

/** Tick label with as many decimals as the tick spacing needs. */
export function formatTick(v: number, ticks: number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : Math.abs(v) || 1;
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return v.toFixed(decimals);
}

/** A plot area in pixels and the data domains drawn into it. */
export interface PlotArea {
  x: number;
  y: number;
  width: number;
  height: number;
  xDomain: [number, number];
  yDomain: [number, number];
}

/** Pixel mappings of a plot area. */
export function areaScales(a: PlotArea): { sx: (v: number) => number; sy: (v: number) => number } {
  return { sx: linearScale(a.xDomain, [a.x, a.x + a.width]), sy: linearScale(a.yDomain, [a.y + a.height, a.y]) };
}

interface AxesOptions {
  xLabel: string;
  yLabel: string;
  fontSize: number;
  /** Draw light grid lines at the ticks (default true). */
  grid?: boolean;
  /** Draw only the y axis, on the right edge (for a secondary axis); default false. */
  secondaryY?: boolean;
  /** Colour of tick labels and title (secondary axes use the series colour). */
  colour?: string;
}

/** Frame, ticks, tick labels, optional grid and axis titles for a plot area. */
export function drawAxes(a: PlotArea, o: AxesOptions): string {
  const { sx, sy } = areaScales(a);
  const fs = o.fontSize;
  const colour = o.colour ?? "#222";
  const yTicks = niceTicks(a.yDomain[0], a.yDomain[1], Math.max(3, Math.round(a.height / 60)));
  const parts: string[] = [];
  const yLabelWidth = Math.max(...yTicks.map((t) => textWidth(formatTick(t, yTicks), fs)));
  if (o.secondaryY) {
    const xr = a.x + a.width;
    for (const t of yTicks) {
      parts.push(svgLine(xr, sy(t), xr + 5, sy(t), colour));
      parts.push(svgText(xr + 8, sy(t) + fs / 3, formatTick(t, yTicks), { size: fs, fill: colour }));
    }
    parts.push(svgText(xr + 14 + yLabelWidth + fs, a.y + a.height / 2, o.yLabel, { size: fs, anchor: "middle", rotate: 90, fill: colour }));
    return parts.join("");
  }
  const xTicks = niceTicks(a.xDomain[0], a.xDomain[1], Math.max(3, Math.round(a.width / 110)));
  if (o.grid ?? true) {
    for (const t of xTicks) parts.push(svgLine(sx(t), a.y, sx(t), a.y + a.height, "#e6e6e6"));
    for (const t of yTicks) parts.push(svgLine(a.x, sy(t), a.x + a.width, sy(t), "#e6e6e6"));
  }
  parts.push(svgRect(a.x, a.y, a.width, a.height, "none", "#444", 1));
  for (const t of xTicks) {
    parts.push(svgLine(sx(t), a.y + a.height, sx(t), a.y + a.height + 5, "#444"));
    parts.push(svgText(sx(t), a.y + a.height + 7 + fs, formatTick(t, xTicks), { size: fs, anchor: "middle", fill: colour }));
  }
  for (const t of yTicks) {
    parts.push(svgLine(a.x - 5, sy(t), a.x, sy(t), "#444"));
    parts.push(svgText(a.x - 8, sy(t) + fs / 3, formatTick(t, yTicks), { size: fs, anchor: "end", fill: colour }));
  }
  parts.push(svgText(a.x + a.width / 2, a.y + a.height + 10 + 2 * lineHeight(fs), o.xLabel, { size: fs, anchor: "middle", fill: colour }));
  parts.push(svgText(a.x - 14 - yLabelWidth, a.y + a.height / 2, o.yLabel, { size: fs, anchor: "middle", rotate: -90, fill: colour }));
  return parts.join("");
}

/** Pixels needed left of / below a plot area for tick labels and axis titles. */
export function axisMargins(fontSize: number, maxYTickChars: number): { left: number; bottom: number } {
  return { left: Math.ceil(22 + maxYTickChars * fontSize * 0.62 + fontSize), bottom: Math.ceil(14 + 2 * lineHeight(fontSize) + fontSize / 2) };
}

/** One legend entry: a swatch (line, dashed line, dot, or filled band) and its label. */
export interface LegendItem {
  label: string;
  colour: string;
  mark: "line" | "dashed" | "dot" | "band";
}

/** A vertical legend box with its top-left corner at (x, y); returns SVG and its size. */
export function drawLegend(items: LegendItem[], x: number, y: number, fontSize: number): { svg: string; width: number; height: number } {
  const lh = lineHeight(fontSize) + 2;
  const swatch = 22;
  const width = 16 + swatch + 6 + Math.max(...items.map((i) => textWidth(i.label, fontSize)));
  const height = 8 + items.length * lh;
  const parts = [`<rect x="${fmt(x)}" y="${fmt(y)}" width="${fmt(width)}" height="${fmt(height)}" fill="#ffffff" fill-opacity="0.9" stroke="#999"/>`];
  items.forEach((item, i) => {
    const cy = y + 4 + i * lh + lh / 2;
    const sx = x + 8;
    if (item.mark === "dot") parts.push(`<circle cx="${fmt(sx + swatch / 2)}" cy="${fmt(cy)}" r="3.5" fill="${item.colour}"/>`);
    else if (item.mark === "band") parts.push(svgRect(sx, cy - 5, swatch, 10, item.colour));
    else parts.push(svgLine(sx, cy, sx + swatch, cy, item.colour, 2, item.mark === "dashed" ? "5 3" : undefined));
    parts.push(svgText(sx + swatch + 6, cy + fontSize / 3, item.label, { size: fontSize }));
  });
  return { svg: parts.join(""), width, height };
}
