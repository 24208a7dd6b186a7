/**
 * The built-in movie (src/data/builtin/movie.ts, scenes.ts): shots and their timeline, determinism,
 * format, natural-image statistics, and the property the decoding figures rely on: hard cuts where
 * the timeline declares them, smooth motion within a shot.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { ALLEN_LIKE_DEFAULTS, type AllenLikeParams } from "../../src/data/builtin/params.js";
import { movieTimeline, renderMovie } from "../../src/data/builtin/movie.js";
import { frameDifference, frameLuminance, spectrumSlope } from "../../src/data/builtin/movie-stats.js";
import type { Movie } from "../../src/data/recording.js";
import { paintShapes, type Geom, type Shape } from "../../src/data/builtin/shapes.js";

/** Default frame size, 180 frames: six 1-s shots (the default 900-frame movie takes seconds). */
const SHORT: AllenLikeParams = { ...ALLEN_LIKE_DEFAULTS, n_frames: 180 };
let cached: Movie | undefined;
const short = () => (cached ??= renderMovie(SHORT));

test("timeline: six shots covering every frame once, in proportion to their weights", () => {
  const shots = movieTimeline(ALLEN_LIKE_DEFAULTS);
  assert.deepEqual(shots.map((s) => s.name), ["hills", "street", "room", "meadow", "sky", "sea"]);
  assert.deepEqual(shots.map((s) => s.last - s.first + 1), [165, 150, 135, 165, 135, 150]);
  for (const params of [ALLEN_LIKE_DEFAULTS, SHORT, { n_frames: 10, n_scenes: 6 }, { n_frames: 37, n_scenes: 4 }]) {
    const t = movieTimeline(params);
    assert.equal(t.length, params.n_scenes);
    assert.equal(t[0].first, 0);
    assert.equal(t.at(-1)!.last, params.n_frames - 1);
    for (let k = 0; k < t.length; k++) {
      assert.ok(t[k].last >= t[k].first, `shot ${k} of ${JSON.stringify(params)} is empty`);
      if (k > 0) assert.equal(t[k].first, t[k - 1].last + 1);
    }
  }
  assert.deepEqual(movieTimeline({ n_frames: 900, n_scenes: 1 }).map((s) => [s.name, s.first, s.last]), [["hills", 0, 899]]);
});

test("same params give the same movie; another seed gives another one", () => {
  const p = { ...ALLEN_LIKE_DEFAULTS, n_frames: 30, frame_height: 40, frame_width: 80 };
  const a = renderMovie(p), b = renderMovie(p), c = renderMovie({ ...p, seed: 1 });
  assert.ok(Buffer.from(a.frames).equals(Buffer.from(b.frames)));
  assert.ok(!Buffer.from(a.frames).equals(Buffer.from(c.frames)));
});

test("format: [F, H, W] uint8 at 30 fps, mean ≈ 127, RMS contrast ≈ rms_contrast", () => {
  const m = short();
  assert.deepEqual([m.n_frames, m.height, m.width, m.frame_rate_hz], [180, 152, 304, 30]);
  assert.ok(m.frames instanceof Uint8Array && m.frames.length === 180 * 152 * 304);
  let s = 0, ss = 0;
  for (const v of m.frames) { s += v; ss += v * v; }
  const mean = s / m.frames.length;
  const rms = Math.sqrt(ss / m.frames.length - mean * mean) / 127;
  assert.ok(Math.abs(mean - 127) < 4, `mean ${mean}`);
  assert.ok(Math.abs(rms - SHORT.rms_contrast) < 0.04, `RMS contrast ${rms}`);
});

test("power spectrum falls off like natural images' (slope ≈ −2, Field 1987), neither white nor blurred flat", () => {
  const m = short();
  const slopes = Array.from({ length: 18 }, (_, i) => spectrumSlope(m, i * 10));
  const mean = slopes.reduce((a, b) => a + b, 0) / slopes.length;
  // Natural images: −1.88 ± 0.43 (van der Schaaf & van Hateren 1996); white noise would give 0.
  assert.ok(mean > -3.0 && mean < -1.6, `mean slope ${mean} (${slopes.map((x) => x.toFixed(2)).join(", ")})`);
  const sharp = renderMovie({ ...SHORT, n_frames: 12, optical_blur_deg: 0 });
  const blurred = renderMovie({ ...SHORT, n_frames: 12, optical_blur_deg: 3 });
  assert.ok(spectrumSlope(blurred, 0) < spectrumSlope(sharp, 0) - 0.3, "optical blur must steepen the spectrum");
  for (let f = 0; f < 180; f += 30) assert.ok(frameLuminance(m, f).rmsContrast > 0.05, `frame ${f} is nearly uniform`);
});

test("cuts are where the timeline puts them: across a cut the picture changes, within a shot it moves smoothly", () => {
  // The default 30-s timeline (shorter movies compress each shot's zoom or tilt into fewer frames), at half the default frame size.
  const QUARTER = { ...ALLEN_LIKE_DEFAULTS, frame_height: 76, frame_width: 152 };
  const m = renderMovie(QUARTER);
  const shots = movieTimeline(QUARTER);
  const cuts = new Set(shots.slice(1).map((s) => s.first - 1)); // frame f where f → f + 1 crosses a cut
  const diffs = Array.from({ length: m.n_frames - 1 }, (_, f) => frameDifference(m, f, f + 1));
  const across = diffs.filter((_, f) => cuts.has(f));
  const within = diffs.filter((_, f) => !cuts.has(f));
  const largest = diffs.map((d, f) => [d, f] as const).sort((a, b) => b[0] - a[0]).slice(0, cuts.size).map(([, f]) => f);
  assert.deepEqual(new Set(largest), cuts, "the largest frame-to-frame changes are the declared cuts");
  assert.ok(Math.min(...across) > 4 * Math.max(...within), `smallest cut ${Math.min(...across)} vs largest within-shot step ${Math.max(...within)}`);
  assert.ok(within.reduce((a, b) => a + b, 0) / within.length < 6, "consecutive frames within a shot differ by a few gray levels");
  // Within every shot frames drift apart with time: a neighbouring moment is closer than a later one.
  for (const s of shots) {
    let near = 0, far = 0, n = 0;
    for (let f = s.first; f + 30 <= s.last; f++, n++) { near += frameDifference(m, f, f + 1); far += frameDifference(m, f, f + 30); }
    assert.ok(n > 0 && far > 3 * near, `${s.name}: 1 s apart ${far / n} vs consecutive ${near / n}`);
  }
});

test("one shot has no cut; n_occluders adds birds only to outdoor shots", () => {
  const one = renderMovie({ ...SHORT, n_frames: 40, n_scenes: 1, frame_height: 48, frame_width: 96 });
  for (let f = 0; f + 1 < 40; f++) assert.ok(frameDifference(one, f, f + 1) < 10, `frame ${f}`);
  const base = { ...SHORT, n_frames: 60, frame_height: 48, frame_width: 96 };
  const none = renderMovie({ ...base, n_occluders: 0 }), birds = renderMovie({ ...base, n_occluders: 12 });
  const changed = movieTimeline(base).map((s) => {
    let d = 0;
    for (let f = s.first; f <= s.last; f++) d += frameDifferenceBetween(none, birds, f) > 0 ? 1 : 0;
    return [s.name, d] as const;
  });
  for (const [name, d] of changed) assert.equal(d > 0, name !== "room", `${name}: ${d} frames with extra birds`);
});

function frameDifferenceBetween(a: Movie, b: Movie, f: number): number {
  const n = a.height * a.width;
  let d = 0;
  for (let i = f * n; i < (f + 1) * n; i++) d += Math.abs(a.frames[i] - b.frames[i]);
  return d / n;
}

test("shapes are rasterised with their true areas, nearer shapes in front", () => {
  const h = 100, w = 200, out = new Float32Array(h * w);
  const tex = { height: 2, width: 2, data: new Float32Array(4) };
  const flat = (gray: number) => ({ gray, grad: 0, tex: 0, scale: 1, ox: 0, oy: 0 });
  const cam = { x: 1, y: 0.5, zoom: 1 };
  const area = (g: Geom) => {
    paintShapes([{ geom: { kind: "fill" }, paint: flat(0) }, { geom: g, paint: flat(1) }], cam, tex, h, w, 2, out);
    return out.reduce((a, b) => a + b, 0) / (h * h); // world units²: 1 unit = h px
  };
  const cases: [Geom, number][] = [
    [{ kind: "rect", x0: 0.3, y0: 0.2, x1: 1.1, y1: 0.7 }, 0.8 * 0.5],
    [{ kind: "ellipse", cx: 1, cy: 0.5, rx: 0.4, ry: 0.2 }, Math.PI * 0.4 * 0.2],
    [{ kind: "capsule", ax: 0.5, ay: 0.5, bx: 1.3, by: 0.5, r: 0.1 }, 0.8 * 0.2 + Math.PI * 0.01],
    [{ kind: "poly", xs: [0.5, 1.5, 1.0], ys: [0.8, 0.8, 0.2] }, 0.5 * 1.0 * 0.6],
    [{ kind: "ground", y0: 0.6, x0: -1, x1: 3, waves: [[0.05, 2 * Math.PI, 0]] }, 2 * 0.4],
  ];
  for (const [g, expected] of cases) assert.ok(Math.abs(area(g) - expected) < 0.02 * expected, `${g.kind}: area ${area(g)} vs ${expected}`);
  // Front-to-back compositing: the later shape hides the earlier one where they overlap.
  const shapes: Shape[] = [
    { geom: { kind: "fill" }, paint: flat(0) },
    { geom: { kind: "rect", x0: 0, y0: 0, x1: 1, y1: 1 }, paint: flat(1) },
    { geom: { kind: "rect", x0: 0.5, y0: 0, x1: 2, y1: 1 }, paint: flat(-1) },
  ];
  paintShapes(shapes, cam, tex, h, w, 2, out);
  assert.equal(out[50 * w + 25], 1);
  assert.equal(out[50 * w + 75], -1);
  assert.equal(out[50 * w + 150], -1);
});
