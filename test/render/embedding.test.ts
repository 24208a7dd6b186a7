import test from "node:test";
import assert from "node:assert/strict";
import sharp from "sharp";
import { chanceLoss, depthOrder, outlineEdges, plotEmbedding, viewBasis, type PlotEmbeddingOptions } from "../../src/render/embedding.js";
import { CATEGORICAL_PALETTE, viridis } from "../../src/render/colormap.js";
import { Rng } from "../../src/util/rng.js";
import { UserError } from "../../src/util/errors.js";
import { assertWithinBudget } from "./assertions.js";

/** A noisy ring on the unit sphere in `dim` dimensions; label = position on the ring. */
function ringEmbedding(T: number, dim: number, seed = 1): { data: Float32Array; label: Float32Array } {
  const rng = new Rng(seed);
  const data = new Float32Array(T * dim);
  const label = new Float32Array(T);
  for (let t = 0; t < T; t++) {
    const phase = (2 * Math.PI * t) / T;
    label[t] = t;
    const v = Array.from({ length: dim }, (_, j) => (j === 0 ? Math.cos(phase) : j === 1 ? Math.sin(phase) : 0.3 * Math.sin(j * phase)) + 0.05 * rng.normal());
    const norm = Math.hypot(...v);
    v.forEach((x, j) => (data[t * dim + j] = x / norm));
  }
  return { data, label };
}

/** Number of pixels within a small distance of a "#rrggbb" colour. */
async function countColour(png: Buffer, hex: string): Promise<number> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let i = 0; i < data.length; i += info.channels) {
    if (Math.abs(data[i]! - r!) + Math.abs(data[i + 1]! - g!) + Math.abs(data[i + 2]! - b!) < 24) n++;
  }
  return n;
}

const TEMPERATURE = "#e7298a";
const CONTROL = "#d95f02";
const CHANCE = "#000000";

/** Rows (top, bottom) of the pixels of a colour in the preview, in columns [x0, x1). */
async function rowSpan(png: Buffer, hex: string, x0 = 0, x1 = Infinity): Promise<[number, number]> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let top = Infinity;
  let bottom = -Infinity;
  for (let i = 0; i < data.length; i += info.channels) {
    if (Math.abs(data[i]! - r!) + Math.abs(data[i + 1]! - g!) + Math.abs(data[i + 2]! - b!) < 24) {
      const row = Math.floor(i / info.channels / info.width);
      const col = (i / info.channels) % info.width;
      if (col < x0 || col >= x1) continue;
      top = Math.min(top, row);
      bottom = Math.max(bottom, row);
    }
  }
  return [top, bottom];
}

const ring = ringEmbedding(1200, 8);
const base: PlotEmbeddingOptions = { embedding: { data: ring.data, n_samples: 1200, dim: 8 }, title: "test <embedding> & co" };

test("2-D continuous colouring with loss panel: valid PNG within budget, viridis points and colour bar", async () => {
  const loss = { total: Array.from({ length: 300 }, (_, s) => 6 - s / 200), temperature: Array.from({ length: 300 }, (_, s) => 1 - s / 1000) };
  const res = await plotEmbedding({ ...base, dims: 2, colour_by: { values: ring.label, name: "frame", kind: "continuous" }, loss });
  const img = res.images[0]!;
  await assertWithinBudget(img);
  assert.equal(img.mime_type, "image/png");
  assert.equal(res.points_shown, 1200);
  assert.ok((await countColour(img.data, viridis(0))) > 20, "low end of viridis drawn");
  assert.ok((await countColour(img.data, viridis(1))) > 20, "high end of viridis drawn");
  assert.ok((await countColour(img.data, TEMPERATURE)) > 20, "temperature curve drawn");
  const full = res.full_resolution[0]!;
  assert.equal((await sharp(full.data).metadata()).width, full.width);
  assert.equal(full.width, 2 * img.width, "full resolution is the same figure at 2×");
  const withoutLoss = await plotEmbedding({ ...base, dims: 2, colour_by: { values: ring.label, name: "frame", kind: "continuous" } });
  assert.ok(withoutLoss.images[0]!.width < img.width, "the loss panel adds width");
  assert.equal(await countColour(withoutLoss.images[0]!.data, TEMPERATURE), 0);
});

test("3-D categorical colouring: palette colours present, PCA projection noted", async () => {
  const classes = ring.label.map((v) => Math.floor(v / 400));
  const res = await plotEmbedding({ ...base, dims: 3, projection: "pca", colour_by: { values: classes, name: "third", kind: "categorical", class_names: ["a", "b", "c"] } });
  await assertWithinBudget(res.images[0]!);
  for (const c of CATEGORICAL_PALETTE.slice(0, 3)) assert.ok((await countColour(res.images[0]!.data, c)) > 20, `class colour ${c}`);
  assert.equal(await countColour(res.images[0]!.data, CATEGORICAL_PALETTE[3]!), 0, "no fourth class colour");
  assert.ok(res.notes.some((n) => n.startsWith("PCA of the 8-D embedding")));
});

test("large embeddings are thinned deterministically and the plot says so", async () => {
  const big = ringEmbedding(9000, 3);
  const opts = { ...base, embedding: { data: big.data, n_samples: 9000, dim: 3 }, max_points: 2000 };
  const a = await plotEmbedding(opts);
  const b = await plotEmbedding(opts);
  assert.equal(a.points_shown, 2000);
  assert.ok(a.notes.some((n) => n.includes("showing 2000 of 9000 points")));
  assert.ok(a.images[0]!.data.equals(b.images[0]!.data), "same input → identical image");
  await assertWithinBudget(a.images[0]!);
});

test("non-finite rows are skipped and counted", async () => {
  const data = Float32Array.from(ring.data);
  data[5 * 8] = Number.NaN;
  const res = await plotEmbedding({ ...base, embedding: { data, n_samples: 1200, dim: 8 }, dims: 2 });
  assert.equal(res.points_shown, 1199);
  assert.ok(res.notes.some((n) => n.includes("1 embedding rows with NaN/inf")));
});

test("3-D points are drawn far to near", () => {
  const { n } = viewBasis();
  const near = n.map((v) => 0.5 * v);
  const far = n.map((v) => -0.5 * v);
  const mid = [0, 0, 0];
  assert.deepEqual(depthOrder([...near, ...far, ...mid], 3), [1, 2, 0]);
});

test("bad embedding input is a UserError", async () => {
  const cases: [PlotEmbeddingOptions, RegExp][] = [
    [{ ...base, embedding: { data: ring.data, n_samples: 1200, dim: 7 } }, /does not match/],
    [{ ...base, embedding: { data: ring.data.subarray(0, 2400), n_samples: 1200, dim: 2 }, dims: 3 }, /cannot be plotted in 3-D/],
    [{ ...base, colour_by: { values: [1, 2], name: "x", kind: "continuous" } }, /has 2 values for 1200/],
    [{ ...base, colour_by: { values: ring.label, name: "frame", kind: "categorical" } }, /1200 categories/],
  ];
  for (const [opts, message] of cases) {
    await assert.rejects(plotEmbedding(opts), (e: unknown) => e instanceof UserError && message.test(e.message), String(message));
  }
});

test("chance level: log(B) for InfoNCE, 2·log(B) for hybrid training", () => {
  assert.equal(chanceLoss(512, false).value, Math.log(512));
  assert.equal(chanceLoss(512, true).value, 2 * Math.log(512));
  assert.match(chanceLoss(512, false).label, /log\(512\) = 6\.24/);
  assert.match(chanceLoss(256, true).label, /2·log\(256\) = 11\.09/);
});

test("loss panel: chance line inside the range, the control on the model's axis so its noise stays flat", async () => {
  const rng = new Rng(4);
  const steps = 400;
  const total = Array.from({ length: steps }, (_, s) => 4 + 1.5 * Math.exp(-s / 80)); // never reaches chance 6.24
  const control = Array.from({ length: steps }, () => 6.237 + 0.004 * rng.normal());
  const chance = chanceLoss(512, false);
  const res = await plotEmbedding({ ...base, dims: 2, loss: { total, label: "model", chance, control: { total: control, label: "shuffled-label control" } } });
  const img = res.images[0]!;
  await assertWithinBudget(img);
  const note = res.notes.find((n) => n.startsWith("loss panel"));
  assert.match(note ?? "", /model ended at 4\.0\d\d, shuffled-label control at 6\.2\d\d \(chance log\(512\) = 6\.24/);
  assert.ok((await countColour(img.data, CHANCE)) > 100, "the chance line is drawn although the model's loss never reaches it");
  // Columns of the loss area left of its legend (the panel is the right-most 486 px; axis margin ≈ 60 px).
  const [top, bottom] = await rowSpan(img.data, CONTROL, img.width - 420, img.width - 300);
  assert.ok(bottom - top < 20, `the control's 0.004-nat noise spans ${bottom - top + 1} px rows, not the panel`);
  // Alone on its own axis the same control would fill the panel; the model's curve spans most of it here.
  const alone = await plotEmbedding({ ...base, dims: 2, loss: { total: control } });
  const [aTop, aBottom] = await rowSpan(alone.images[0]!.data, "#1f77b4", alone.images[0]!.width - 420, alone.images[0]!.width - 300);
  assert.ok(aBottom - aTop > 200, "without the chance line and the model, a control's noise fills the axis (what the panel avoids)");
  const noChance = await plotEmbedding({ ...base, dims: 2, loss: { total } });
  assert.equal(await countColour(noChance.images[0]!.data, CHANCE), 0, "no chance line unless the batch size is known");
  assert.equal(await countColour(noChance.images[0]!.data, CONTROL), 0, "no control curve without a control");
});

test("3-D axes sit on the cube's outline, so ticks and names drawn outward never fall among the points", () => {
  const { e1, e2 } = viewBasis();
  const dot = (a: number[], b: number[]) => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
  const toScreen = (p: number[]) => [300 + 100 * dot(p, e1), 300 - 100 * dot(p, e2)];
  const edges = outlineEdges(toScreen, [300, 300]);
  assert.equal(edges.length, 3);
  const corners = [-1, 1].flatMap((a) => [-1, 1].flatMap((b) => [-1, 1].map((c) => toScreen([a, b, c]) as [number, number])));
  edges.forEach((e, axis) => {
    const [ox, oy] = e.outward;
    assert.ok(Math.abs(Math.hypot(ox, oy) - 1) < 1e-9);
    const mid = [(e.x1 + e.x2) / 2, (e.y1 + e.y2) / 2];
    // The normal of the edge's line, on the outward side: no corner (so no point) lies beyond that line.
    let [nx, ny] = [-(e.y2 - e.y1), e.x2 - e.x1];
    if (nx * ox + ny * oy < 0) [nx, ny] = [-nx, -ny];
    for (const [cx, cy] of corners) assert.ok((cx - mid[0]!) * nx + (cy - mid[1]!) * ny <= 1e-6, `axis ${axis}: every cube corner lies inside its edge's line`);
    const length = Math.hypot(e.x2 - e.x1, e.y2 - e.y1);
    assert.ok(length > 50, `axis ${axis} edge is ${length.toFixed(0)} px long, room for ticks`);
  });
  // The two horizontal-ish axes are labelled below the cube, the vertical one at its left.
  assert.ok(edges[0]!.outward[1] > 0 && edges[1]!.outward[1] > 0, "dim 1 and dim 2 below");
  assert.ok(edges[2]!.outward[0] < 0, "dim 3 at the left");
});
