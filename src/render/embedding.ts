/**
 * `plotEmbedding`: a scatter plot of a CEBRA embedding (2-D, or 3-D under a fixed oblique
 * orthographic view with points drawn far-to-near), coloured by a continuous variable (viridis +
 * colour bar) or a categorical one (palette + legend), with an optional training-loss panel.
 * Large embeddings are thinned deterministically (evenly spaced samples) and the image says so.
 */
import sharp from "sharp";
import { UserError } from "../util/errors.js";
import { pcaProject } from "../util/linalg.js";
import { fitToBudget, type ImageBudget } from "./budget.js";
import { CATEGORICAL_PALETTE, MISSING_COLOUR, viridis, VIRIDIS_LUT, rgbHex } from "./colormap.js";
import { fontWarning } from "./fonts.js";
import { areaScales, axisMargins, drawAxes, drawLegend, finiteExtent, formatTick, niceTicks, padDomain, type LegendItem, type PlotArea } from "./plot.js";
import { evenlySpaced } from "./selection.js";
import { drawTextBlock, fmt, lineHeight, svgDocument, svgLine, svgText, textBlock, textWidth, wrapText } from "./svg.js";
import type { PreviewImage, RenderResult } from "./types.js";

/** What to colour points by. */
export interface ColourBy {
  /** One value per embedding row `[T]` (for categorical: class values, usually 0..K-1). */
  values: ArrayLike<number>;
  name: string;
  kind: "continuous" | "categorical";
  /** Names for categorical values (indexed by value). */
  class_names?: string[];
}

/** Training curve shown in a second panel. */
export interface LossCurve {
  /** Total loss per step. */
  total: ArrayLike<number>;
  /** What `total` is the loss of (legend label, kept short; default "model"). */
  label?: string;
  /** Its artifact id, named in the result's note (not in the legend, where it would cover the curves). */
  id?: string;
  /** Temperature per step (learnable-temperature runs), drawn on a second axis. */
  temperature?: ArrayLike<number>;
  /**
   * The loss of a model that learnt nothing: log(batch size) for InfoNCE (2·log(B) for hybrid
   * training); drawn as a horizontal line and always inside the axis range.
   */
  chance?: { value: number; label: string };
  /** The shuffled-label control's loss per step, drawn on the same axis as the model's. */
  control?: { total: ArrayLike<number>; label: string; /** Its artifact id, for the caption (not the legend). */ id?: string };
}

/** The InfoNCE chance level for a batch size: log(B), or 2·log(B) when hybrid (two InfoNCE terms). */
export function chanceLoss(batchSize: number, hybrid: boolean): { value: number; label: string } {
  const value = (hybrid ? 2 : 1) * Math.log(batchSize);
  return { value, label: `chance ${hybrid ? "2·" : ""}log(${batchSize}) = ${value.toFixed(2)}` };
}

export interface PlotEmbeddingOptions {
  /** `[T, D]` row-major embedding. */
  embedding: { data: ArrayLike<number>; n_samples: number; dim: number };
  /** 2 or 3 plotted dimensions (default 3 when D ≥ 3, else 2). */
  dims?: 2 | 3;
  /** "first": the first embedding dimensions (default); "pca": the top principal components. */
  projection?: "first" | "pca";
  colour_by?: ColourBy;
  loss?: LossCurve;
  title: string;
  /** A provenance line under the title (model id, recording, steps…). */
  subtitle?: string;
  /** Most points drawn (default 5000); more are thinned to evenly spaced samples. */
  max_points?: number;
  budget?: Partial<ImageBudget>;
}

export interface EmbeddingPlot extends RenderResult<PreviewImage> {
  /** Points drawn (after thinning and dropping non-finite rows). */
  points_shown: number;
}

const MAX_CATEGORIES = CATEGORICAL_PALETTE.length;
const FONT = 13;
const PANEL = 620;
const LOSS_WIDTH = 470;
const PAD = 16;
/** Fixed oblique view of 3-D plots (degrees). */
const AZIMUTH = -50;
const ELEVATION = 22;

/** Points prepared for drawing: coordinates `[n, dims]`, colours, depth order. */
interface PreparedPoints {
  coords: Float32Array;
  dims: 2 | 3;
  colours: string[];
  axisNames: string[];
  n: number;
  /** Finite rows before thinning (rows with NaN/inf are never drawn). */
  finite: number;
}

/** Render the embedding plot: a budget-fitted preview plus a 2× full-resolution PNG. */
export async function plotEmbedding(o: PlotEmbeddingOptions): Promise<EmbeddingPlot> {
  const notes: string[] = [];
  const points = preparePoints(o, notes);
  const { svg, width, height } = embeddingSvg(o, points, notes);
  const png = await sharp(Buffer.from(svgDocument(width, height, svg))).png({ compressionLevel: 6 }).toBuffer();
  const fitted = await fitToBudget(png, o.budget);
  notes.push(...fitted.notes.map((n) => `preview ${n}`));
  const full = await sharp(Buffer.from(svgDocument(width, height, svg, 2))).png({ compressionLevel: 6 }).toBuffer();
  const fonts = fontWarning();
  if (fonts) notes.push(fonts);
  return {
    images: [{ data: fitted.data, mime_type: fitted.mime_type, width: fitted.width, height: fitted.height }],
    full_resolution: [{ name: "embedding.png", data: full, mime_type: "image/png", width: width * 2, height: height * 2 }],
    notes,
    points_shown: points.n,
  };
}

/** Validate, thin, project and colour the points. */
function preparePoints(o: PlotEmbeddingOptions, notes: string[]): PreparedPoints {
  const { data, n_samples: T, dim: D } = o.embedding;
  if (!(T > 0) || !(D > 0) || data.length !== T * D) {
    throw new UserError(`Embedding shape [${T}, ${D}] does not match its ${data.length} values.`, "Pass the embedding as a row-major [n_samples, dim] array.");
  }
  const dims = o.dims ?? (D >= 3 ? 3 : 2);
  if (dims !== 2 && dims !== 3) throw new UserError(`dims must be 2 or 3, got ${String(dims)}.`, "Use dims 2 or 3.");
  if (D < dims) throw new UserError(`A ${D}-dimensional embedding cannot be plotted in ${dims}-D.`, `Use dims ${D >= 2 ? 2 : "2 with a ≥2-D embedding"}.`);
  if (o.colour_by && o.colour_by.values.length !== T) {
    throw new UserError(`colour_by "${o.colour_by.name}" has ${o.colour_by.values.length} values for ${T} embedding rows.`, "Pass one colour value per embedding row.");
  }
  const keep = finiteRows(data, T, D, notes);
  const maxPoints = o.max_points ?? 5000;
  const shown = keep.length > maxPoints ? evenlySpaced(keep.length, maxPoints).map((i) => keep[i]!) : keep;
  if (shown.length < keep.length) notes.push(`showing ${shown.length} of ${keep.length} points (evenly spaced samples, deterministic)`);
  const { coords, axisNames } = project(o, shown, dims, notes);
  return { coords, dims, colours: pointColours(o.colour_by, shown), axisNames, n: shown.length, finite: keep.length };
}

/** Indices of rows with all-finite values (others are dropped with a note). */
function finiteRows(data: ArrayLike<number>, T: number, D: number, notes: string[]): number[] {
  const keep: number[] = [];
  for (let t = 0; t < T; t++) {
    let ok = true;
    for (let j = 0; j < D && ok; j++) ok = Number.isFinite(data[t * D + j]!);
    if (ok) keep.push(t);
  }
  if (keep.length === 0) throw new UserError("Every embedding row contains NaN or infinite values.", "Check the training run (loss diverged?) and re-embed.");
  if (keep.length < T) notes.push(`${T - keep.length} embedding rows with NaN/inf values were not drawn`);
  return keep;
}

function project(o: PlotEmbeddingOptions, rows: number[], dims: 2 | 3, notes: string[]): { coords: Float32Array; axisNames: string[] } {
  const { data, dim: D } = o.embedding;
  const picked = new Float32Array(rows.length * D);
  rows.forEach((t, i) => {
    for (let j = 0; j < D; j++) picked[i * D + j] = data[t * D + j]!;
  });
  if (o.projection !== "pca") {
    const coords = new Float32Array(rows.length * dims);
    for (let i = 0; i < rows.length; i++) for (let c = 0; c < dims; c++) coords[i * dims + c] = picked[i * D + c]!;
    return { coords, axisNames: Array.from({ length: dims }, (_, c) => `dim ${c + 1}`) };
  }
  const p = pcaProject(picked, rows.length, D, dims);
  notes.push(`PCA of the ${D}-D embedding: components explain ${p.explained.map((e) => `${(100 * e).toFixed(1)}%`).join(", ")} of variance`);
  return { coords: p.data, axisNames: p.explained.map((e, c) => `PC${c + 1} (${(100 * e).toFixed(0)}%)`) };
}

/** Colours of the shown rows: viridis over the value range, or the categorical palette. */
function pointColours(by: ColourBy | undefined, rows: number[]): string[] {
  if (!by) return rows.map(() => CATEGORICAL_PALETTE[0]!);
  if (by.kind === "categorical") {
    const classes = categoriesOf(by);
    const index = new Map(classes.map((c, i) => [c, i]));
    return rows.map((t) => {
      const v = by.values[t]!;
      return Number.isFinite(v) ? CATEGORICAL_PALETTE[index.get(v)!]! : MISSING_COLOUR;
    });
  }
  const [lo, hi] = finiteExtent(by.values) ?? [0, 1];
  return rows.map((t) => {
    const v = by.values[t]!;
    return Number.isFinite(v) ? viridis(hi > lo ? (v - lo) / (hi - lo) : 0.5) : MISSING_COLOUR;
  });
}

/** Sorted distinct finite values of a categorical colouring (UserError beyond MAX_CATEGORIES). */
function categoriesOf(by: ColourBy): number[] {
  const set = new Set<number>();
  for (let i = 0; i < by.values.length; i++) if (Number.isFinite(by.values[i]!)) set.add(by.values[i]!);
  if (set.size > MAX_CATEGORIES) {
    throw new UserError(`colour_by "${by.name}" has ${set.size} categories; at most ${MAX_CATEGORIES} can be told apart.`, 'Use kind "continuous" for this variable, or group its values.');
  }
  return [...set].sort((a, b) => a - b);
}

/** The whole figure: header, scatter, colour key, optional loss panel. */
function embeddingSvg(o: PlotEmbeddingOptions, pts: PreparedPoints, notes: string[]): { svg: string; width: number; height: number } {
  const key = o.colour_by ? colourKey(o.colour_by) : { width: 0, draw: () => "" };
  const scatterWidth = PANEL + (pts.dims === 2 ? axisMargins(FONT, 6).left : 0);
  const lossWidth = o.loss && o.loss.total.length > 0 ? LOSS_WIDTH : 0;
  const width = Math.ceil(PAD + scatterWidth + key.width + (lossWidth ? PAD + lossWidth : 0) + PAD);
  const header = textBlock(
    [
      { text: o.title, size: 17, weight: "bold" },
      ...(o.subtitle ? [{ text: o.subtitle, size: 12, fill: "#333" }] : []),
      { text: describePoints(o, pts), size: 12, fill: "#333" },
    ],
    width - 2 * PAD,
  );
  const top = PAD + header.height + 10;
  const height = top + PANEL + (pts.dims === 2 || lossWidth ? axisMargins(FONT, 6).bottom : 10) + PAD;
  const parts = [`<rect width="${width}" height="${height}" fill="#ffffff"/>`, drawTextBlock(header, PAD, PAD)];
  parts.push(pts.dims === 2 ? scatter2d(pts, PAD, top, scatterWidth) : scatter3d(pts, PAD, top));
  parts.push(key.draw(PAD + scatterWidth + 8, top + 30));
  if (lossWidth) parts.push(lossPanel(o.loss!, width - PAD - lossWidth, top, lossWidth, PANEL, notes));
  return { svg: parts.join(""), width, height };
}

/** The line on the image saying what is drawn: dimensions, point count (and thinning), colour, view. */
function describePoints(o: PlotEmbeddingOptions, pts: PreparedPoints): string {
  const total = o.embedding.n_samples;
  const what = o.projection === "pca" ? `top ${pts.dims} principal components of the ${o.embedding.dim}-D embedding` : `embedding dims 1–${pts.dims} of ${o.embedding.dim}`;
  const dropped = total - pts.finite;
  const count = pts.n < pts.finite ? `showing ${pts.n} of ${pts.finite} points (evenly spaced subsample)` : `${pts.n} points`;
  const nan = dropped > 0 ? ` (${dropped} rows with NaN/inf not drawn)` : "";
  const colour = o.colour_by ? ` · colour: ${o.colour_by.name}` : "";
  const view = pts.dims === 3 ? ` · fixed oblique view (azimuth ${AZIMUTH}°, elevation ${ELEVATION}°)` : "";
  return `${what} · ${count}${nan}${colour}${view}`;
}

function circle(x: number, y: number, r: number, colour: string): string {
  return `<circle cx="${fmt(x)}" cy="${fmt(y)}" r="${r}" fill="${colour}" fill-opacity="0.8"/>`;
}

function pointRadius(n: number): number {
  return n > 3000 ? 1.6 : n > 1000 ? 2.2 : 3;
}

/** 2-D scatter with axes, ticks and labels. */
function scatter2d(pts: PreparedPoints, x: number, y: number, width: number): string {
  const margins = axisMargins(FONT, 6);
  const xs = Array.from({ length: pts.n }, (_, i) => pts.coords[2 * i]!);
  const ys = Array.from({ length: pts.n }, (_, i) => pts.coords[2 * i + 1]!);
  const area: PlotArea = {
    x: x + margins.left,
    y,
    width: width - margins.left,
    height: PANEL,
    xDomain: padDomain(finiteExtent(xs)!, 0.04),
    yDomain: padDomain(finiteExtent(ys)!, 0.04),
  };
  const { sx, sy } = areaScales(area);
  const r = pointRadius(pts.n);
  const dots = xs.map((v, i) => circle(sx(v), sy(ys[i]!), r, pts.colours[i]!)).join("");
  return drawAxes(area, { xLabel: pts.axisNames[0]!, yLabel: pts.axisNames[1]!, fontSize: FONT }) + dots;
}

/** Screen basis of the fixed oblique view: right (e1), up (e2) and towards the viewer (n). */
export function viewBasis(): { e1: number[]; e2: number[]; n: number[] } {
  const az = (AZIMUTH * Math.PI) / 180;
  const el = (ELEVATION * Math.PI) / 180;
  return {
    e1: [Math.cos(az), -Math.sin(az), 0],
    e2: [Math.sin(az) * Math.sin(el), Math.cos(az) * Math.sin(el), Math.cos(el)],
    n: [-Math.sin(az) * Math.cos(el), -Math.cos(az) * Math.cos(el), Math.sin(el)],
  };
}

const dot3 = (a: ArrayLike<number>, b: ArrayLike<number>) => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;

/** Indices of `[n, 3]` points ordered far to near under the fixed view (painter's algorithm). */
export function depthOrder(coords: ArrayLike<number>, n: number): number[] {
  const towardsViewer = viewBasis().n;
  const depth = Array.from({ length: n }, (_, i) => dot3([coords[3 * i]!, coords[3 * i + 1]!, coords[3 * i + 2]!], towardsViewer));
  return Array.from({ length: n }, (_, i) => i).sort((a, b) => depth[a]! - depth[b]! || a - b);
}

/**
 * 3-D scatter: data centred and scaled by one common factor (a sphere stays round) into the
 * cube [-1, 1]³, drawn under a fixed orthographic view; the cube's edges, ticks with data values
 * and axis names outside the cube give orientation; points are sorted by depth so nearer points
 * cover farther ones.
 */
function scatter3d(pts: PreparedPoints, x: number, y: number): string {
  const { e1, e2 } = viewBasis();
  const centre: number[] = [];
  let half = 0;
  for (let c = 0; c < 3; c++) {
    const [lo, hi] = finiteExtent(Array.from({ length: pts.n }, (_, i) => pts.coords[3 * i + c]!))!;
    centre.push((lo + hi) / 2);
    half = Math.max(half, (hi - lo) / 2);
  }
  half = half || 1;
  const R = PANEL / 2 / 2.05; // the cube's projection spans ≈1.46·2 units; the rest is room for ticks and names
  const cx = x + PANEL / 2;
  const cy = y + PANEL / 2;
  const toScreen = (p: number[]) => [cx + dot3(p, e1) * R, cy - dot3(p, e2) * R];
  const norm = (i: number) => [0, 1, 2].map((c) => (pts.coords[3 * i + c]! - centre[c]!) / half);
  const r = pointRadius(pts.n);
  const dots = depthOrder(pts.coords, pts.n).map((i) => {
    const [sx, sy] = toScreen(norm(i));
    return circle(sx!, sy!, r, pts.colours[i]!);
  });
  return cubeSvg(toScreen) + dots.join("") + axes3d(toScreen, [cx, cy], pts.axisNames, centre, half);
}

/** A cube edge on screen, from the axis's -1 end to its +1 end, with the unit vector pointing away from the cube. */
export interface ScreenEdge {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  outward: [number, number];
}

/**
 * For each axis, the parallel cube edge that lies on the outline of the projected cube (of the
 * two outline edges: the lower one, or the left one for the near-vertical axis).
 */
export function outlineEdges(toScreen: (p: number[]) => number[], centre: number[]): ScreenEdge[] {
  return [0, 1, 2].map((axis) => {
    const scored = edgesAlong(axis).map(([p, q]) => {
      const [x1, y1] = toScreen(p) as [number, number];
      const [x2, y2] = toScreen(q) as [number, number];
      const mx = (x1 + x2) / 2 - centre[0]!;
      const my = (y1 + y2) / 2 - centre[1]!;
      return { x1, y1, x2, y2, mx, my, dist: Math.hypot(mx, my) };
    });
    const far = Math.max(...scored.map((e) => e.dist));
    const outline = scored.filter((e) => e.dist > far - 1e-6);
    const vertical = Math.abs(outline[0]!.x2 - outline[0]!.x1) < Math.abs(outline[0]!.y2 - outline[0]!.y1);
    const e = outline.sort((a, b) => (vertical ? a.mx - b.mx : b.my - a.my))[0]!;
    const len = e.dist || 1;
    return { x1: e.x1, y1: e.y1, x2: e.x2, y2: e.y2, outward: [e.mx / len, e.my / len] as [number, number] };
  });
}

/** The four edges of the cube parallel to `axis`, as pairs of corners. */
function edgesAlong(axis: number): [number[], number[]][] {
  const edges: [number[], number[]][] = [];
  for (const a of [-1, 1]) {
    for (const b of [-1, 1]) {
      const [o1, o2] = [0, 1, 2].filter((c) => c !== axis) as [number, number];
      const p = [0, 0, 0];
      const q = [0, 0, 0];
      p[axis] = -1;
      q[axis] = 1;
      p[o1] = q[o1] = a;
      p[o2] = q[o2] = b;
      edges.push([p, q]);
    }
  }
  return edges;
}

/** Light wireframe of the [-1, 1]³ cube. */
function cubeSvg(toScreen: (p: number[]) => number[]): string {
  const parts: string[] = [];
  for (let axis = 0; axis < 3; axis++) {
    for (const [p, q] of edgesAlong(axis)) {
      const [x1, y1] = toScreen(p);
      const [x2, y2] = toScreen(q);
      parts.push(svgLine(x1!, y1!, x2!, y2!, "#d0d0d0", 1));
    }
  }
  return parts.join("");
}

/**
 * For each axis, the cube edge on the outline of the drawing (bottom for the horizontal-ish
 * axes, left for the vertical one), drawn dark with ticks, tick values in data units, and the
 * axis name beyond them, all outside the cube so they never sit among the points.
 */
function axes3d(toScreen: (p: number[]) => number[], centre: number[], names: string[], dataCentre: number[], half: number): string {
  const parts: string[] = [];
  const fs = FONT - 1;
  outlineEdges(toScreen, centre).forEach((edge, axis) => {
    const [ox, oy] = edge.outward;
    const vertical = Math.abs(edge.x2 - edge.x1) < Math.abs(edge.y2 - edge.y1);
    parts.push(svgLine(edge.x1, edge.y1, edge.x2, edge.y2, "#555", 1.5));
    const lo = dataCentre[axis]! - half;
    const hi = dataCentre[axis]! + half;
    const ticks = niceTicks(lo, hi, 4).filter((t) => t >= lo - 1e-9 && t <= hi + 1e-9);
    const labels = ticks.map((t) => formatTick(t, ticks));
    const anchor = ox > 0.35 ? "start" : ox < -0.35 ? "end" : "middle";
    ticks.forEach((t, k) => {
      const u = (t - lo) / (hi - lo || 1);
      const tx = edge.x1 + u * (edge.x2 - edge.x1);
      const ty = edge.y1 + u * (edge.y2 - edge.y1);
      parts.push(svgLine(tx, ty, tx + 5 * ox, ty + 5 * oy, "#555", 1));
      parts.push(svgText(tx + 9 * ox, ty + 9 * oy + (oy > 0.35 ? fs * 0.8 : fs / 3), labels[k]!, { size: fs, anchor, fill: "#333" }));
    });
    const labelExtent = vertical ? Math.max(...labels.map((l) => textWidth(l, fs))) : fs;
    const off = 9 + labelExtent + 8 + FONT * 0.8;
    const mx = (edge.x1 + edge.x2) / 2 + off * ox;
    const my = (edge.y1 + edge.y2) / 2 + off * oy + (vertical ? 0 : FONT / 3);
    let angle = (Math.atan2(edge.y2 - edge.y1, edge.x2 - edge.x1) * 180) / Math.PI;
    if (angle > 90) angle -= 180;
    if (angle < -90) angle += 180;
    parts.push(svgText(mx, my, names[axis]!, { size: FONT, anchor: "middle", weight: "bold", fill: "#222", rotate: Math.round(angle) }));
  });
  return parts.join("");
}

/** The colour key beside the scatter: a viridis bar with ticks, or a categorical legend. */
function colourKey(by: ColourBy): { width: number; draw: (x: number, y: number) => string } {
  const fs = FONT;
  const pad = PAD;
  if (by.kind === "categorical") {
    const items: LegendItem[] = categoriesOf(by).map((v, i) => ({
      label: by.class_names?.[v] ?? formatTick(v, [0, 1]),
      colour: CATEGORICAL_PALETTE[i]!,
      mark: "dot",
    }));
    const title = wrapText(by.name, 200, fs);
    const legendWidth = drawLegend(items, 0, 0, fs).width;
    const width = Math.max(legendWidth, ...title.map((t) => textWidth(t, fs))) + 2 * pad;
    return {
      width,
      draw: (x, y) => title.map((t, i) => svgText(x, y + i * lineHeight(fs), t, { size: fs, weight: "bold" })).join("") + drawLegend(items, x, y + title.length * lineHeight(fs), fs).svg,
    };
  }
  const [lo, hi] = finiteExtent(by.values) ?? [0, 1];
  const ticks = niceTicks(lo, hi, 6);
  const labels = ticks.map((t) => formatTick(t, ticks));
  const title = wrapText(by.name, 160, fs);
  const barWidth = 18;
  const width = Math.max(barWidth + 10 + Math.max(...labels.map((l) => textWidth(l, fs))), ...title.map((t) => textWidth(t, fs))) + 2 * pad;
  return { width, draw: (x, y) => colourBar(x, y, barWidth, PANEL * 0.7, lo, hi, ticks, labels, title, fs) };
}

/** Vertical viridis bar (min at the bottom) with tick labels and a title above. */
function colourBar(x: number, y: number, w: number, h: number, lo: number, hi: number, ticks: number[], labels: string[], title: string[], fs: number): string {
  const top = y + title.length * lineHeight(fs) + 6;
  const stops = Array.from({ length: 17 }, (_, i) => `<stop offset="${fmt(i / 16)}" stop-color="${rgbHex(VIRIDIS_LUT[Math.round((i / 16) * 255)]!)}"/>`);
  const parts = [
    ...title.map((t, i) => svgText(x, y + i * lineHeight(fs), t, { size: fs, weight: "bold" })),
    `<linearGradient id="viridis" x1="0" y1="1" x2="0" y2="0">${stops.join("")}</linearGradient>`,
    `<rect x="${fmt(x)}" y="${fmt(top)}" width="${w}" height="${fmt(h)}" fill="url(#viridis)" stroke="#444"/>`,
  ];
  const span = hi > lo ? hi - lo : 1;
  ticks.forEach((t, i) => {
    const ty = top + h - ((t - lo) / span) * h;
    parts.push(svgLine(x + w, ty, x + w + 5, ty, "#444"));
    parts.push(svgText(x + w + 8, ty + fs / 3, labels[i]!, { size: fs }));
  });
  return parts.join("");
}

const MODEL_COLOUR = "#1f77b4";
const CONTROL_COLOUR = "#d95f02";
const TEMPERATURE_COLOUR = "#e7298a";
const CHANCE_COLOUR = "#000000";

/**
 * Loss per step in a framed panel: the model's curve, the shuffled-label control's on the same
 * axis (so the control's small wobble is seen at the model's scale), the chance line log(B) inside
 * the range, and the temperature on a right-hand axis for learnable-temperature runs.
 */
function lossPanel(loss: LossCurve, x: number, y: number, width: number, height: number, notes: string[]): string {
  const steps = Math.max(loss.total.length, loss.control?.total.length ?? 0);
  const sampled = (n: number) => {
    const idx = evenlySpaced(n, 3000);
    const note = `loss curve drawn from ${idx.length} of ${n} steps (evenly spaced)`;
    if (idx.length < n && !notes.includes(note)) notes.push(note);
    return idx;
  };
  const hasTemp = !!loss.temperature && loss.temperature.length === loss.total.length;
  const margins = axisMargins(FONT, 6);
  const rightMargin = hasTemp ? margins.left : 0;
  const extents = [finiteExtent(loss.total), loss.control ? finiteExtent(loss.control.total) : undefined].filter((e): e is [number, number] => !!e);
  const chance = loss.chance && Number.isFinite(loss.chance.value) ? loss.chance : undefined;
  const lo = Math.min(...extents.map((e) => e[0]), ...(chance ? [chance.value] : []));
  const hi = Math.max(...extents.map((e) => e[1]), ...(chance ? [chance.value] : []));
  const area: PlotArea = {
    x: x + margins.left,
    y: y + lineHeight(FONT) + 4,
    width: width - margins.left - rightMargin,
    height: height - lineHeight(FONT) - 4,
    xDomain: [1, Math.max(2, steps)],
    yDomain: padDomain(Number.isFinite(lo) ? [lo, hi] : [0, 1], 0.05),
  };
  const { sx, sy } = areaScales(area);
  const line = (values: ArrayLike<number>, scaleY: (v: number) => number) =>
    sampled(values.length).filter((i) => Number.isFinite(values[i]!)).map((i) => `${fmt(sx(i + 1))},${fmt(scaleY(values[i]!))}`).join(" ");
  const parts = [
    svgText(area.x, y + FONT, "Training loss (InfoNCE) per step", { size: FONT, weight: "bold" }),
    drawAxes(area, { xLabel: "step", yLabel: "loss (nats)", fontSize: FONT }),
  ];
  const items: LegendItem[] = [];
  if (loss.control) {
    parts.push(`<polyline points="${line(loss.control.total, sy)}" fill="none" stroke="${CONTROL_COLOUR}" stroke-width="1.5"/>`);
    items.push({ label: loss.control.label, colour: CONTROL_COLOUR, mark: "line" });
  }
  parts.push(`<polyline points="${line(loss.total, sy)}" fill="none" stroke="${MODEL_COLOUR}" stroke-width="1.5"/>`);
  items.unshift({ label: loss.label ?? "model", colour: MODEL_COLOUR, mark: "line" });
  if (chance) {
    // Drawn over the curves: a control sitting on chance must not hide the line.
    // Named in the legend only: a label on the line would sit on the control's curve, which hugs it.
    parts.push(svgLine(area.x, sy(chance.value), area.x + area.width, sy(chance.value), CHANCE_COLOUR, 1.5, "6 4"));
    items.push({ label: chance.label, colour: CHANCE_COLOUR, mark: "dashed" });
  }
  if (hasTemp) {
    const tArea = { ...area, yDomain: padDomain(finiteExtent(loss.temperature!) ?? [0, 1], 0.05) };
    const tsy = areaScales(tArea).sy;
    parts.push(drawAxes(tArea, { xLabel: "", yLabel: "temperature", fontSize: FONT, secondaryY: true, colour: TEMPERATURE_COLOUR }));
    parts.push(`<polyline points="${line(loss.temperature!, tsy)}" fill="none" stroke="${TEMPERATURE_COLOUR}" stroke-width="1.5" stroke-dasharray="5 3"/>`);
    items.push({ label: "temperature (right axis)", colour: TEMPERATURE_COLOUR, mark: "dashed" });
  }
  notes.push(lossNote(loss, chance));
  const legend = drawLegend(items, 0, 0, FONT);
  const curves = [loss.total, ...(loss.control ? [loss.control.total] : [])];
  const [lx, ly] = emptiestCorner(area, legend, curves, chance ? [chance.value] : []);
  parts.push(drawLegend(items, lx, ly, FONT).svg);
  return parts.join("");
}

/** Mean of the last tenth of a curve's finite values (the loss a run ended at, without one step's noise). */
function finalLoss(values: ArrayLike<number>): number {
  const tail = Array.from(values).slice(-Math.max(1, Math.ceil(values.length / 10))).filter(Number.isFinite);
  return tail.length ? tail.reduce((a, b) => a + b, 0) / tail.length : Number.NaN;
}

/** One sentence for the result text: where each curve ended, beside the chance level. */
function lossNote(loss: LossCurve, chance: { value: number; label: string } | undefined): string {
  const named = (label: string, id?: string) => (id ? `${label} ${id}` : label);
  const parts = [`${named(loss.label ?? "model", loss.id)} ended at ${finalLoss(loss.total).toFixed(3)}`];
  if (loss.control) parts.push(`${named(loss.control.label, loss.control.id)} at ${finalLoss(loss.control.total).toFixed(3)}`);
  const ref = chance ? ` (${chance.label}; lower than chance = learnt structure)` : "";
  return `loss panel (mean of the last 10% of steps): ${parts.join(", ")}${ref}`;
}

/**
 * Top-left corner for the legend at the right of the loss area (top, middle or bottom): the one
 * covering the fewest curve points (`curves`, one value per step) and horizontal lines (`levels`).
 */
function emptiestCorner(area: PlotArea, box: { width: number; height: number }, curves: ArrayLike<number>[], levels: number[]): [number, number] {
  const { sx, sy } = areaScales(area);
  const x = area.x + area.width - box.width - 8;
  const candidates = [area.y + 8, area.y + (area.height - box.height) / 2, area.y + area.height - box.height - 8];
  const inside = (px: number, py: number, y: number) => px >= x - 4 && px <= x + box.width + 4 && py >= y - 4 && py <= y + box.height + 4;
  const covered = candidates.map((y) => {
    let n = levels.filter((v) => inside(x, sy(v), y)).length * 100;
    for (const c of curves) for (const i of evenlySpaced(c.length, 400)) if (inside(sx(i + 1), sy(c[i]!), y)) n++;
    return n;
  });
  return [x, candidates[covered.indexOf(Math.min(...covered))]!];
}
