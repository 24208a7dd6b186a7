/**
 * Still montages of movie tiles: the `side_by_side` layout (per time step a column with the true
 * frame above the decoded frame), the `pairs` layout (per time step the true frame left of the
 * decoded one) and the `contact_sheet` layout (decoded tiles only). All wrap
 * into a grid whose tile size is chosen as large as the budget allows; each decoded tile gets a
 * colour-coded border and a three-line label strip, and the header states that decoded frames
 * are retrieved, not generated.
 */
import { evenlySpaced } from "./selection.js";
import { encodeRaw, encodeWithinBytes, kB, ladderNote, mimeOf, retryLadder, STILL_LADDER, type ImageBudget, type RawImage } from "./budget.js";
import { RgbCanvas, TileSource, tileHeightFor } from "./canvas.js";
import {
  borderLegend,
  decodedTileLines,
  ERROR_KEY,
  referenceLine,
  decodeStatus,
  provenanceLine,
  RETRIEVAL_STATEMENT,
  STATUS_COLOUR,
  titleLine,
} from "./labels.js";
import {
  drawTextBlock,
  fontSizeForChars,
  lineHeight,
  svgDocument,
  svgRect,
  svgText,
  textBlock,
  type TextBlock,
} from "./svg.js";
import type { DecodedRow, FrameShown, FullResolutionImage, MovieFrames, ReconstructionImage, ReconstructionSummary, TileRegion } from "./types.js";

/** Which still layout: side_by_side shows the true frame above each decoded one, pairs beside it. */
export type SheetKind = "side_by_side" | "contact_sheet" | "pairs";

/** Everything a sheet rendering needs besides geometry. */
interface SheetRequest {
  kind: SheetKind;
  rows: DecodedRow[];
  movie: MovieFrames;
  summary: ReconstructionSummary;
  /** Decoded samples the selection was drawn from (for the "showing k of n" caption). */
  total_rows: number;
}

/** A request plus facts computed once per rendering. */
interface SheetContext extends SheetRequest {
  /** Length of the longest tile label line, for sizing the label font. */
  label_chars: number;
}

function contextOf(req: SheetRequest): SheetContext {
  const lines = req.rows.flatMap((r) => decodedTileLines(r, req.summary.window_frames));
  return { ...req, label_chars: Math.max(...lines.map((l) => [...l].length)) };
}

const BORDER = 3;
const GAP = 10;
/** Space between the on-screen and the decoded tile of a pair. */
const PAIR_GAP = 4;
const MARGIN = 12;
const MIN_CANVAS_WIDTH = 480;
const TITLE_SIZE = 16;
const CAPTION_SIZE = 12;
/** Tiles narrower than this cannot carry a readable three-line label. */
export const MIN_TILE_WIDTH = 140;
/** Tile width used for movies smaller than this (nearest-neighbour upscaling keeps labels readable). */
const MIN_NATIVE_TILE_WIDTH = 192;

/** Grid geometry of one sheet. */
interface SheetGeometry {
  cols: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
  fontSize: number;
  cellWidth: number;
  cellHeight: number;
  width: number;
  height: number;
  header: TextBlock;
  footer: TextBlock;
}

/** Native tile width: the movie's width, or MIN_NATIVE_TILE_WIDTH for tiny movies. */
export function nativeTileWidth(movie: MovieFrames): number {
  return Math.max(movie.width, MIN_NATIVE_TILE_WIDTH);
}

function headerBlock(req: SheetRequest, shown: number, width: number): TextBlock {
  const reference = referenceLine(req.summary);
  return textBlock(
    [
      { text: titleLine(req.summary, req.kind), size: TITLE_SIZE, weight: "bold" },
      { text: provenanceLine(req.summary, shown, req.total_rows), size: CAPTION_SIZE, fill: "#333" },
      ...(reference ? [{ text: reference, size: CAPTION_SIZE, fill: "#333" }] : []),
      { text: RETRIEVAL_STATEMENT, size: CAPTION_SIZE, weight: "bold", fill: "#8c3b00" },
    ],
    width,
  );
}

const ROLES: Record<SheetKind, string> = {
  side_by_side: " Top of each column: frame on screen; bottom: decoded (retrieved) frame.",
  pairs:
    " Each pair: frame on screen (left, grey border) | decoded (retrieved) frame (right). Unless samples are named, up to half the pairs are decodes outside the window (chosen on purpose), so the share of red borders is not the error rate; the header's accuracy is.",
  contact_sheet: "",
};

function footerBlock(req: SheetRequest, width: number): TextBlock {
  const key = `Labels: t = sample time; decoded / true = movie frame index; ${ERROR_KEY}; conf = decoder confidence.`;
  return textBlock([{ text: `${borderLegend(req.summary.window_frames)} ${key}${ROLES[req.kind]}`, size: CAPTION_SIZE - 1, fill: "#333" }], width);
}

/** Cell size for a tile width: decoded tile + label strip, plus the true tile above (side_by_side) or beside it (pairs). */
function cellSize(kind: SheetKind, tileWidth: number, tileHeight: number, fontSize: number): { width: number; height: number } {
  const lh = lineHeight(fontSize);
  const decoded = tileHeight + 2 * BORDER + 3 * lh + 4;
  if (kind === "pairs") return { width: 2 * (tileWidth + 2 * BORDER) + PAIR_GAP, height: lh + decoded };
  const withTrue = kind === "side_by_side" ? lh + tileHeight + 2 * BORDER + 4 + lh : 0;
  return { width: tileWidth + 2 * BORDER, height: decoded + withTrue };
}

/** Geometry for `n` tiles with `cols` columns at `tileWidth`, including the wrapped header/footer. */
function geometryFor(req: SheetContext, n: number, cols: number, tileWidth: number): SheetGeometry {
  const tileHeight = tileHeightFor(req.movie, tileWidth);
  const labelWidth = req.kind === "pairs" ? 2 * tileWidth + PAIR_GAP : tileWidth;
  const fontSize = fontSizeForChars(req.label_chars, labelWidth, 13, 9);
  const cell = cellSize(req.kind, tileWidth, tileHeight, fontSize);
  const rows = Math.ceil(n / cols);
  const width = Math.max(MIN_CANVAS_WIDTH, 2 * MARGIN + cols * cell.width + (cols - 1) * GAP);
  const header = headerBlock(req, n, width - 2 * MARGIN);
  const footer = footerBlock(req, width - 2 * MARGIN);
  const height = MARGIN + header.height + GAP + rows * cell.height + (rows - 1) * GAP + GAP + footer.height + MARGIN;
  return { cols, rows, tileWidth, tileHeight, fontSize, cellWidth: cell.width, cellHeight: cell.height, width, height, header, footer };
}

function fits(g: SheetGeometry, budget: Pick<ImageBudget, "max_long_side" | "max_pixels">): boolean {
  return Math.max(g.width, g.height) <= budget.max_long_side && g.width * g.height <= budget.max_pixels;
}

/** Tie-break between column counts with equal tiles: prefer a screen-like 16:10 sheet without empty cells. */
function layoutPenalty(g: SheetGeometry, n: number): number {
  return Math.abs(Math.log(g.width / g.height / 1.6)) + (g.cols * g.rows - n) / n;
}

/**
 * The grid with the largest tiles (≤ maxTile, ≥ minTile) that fits the pixel budget, or undefined
 * when even minTile does not fit. For each column count the largest fitting width is found by
 * bisection (fitting is monotone in tile width).
 */
function fitGeometry(
  req: SheetContext,
  n: number,
  minTile: number,
  maxTile: number,
  budget: Pick<ImageBudget, "max_long_side" | "max_pixels">,
): SheetGeometry | undefined {
  let best: SheetGeometry | undefined;
  for (let cols = 1; cols <= n; cols++) {
    if (!fits(geometryFor(req, n, cols, minTile), budget)) continue;
    let lo = minTile;
    let hi = maxTile;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits(geometryFor(req, n, cols, mid), budget)) lo = mid;
      else hi = mid - 1;
    }
    const g = geometryFor(req, n, cols, lo);
    if (!best || g.tileWidth > best.tileWidth || (g.tileWidth === best.tileWidth && layoutPenalty(g, n) < layoutPenalty(best, n))) best = g;
  }
  return best;
}

/** Draw the sheet: tiles copied into an RGB canvas, borders and text as one SVG overlay. */
async function drawSheet(req: SheetRequest, rows: DecodedRow[], g: SheetGeometry): Promise<{ raw: RawImage; regions: TileRegion[] }> {
  const canvas = new RgbCanvas(g.width, g.height);
  const tiles = new TileSource(req.movie, g.tileWidth, g.tileHeight);
  const lh = lineHeight(g.fontSize);
  const gridTop = MARGIN + g.header.height + GAP;
  const svg: string[] = [drawTextBlock(g.header, MARGIN, MARGIN)];
  const regions: TileRegion[] = [];
  for (const [i, row] of rows.entries()) {
    const x0 = MARGIN + (i % g.cols) * (g.cellWidth + GAP);
    let y = gridTop + Math.floor(i / g.cols) * (g.cellHeight + GAP);
    if (req.kind === "side_by_side") {
      svg.push(svgText(x0, y + g.fontSize, "on screen", { size: g.fontSize, fill: "#555" }));
      y += lh;
      const region = tileRegion(row, "true", row.true_frame, x0 + BORDER, y + BORDER, g);
      await drawTile(canvas, tiles, region, svg, "#9a9a9a", g.fontSize);
      regions.push(region);
      y += g.tileHeight + 2 * BORDER + 4;
      svg.push(svgText(x0, y + g.fontSize, "decoded (retrieved)", { size: g.fontSize, fill: "#555", weight: "bold" }));
      y += lh;
    }
    let xd = x0;
    if (req.kind === "pairs") {
      xd = x0 + g.tileWidth + 2 * BORDER + PAIR_GAP;
      svg.push(svgText(x0, y + g.fontSize, "on screen", { size: g.fontSize, fill: "#555" }));
      svg.push(svgText(xd, y + g.fontSize, "decoded (retrieved)", { size: g.fontSize, fill: "#555", weight: "bold" }));
      y += lh;
      const region = tileRegion(row, "true", row.true_frame, x0 + BORDER, y + BORDER, g);
      await drawTile(canvas, tiles, region, svg, "#9a9a9a", g.fontSize);
      regions.push(region);
    }
    const region = tileRegion(row, "decoded", row.predicted_frame, xd + BORDER, y + BORDER, g);
    await drawTile(canvas, tiles, region, svg, STATUS_COLOUR[decodeStatus(row, req.summary.window_frames)], g.fontSize);
    regions.push(region);
    y += g.tileHeight + 2 * BORDER + 2;
    decodedTileLines(row, req.summary.window_frames).forEach((line, k) =>
      svg.push(svgText(x0, y + (k + 1) * lh - 3, line, { size: g.fontSize })),
    );
  }
  svg.push(drawTextBlock(g.footer, MARGIN, g.height - MARGIN - g.footer.height));
  return { raw: await canvas.withOverlay(svgDocument(g.width, g.height, svg.join(""))), regions };
}

function tileRegion(row: DecodedRow, role: TileRegion["role"], frame: number | null, x: number, y: number, g: SheetGeometry): TileRegion {
  return { sample: row.sample, role, frame, x, y, width: g.tileWidth, height: g.tileHeight };
}

/** Copy a movie frame into the region (or draw a "no frame" placeholder) and frame it with a border. */
async function drawTile(canvas: RgbCanvas, tiles: TileSource, r: TileRegion, svg: string[], border: string, fontSize: number): Promise<void> {
  if (r.frame === null) {
    svg.push(svgRect(r.x, r.y, r.width, r.height, "#e4e4e4"));
    svg.push(svgText(r.x + r.width / 2, r.y + r.height / 2 + fontSize / 3, "no frame on screen", { size: fontSize, fill: "#555", anchor: "middle" }));
  } else {
    canvas.blitGray(await tiles.frame(r.frame), r.x, r.y, r.width, r.height);
  }
  // Stroke centred BORDER/2 outside the tile covers exactly the BORDER-pixel ring around it.
  svg.push(svgRect(r.x - BORDER / 2, r.y - BORDER / 2, r.width + BORDER, r.height + BORDER, "none", border, BORDER));
}

/** Provenance of each shown row: its sample, the frame on screen and the frame retrieved. */
export function framesShown(rows: DecodedRow[]): FrameShown[] {
  return rows.map((r) => ({ sample: r.sample, true_frame: r.true_frame, predicted_frame: r.predicted_frame }));
}

/**
 * Render the budget-fitted preview: the largest tiles that fit the pixel limits, re-encoded along
 * the still ladder; if the bytes still do not fit, smaller tiles; if tiles would drop below
 * MIN_TILE_WIDTH, fewer samples (evenly thinned). Every reduction is reported in `notes`.
 */
export async function renderSheetPreview(request: SheetRequest, budget: ImageBudget, notes: string[]): Promise<ReconstructionImage> {
  const req = contextOf(request);
  let rows = req.rows;
  let maxTile = nativeTileWidth(req.movie);
  let ladder = STILL_LADDER;
  for (;;) {
    const g = fitGeometry(req, rows.length, MIN_TILE_WIDTH, maxTile, budget);
    if (!g) {
      rows = thinForBudget(rows, notes, `tiles ≥ ${MIN_TILE_WIDTH} px wide would not fit ${budget.max_long_side} px / ${(budget.max_pixels / 1e6).toFixed(2)} MP`);
      maxTile = nativeTileWidth(req.movie);
      continue;
    }
    const { raw, regions } = await drawSheet(req, rows, g);
    const encoded = await encodeWithinBytes(raw, budget.max_base64_bytes, ladder);
    if (encoded.fits) {
      const note = ladderNote("preview", encoded, budget.max_base64_bytes);
      if (note) notes.push(note);
      if (g.tileWidth < nativeTileWidth(req.movie)) notes.push(`preview tiles are ${g.tileWidth}×${g.tileHeight} px (movie frames are ${req.movie.width}×${req.movie.height})`);
      return { data: encoded.data, mime_type: mimeOf(encoded.step), width: g.width, height: g.height, pages: 1, frames_shown: framesShown(rows), regions };
    }
    const smallest = Math.min(...encoded.attempts.map((a) => a.base64_bytes));
    const next = Math.floor(g.tileWidth * Math.max(0.6, Math.min(0.9, Math.sqrt(budget.max_base64_bytes / smallest))));
    ladder = retryLadder(STILL_LADDER);
    if (next < MIN_TILE_WIDTH) {
      rows = thinForBudget(rows, notes, `${rows.length} tiles were still ${kB(smallest)} base64 at ${g.tileWidth} px`);
      maxTile = nativeTileWidth(req.movie);
    } else {
      notes.push(`tiles reduced to ≤ ${next} px wide: ${g.tileWidth} px tiles were ${kB(smallest)} base64 (limit ${kB(budget.max_base64_bytes)})`);
      maxTile = next;
    }
  }
}

function thinForBudget(rows: DecodedRow[], notes: string[], reason: string): DecodedRow[] {
  if (rows.length <= 1) throw new Error(`renderSheetPreview: a single tile does not fit the budget (${reason})`);
  const keep = Math.max(1, Math.floor(rows.length * 0.75));
  notes.push(`preview reduced from ${rows.length} to ${keep} samples (evenly spaced): ${reason}`);
  return evenlySpaced(rows.length, keep).map((i) => rows[i]!);
}

/** Render all requested samples at native tile size as a PNG (no budget; for writing to disk). */
export async function renderSheetFullResolution(request: SheetRequest): Promise<FullResolutionImage> {
  const req = contextOf(request);
  const tile = nativeTileWidth(req.movie);
  const unlimited = { max_long_side: Number.MAX_SAFE_INTEGER, max_pixels: Number.MAX_SAFE_INTEGER };
  const g = fitGeometry(req, req.rows.length, tile, tile, unlimited)!;
  const { raw } = await drawSheet(req, req.rows, g);
  const data = await encodeRaw(raw, { format: "png", fast: true });
  return { name: `reconstruction-${req.kind}.png`, data, mime_type: "image/png", width: g.width, height: g.height, frames_shown: framesShown(req.rows) };
}
