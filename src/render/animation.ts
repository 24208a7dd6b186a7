/**
 * The `animation` layout: an animated WebP (and, on disk, a GIF for slide software), one page per selected sample, showing the frame on
 * screen (left) next to the decoded, retrieved frame (right) with labels burned in.
 * Pages are drawn at their final size and stacked into one tall raw buffer with `pageHeight`
 * (resizing multi-page input in sharp breaks animations, so nothing is resized afterwards).
 */
import sharp from "sharp";
import {
  ANIMATION_LADDER,
  encodeRaw,
  encodeWithinBytes,
  fitsDimensions,
  kB,
  ladderNote,
  mimeOf,
  retryLadder,
  type ImageBudget,
  type RawImage,
} from "./budget.js";
import { RgbCanvas, TileSource, tileHeightFor } from "./canvas.js";
import { decodedTileLines, decodeStatus, referenceLine, RETRIEVAL_STATEMENT, STATUS_COLOUR } from "./labels.js";
import { evenlySpaced } from "./selection.js";
import { drawTextBlock, fontSizeForChars, lineHeight, svgDocument, svgRect, svgText, textBlock, type TextBlock } from "./svg.js";
import { framesShown, MIN_TILE_WIDTH, nativeTileWidth } from "./tile-sheet.js";
import type { DecodedRow, FullResolutionImage, MovieFrames, ReconstructionImage, ReconstructionSummary, TileRegion } from "./types.js";

interface AnimationRequest {
  rows: DecodedRow[];
  movie: MovieFrames;
  summary: ReconstructionSummary;
  /** Display time of each page in ms (1000 / frame rate). */
  delay_ms: number;
}

const BORDER = 3;
const GAP = 12;
const MARGIN = 8;
/** Preview tiles start no wider than this: an animation multiplies every pixel by the page count. */
const MAX_PREVIEW_TILE_WIDTH = 360;

interface PageGeometry {
  tileWidth: number;
  tileHeight: number;
  fontSize: number;
  width: number;
  height: number;
  footer: TextBlock;
}

/**
 * The caption under every page: which decoding, its accuracy over all test samples, and the reference
 * points (chance and the controls) that make the accuracy readable, as in the other layouts' headers.
 */
export function animationCaption(summary: ReconstructionSummary): string[] {
  const accuracy = summary.accuracy !== undefined ? ` · accuracy ${(summary.accuracy * 100).toFixed(1)}% (|error| < ${summary.window_frames} frames, all test samples)` : "";
  const reference = referenceLine(summary);
  return [`decoding ${summary.decoding_id}${summary.recording_id ? ` · recording ${summary.recording_id}` : ""}${accuracy}`, ...(reference ? [reference] : [])];
}

function geometryFor(req: AnimationRequest, tileWidth: number): PageGeometry {
  const tileHeight = tileHeightFor(req.movie, tileWidth);
  const chars = Math.max(...req.rows.flatMap((r) => decodedTileLines(r, req.summary.window_frames)).map((l) => [...l].length));
  const fontSize = fontSizeForChars(chars, tileWidth, 14, 9);
  const width = 2 * MARGIN + 2 * (tileWidth + 2 * BORDER) + GAP;
  const footer = textBlock(
    [
      { text: RETRIEVAL_STATEMENT, size: Math.max(9, fontSize - 1), weight: "bold", fill: "#8c3b00" },
      ...animationCaption(req.summary).map((text) => ({ text, size: Math.max(9, fontSize - 2), fill: "#333" })),
    ],
    width - 2 * MARGIN,
  );
  const lh = lineHeight(fontSize);
  const height = MARGIN + lh + lh + tileHeight + 2 * BORDER + 3 * lh + 6 + footer.height + MARGIN;
  return { tileWidth, tileHeight, fontSize, width, height, footer };
}

/** Tile positions on every page: true on the left, decoded on the right. */
function pageRegions(g: PageGeometry, row: DecodedRow): TileRegion[] {
  const y = MARGIN + 2 * lineHeight(g.fontSize) + BORDER;
  const common = { sample: row.sample, y, width: g.tileWidth, height: g.tileHeight };
  return [
    { ...common, role: "true", frame: row.true_frame, x: MARGIN + BORDER },
    { ...common, role: "decoded", frame: row.predicted_frame, x: MARGIN + g.tileWidth + 2 * BORDER + GAP + BORDER },
  ];
}

/** Draw one page: header with time and position, the two tiles with borders, labels, footer. */
async function drawPage(req: AnimationRequest, g: PageGeometry, tiles: TileSource, row: DecodedRow, index: number, count: number): Promise<Buffer> {
  const canvas = new RgbCanvas(g.width, g.height);
  const lh = lineHeight(g.fontSize);
  const [trueRegion, decodedRegion] = pageRegions(g, row) as [TileRegion, TileRegion];
  const style = { size: g.fontSize };
  const svg: string[] = [
    svgText(MARGIN, MARGIN + g.fontSize, `t=${row.time_s.toFixed(2)} s · sample ${row.sample} · ${index + 1}/${count}`, { ...style, weight: "bold" }),
    svgText(trueRegion.x - BORDER, MARGIN + lh + g.fontSize, "on screen", { ...style, fill: "#555" }),
    svgText(decodedRegion.x - BORDER, MARGIN + lh + g.fontSize, "decoded (retrieved)", { ...style, fill: "#555", weight: "bold" }),
  ];
  if (row.true_frame === null) {
    svg.push(svgRect(trueRegion.x, trueRegion.y, g.tileWidth, g.tileHeight, "#e4e4e4"));
    svg.push(svgText(trueRegion.x + g.tileWidth / 2, trueRegion.y + g.tileHeight / 2, "no frame on screen", { ...style, anchor: "middle", fill: "#555" }));
  } else {
    canvas.blitGray(await tiles.frame(row.true_frame), trueRegion.x, trueRegion.y, g.tileWidth, g.tileHeight);
  }
  canvas.blitGray(await tiles.frame(row.predicted_frame), decodedRegion.x, decodedRegion.y, g.tileWidth, g.tileHeight);
  svg.push(borderRect(trueRegion, "#9a9a9a"), borderRect(decodedRegion, STATUS_COLOUR[decodeStatus(row, req.summary.window_frames)]));
  const labelTop = trueRegion.y + g.tileHeight + BORDER + 2;
  svg.push(svgText(trueRegion.x - BORDER, labelTop + lh - 3, row.true_frame === null ? "true n/a" : `true #${row.true_frame}`, style));
  decodedTileLines(row, req.summary.window_frames).forEach((line, k) =>
    svg.push(svgText(decodedRegion.x - BORDER, labelTop + (k + 1) * lh - 3, line, style)),
  );
  svg.push(drawTextBlock(g.footer, MARGIN, g.height - MARGIN - g.footer.height));
  return (await canvas.withOverlay(svgDocument(g.width, g.height, svg.join("")))).data;
}

function borderRect(r: TileRegion, colour: string): string {
  return svgRect(r.x - BORDER / 2, r.y - BORDER / 2, r.width + BORDER, r.height + BORDER, "none", colour, BORDER);
}

/** Draw all pages (a few at a time) and stack them into one raw animation buffer. */
async function drawAnimation(req: AnimationRequest, rows: DecodedRow[], g: PageGeometry): Promise<RawImage> {
  const tiles = new TileSource(req.movie, g.tileWidth, g.tileHeight);
  const pages: Buffer[] = [];
  const chunk = 8;
  for (let i = 0; i < rows.length; i += chunk) {
    const batch = rows.slice(i, i + chunk).map((row, k) => drawPage(req, g, tiles, row, i + k, rows.length));
    pages.push(...(await Promise.all(batch)));
  }
  return {
    data: Buffer.concat(pages),
    width: g.width,
    height: g.height * rows.length,
    channels: 3,
    pageHeight: g.height,
    delay_ms: new Array<number>(rows.length).fill(req.delay_ms),
  };
}

/** Largest tile width ≤ maxTile whose page fits the pixel limits. */
function fitPage(req: AnimationRequest, maxTile: number, budget: ImageBudget): PageGeometry {
  let tw = maxTile;
  let g = geometryFor(req, tw);
  while (!fitsDimensions(g.width, g.height, budget) && tw > MIN_TILE_WIDTH) g = geometryFor(req, (tw = Math.floor(tw * 0.95)));
  return g;
}

/**
 * Render the budget-fitted animated preview: pages within the pixel limits, WebP quality falling
 * along the ladder, then smaller tiles, then fewer pages (evenly thinned); reported in `notes`.
 */
export async function renderAnimationPreview(req: AnimationRequest, budget: ImageBudget, notes: string[]): Promise<ReconstructionImage> {
  let rows = req.rows;
  let maxTile = Math.min(nativeTileWidth(req.movie), MAX_PREVIEW_TILE_WIDTH);
  for (let ladder = ANIMATION_LADDER; ; ladder = retryLadder(ANIMATION_LADDER)) {
    const g = fitPage(req, maxTile, budget);
    const encoded = await encodeWithinBytes(await drawAnimation(req, rows, g), budget.max_base64_bytes, ladder);
    if (encoded.fits) {
      const note = ladderNote("animation preview", encoded, budget.max_base64_bytes);
      if (note) notes.push(note);
      notes.push(`animation preview: ${rows.length} pages of ${g.width}×${g.height} px, ${req.delay_ms} ms each; some clients show only the first page — the full-resolution file has all pages`);
      return { data: encoded.data, mime_type: mimeOf(encoded.step), width: g.width, height: g.height, pages: rows.length, frames_shown: framesShown(rows), regions: rows.flatMap((row, page) => pageRegions(g, row).map((r) => ({ ...r, page }))) };
    }
    const smallest = Math.min(...encoded.attempts.map((a) => a.base64_bytes));
    const next = Math.floor(g.tileWidth * Math.max(0.6, Math.min(0.9, Math.sqrt(budget.max_base64_bytes / smallest))));
    if (next >= MIN_TILE_WIDTH) {
      notes.push(`animation tiles reduced to ≤ ${next} px wide: ${rows.length} pages at ${g.tileWidth} px were ${kB(smallest)} base64`);
      maxTile = next;
      continue;
    }
    if (rows.length <= 1) throw new Error("renderAnimationPreview: one page does not fit the byte budget");
    const keep = Math.max(1, Math.floor(rows.length * Math.min(0.75, budget.max_base64_bytes / smallest)));
    notes.push(`animation preview reduced from ${rows.length} to ${keep} pages (evenly spaced; playback skips samples): still ${kB(smallest)} base64 at ${g.tileWidth} px`);
    rows = evenlySpaced(rows.length, keep).map((i) => rows[i]!);
  }
}

/**
 * Render every requested sample at native tile size for disk: an animated WebP (quality 90) and
 * the same pages as an animated GIF (256 colours per page), since most slide software
 * (PowerPoint, Keynote, Google Slides) plays GIF but not animated WebP.
 */
export async function renderAnimationFullResolution(req: AnimationRequest): Promise<FullResolutionImage[]> {
  const g = geometryFor(req, nativeTileWidth(req.movie));
  const raw = await drawAnimation(req, req.rows, g);
  const webp = await encodeRaw(raw, { format: "webp", quality: 90, fast: true });
  const gif = await encodeAnimatedGif(raw);
  const common = { width: g.width, height: g.height, frames_shown: framesShown(req.rows) };
  return [
    { name: "reconstruction-animation.webp", data: webp, mime_type: "image/webp", ...common },
    { name: "reconstruction-animation.gif", data: gif, mime_type: "image/gif", ...common },
  ];
}

/** An animated GIF of stacked pages, looping forever, with each page's delay (GIF counts in 10 ms units). */
export async function encodeAnimatedGif(raw: RawImage): Promise<Buffer> {
  if (!raw.pageHeight) throw new Error("encodeAnimatedGif: pages need a pageHeight");
  const pages = raw.height / raw.pageHeight;
  const delay = raw.delay_ms && raw.delay_ms.length === pages ? raw.delay_ms.map((d) => Math.max(20, Math.round(d / 10) * 10)) : new Array<number>(pages).fill(100);
  return sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels, pageHeight: raw.pageHeight } })
    .gif({ delay, loop: 0, effort: 4, dither: 0 })
    .toBuffer();
}
