import test from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { listFrameFiles, readFrameFolder } from "../../src/data/movie.js";
import { UserError } from "../../src/util/errors.js";
import { range, tmpDir } from "./helpers.js";

const W = 8;
const H = 6;
/** Gray value of pixel (y, x) in frame i. */
const gray = (i: number, y: number, x: number) => (i * 20 + y * 2 + x) % 256;

async function writeFrames(dir: string, names: string[], o: { rgb?: boolean; size?: [number, number] } = {}): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const [i, name] of names.entries()) {
    const [w, h] = o.size ?? [W, H];
    const ch = o.rgb ? 3 : 1;
    const raw = Buffer.alloc(w * h * ch);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < ch; c++) raw[(y * w + x) * ch + c] = gray(i, y, x);
    const img = sharp(raw, { raw: { width: w, height: h, channels: ch } });
    writeFileSync(join(dir, name), name.endsWith(".png") ? await img.png().toBuffer() : await img.jpeg({ quality: 100 }).toBuffer());
  }
}

const allow = () => {};

test("a folder of PNG frames is read in natural name order as [F, H, W] gray", async () => {
  const dir = join(tmpDir(), "frames");
  const names = range(12).map((i) => `frame_${i + 1}.png`); // lexicographic order would put frame_10 after frame_1
  await writeFrames(dir, names);
  writeFileSync(join(dir, "README.txt"), "not a frame");
  assert.deepEqual((await listFrameFiles(dir)).map((p) => p.slice(dir.length + 1)), names);
  const m = await readFrameFolder(dir, 30, allow);
  assert.deepEqual([m.n_frames, m.height, m.width, m.frame_rate_hz], [12, H, W, 30]);
  for (const i of [0, 1, 9, 11]) assert.equal(m.frames[(i * H + 3) * W + 5], gray(i, 3, 5), `frame ${i}`);
});

test("RGB and JPEG frames become one grayscale channel", async () => {
  const dir = join(tmpDir(), "rgb");
  await writeFrames(dir, ["a1.png", "a2.jpg"], { rgb: true });
  const m = await readFrameFolder(dir, 25, allow);
  assert.equal(m.frames.length, 2 * H * W);
  assert.equal(m.frames[(0 * H + 2) * W + 4], gray(0, 2, 4), "gray RGB stays the same value");
  assert.ok(Math.abs(m.frames[(1 * H + 2) * W + 4] - gray(1, 2, 4)) <= 3, "JPEG within rounding");
});

test("frames of different sizes, empty folders and unreadable images are UserErrors", async () => {
  const dir = join(tmpDir(), "mixed");
  await writeFrames(dir, ["f1.png"]);
  await writeFrames(dir, ["f2.png"], { size: [W + 1, H] });
  await assert.rejects(readFrameFolder(dir, 30, allow), (e) => e instanceof UserError && /f2\.png is 9×6 but the first frame is 8×6/.test(e.message));
  const empty = join(tmpDir(), "empty");
  mkdirSync(empty);
  await assert.rejects(readFrameFolder(empty, 30, allow), (e) => e instanceof UserError && /no \.png/.test(e.message));
  const bad = join(tmpDir(), "bad");
  mkdirSync(bad);
  writeFileSync(join(bad, "x.png"), "not an image");
  await assert.rejects(readFrameFolder(bad, 30, allow), (e) => e instanceof UserError && /Could not decode/.test(e.message));
});

test("checkPath is called for the folder and every frame file, with their real paths", async () => {
  const dir = join(tmpDir(), "checked");
  await writeFrames(dir, ["1.png", "2.png", "3.png"]);
  const seen: string[] = [];
  await readFrameFolder(dir, 30, (p) => seen.push(p));
  const real = realpathSync(dir);
  assert.deepEqual(seen, [real, ...["1.png", "2.png", "3.png"].map((n) => join(real, n))]);
  await assert.rejects(
    readFrameFolder(dir, 30, (p) => {
      if (p.endsWith("2.png")) throw new UserError(`Path ${p} is outside the allowed roots.`, "Move it.");
    }),
    (e) => e instanceof UserError && /outside the allowed roots/.test(e.message),
  );
});
