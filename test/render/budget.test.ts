import test from "node:test";
import assert from "node:assert/strict";
import sharp from "sharp";
import {
  base64Length,
  CLIENT_IMAGE_BUDGET,
  encodeWithinBytes,
  fitDimensions,
  fitsDimensions,
  fitToBudget,
  resizePages,
  resolveBudget,
  STILL_LADDER,
  type RawImage,
} from "../../src/render/budget.js";
import { assertWithinBudget } from "./assertions.js";

/** Deterministic noise (incompressible), 3 channels. */
function noise(width: number, height: number, seed = 1): RawImage {
  const data = Buffer.alloc(width * height * 3);
  let x = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    data[i] = x >>> 24;
  }
  return { data, width, height, channels: 3 };
}

test("base64Length and dimension fitting", () => {
  assert.equal(base64Length(0), 0);
  assert.equal(base64Length(1), 4);
  assert.equal(base64Length(3), 4);
  assert.equal(base64Length(4), 8);
  assert.deepEqual(fitDimensions(800, 600, CLIENT_IMAGE_BUDGET), { width: 800, height: 600 });
  const wide = fitDimensions(4000, 1000, CLIENT_IMAGE_BUDGET);
  assert.equal(wide.width, 1568);
  assert.equal(wide.height, 392);
  const square = fitDimensions(2000, 2000, CLIENT_IMAGE_BUDGET);
  assert.ok(square.width * square.height <= 1_150_000 && square.width === square.height);
  assert.ok(fitsDimensions(1568, 700, CLIENT_IMAGE_BUDGET));
  assert.ok(!fitsDimensions(1569, 10, CLIENT_IMAGE_BUDGET));
  assert.ok(!fitsDimensions(1100, 1100, CLIENT_IMAGE_BUDGET));
  assert.deepEqual(resolveBudget({ max_base64_bytes: 10_000_000, max_long_side: 800 }), { max_long_side: 800, max_pixels: 1_150_000, max_base64_bytes: 750_000 });
});

test("encodeWithinBytes walks the ladder from PNG to JPEG", async () => {
  const raw = noise(300, 200);
  const loose = await encodeWithinBytes(raw, 10_000_000, STILL_LADDER);
  assert.equal(loose.step.format, "png");
  assert.equal(loose.attempts.length, 1);
  const pngSize = loose.attempts[0]!.base64_bytes;
  const tight = await encodeWithinBytes(raw, Math.floor(pngSize / 2), STILL_LADDER);
  assert.equal(tight.fits, true);
  assert.equal(tight.step.format, "jpeg");
  assert.ok(base64Length(tight.data.length) <= pngSize / 2);
  const impossible = await encodeWithinBytes(raw, 100, STILL_LADDER);
  assert.equal(impossible.fits, false);
  assert.equal(impossible.attempts.length, STILL_LADDER.length);
});

test("fitToBudget passes small images through unchanged", async () => {
  const png = await sharp(Buffer.alloc(64 * 32 * 3, 200), { raw: { width: 64, height: 32, channels: 3 } }).png().toBuffer();
  const fitted = await fitToBudget(png);
  assert.equal(fitted.data, png);
  assert.deepEqual(fitted.notes, []);
  assert.equal(fitted.mime_type, "image/png");
});

test("fitToBudget scales and re-encodes a large noisy image until it fits", async () => {
  const raw = noise(2400, 1500, 7);
  const png = await sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer();
  assert.ok(base64Length(png.length) > 750_000);
  const fitted = await fitToBudget(png);
  await assertWithinBudget({ ...fitted });
  assert.equal(fitted.mime_type, "image/jpeg");
  assert.ok(fitted.notes.some((n) => n.includes("scaled from 2400×1500")), fitted.notes.join(" | "));
  const tighter = await fitToBudget(png, { max_base64_bytes: 60_000 });
  await assertWithinBudget(tighter, resolveBudget({ max_base64_bytes: 60_000 }));
  assert.ok(tighter.width < fitted.width, "smaller byte budget → smaller image");
});

test("fitToBudget converts SVG input to a raster", async () => {
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="3000" height="500"><rect width="3000" height="500" fill="#3366cc"/></svg>`);
  const fitted = await fitToBudget(svg);
  await assertWithinBudget(fitted);
  assert.equal(fitted.width, 1568);
});

test("animations are resized page by page, keeping page count and delays", async () => {
  const pages = 5;
  // Distinct smooth pages (the WebP encoder merges identical consecutive frames; noise would also shrink for bytes).
  const page = (p: number) => Buffer.from(Array.from({ length: 1800 * 300 * 3 }, (_, i) => ((i / 3) % 1800) / 8 + p * 20));
  const tall: RawImage = { data: Buffer.concat(Array.from({ length: pages }, (_, p) => page(p))), width: 1800, height: 300 * pages, channels: 3, pageHeight: 300 };
  const webp = await sharp(tall.data, { raw: { width: 1800, height: 300 * pages, channels: 3, pageHeight: 300 } })
    .webp({ delay: new Array(pages).fill(50), loop: 0, quality: 50 })
    .toBuffer();
  const fitted = await fitToBudget(webp);
  const meta = await assertWithinBudget(fitted);
  assert.equal(meta.pages, pages);
  assert.equal(fitted.pages, pages);
  assert.deepEqual(meta.delay, new Array(pages).fill(50));
  assert.equal(fitted.width, 1568);
  const resized = await resizePages(tall, 180, 30);
  assert.equal(resized.height, 30 * pages);
  assert.equal(resized.pageHeight, 30);
  assert.equal(resized.data.length, 180 * 30 * pages * 3);
});
