/**
 * The procedural "natural movie": a sequence of shots separated by hard cuts, each a different place
 * (hills, a street, a room, a meadow, the sky, the sea; scenes.ts) built from recognisable shapes
 * (figures.ts) filled with the natural-statistics texture of canvas.ts (dead leaves + 1/f^α), with
 * figures that move (a car, a walker, an animal, a ball, birds, a boat) and a camera that pans, tracks,
 * tilts or zooms. Output matches the Allen Natural Movie 1 format: `[F, H, W]` uint8 grayscale,
 * mean ≈ 127, 30 fps.
 *
 * Within a shot consecutive frames differ by about a pixel of motion; across a cut the whole picture
 * changes, so a person comparing two frames sees at once whether they are the same moment, a
 * neighbouring one or another scene.
 */
import type { Movie } from "../recording.js";
import type { Rng } from "../../util/rng.js";
import { sceneCanvas } from "./canvas.js";
import { bird, paint } from "./figures.js";
import { nextPow2 } from "./fbm.js";
import { FIELD_WIDTH_DEG, FRAME_RATE_HZ, STIMULUS_GRAY, pixelPitch } from "./geometry.js";
import { movieSeed, type AllenLikeParams } from "./params.js";
import { streamRng } from "./random.js";
import { SCENES, SCENE_WEIGHTS, type Scene } from "./scenes.js";
import { paintScratch, paintShapes, type Shape, type Texture } from "./shapes.js";

type MovieParams = Pick<AllenLikeParams, "seed" | "movie_seed" | "n_frames" | "frame_height" | "frame_width" | "spectral_slope" | "rms_contrast" | "pan_speed_deg_s" | "n_occluders" | "n_scenes" | "optical_blur_deg">;

/** One shot of the movie: frames `first`..`last` (inclusive) show scene `name`. */
export interface Shot {
  name: string;
  what: string;
  first: number;
  last: number;
}

/** Which frames belong to which scene: the first `n_scenes` scenes, lengths in proportion to SCENE_WEIGHTS. */
export function movieTimeline(p: Pick<AllenLikeParams, "n_frames" | "n_scenes">): Shot[] {
  const n = Math.min(p.n_scenes, SCENES.length, p.n_frames);
  const weights = SCENE_WEIGHTS.slice(0, n);
  const total = weights.reduce((a, b) => a + b, 0);
  const shots: Shot[] = [];
  let cum = 0;
  let first = 0;
  for (let k = 0; k < n; k++) {
    cum += weights[k];
    const end = k === n - 1 ? p.n_frames : Math.min(p.n_frames - (n - 1 - k), Math.max(first + 1, Math.round((p.n_frames * cum) / total)));
    shots.push({ name: SCENES[k].name, what: SCENES[k].what, first, last: end - 1 });
    first = end;
  }
  return shots;
}

/** An extra bird crossing the view during frames [t0, t1] of one outdoor shot (the `n_occluders` figures). */
interface Crossing {
  shot: number;
  t0: number;
  t1: number;
  y: number;
  span: number;
  dir: number;
  flapHz: number;
}

function crossings(rng: Rng, shots: Shot[], count: number): Crossing[] {
  const outdoor = shots.map((_, k) => k).filter((k) => SCENES[k].outdoor);
  if (outdoor.length === 0) return [];
  return Array.from({ length: count }, (_, i) => {
    const shot = outdoor[i % outdoor.length];
    const { first, last } = shots[shot];
    const length = Math.min(last - first + 1, Math.round(FRAME_RATE_HZ * rng.uniform(1.5, 3.5)));
    const t0 = first + rng.int(last - first + 2 - length);
    return { shot, t0, t1: t0 + length - 1, y: rng.uniform(0.1, 0.45), span: rng.uniform(0.08, 0.16), dir: rng.random() < 0.5 ? 1 : -1, flapHz: rng.uniform(2, 4) };
  });
}

/** Renders the movie described by `p` (deterministic in its seed, `movieSeed(p)`). */
export function renderMovie(p: MovieParams): Movie {
  const h = p.frame_height;
  const w = p.frame_width;
  const aspect = w / h;
  const pitch = pixelPitch(w, h, 0);
  const texture: Texture = { height: nextPow2(2 * h), width: nextPow2(4 * h), data: new Float32Array(0) };
  texture.data = sceneCanvas(streamRng(movieSeed(p), "movie"), texture.height, texture.width, p.spectral_slope, pitch.x, pitch.y, p.optical_blur_deg);
  // The edge ramp of the shapes equals the optical blur (a Gaussian edge of σ rises over ≈ 2.5σ), at least one pixel.
  const edgePx = Math.max(1, (2.5 * p.optical_blur_deg) / ((pitch.x + pitch.y) / 2));
  const pan = p.pan_speed_deg_s / (FIELD_WIDTH_DEG / aspect);
  const shots = movieTimeline(p);
  const scenes: Scene[] = shots.map((s, k) => SCENES[k].build(streamRng(movieSeed(p), `movie:${s.name}`), { aspect, duration: (s.last - s.first + 1) / FRAME_RATE_HZ, pan }));
  const extras = crossings(streamRng(movieSeed(p), "movie:extras"), shots, p.n_occluders);
  const shotOf = new Int32Array(p.n_frames);
  for (const [k, s] of shots.entries()) shotOf.fill(k, s.first, s.last + 1);

  const buf = new Float32Array(h * w);
  const scratch = paintScratch(h, w);
  const birdPaint = paint(-1.6, 0);
  const paintFrame = (f: number) => {
    const k = shotOf[f];
    const t = (f - shots[k].first) / FRAME_RATE_HZ;
    const cam = scenes[k].camera(t);
    const shapes: Shape[] = scenes[k].shapes(t, cam);
    for (const e of extras) {
      if (e.shot !== k || f < e.t0 || f > e.t1) continue;
      const s = (f - e.t0) / Math.max(1, e.t1 - e.t0);
      const half = aspect / (2 * cam.zoom) + e.span;
      const x = cam.x + e.dir * (-half + 2 * half * s);
      shapes.push(...bird(x, cam.y - 0.5 / cam.zoom + e.y + 0.03 * Math.sin(4 * s), e.span, (2 * Math.PI * e.flapHz * (f - e.t0)) / FRAME_RATE_HZ, birdPaint));
    }
    paintShapes(shapes, cam, texture, h, w, edgePx, buf, scratch);
  };

  // Luminance normalisation from every 10th frame, so the whole movie has mean 127 and the set contrast.
  let sum = 0;
  let sumSq = 0;
  let count = 0;
  for (let f = 0; f < p.n_frames; f += 10) {
    paintFrame(f);
    for (let i = 0; i < buf.length; i++) {
      sum += buf[i];
      sumSq += buf[i] * buf[i];
    }
    count += buf.length;
  }
  const mean = sum / count;
  const sd = Math.sqrt(Math.max(1e-12, sumSq / count - mean * mean));
  const scale = (STIMULUS_GRAY * p.rms_contrast) / sd;
  const offset = STIMULUS_GRAY - scale * mean;

  const frames = new Uint8Array(p.n_frames * h * w);
  const clamped = new Uint8ClampedArray(frames.buffer); // stores round and clamp to 0..255 natively
  for (let f = 0; f < p.n_frames; f++) {
    paintFrame(f);
    const o = f * h * w;
    for (let i = 0; i < buf.length; i++) clamped[o + i] = offset + scale * buf[i];
  }
  return { frames, n_frames: p.n_frames, height: h, width: w, frame_rate_hz: FRAME_RATE_HZ, source: `builtin:allen-like procedural movie (${shots.map((s) => s.name).join(", ")}: ${shots.length} shots with hard cuts, moving figures, camera motion; shapes textured with dead leaves + 1/f noise)` };
}
