/**
 * Small SVG building blocks used by every renderer. All text that reaches SVG goes through
 * `escapeXml` (ids, file names and class names come from users and may contain `<`, `&`, quotes).
 * Text width is estimated, not measured: labels full of digits are sized with 0.62 em per glyph
 * (DejaVu Sans digits are 0.636 em), running text is wrapped at 0.56 em (measured ≈0.52 em on
 * our captions), so fitted and wrapped text does not overflow.
 */
import { roundTo } from "../util/stats.js";

/** Font stack for every SVG text element (Debian fonts-dejavu-core; see fonts.ts). */
const FONT_FAMILY = "DejaVu Sans, sans-serif";

/** Conservative glyph advance of DejaVu Sans for labels (digits are 0.636 em), in em. */
const CHAR_WIDTH_EM = 0.62;

/** Average glyph advance of DejaVu Sans in running text (mostly lower-case letters), in em. */
const PROSE_CHAR_WIDTH_EM = 0.56;

/** Escape the five XML special characters so arbitrary text is safe inside SVG text and attributes. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => XML_ENTITIES[c]!);
}

const XML_ENTITIES: Record<string, string> = { "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" };

/** Estimated rendered width of `text` in pixels at `fontSize`. */
export function textWidth(text: string, fontSize: number): number {
  return [...text].length * fontSize * CHAR_WIDTH_EM;
}

/** Largest font size (≤ max, ≥ min) at which `chars` characters fit in `width` pixels. */
export function fontSizeForChars(chars: number, width: number, max: number, min: number): number {
  return Math.max(min, Math.min(max, Math.floor(width / (Math.max(1, chars) * CHAR_WIDTH_EM))));
}

/** Bold DejaVu Sans is about this much wider than the regular weight. */
const BOLD_WIDTH_FACTOR = 1.12;

/** Greedy word wrap of `text` into lines no wider than `width` pixels at `fontSize`. */
export function wrapText(text: string, width: number, fontSize: number, bold = false): string[] {
  const em = PROSE_CHAR_WIDTH_EM * (bold ? BOLD_WIDTH_FACTOR : 1);
  const maxChars = Math.max(8, Math.floor(width / (fontSize * em)));
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    const candidate = line ? `${line} ${word}` : word;
    if ([...candidate].length <= maxChars || !line) line = candidate;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** Options of one SVG text element. */
interface TextStyle {
  size: number;
  fill?: string;
  weight?: "normal" | "bold";
  anchor?: "start" | "middle" | "end";
  /** Rotation in degrees around (x, y). */
  rotate?: number;
}

/** One `<text>` element at baseline (x, y); the text is XML-escaped here. */
export function svgText(x: number, y: number, text: string, style: TextStyle): string {
  const attrs = [
    `x="${fmt(x)}"`,
    `y="${fmt(y)}"`,
    `font-family="${FONT_FAMILY}"`,
    `font-size="${style.size}"`,
    `fill="${style.fill ?? "#111"}"`,
  ];
  if (style.weight === "bold") attrs.push(`font-weight="bold"`);
  if (style.anchor && style.anchor !== "start") attrs.push(`text-anchor="${style.anchor}"`);
  if (style.rotate) attrs.push(`transform="rotate(${style.rotate} ${fmt(x)} ${fmt(y)})"`);
  return `<text ${attrs.join(" ")}>${escapeXml(text)}</text>`;
}

/** A paragraph for `textBlock`: wrapped to the block width, drawn in its own style. */
interface Paragraph extends TextStyle {
  text: string;
}

/** Wrapped paragraphs laid out top to bottom; `height` is the total height in pixels. */
export interface TextBlock {
  lines: { text: string; style: TextStyle; baseline: number }[];
  height: number;
}

/** Line height used for a font size (1.3 em, rounded). */
export function lineHeight(fontSize: number): number {
  return Math.round(fontSize * 1.3);
}

/** Wrap paragraphs to `width` and stack them; baselines are relative to the block's top. */
export function textBlock(paragraphs: Paragraph[], width: number): TextBlock {
  const lines: TextBlock["lines"] = [];
  let y = 0;
  for (const { text, ...style } of paragraphs) {
    const lh = lineHeight(style.size);
    for (const line of wrapText(text, width, style.size, style.weight === "bold")) {
      lines.push({ text: line, style, baseline: y + Math.round(style.size * 0.95) });
      y += lh;
    }
  }
  return { lines, height: y };
}

/** SVG of a text block whose top-left corner is at (x, y). */
export function drawTextBlock(block: TextBlock, x: number, y: number): string {
  return block.lines.map((l) => svgText(x, y + l.baseline, l.text, l.style)).join("");
}

/** A filled and/or stroked rectangle. */
export function svgRect(x: number, y: number, w: number, h: number, fill: string, stroke?: string, strokeWidth = 1): string {
  const strokeAttr = stroke ? ` stroke="${stroke}" stroke-width="${strokeWidth}"` : "";
  return `<rect x="${fmt(x)}" y="${fmt(y)}" width="${fmt(w)}" height="${fmt(h)}" fill="${fill}"${strokeAttr}/>`;
}

/** A straight line segment. */
export function svgLine(x1: number, y1: number, x2: number, y2: number, stroke: string, width = 1, dash?: string): string {
  const dashAttr = dash ? ` stroke-dasharray="${dash}"` : "";
  return `<line x1="${fmt(x1)}" y1="${fmt(y1)}" x2="${fmt(x2)}" y2="${fmt(y2)}" stroke="${stroke}" stroke-width="${width}"${dashAttr}/>`;
}

/** A complete SVG document of the given pixel size; `scale` renders the same drawing larger. */
export function svgDocument(width: number, height: number, body: string, scale = 1): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.round(width * scale)}" height="${Math.round(height * scale)}" ` +
    `viewBox="0 0 ${width} ${height}">${body}</svg>`
  );
}

/** Number formatting for SVG coordinates (2 decimals, no trailing zeros). */
export function fmt(v: number): string {
  return String(roundTo(v, 2));
}
