import test from "node:test";
import assert from "node:assert/strict";
import sharp from "sharp";
import { renderReconstruction, type ReconstructionLayout } from "../../src/render/reconstruction.js";
import { RETRIEVAL_STATEMENT } from "../../src/render/labels.js";
import { evenlySpaced } from "../../src/render/selection.js";
import { UserError } from "../../src/util/errors.js";
import { assertWithinBudget, frameMean, regionStats } from "./assertions.js";
import { syntheticMovie, syntheticRows, syntheticSummary } from "./fixtures.js";

const movie = syntheticMovie(40, 24, 48, 25);
const rows = syntheticRows(200, movie.n_frames, 25);
const summary = syntheticSummary(rows);

for (const layout of ["side_by_side", "contact_sheet", "pairs", "animation", "timeline"] as ReconstructionLayout[]) {
  test(`${layout}: preview is a valid image within the client budget, with full resolution`, async () => {
    const res = await renderReconstruction({ rows, movie, summary, layout, selection: { start: 10, end: 60, count: 6 } });
    assert.equal(res.images.length, 1);
    const img = res.images[0]!;
    const meta = await assertWithinBudget(img);
    assert.equal(meta.pages ?? 1, img.pages);
    // Animations are written as WebP and as GIF (which slide software plays).
    assert.deepEqual(res.full_resolution.map((f) => f.mime_type), layout === "animation" ? ["image/webp", "image/gif"] : [res.full_resolution[0]!.mime_type]);
    if (layout === "animation") {
      const [webp, gif] = await Promise.all(res.full_resolution.map((f) => sharp(f.data, { pages: -1 }).metadata()));
      assert.equal(gif!.format, "gif");
      assert.equal(gif!.pages, webp!.pages, "the GIF has every page of the WebP");
      assert.equal(gif!.loop, 0, "the GIF loops");
    }
    const full = res.full_resolution[0]!;
    const fullMeta = await sharp(full.data, { pages: -1 }).metadata();
    assert.equal(`image/${fullMeta.format}`, full.mime_type);
    assert.equal(fullMeta.width, full.width);
    assert.ok(full.width >= img.width, "full resolution is at least as wide as the preview");
    assert.deepEqual(full.frames_shown, img.frames_shown);
  });
}

test("frames_shown matches the requested samples and the decoded rows", async () => {
  const expected = evenlySpaced(50, 6).map((i) => 10 + i);
  for (const layout of ["side_by_side", "contact_sheet", "pairs", "animation", "timeline"] as ReconstructionLayout[]) {
    const res = await renderReconstruction({ rows, movie, summary, layout, selection: { start: 10, end: 60, count: 6 }, full_resolution: false });
    const shown = res.images[0]!.frames_shown;
    assert.deepEqual(shown.map((f) => f.sample), expected, layout);
    for (const f of shown) {
      const row = rows[f.sample]!;
      assert.deepEqual(f, { sample: row.sample, true_frame: row.true_frame, predicted_frame: row.predicted_frame });
    }
    assert.equal(res.full_resolution.length, 0);
  }
  const explicit = await renderReconstruction({ rows, movie, summary, layout: "contact_sheet", selection: { samples: [150, 3, 77] }, full_resolution: false });
  assert.deepEqual(explicit.images[0]!.frames_shown.map((f) => f.sample), [3, 77, 150]);
});

for (const layout of ["side_by_side", "pairs"] as const) test(`${layout}: decoded tiles are the movie frames at the decoded index; true tiles the frames on screen`, async () => {
  const mean = (f: number) => frameMean(movie.frames, f, movie.height, movie.width);
  const picks = rows.filter((r) => r.true_frame !== null && Math.abs(mean(r.predicted_frame) - mean(r.true_frame)) > 20).slice(0, 4);
  assert.equal(picks.length, 4);
  const res = await renderReconstruction({ rows, movie, summary, layout, selection: { samples: picks.map((r) => r.sample) }, full_resolution: false });
  const img = res.images[0]!;
  assert.equal(img.mime_type, "image/png", "small synthetic sheet stays lossless");
  assert.equal(img.regions.length, 2 * picks.length);
  for (const region of img.regions) {
    const row = rows[region.sample]!;
    const frame = region.role === "decoded" ? row.predicted_frame : row.true_frame!;
    assert.equal(region.frame, frame);
    const other = region.role === "decoded" ? row.true_frame! : row.predicted_frame;
    const inner = { x: region.x + 2, y: region.y + 2, width: region.width - 4, height: region.height - 4 };
    const got = (await regionStats(img.data, inner)).mean;
    assert.ok(Math.abs(got - mean(frame)) < 3, `${region.role} tile of sample ${region.sample}: mean ${got.toFixed(1)} vs frame ${frame} ${mean(frame).toFixed(1)}`);
    assert.ok(Math.abs(got - mean(other)) > 10, `tile differs from frame ${other} (${mean(other).toFixed(1)})`);
  }
  for (const pick of picks) {
    const on = img.regions.find((r) => r.sample === pick.sample && r.role === "true")!;
    const dec = img.regions.find((r) => r.sample === pick.sample && r.role === "decoded")!;
    // side_by_side: on screen above decoded; pairs: on screen | decoded on one row.
    if (layout === "pairs") assert.ok(on.y === dec.y && on.x + on.width < dec.x, `pair of sample ${pick.sample} side by side`);
    else assert.ok(on.x === dec.x && on.y + on.height < dec.y, `column of sample ${pick.sample}`);
  }
});

test("every sheet header states the controls and chance in one more line", async () => {
  const bare = { ...summary, chance_accuracy: undefined, controls: undefined };
  for (const layout of ["side_by_side", "contact_sheet", "pairs"] as const) {
    const sel = { samples: [3, 77] };
    const withRefs = await renderReconstruction({ rows, movie, summary, layout, selection: sel, full_resolution: false });
    const without = await renderReconstruction({ rows, movie, summary: bare, layout, selection: sel, full_resolution: false });
    const top = (r: typeof withRefs) => Math.min(...r.images[0]!.regions.map((g) => g.y));
    assert.ok(top(withRefs) > top(without), `${layout}: the reference line pushes the tiles down (${top(withRefs)} vs ${top(without)})`);
  }
});

test("timeline draws this decoding's accuracy beside its controls and chance", async () => {
  const bare = { ...summary, chance_accuracy: undefined, controls: undefined, accuracy: undefined };
  const panel = { x: 1060, y: 300, width: 320, height: 200 };
  const withRefs = await renderReconstruction({ rows, summary, layout: "timeline", full_resolution: false });
  const without = await renderReconstruction({ rows, summary: bare, layout: "timeline", full_resolution: false });
  const scale = withRefs.images[0]!.width / 1400;
  const scaled = { x: Math.round(panel.x * scale), y: Math.round(panel.y * scale), width: Math.round(panel.width * scale), height: Math.round(panel.height * scale) };
  assert.ok((await regionStats(withRefs.images[0]!.data, scaled)).stdev > 20, "bars and labels drawn under the legend");
  assert.ok((await regionStats(without.images[0]!.data, scaled)).stdev < 5, "no panel without an accuracy");
});

test("label strips under decoded tiles contain drawn text (a blank strip has stdev 0), borders are colour-coded", async () => {
  const within = rows.find((r) => r.error !== null && Math.abs(r.error) < summary.window_frames)!;
  const outside = rows.find((r) => r.error !== null && Math.abs(r.error) >= summary.window_frames)!;
  const res = await renderReconstruction({ rows, movie, summary, layout: "contact_sheet", selection: { samples: [within.sample, outside.sample] }, full_resolution: false });
  const img = res.images[0]!;
  const { data, info } = await sharp(img.data).raw().toBuffer({ resolveWithObject: true });
  for (const region of img.regions) {
    const strip = { x: region.x, y: region.y + region.height + 4, width: region.width, height: 30 };
    const { stdev } = await regionStats(img.data, strip);
    assert.ok(stdev > 25, `label strip of sample ${region.sample} has text (stdev ${stdev.toFixed(1)})`);
    // Border pixel 1 px outside the tile's left edge, half-way down.
    const p = ((region.y + Math.floor(region.height / 2)) * info.width + region.x - 2) * info.channels;
    const [r, g] = [data[p]!, data[p + 1]!];
    if (region.sample === within.sample) assert.ok(g > 120 && r < 80, `within-window border is green (r${r} g${g})`);
    else assert.ok(r > 180 && g < 80, `outside-window border is red (r${r} g${g})`);
  }
});

test("animation: one page per sample, delay 1000/frame rate, tiles from the movie", async () => {
  const res = await renderReconstruction({ rows, movie, summary, layout: "animation", selection: { start: 20, end: 32 }, full_resolution: false });
  const img = res.images[0]!;
  const meta = await assertWithinBudget(img);
  assert.equal(meta.pages, 12);
  assert.equal(img.pages, 12);
  assert.deepEqual(meta.delay, new Array(12).fill(40));
  assert.equal(meta.loop, 0);
  assert.deepEqual(img.frames_shown.map((f) => f.sample), Array.from({ length: 12 }, (_, i) => 20 + i));
  const page = 5;
  const region = img.regions.find((r) => r.page === page && r.role === "decoded")!;
  assert.equal(region.sample, 25);
  const inner = { x: region.x + 3, y: region.y + 3, width: region.width - 6, height: region.height - 6 };
  const { mean } = await regionStats(img.data, inner, page);
  const want = frameMean(movie.frames, rows[25]!.predicted_frame, movie.height, movie.width);
  assert.ok(Math.abs(mean - want) < 4, `page ${page} decoded tile mean ${mean.toFixed(1)} vs ${want.toFixed(1)}`);
  const faster = await renderReconstruction({ rows, movie, summary, layout: "animation", selection: { start: 0, end: 3 }, fps: 10, full_resolution: false });
  assert.deepEqual((await sharp(faster.images[0]!.data).metadata()).delay, [100, 100, 100]);
});

test("animation defaults to consecutive samples; other layouts spread their default count", async () => {
  const anim = await renderReconstruction({ rows, movie, summary, layout: "animation", full_resolution: false });
  assert.deepEqual(anim.images[0]!.frames_shown.map((f) => f.sample), Array.from({ length: 60 }, (_, i) => i));
  const sheet = await renderReconstruction({ rows, movie, summary, layout: "side_by_side", full_resolution: false });
  assert.deepEqual(sheet.images[0]!.frames_shown.map((f) => f.sample), evenlySpaced(200, 8));
});

test("large requests shrink to the budget and say so", async () => {
  const noisy = syntheticMovie(40, 64, 128, 30);
  const rng = syntheticRows(300, noisy.n_frames);
  for (let i = 0; i < noisy.frames.length; i++) noisy.frames[i] = (noisy.frames[i]! + ((i * 2654435761) >>> 24)) & 255;
  const res = await renderReconstruction({ rows: rng, movie: noisy, summary, layout: "contact_sheet", selection: { count: 150 }, full_resolution: false });
  await assertWithinBudget(res.images[0]!);
  const shown = res.images[0]!.frames_shown.length;
  assert.ok(shown < 150, `preview thinned (${shown} shown)`);
  assert.ok(res.notes.some((n) => n.includes(`preview reduced from 150`)), res.notes.join(" | "));
  const tight = { max_base64_bytes: 120_000 };
  const small = await renderReconstruction({ rows: rng, movie: noisy, summary, layout: "side_by_side", budget: tight, full_resolution: false });
  await assertWithinBudget(small.images[0]!, { max_long_side: 1568, max_pixels: 1_150_000, max_base64_bytes: 120_000 });
  assert.notEqual(small.images[0]!.mime_type, "image/png");
  assert.ok(small.notes.some((n) => /encoded as JPEG|tiles reduced/.test(n)), small.notes.join(" | "));
  const anim = await renderReconstruction({ rows: rng, movie: noisy, summary, layout: "animation", selection: { count: 40 }, budget: tight, full_resolution: false });
  await assertWithinBudget(anim.images[0]!, { max_long_side: 1568, max_pixels: 1_150_000, max_base64_bytes: 120_000 });
  assert.ok(anim.notes.some((n) => /animation (tiles|preview) reduced|encoded as WEBP q(75|60|45)/.test(n)), anim.notes.join(" | "));
});

test("captions with XML special characters render (text is escaped)", async () => {
  const res = await renderReconstruction({
    rows,
    movie,
    summary: { ...summary, decoding_id: `a<b>&"c'`, model_id: "</svg><script>" },
    layout: "side_by_side",
    selection: { count: 2 },
    full_resolution: false,
  });
  await assertWithinBudget(res.images[0]!);
  assert.match(RETRIEVAL_STATEMENT, /retrieved from the stimulus movie.*not generated/);
});

test("rows without a true frame get a placeholder tile", async () => {
  const blank = rows.find((r) => r.true_frame === null)!;
  const res = await renderReconstruction({ rows, movie, summary, layout: "side_by_side", selection: { samples: [blank.sample] }, full_resolution: false });
  const trueRegion = res.images[0]!.regions.find((r) => r.role === "true")!;
  assert.equal(trueRegion.frame, null);
  const { mean } = await regionStats(res.images[0]!.data, { x: trueRegion.x + 2, y: trueRegion.y + 2, width: 20, height: 6 });
  assert.ok(Math.abs(mean - 0xe4) < 2, `placeholder fill (${mean})`);
});

test("bad input is a UserError naming the problem", async () => {
  const cases: [() => Promise<unknown>, RegExp][] = [
    [() => renderReconstruction({ rows: [], movie, summary, layout: "side_by_side" }), /rows is empty/],
    [() => renderReconstruction({ rows, summary, layout: "contact_sheet" }), /needs the stimulus movie/],
    [() => renderReconstruction({ rows, movie, summary, layout: "mosaic" as ReconstructionLayout }), /Unknown layout "mosaic"/],
    [() => renderReconstruction({ rows, movie, summary, layout: "side_by_side", selection: { start: 500, end: 600 } }), /contains no decoded samples/],
    [() => renderReconstruction({ rows, movie, summary, layout: "side_by_side", selection: { samples: [1, 999] } }), /999 were not decoded/],
    [() => renderReconstruction({ rows: [{ ...rows[0]!, predicted_frame: 40 }], movie, summary, layout: "side_by_side" }), /outside the movie's 0–39/],
    [() => renderReconstruction({ rows, movie: { ...movie, height: 23 }, summary, layout: "side_by_side" }), /does not match its/],
    [() => renderReconstruction({ rows, movie, summary: { ...summary, accuracy: 72 }, layout: "timeline" }), /fraction/],
    [() => renderReconstruction({ rows, movie, summary, layout: "animation", fps: 0 }), /not positive/],
  ];
  for (const [run, message] of cases) {
    await assert.rejects(run, (e: unknown) => e instanceof UserError && message.test(e.message), String(message));
  }
});

test("timeline works without a movie and plots every selected sample", async () => {
  const res = await renderReconstruction({ rows, summary, layout: "timeline", full_resolution: false });
  await assertWithinBudget(res.images[0]!);
  assert.equal(res.images[0]!.frames_shown.length, rows.length);
  const { stdev } = await regionStats(res.images[0]!.data, { x: 0, y: 0, width: 600, height: 60 });
  assert.ok(stdev > 20, "title text drawn");
});
