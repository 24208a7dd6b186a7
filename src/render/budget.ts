/**
 * Fitting images into what MCP clients accept inline (see docs reference mcp-clients.md §4–5):
 * ≤ 1568 px on the long side, ≤ 1.15 megapixels, and a whole tool result well under 1 MiB —
 * we keep the base64 of all previews of one result under 750 kB. Oversized images break client
 * sessions permanently, so every preview goes through these helpers.
 *
 * Strategy: first fit the pixel dimensions, then walk an encoding ladder (lossless PNG, then lossy
 * at falling quality); if even the last rung is too big, scale down and try again.
 * Animated images are resized page by page (sharp's resize on multi-page input breaks animations).
 */
import sharp from "sharp";

/** Limits one inline image (or a set of previews sharing `max_base64_bytes`) must respect. */
export interface ImageBudget {
  /** Longest side in pixels (per page for animations). */
  max_long_side: number;
  /** Width × height in pixels (per page for animations). */
  max_pixels: number;
  /** Size of the base64 encoding in bytes. */
  max_base64_bytes: number;
}

/** The default budget for one tool result's inline previews. */
export const CLIENT_IMAGE_BUDGET: ImageBudget = Object.freeze({
  max_long_side: 1568,
  max_pixels: 1_150_000,
  max_base64_bytes: 750_000,
});

/** Complete a partial budget with the client defaults; a partial budget may only tighten limits. */
export function resolveBudget(partial?: Partial<ImageBudget>): ImageBudget {
  const b = { ...CLIENT_IMAGE_BUDGET, ...partial };
  return {
    max_long_side: Math.min(b.max_long_side, CLIENT_IMAGE_BUDGET.max_long_side),
    max_pixels: Math.min(b.max_pixels, CLIENT_IMAGE_BUDGET.max_pixels),
    max_base64_bytes: Math.min(b.max_base64_bytes, CLIENT_IMAGE_BUDGET.max_base64_bytes),
  };
}

/** Length of the base64 encoding of `byteLength` bytes. */
export function base64Length(byteLength: number): number {
  return 4 * Math.ceil(byteLength / 3);
}

/** True when a width × height image respects the budget's pixel limits. */
export function fitsDimensions(width: number, height: number, budget: ImageBudget): boolean {
  return Math.max(width, height) <= budget.max_long_side && width * height <= budget.max_pixels;
}

/** Largest size with the same aspect ratio, no larger than the input, that fits the pixel limits. */
export function fitDimensions(width: number, height: number, budget: ImageBudget): { width: number; height: number } {
  const scale = Math.min(1, budget.max_long_side / Math.max(width, height), Math.sqrt(budget.max_pixels / (width * height)));
  if (scale >= 1) return { width, height };
  // The epsilon keeps exact limits (3000 × 1568/3000 = 1567.9999…) from rounding down a pixel.
  return { width: Math.max(1, Math.floor(width * scale + 1e-6)), height: Math.max(1, Math.floor(height * scale + 1e-6)) };
}

/** Uncompressed pixels; `pageHeight` (with `delay_ms`) marks a vertical stack of animation pages. */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  pageHeight?: number;
  /** Per-page display time in ms (animations only). */
  delay_ms?: number[];
}

/**
 * One rung of an encoding ladder. `fast` trades size for speed (PNG zlib level 6 instead of 9,
 * WebP effort 0 instead of 2): for full-resolution files, which have no byte budget.
 */
type EncodeStep = { format: "png"; fast?: boolean } | { format: "jpeg" | "webp"; quality: number; fast?: boolean };

/** Stills: lossless first, then JPEG with full chroma resolution (keeps coloured label text crisp). */
export const STILL_LADDER: readonly EncodeStep[] = Object.freeze([
  { format: "png" },
  { format: "jpeg", quality: 88 },
  { format: "jpeg", quality: 76 },
  { format: "jpeg", quality: 62 },
]);

/** Animations: lossy WebP at falling quality. */
export const ANIMATION_LADDER: readonly EncodeStep[] = Object.freeze([
  { format: "webp", quality: 88 },
  { format: "webp", quality: 75 },
  { format: "webp", quality: 60 },
  { format: "webp", quality: 45 },
]);

const MIME: Record<EncodeStep["format"], string> = { png: "image/png", jpeg: "image/jpeg", webp: "image/webp" };

/** MIME type of an encode step's output. */
export function mimeOf(step: EncodeStep): string {
  return MIME[step.format];
}

/** Human-readable name of an encode step, e.g. "JPEG q76". */
function describeStep(step: EncodeStep): string {
  return step.format === "png" ? "PNG" : `${step.format.toUpperCase()} q${step.quality}`;
}

/** Encode raw pixels (animated WebP when `pageHeight` is set: one delay per page, looping). */
export async function encodeRaw(raw: RawImage, step: EncodeStep): Promise<Buffer> {
  const pages = raw.pageHeight ? raw.height / raw.pageHeight : 1;
  const img = sharp(raw.data, {
    raw: { width: raw.width, height: raw.height, channels: raw.channels, ...(raw.pageHeight ? { pageHeight: raw.pageHeight } : {}) },
  });
  if (pages > 1 || raw.pageHeight) {
    if (step.format !== "webp") throw new Error(`encodeRaw: animations are encoded as WebP, got ${step.format}`);
    // A scalar delay only applies to the first page in sharp 0.35: pass one value per page.
    const delay = raw.delay_ms && raw.delay_ms.length === pages ? raw.delay_ms : new Array<number>(pages).fill(100);
    return img.webp({ quality: step.quality, delay, loop: 0, effort: step.fast ? 0 : 2 }).toBuffer();
  }
  // Adaptive filtering made montages ≈0.2 % smaller at 4× the time, so it stays off.
  if (step.format === "png") return img.png({ compressionLevel: step.fast ? 6 : 9 }).toBuffer();
  if (step.format === "jpeg") return img.jpeg({ quality: step.quality, chromaSubsampling: "4:4:4" }).toBuffer();
  return img.webp({ quality: step.quality, effort: step.fast ? 0 : 4 }).toBuffer();
}

/**
 * The rungs to try after a whole ladder failed and the image was made smaller: only the two most
 * compressive ones (re-trying lossless encodings of a shrunken image rarely helps and is slow).
 */
export function retryLadder(ladder: readonly EncodeStep[]): readonly EncodeStep[] {
  return ladder.slice(Math.max(0, ladder.length - 2));
}

/** Result of walking an encoding ladder. */
interface LadderResult {
  data: Buffer;
  step: EncodeStep;
  /** True when `data` fits the byte limit (otherwise it is the smallest attempt). */
  fits: boolean;
  /** base64 size of each attempt, for notes. */
  attempts: { step: EncodeStep; base64_bytes: number }[];
}

/** Try each ladder rung in order and return the first encoding whose base64 fits `maxBase64Bytes`. */
export async function encodeWithinBytes(raw: RawImage, maxBase64Bytes: number, ladder: readonly EncodeStep[]): Promise<LadderResult> {
  const attempts: LadderResult["attempts"] = [];
  let best: { data: Buffer; step: EncodeStep } | undefined;
  for (const step of ladder) {
    const data = await encodeRaw(raw, step);
    attempts.push({ step, base64_bytes: base64Length(data.length) });
    if (!best || data.length < best.data.length) best = { data, step };
    if (base64Length(data.length) <= maxBase64Bytes) return { data, step, fits: true, attempts };
  }
  if (!best) throw new Error("encodeWithinBytes: empty ladder");
  return { ...best, fits: false, attempts };
}

/** A note describing a ladder walk that had to leave its first rung. */
export function ladderNote(what: string, result: LadderResult, maxBase64Bytes: number): string | undefined {
  if (result.attempts.length <= 1) return undefined;
  const first = result.attempts[0]!;
  return (
    `${what} encoded as ${describeStep(result.step)} to stay under ${kB(maxBase64Bytes)} base64 ` +
    `(${describeStep(first.step)} would be ${kB(first.base64_bytes)})`
  );
}

/** Bytes as "123 kB". */
export function kB(bytes: number): string {
  return `${Math.round(bytes / 1000)} kB`;
}

/** Resize every page of a stacked animation to `width` × `height` (assembling a new stack). */
export async function resizePages(raw: RawImage, width: number, height: number): Promise<RawImage> {
  const pageHeight = raw.pageHeight ?? raw.height;
  const pages = raw.height / pageHeight;
  const pageBytes = raw.width * pageHeight * raw.channels;
  const resized = await Promise.all(
    Array.from({ length: pages }, (_, p) =>
      sharp(raw.data.subarray(p * pageBytes, (p + 1) * pageBytes), {
        raw: { width: raw.width, height: pageHeight, channels: raw.channels },
      })
        .resize(width, height, { fit: "fill" })
        .raw()
        .toBuffer(),
    ),
  );
  return { ...raw, data: Buffer.concat(resized), width, height: height * pages, ...(raw.pageHeight ? { pageHeight: height } : {}) };
}

/** An image fitted into a budget. */
export interface FittedImage {
  data: Buffer;
  mime_type: string;
  width: number;
  /** Height of one page (= the image height for stills). */
  height: number;
  pages: number;
  /** What was changed to make it fit (empty when the input already fitted). */
  notes: string[];
}

const MIN_FIT_SIDE = 32;

/**
 * Make any image sharp can read (PNG, JPEG, WebP, GIF, animated WebP/GIF, SVG) fit `budget`:
 * scale down to the pixel limits (per page for animations), then re-encode along the ladder
 * (PNG → JPEG for stills, WebP for animations) and keep shrinking until the base64 fits.
 * Returns the input unchanged when it already fits and is PNG/JPEG/WebP/GIF.
 */
export async function fitToBudget(input: Buffer, budget: Partial<ImageBudget> = {}): Promise<FittedImage> {
  const b = resolveBudget(budget);
  const meta = await sharp(input, { pages: -1 }).metadata();
  const pages = meta.pages ?? 1;
  const pageHeight = meta.pageHeight ?? meta.height;
  const width = meta.width;
  const passThrough = ["png", "jpeg", "webp", "gif"].includes(meta.format ?? "");
  if (passThrough && fitsDimensions(width, pageHeight, b) && base64Length(input.length) <= b.max_base64_bytes) {
    return { data: input, mime_type: `image/${meta.format}`, width, height: pageHeight, pages, notes: [] };
  }
  const raw = await decodeRaw(input, pages > 1 ? pageHeight : undefined);
  if (pages > 1) raw.delay_ms = meta.delay && meta.delay.length === pages ? meta.delay : undefined;
  return shrinkUntilFits(raw, pageHeight, b, pages > 1 ? ANIMATION_LADDER : STILL_LADDER);
}

/** Decode to raw pixels (all pages stacked when `pageHeight` is given), transparency flattened onto white. */
async function decodeRaw(input: Buffer, pageHeight: number | undefined): Promise<RawImage> {
  const { data, info } = await sharp(input, { pages: pageHeight ? -1 : 1 })
    .flatten({ background: "#ffffff" })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels, ...(pageHeight ? { pageHeight } : {}) };
}

async function shrinkUntilFits(raw: RawImage, pageHeight: number, b: ImageBudget, ladder: readonly EncodeStep[]): Promise<FittedImage> {
  const pages = raw.height / pageHeight;
  const notes: string[] = [];
  let size = fitDimensions(raw.width, pageHeight, b);
  if (size.width !== raw.width) notes.push(`scaled from ${raw.width}×${pageHeight} to ${size.width}×${size.height} px to fit the pixel limits`);
  for (let rungs = ladder; ; rungs = retryLadder(ladder)) {
    const scaled = size.width === raw.width && size.height === pageHeight ? raw : await resizePages(raw, size.width, size.height);
    const result = await encodeWithinBytes(scaled, b.max_base64_bytes, rungs);
    if (result.fits) {
      const note = ladderNote("image", result, b.max_base64_bytes);
      if (note) notes.push(note);
      return { data: result.data, mime_type: mimeOf(result.step), width: size.width, height: size.height, pages, notes };
    }
    const last = result.attempts[result.attempts.length - 1]!.base64_bytes;
    const factor = Math.max(0.5, Math.min(0.9, 0.95 * Math.sqrt(b.max_base64_bytes / last)));
    const next = { width: Math.floor(size.width * factor), height: Math.floor(size.height * factor) };
    if (Math.min(next.width, next.height) < MIN_FIT_SIDE) {
      throw new Error(`fitToBudget: cannot fit a ${raw.width}×${pageHeight}×${pages} image into ${kB(b.max_base64_bytes)} base64`);
    }
    notes.push(`scaled to ${next.width}×${next.height} px: ${describeStep(result.step)} was still ${kB(last)} base64`);
    size = next;
  }
}
