/** Shared checks for render tests: decoded images really are valid and within the client budget. */
import assert from "node:assert/strict";
import sharp, { type Metadata } from "sharp";
import { base64Length, CLIENT_IMAGE_BUDGET, type ImageBudget } from "../../src/render/budget.js";
import type { PreviewImage } from "../../src/render/types.js";

/** Decode the image with sharp and check format, declared size, pixel limits and base64 size. */
export async function assertWithinBudget(img: PreviewImage, budget: ImageBudget = CLIENT_IMAGE_BUDGET): Promise<Metadata> {
  const meta = await sharp(img.data, { pages: -1 }).metadata();
  assert.equal(`image/${meta.format}`, img.mime_type, "mime type matches the encoded format");
  const pageHeight = meta.pageHeight ?? meta.height;
  assert.equal(meta.width, img.width, "declared width");
  assert.equal(pageHeight, img.height, "declared (page) height");
  assert.ok(Math.max(meta.width, pageHeight) <= budget.max_long_side, `long side ${Math.max(meta.width, pageHeight)} ≤ ${budget.max_long_side}`);
  assert.ok(meta.width * pageHeight <= budget.max_pixels, `${meta.width}×${pageHeight} ≤ ${budget.max_pixels} px`);
  assert.ok(base64Length(img.data.length) <= budget.max_base64_bytes, `base64 ${base64Length(img.data.length)} ≤ ${budget.max_base64_bytes}`);
  return meta;
}

/** Mean and standard deviation of the grey level (first channel) in a rectangle of an image (one page). */
export async function regionStats(data: Buffer, rect: { x: number; y: number; width: number; height: number }, page = 0): Promise<{ mean: number; stdev: number }> {
  // sharp's stats() describes the whole input, not the extracted region, so compute them here.
  const { data: px, info } = await sharp(data, { page })
    .extract({ left: Math.round(rect.x), top: Math.round(rect.y), width: Math.round(rect.width), height: Math.round(rect.height) })
    .raw()
    .toBuffer({ resolveWithObject: true });
  let sum = 0;
  let sumSq = 0;
  const n = info.width * info.height;
  for (let i = 0; i < px.length; i += info.channels) {
    sum += px[i]!;
    sumSq += px[i]! * px[i]!;
  }
  const mean = sum / n;
  return { mean, stdev: Math.sqrt(Math.max(0, sumSq / n - mean * mean)) };
}

/** Mean grey level of one movie frame. */
export function frameMean(frames: Uint8Array, index: number, height: number, width: number): number {
  let s = 0;
  const size = height * width;
  for (let i = index * size; i < (index + 1) * size; i++) s += frames[i]!;
  return s / size;
}
