/**
 * The procedural "natural movie": a camera that pans (never reversing, so no view is revisited) and
 * slowly zooms over a large natural-statistics scene (dead leaves + 1/f^α texture, see canvas.ts),
 * with textured foreground objects (blobs and bars) crossing the view and a slow global contrast
 * modulation. Output matches the Allen Natural Movie 1
 * format: `[F, H, W]` uint8 grayscale, mean ≈ 127, 30 fps.
 *
 * Consecutive frames differ by about a pixel of motion (smooth video); frames a second apart show
 * views ≈ pan_speed_deg_s degrees apart, so frame identity is never ambiguous.
 */
import type { Movie } from "../recording.js";
import { UserError } from "../../util/errors.js";
import type { Rng } from "../../util/rng.js";
import { sceneCanvas } from "./canvas.js";
import { nextPow2 } from "./fbm.js";
import { FRAME_RATE_HZ, STIMULUS_GRAY, pixelPitch } from "./geometry.js";
import type { AllenLikeParams } from "./params.js";
import { logUniform, smoothNoise, streamRng } from "./random.js";

type MovieParams = Pick<AllenLikeParams, "seed" | "n_frames" | "frame_height" | "frame_width" | "spectral_slope" | "rms_contrast" | "pan_speed_deg_s" | "n_occluders" | "optical_blur_deg">;

/** Canvas border kept free so that bilinear sampling never leaves the canvas. */
const MARGIN_PX = 4;
/** Zoom range of the camera (as in the mosaic movie of data-formats.md §8). */
const ZOOM_MIN = 1.0;
const ZOOM_MAX = 1.35;
/** Largest canvas (pixels) we agree to synthesise (8 M px ≈ 128 MB of transient FFT buffers). */
const MAX_CANVAS_PX = 1 << 23;

/** Where the camera looks in each frame: view centre on the canvas (px) and zoom factor. */
interface CameraPath {
  cx: Float64Array;
  cy: Float64Array;
  zoom: Float64Array;
}

/** A foreground object crossing the view on a straight line. */
interface Occluder {
  /** Semi-axes (frame px) and superellipse exponent (2 = ellipse, 6 = bar-like rounded rectangle). */
  a: number;
  b: number;
  power: 2 | 6;
  angle0: number;
  angularSpeed: number;
  /** Positions (frame px) at the start and end of its crossing, and the crossing's frame interval. */
  x0: number; y0: number; x1: number; y1: number;
  tStart: number;
  tEnd: number;
  /** Texture: canvas offset and magnification, gain and luminance offset (canvas SD units). */
  texX: number; texY: number; texScale: number; gain: number; offset: number;
}

/** Canvas dimensions (powers of two) needed for the pan; throws a UserError if they are too large. */
function canvasSize(p: MovieParams): { height: number; width: number; speedPx: number } {
  const pitch = pixelPitch(p.frame_width, p.frame_height, 0);
  const speedPx = p.pan_speed_deg_s / FRAME_RATE_HZ / pitch.x;
  const width = nextPow2(Math.ceil(p.frame_width + speedPx * p.n_frames + 2 * MARGIN_PX + 2));
  const height = nextPow2(Math.ceil(p.frame_height * 2.5));
  if (width * height > MAX_CANVAS_PX) {
    throw new UserError(
      `builtin:allen-like movie would need a ${width}×${height} texture canvas (n_frames ${p.n_frames}, frame ${p.frame_width}×${p.frame_height}, pan_speed_deg_s ${p.pan_speed_deg_s}); the limit is ${MAX_CANVAS_PX} px.`,
      "Lower n_frames, pan_speed_deg_s or the frame size.",
    );
  }
  return { height, width, speedPx };
}

/** Smooth pan (log speed with SD 0.35, so always forward), vertical wander and zoom 1.0–1.35×. */
function cameraPath(rng: Rng, p: MovieParams, canvasH: number, speedPx: number): CameraPath {
  const n = p.n_frames;
  const speedNoise = smoothNoise(rng, n, 3 * FRAME_RATE_HZ);
  const zoomNoise = smoothNoise(rng, n, 4 * FRAME_RATE_HZ);
  const yNoise = smoothNoise(rng, n, 5 * FRAME_RATE_HZ);
  const factor = speedNoise.map((s) => Math.exp(0.35 * s));
  const meanFactor = factor.reduce((a, b) => a + b, 0) / n;
  const cx = new Float64Array(n);
  const cy = new Float64Array(n);
  const zoom = new Float64Array(n);
  const yRange = canvasH / 2 - p.frame_height / 2 - MARGIN_PX;
  let x = MARGIN_PX + p.frame_width / 2;
  for (let t = 0; t < n; t++) {
    cx[t] = x;
    x += (speedPx * factor[t]) / meanFactor;
    cy[t] = canvasH / 2 + yRange * Math.tanh(0.6 * yNoise[t]);
    zoom[t] = ZOOM_MIN + (ZOOM_MAX - ZOOM_MIN) / (1 + Math.exp(-1.5 * zoomNoise[t]));
  }
  return { cx, cy, zoom };
}

/** A point just outside the frame on a random side, plus the opposite side's counterpart. */
function crossingEndpoints(rng: Rng, w: number, h: number, pad: number): [number, number, number, number] {
  const horizontal = rng.random() < 0.7; // mostly lateral motion, like a tracking shot
  const flip = rng.random() < 0.5;
  if (horizontal) {
    const xa = -pad, xb = w + pad;
    const ya = rng.uniform(0, h), yb = rng.uniform(0, h);
    return flip ? [xb, ya, xa, yb] : [xa, ya, xb, yb];
  }
  const ya = -pad, yb = h + pad;
  const xa = rng.uniform(0, w), xb = rng.uniform(0, w);
  return flip ? [xa, yb, xb, ya] : [xa, ya, xb, yb];
}

/** Random occluders whose crossings are spread over the movie. */
function makeOccluders(rng: Rng, p: MovieParams, canvasH: number, canvasW: number): Occluder[] {
  const out: Occluder[] = [];
  const w = p.frame_width;
  const h = p.frame_height;
  for (let k = 0; k < p.n_occluders; k++) {
    const bar = rng.random() < 0.4;
    const a = bar ? h * rng.uniform(0.25, 0.7) : w * logUniform(rng, 0.05, 0.2);
    const b = bar ? a * rng.uniform(0.06, 0.18) : a * rng.uniform(0.5, 1);
    const duration = rng.uniform(3, 10) * FRAME_RATE_HZ;
    const centre = ((k + rng.random()) / p.n_occluders) * p.n_frames;
    const [x0, y0, x1, y1] = crossingEndpoints(rng, w, h, a + 2);
    out.push({
      a, b, power: bar ? 6 : 2,
      angle0: rng.uniform(0, Math.PI),
      angularSpeed: rng.uniform(-0.3, 0.3) / FRAME_RATE_HZ,
      x0, y0, x1, y1,
      tStart: centre - duration / 2,
      tEnd: centre + duration / 2,
      texX: rng.uniform(0, canvasW), texY: rng.uniform(0, canvasH), texScale: rng.uniform(1.5, 3),
      gain: rng.uniform(0.4, 1.0), offset: rng.uniform(-1.2, 1.2),
    });
  }
  return out;
}

/** Bilinear sample of the canvas at (x, y), wrapping around (the spectral canvas is periodic; sizes are powers of two). */
function sampleWrapped(canvas: Float32Array, ch: number, cw: number, x: number, y: number): number {
  const fx = Math.floor(x);
  const fy = Math.floor(y);
  const ax = x - fx;
  const ay = y - fy;
  const x0 = fx & (cw - 1);
  const y0 = fy & (ch - 1);
  const x1 = (x0 + 1) & (cw - 1);
  const y1 = (y0 + 1) & (ch - 1);
  const top = canvas[y0 * cw + x0] * (1 - ax) + canvas[y0 * cw + x1] * ax;
  const bottom = canvas[y1 * cw + x0] * (1 - ax) + canvas[y1 * cw + x1] * ax;
  return top * (1 - ay) + bottom * ay;
}

/** Paints the background view of frame `t` into `out` (`[H, W]`, canvas SD units); `cols`/`fracs` are scratch of length W. */
function paintBackground(canvas: Float32Array, cw: number, cam: CameraPath, t: number, h: number, w: number, out: Float32Array, cols: Int32Array, fracs: Float32Array): void {
  const z = cam.zoom[t];
  // No rotation: sample columns are the same on every row, so their bilinear weights are computed once.
  for (let j = 0; j < w; j++) {
    const x = cam.cx[t] + (j + 0.5 - w / 2) / z;
    cols[j] = Math.floor(x);
    fracs[j] = x - cols[j];
  }
  for (let i = 0; i < h; i++) {
    const y = cam.cy[t] + (i + 0.5 - h / 2) / z;
    const fy = Math.floor(y);
    const ay = y - fy;
    const r0 = fy * cw;
    const r1 = r0 + cw;
    const o = i * w;
    for (let j = 0; j < w; j++) {
      const fx = cols[j];
      const ax = fracs[j];
      const top = canvas[r0 + fx] + (canvas[r0 + fx + 1] - canvas[r0 + fx]) * ax;
      const bottom = canvas[r1 + fx] + (canvas[r1 + fx + 1] - canvas[r1 + fx]) * ax;
      out[o + j] = top + (bottom - top) * ay;
    }
  }
}

/** Columns [lo, hi] of row offset `dy` (from the centre) inside the rotated box |u| ≤ ea, |v| ≤ eb. */
function rowSpan(dy: number, cos: number, sin: number, ea: number, eb: number): [number, number] {
  let lo = -Infinity;
  let hi = Infinity;
  // u = dx·cos + dy·sin ∈ [−ea, ea] and v = −dx·sin + dy·cos ∈ [−eb, eb], each linear in dx.
  for (const [coef, shift, e] of [[cos, dy * sin, ea], [-sin, dy * cos, eb]] as const) {
    if (Math.abs(coef) < 1e-9) {
      if (Math.abs(shift) > e) return [1, 0];
      continue;
    }
    const p = (-e - shift) / coef;
    const q = (e - shift) / coef;
    lo = Math.max(lo, Math.min(p, q));
    hi = Math.min(hi, Math.max(p, q));
  }
  return [lo, hi];
}

/** Alpha-blends every occluder visible at frame `t` over `out`. */
function paintOccluders(canvas: Float32Array, ch: number, cw: number, occluders: Occluder[], t: number, h: number, w: number, out: Float32Array): void {
  for (const o of occluders) {
    if (t < o.tStart || t > o.tEnd) continue;
    const s = (t - o.tStart) / (o.tEnd - o.tStart);
    const px = o.x0 + (o.x1 - o.x0) * s;
    const py = o.y0 + (o.y1 - o.y0) * s;
    const angle = o.angle0 + o.angularSpeed * (t - o.tStart);
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    const reach = o.a + 2;
    // Superellipse "radius" d = (|u/a|^p + |v/b|^p)^(1/p); the soft edge spans d ∈ [1 − 0.5/b, 1 + 0.5/b].
    const inner = Math.max(0, 1 - 0.5 / o.b) ** o.power;
    const outer = (1 + 0.5 / o.b) ** o.power;
    const iMin = Math.max(0, Math.floor(py - reach)), iMax = Math.min(h - 1, Math.ceil(py + reach));
    for (let i = iMin; i <= iMax; i++) {
      const dy = i + 0.5 - py;
      const [lo, hi] = rowSpan(dy, cos, sin, o.a + 1, o.b + 1);
      const jMin = Math.max(0, Math.floor(px + lo - 0.5));
      const jMax = Math.min(w - 1, Math.ceil(px + hi - 0.5));
      for (let j = jMin; j <= jMax; j++) {
        const dx = j + 0.5 - px;
        const u = dx * cos + dy * sin;
        const v = -dx * sin + dy * cos;
        const uu = (u * u) / (o.a * o.a);
        const vv = (v * v) / (o.b * o.b);
        const dp = o.power === 2 ? uu + vv : uu * uu * uu + vv * vv * vv;
        if (dp >= outer) continue;
        const alpha = dp <= inner ? 1 : Math.min(1, Math.max(0, (1 - dp ** (1 / o.power)) * o.b + 0.5));
        const tex = o.offset + o.gain * sampleWrapped(canvas, ch, cw, o.texX + u * o.texScale, o.texY + v * o.texScale);
        out[i * w + j] = (1 - alpha) * out[i * w + j] + alpha * tex;
      }
    }
  }
}

/** Renders the movie described by `p` (deterministic in `p.seed`). */
export function renderMovie(p: MovieParams): Movie {
  const rng = streamRng(p.seed, "movie");
  const { height: ch, width: cw, speedPx } = canvasSize(p);
  const pitch = pixelPitch(p.frame_width, p.frame_height, 0);
  const canvas = sceneCanvas(rng, ch, cw, p.spectral_slope, pitch.x, pitch.y, p.optical_blur_deg);
  const cam = cameraPath(rng, p, ch, speedPx);
  const occluders = makeOccluders(rng, p, ch, cw);
  const contrastMod = smoothNoise(rng, p.n_frames, 5 * FRAME_RATE_HZ).map((s) => Math.exp(0.15 * s));
  const h = p.frame_height;
  const w = p.frame_width;
  const buf = new Float32Array(h * w);
  const cols = new Int32Array(w);
  const fracs = new Float32Array(w);
  const paint = (t: number) => {
    paintBackground(canvas, cw, cam, t, h, w, buf, cols, fracs);
    paintOccluders(canvas, ch, cw, occluders, t, h, w, buf);
  };

  // Luminance normalisation from every 10th frame, so the whole movie has mean 127 and the set contrast.
  let sum = 0;
  let sumSq = 0;
  let count = 0;
  for (let t = 0; t < p.n_frames; t += 10) {
    paint(t);
    for (let i = 0; i < buf.length; i++) {
      sum += buf[i];
      sumSq += buf[i] * buf[i];
    }
    count += buf.length;
  }
  const mean = sum / count;
  const sd = Math.sqrt(Math.max(1e-12, sumSq / count - mean * mean));

  const frames = new Uint8Array(p.n_frames * h * w);
  const clamped = new Uint8ClampedArray(frames.buffer); // stores round and clamp to 0..255 natively
  for (let t = 0; t < p.n_frames; t++) {
    paint(t);
    const scale = (STIMULUS_GRAY * p.rms_contrast * contrastMod[t]) / sd;
    const offset = STIMULUS_GRAY - scale * mean;
    const o = t * h * w;
    for (let i = 0; i < buf.length; i++) clamped[o + i] = offset + scale * buf[i];
  }
  return { frames, n_frames: p.n_frames, height: h, width: w, frame_rate_hz: FRAME_RATE_HZ, source: "builtin:allen-like procedural movie (camera pan over dead leaves + 1/f texture, moving occluders)" };
}
