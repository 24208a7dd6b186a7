/**
 * The plot of a hyperparameter sweep: one panel per swept parameter, the validation score of every
 * model (dots) and the mean per value (line) against that parameter's values (evenly spaced, in order, so
 * log-spaced grids read well), the chosen value ringed, and the controls and chance as horizontal lines on
 * the same validation data. One PNG within the client image budget (budget.ts).
 */
import sharp from "sharp";
import { fitToBudget, type ImageBudget } from "./budget.js";
import { areaScales, axisMargins, drawLegend, finiteExtent, formatTick, niceTicks, padDomain, type LegendItem, type PlotArea } from "./plot.js";
import { fmt, svgDocument, svgLine, svgRect, svgText } from "./svg.js";
import type { PreviewImage } from "./types.js";

type Value = number | string;

export interface SweepPlotOptions {
  title: string;
  /** What the y axis shows, e.g. "validation accuracy (±1 s)". */
  y_label: string;
  /** Swept parameters, with their values in the order to draw them. */
  params: { name: string; values: Value[] }[];
  /** One point per trained model: its setting and validation score (null: not scored, e.g. cancelled). */
  points: { setting: Record<string, Value>; score: number | null }[];
  /** The chosen setting (ringed in every panel). */
  chosen?: Record<string, Value>;
  /** Horizontal reference lines (controls on the same validation data, chance). */
  references: { label: string; value: number; dashed?: boolean }[];
  budget?: Partial<ImageBudget>;
}

const FONT = 13;
const PANEL = { width: 360, height: 250 };
const COLOURS = ["#d62728", "#2ca02c", "#9467bd", "#8c564b", "#7f7f7f"];
const MODEL = "#1f77b4";

/** Renders the sweep plot (PNG preview within the budget). */
export async function plotSweep(o: SweepPlotOptions): Promise<PreviewImage & { notes: string[] }> {
  const { svg, width, height } = sweepSvg(o);
  const png = await sharp(Buffer.from(svgDocument(width, height, svg))).png({ compressionLevel: 6 }).toBuffer();
  const fitted = await fitToBudget(png, o.budget);
  return { data: fitted.data, mime_type: fitted.mime_type, width: fitted.width, height: fitted.height, notes: fitted.notes };
}

function sweepSvg(o: SweepPlotOptions): { svg: string; width: number; height: number } {
  const params = o.params.length ? o.params : [{ name: "setting", values: ["all"] }];
  const cols = Math.min(2, params.length);
  const rows = Math.ceil(params.length / cols);
  const scores = o.points.map((p) => p.score).filter((s): s is number => s !== null);
  const [lo, hi] = padDomain(finiteExtent([...scores, ...o.references.map((r) => r.value)]) ?? [0, 1], 0.08);
  const m = axisMargins(FONT, 5);
  const cellW = m.left + PANEL.width + 20;
  const cellH = PANEL.height + m.bottom + 30;
  const refColours = o.references.map((_, i) => COLOURS[i % COLOURS.length]!);
  const items: LegendItem[] = [
    { label: "one model (validation)", colour: MODEL, mark: "dot" },
    { label: "mean over seeds", colour: MODEL, mark: "line" },
    ...o.references.map((r, i): LegendItem => ({ label: r.label, colour: refColours[i]!, mark: r.dashed ? "dashed" : "line" })),
  ];
  const legendW = drawLegend(items, 0, 0, FONT).width;
  const width = cols * cellW + legendW + 30;
  const height = 40 + rows * cellH;
  const parts = [svgText(16, 26, o.title, { size: FONT + 2, weight: "bold" })];
  params.forEach((param, i) => {
    const area: PlotArea = {
      x: (i % cols) * cellW + m.left, y: 50 + Math.floor(i / cols) * cellH, width: PANEL.width, height: PANEL.height,
      xDomain: [-0.5, param.values.length - 0.5], yDomain: [lo, hi],
    };
    parts.push(panel(area, param, o, refColours));
  });
  parts.push(drawLegend(items, cols * cellW + 10, 50, FONT).svg);
  return { svg: parts.join(""), width, height };
}

function panel(area: PlotArea, param: { name: string; values: Value[] }, o: SweepPlotOptions, refColours: string[]): string {
  const { sx, sy } = areaScales(area);
  const parts = [axes(area, param.name, o.y_label)];
  o.references.forEach((r, i) => parts.push(svgLine(area.x, sy(r.value), area.x + area.width, sy(r.value), refColours[i]!, 1.5, r.dashed ? "6 4" : undefined)));
  const key = (v: Value) => String(v);
  const means: [number, number][] = [];
  param.values.forEach((v, xi) => {
    const x = sx(xi);
    parts.push(svgText(x, area.y + area.height + 7 + FONT, formatValue(v), { size: FONT, anchor: "middle" }));
    const ys = o.points.filter((p) => p.score !== null && key(p.setting[param.name] ?? "") === key(v)).map((p) => p.score!);
    ys.forEach((y, j) => parts.push(`<circle cx="${fmt(x + (j - (ys.length - 1) / 2) * 4)}" cy="${fmt(sy(y))}" r="3.5" fill="${MODEL}" fill-opacity="0.75"/>`));
    if (ys.length) means.push([x, sy(ys.reduce((a, b) => a + b, 0) / ys.length)]);
    if (o.chosen && key(o.chosen[param.name] ?? "") === key(v) && ys.length) {
      const best = Math.max(...ys);
      parts.push(`<circle cx="${fmt(x)}" cy="${fmt(sy(best))}" r="8" fill="none" stroke="#000" stroke-width="1.5"/>`);
    }
  });
  if (means.length > 1) parts.push(`<polyline points="${means.map(([x, y]) => `${fmt(x)},${fmt(y)}`).join(" ")}" fill="none" stroke="${MODEL}" stroke-width="2"/>`);
  return parts.join("");
}

/** Frame, y ticks with grid lines, and both axis titles (the x ticks are the parameter's values, drawn per value). */
function axes(a: PlotArea, xLabel: string, yLabel: string): string {
  const { sy } = areaScales(a);
  const ticks = niceTicks(a.yDomain[0], a.yDomain[1], 5);
  const parts = [svgRect(a.x, a.y, a.width, a.height, "none", "#444", 1)];
  for (const t of ticks) {
    parts.push(svgLine(a.x, sy(t), a.x + a.width, sy(t), "#e6e6e6"), svgLine(a.x - 5, sy(t), a.x, sy(t), "#444"));
    parts.push(svgText(a.x - 8, sy(t) + FONT / 3, formatTick(t, ticks), { size: FONT, anchor: "end" }));
  }
  parts.push(svgText(a.x + a.width / 2, a.y + a.height + 14 + 2 * FONT, xLabel, { size: FONT, anchor: "middle", weight: "bold" }));
  parts.push(svgText(a.x - 52, a.y + a.height / 2, yLabel, { size: FONT, anchor: "middle", rotate: -90 }));
  return parts.join("");
}

function formatValue(v: Value): string {
  if (typeof v === "string") return v.length > 14 ? `${v.slice(0, 13)}…` : v;
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-2) ? v.toExponential(0) : String(Number(v.toPrecision(3)));
}
