/**
 * The six places of the procedural movie, one per shot: hills, a street, a room, a meadow, the sky and
 * the sea. Each scene is a fixed layout drawn from its own random stream, animated in time `t`
 * (seconds from the scene's first frame): a camera path (pan, track, tilt or zoom) and moving figures
 * (a car, a walker, a walking animal, a bouncing ball, birds, a boat, drifting clouds, waves). Far
 * layers move less than near ones when the camera pans (parallax).
 */
import type { Rng } from "../../util/rng.js";
import { animal, bird, boat, car, cloud, house, paint, person, shape, shifted, texOrigin, tree } from "./figures.js";
import { groundY, type Camera, type Geom, type Shape } from "./shapes.js";

/** What a scene needs to know about the movie: frame aspect (W/H), its duration (s), camera pan speed (world units/s). */
export interface SceneContext {
  aspect: number;
  duration: number;
  pan: number;
}

export interface Scene {
  camera(t: number): Camera;
  shapes(t: number, cam: Camera): Shape[];
}

/** A scene's name, what a viewer sees, and its builder. */
export interface SceneKind {
  name: string;
  what: string;
  outdoor: boolean;
  build(rng: Rng, c: SceneContext): Scene;
}

type Ground = Extract<Geom, { kind: "ground" }>;

function ground(rng: Rng, y0: number, waves: [number, number][], x0: number, x1: number): Ground {
  return { kind: "ground", y0, x0, x1, waves: waves.map(([a, f]) => [a, f, rng.uniform(0, 2 * Math.PI)] as const) };
}

/** A layer at parallax `p` (1 = moves with the world, 0 = fixed on screen, > 1 = nearer than the world). */
function parallax(shapes: readonly Shape[], p: number, cam: Camera, x0: number): Shape[] {
  return p === 1 ? (shapes as Shape[]) : shifted(shapes, (1 - p) * (cam.x - x0));
}

/** Extent of world x a panning camera may see over the scene, with a margin. */
function span(c: SceneContext, speed: number): [number, number] {
  return [-0.6, c.aspect + 0.6 + Math.abs(speed) * c.duration];
}

const ease = (s: number) => 0.5 - 0.5 * Math.cos(Math.PI * Math.min(1, Math.max(0, s)));

const hills: SceneKind = {
  name: "hills",
  what: "landscape: sky with drifting clouds, far and near hills, trees; the camera pans right",
  outdoor: true,
  build(rng, c) {
    const [x0, x1] = span(c, c.pan);
    const sky = shape({ kind: "fill" }, paint(0.7, 0.12, { grad: 1.2, scale: 0.4, ...texOrigin(rng) }));
    const clouds = Array.from({ length: 5 }, (_, k) => cloud(rng, x0 + ((k + rng.random()) / 5) * (x1 - x0), rng.uniform(0.08, 0.3), rng.uniform(0.25, 0.45), 1.8)).flat();
    const far = [shape(ground(rng, 0.5, [[0.05, 4.1], [0.025, 9.3]], x0 - 2, x1 + 2), paint(0.3, 0.35, texOrigin(rng)))];
    const nearG = ground(rng, 0.72, [[0.07, 2.3], [0.03, 5.7]], x0 - 1, x1 + 1);
    const near: Shape[] = [shape(nearG, paint(-0.3, 0.8, texOrigin(rng)))];
    for (let x = x0 + rng.uniform(0, 0.3); x < x1; x += rng.uniform(0.25, 0.55)) near.push(...tree(rng, x, groundY(nearG, x) + 0.02, rng.uniform(0.18, 0.34), rng.uniform(-1.3, -0.7)));
    const bushes: Shape[] = [];
    for (let x = x0; x < x1 + 1; x += rng.uniform(0.3, 0.6)) bushes.push(shape({ kind: "ellipse", cx: x, cy: 1.0, rx: rng.uniform(0.08, 0.18), ry: rng.uniform(0.05, 0.1) }, paint(-1.4, 0.5, texOrigin(rng))));
    const start = c.aspect / 2;
    return {
      camera: (t) => ({ x: start + c.pan * t, y: 0.5, zoom: 1 }),
      shapes: (t, cam) => [sky, ...shifted(parallax(clouds, 0.15, cam, start), 0.02 * t), ...parallax(far, 0.35, cam, start), ...near, ...parallax(bushes, 1.4, cam, start)],
    };
  },
};

const street: SceneKind = {
  name: "street",
  what: "street: a row of houses with windows, sidewalk, street lamps; a car drives past, a person walks the other way; the camera pans right",
  outdoor: true,
  build(rng, c) {
    const speed = 0.6 * c.pan;
    const [x0, x1] = span(c, speed);
    const base = 0.7;
    const still: Shape[] = [shape({ kind: "fill" }, paint(1.0, 0.1, { grad: 0.6, scale: 0.4, ...texOrigin(rng) }))];
    for (let x = x0; x < x1; ) {
      const w = rng.uniform(0.3, 0.6);
      still.push(...house(rng, x, base, w, rng.uniform(0.25, 0.45)));
      x += w + rng.uniform(0.04, 0.2);
    }
    still.push(shape({ kind: "rect", x0: x0, y0: base, x1: x1, y1: base + 0.07 }, paint(0.7, 0.3, texOrigin(rng))));
    still.push(shape({ kind: "rect", x0: x0, y0: base + 0.07, x1: x1, y1: 2 }, paint(-0.9, 0.35, texOrigin(rng))));
    for (let x = x0; x < x1; x += 0.3) still.push(shape({ kind: "rect", x0: x, y0: 0.88, x1: x + 0.13, y1: 0.9 }, paint(1.4, 0)));
    for (let x = x0 + rng.uniform(0, 0.5); x < x1; x += 0.9) {
      still.push(shape({ kind: "capsule", ax: x, ay: base + 0.05, bx: x, by: base - 0.42, r: 0.007 }, paint(-1.5, 0)));
      still.push(shape({ kind: "ellipse", cx: x + 0.02, cy: base - 0.42, rx: 0.03, ry: 0.015 }, paint(1.8, 0)));
    }
    const start = c.aspect / 2;
    const carPaint = paint(rng.uniform(-1.2, 1.2) > 0 ? 1.1 : -1.1, 0.2, texOrigin(rng));
    const car2Paint = paint(carPaint.gray > 0 ? -0.6 : 0.9, 0.2, texOrigin(rng));
    return {
      camera: (t) => ({ x: start + speed * t, y: 0.5, zoom: 1 }),
      shapes: (t, cam) => [
        ...still,
        ...person(start + c.aspect * 0.3 - 0.12 * t, base + 0.05, 0.2, -1, 2 * Math.PI * 1.6 * t, paint(-1.4, 0.3)),
        ...shifted(car(0, 0.86, 0.36, -1, car2Paint), cam.x + c.aspect / 2 + 0.3 - 0.8 * Math.max(0, t - 0.3 * c.duration)),
        ...shifted(car(0, 0.97, 0.45, 1, carPaint), cam.x - c.aspect / 2 - 0.1 + 0.5 * t),
      ],
    };
  },
};

const room: SceneKind = {
  name: "room",
  what: "room: wall with a window and a picture, table with a vase, chair and lamp, wooden floor; a ball bounces across; the camera zooms in",
  outdoor: false,
  build(rng, c) {
    const A = c.aspect;
    const floorY = 0.74;
    const s: Shape[] = [shape({ kind: "fill" }, paint(0.35, 0.3, { ...texOrigin(rng), scale: 0.7 }))];
    s.push(shape({ kind: "rect", x0: -1, y0: floorY, x1: A + 1, y1: 2 }, paint(-0.4, 0.8, { ...texOrigin(rng), scale: 1.6 })));
    for (const y of [0.8, 0.88, 0.99, 1.13]) s.push(shape({ kind: "rect", x0: -1, y0: y, x1: A + 1, y1: y + 0.005 }, paint(-1.2, 0)));
    s.push(shape({ kind: "rect", x0: -1, y0: floorY - 0.03, x1: A + 1, y1: floorY }, paint(-0.9, 0)));
    const wx = 0.12 * A;
    s.push(shape({ kind: "rect", x0: wx, y0: 0.1, x1: wx + 0.5, y1: 0.56 }, paint(-1.2, 0.2)));
    s.push(shape({ kind: "rect", x0: wx + 0.03, y0: 0.13, x1: wx + 0.47, y1: 0.53 }, paint(1.9, 0.15, { ...texOrigin(rng), scale: 0.5 })));
    s.push(...tree(rng, wx + 0.33, 0.56, 0.3, 0.4));
    s.push(shape({ kind: "capsule", ax: wx + 0.25, ay: 0.12, bx: wx + 0.25, by: 0.54, r: 0.01 }, paint(-1.2, 0)));
    s.push(shape({ kind: "capsule", ax: wx + 0.02, ay: 0.33, bx: wx + 0.48, by: 0.33, r: 0.01 }, paint(-1.2, 0)));
    s.push(shape({ kind: "poly", xs: [wx - 0.08, wx + 0.05, wx + 0.02, wx - 0.1], ys: [0.06, 0.06, 0.62, 0.62] }, paint(1.0, 0.5, texOrigin(rng))));
    s.push(shape({ kind: "poly", xs: [wx + 0.45, wx + 0.58, wx + 0.6, wx + 0.48], ys: [0.06, 0.06, 0.62, 0.62] }, paint(1.0, 0.5, texOrigin(rng))));
    const px = 0.62 * A;
    s.push(shape({ kind: "rect", x0: px, y0: 0.14, x1: px + 0.36, y1: 0.4 }, paint(-1.3, 0.2)));
    s.push(shape({ kind: "rect", x0: px + 0.025, y0: 0.165, x1: px + 0.335, y1: 0.375 }, paint(0.9, 0.3, texOrigin(rng))));
    s.push(shape({ kind: "poly", xs: [px + 0.03, px + 0.15, px + 0.22, px + 0.33], ys: [0.37, 0.22, 0.3, 0.37] }, paint(-0.5, 0.3, texOrigin(rng))));
    s.push(shape({ kind: "ellipse", cx: px + 0.27, cy: 0.22, rx: 0.025, ry: 0.025 }, paint(1.8, 0)));
    const tx = 0.5 * A, wood = paint(-1.1, 0.4, texOrigin(rng));
    s.push(shape({ kind: "rect", x0: tx - 0.3, y0: 0.55, x1: tx + 0.3, y1: 0.58 }, wood));
    for (const lx of [-0.26, 0.26]) s.push(shape({ kind: "capsule", ax: tx + lx, ay: 0.58, bx: tx + lx, by: 0.82, r: 0.012 }, wood));
    s.push(shape({ kind: "ellipse", cx: tx + 0.1, cy: 0.5, rx: 0.035, ry: 0.05 }, paint(1.2, 0.2, texOrigin(rng))));
    for (let k = 0; k < 3; k++) s.push(shape({ kind: "ellipse", cx: tx + 0.08 + 0.02 * k, cy: 0.41 - 0.01 * (k % 2), rx: 0.022, ry: 0.022 }, paint(-0.8 + 0.9 * k, 0)));
    const cx = 0.28 * A, chair = paint(-0.7, 0.4, texOrigin(rng));
    s.push(shape({ kind: "rect", x0: cx - 0.1, y0: 0.62, x1: cx + 0.1, y1: 0.65 }, chair));
    s.push(shape({ kind: "rect", x0: cx - 0.1, y0: 0.42, x1: cx - 0.075, y1: 0.65 }, chair));
    for (const lx of [-0.09, 0.09]) s.push(shape({ kind: "capsule", ax: cx + lx, ay: 0.65, bx: cx + lx, by: 0.86, r: 0.01 }, chair));
    const lx = 0.88 * A;
    s.push(shape({ kind: "capsule", ax: lx, ay: 0.84, bx: lx, by: 0.32, r: 0.008 }, paint(-1.4, 0)));
    s.push(shape({ kind: "poly", xs: [lx - 0.05, lx + 0.05, lx + 0.08, lx - 0.08], ys: [0.22, 0.22, 0.32, 0.32] }, paint(1.6, 0.2, texOrigin(rng))));
    const centre = { x: rng.uniform(0.4, 0.6) * A, y: rng.uniform(0.45, 0.55) };
    return {
      camera: (t) => {
        const z = 1 + 0.45 * ease(t / c.duration);
        return { x: A / 2 + (centre.x - A / 2) * (1 - 1 / z), y: 0.5 + (centre.y - 0.5) * (1 - 1 / z), zoom: z };
      },
      shapes: (t) => {
        const s01 = t / c.duration;
        const bx = -0.1 + (A + 0.2) * s01;
        const by = floorY + 0.19 - 0.08 - 0.3 * Math.abs(Math.cos(Math.PI * 3 * s01)) * (1 - 0.5 * s01);
        const spin = (bx / 0.08) % (2 * Math.PI);
        const ball = paint(2.2, 0);
        return [
          ...s,
          shape({ kind: "ellipse", cx: bx, cy: 0.93, rx: 0.08, ry: 0.015 }, paint(-1.0, 0)),
          shape({ kind: "ellipse", cx: bx, cy: by, rx: 0.08, ry: 0.08 }, ball),
          shape({ kind: "capsule", ax: bx - 0.07 * Math.cos(spin), ay: by - 0.07 * Math.sin(spin), bx: bx + 0.07 * Math.cos(spin), by: by + 0.07 * Math.sin(spin), r: 0.018 }, paint(-1.2, 0)),
        ];
      },
    };
  },
};

const meadow: SceneKind = {
  name: "meadow",
  what: "meadow: a horse-like animal walks right in front of a fence, mountains and a tree line behind; the camera tracks it",
  outdoor: true,
  build(rng, c) {
    const speed = Math.max(0.15, 0.8 * c.pan);
    const [x0, x1] = span(c, speed * 1.2);
    const sky = shape({ kind: "fill" }, paint(1.1, 0.1, { grad: 0.6, scale: 0.4, ...texOrigin(rng) }));
    const mountains = [shape(ground(rng, 0.42, [[0.1, 2.1], [0.04, 5.3]], x0 - 2, x1 + 2), paint(0.45, 0.2, texOrigin(rng)))];
    const treeLine = [shape(ground(rng, 0.54, [[0.015, 23], [0.02, 11]], x0 - 2, x1 + 2), paint(-0.7, 0.5, { ...texOrigin(rng), scale: 1.5 }))];
    const field: Shape[] = [shape(ground(rng, 0.6, [[0.01, 3]], x0 - 1, x1 + 1), paint(0.6, 0.5, { ...texOrigin(rng), scale: 1.4 }))];
    for (let k = 0; k < 60; k++) {
      const y = rng.uniform(0.63, 1.05), r = 0.004 + 0.012 * (y - 0.6);
      field.push(shape({ kind: "ellipse", cx: rng.uniform(x0, x1), cy: y, rx: r, ry: r * 0.8 }, paint(1.7, 0)));
    }
    const post = paint(-1.0, 0.3, texOrigin(rng));
    for (let x = x0; x < x1; x += 0.33) field.push(shape({ kind: "rect", x0: x, y0: 0.58, x1: x + 0.022, y1: 0.76 }, post));
    for (const y of [0.62, 0.69]) field.push(shape({ kind: "capsule", ax: x0, ay: y, bx: x1, by: y, r: 0.006 }, post));
    const grass: Shape[] = [];
    for (let x = x0; x < x1 + 2; x += rng.uniform(0.08, 0.2)) grass.push(shape({ kind: "poly", xs: [x - 0.03, x + 0.03, x + rng.uniform(-0.03, 0.03)], ys: [1.02, 1.02, rng.uniform(0.88, 0.95)] }, paint(-1.2, 0.3, texOrigin(rng))));
    const start = c.aspect / 2;
    const body = paint(-1.8, 0.25, texOrigin(rng));
    return {
      camera: (t) => ({ x: start + 0.85 * speed * t, y: 0.5, zoom: 1 }),
      shapes: (t, cam) => [
        sky,
        ...parallax(mountains, 0.1, cam, start),
        ...parallax(treeLine, 0.4, cam, start),
        ...field,
        ...animal(start - 0.3 + speed * t, 0.88, 0.34, 1, 2 * Math.PI * 1.3 * t, body),
        ...parallax(grass, 1.3, cam, start),
      ],
    };
  },
};

const sky: SceneKind = {
  name: "sky",
  what: "sky: a flock of birds flaps across drifting clouds above a dark wooded ridge; the camera tilts up",
  outdoor: true,
  build(rng, c) {
    const speed = 0.3 * c.pan;
    const [x0, x1] = span(c, speed);
    const fill = shape({ kind: "fill" }, paint(0.9, 0.15, { grad: 1.0, scale: 0.3, ...texOrigin(rng) }));
    const clouds = Array.from({ length: 9 }, () => cloud(rng, rng.uniform(x0, x1), rng.uniform(-0.5, 0.6), rng.uniform(0.2, 0.5), rng.uniform(1.4, 2.0))).flat();
    const ridgeG = ground(rng, 0.86, [[0.03, 3.3], [0.015, 8.1]], x0 - 1, x1 + 1);
    const ridge: Shape[] = [shape(ridgeG, paint(-1.3, 0.4, texOrigin(rng)))];
    for (let x = x0; x < x1; x += rng.uniform(0.06, 0.14)) ridge.push(...tree(rng, x, groundY(ridgeG, x) + 0.03, rng.uniform(0.08, 0.16), -1.4));
    const dir = rng.random() < 0.5 ? 1 : -1;
    const flock = Array.from({ length: 6 }, () => ({ sx: rng.uniform(-0.2, 0.8), y: rng.uniform(0.05, 0.55), span: rng.uniform(0.06, 0.12), v: rng.uniform(0.2, 0.4), f: rng.uniform(2.5, 4), ph: rng.uniform(0, 6.3) }));
    const start = c.aspect / 2;
    const dark = paint(-1.6, 0);
    return {
      camera: (t) => ({ x: start + speed * t, y: 0.5 - 0.35 * ease(t / c.duration), zoom: 1 }),
      shapes: (t, cam) => {
        const out: Shape[] = [fill, ...shifted(parallax(clouds, 0.5, cam, start), 0.03 * t), ...ridge];
        for (const b of flock) {
          const sx = dir > 0 ? b.sx * c.aspect + b.v * t : (1 - b.sx) * c.aspect - b.v * t;
          out.push(...bird(cam.x - c.aspect / 2 + sx, b.y - 0.25 * ease(t / c.duration) + 0.02 * Math.sin(b.ph + t), b.span, b.ph + 2 * Math.PI * b.f * t, dark));
        }
        return out;
      },
    };
  },
};

const sea: SceneKind = {
  name: "sea",
  what: "sea: waves roll under a bright sky with a sun, an island with a lighthouse, a sailing boat crosses; the camera pans left",
  outdoor: true,
  build(rng, c) {
    const speed = -0.5 * c.pan;
    const A = c.aspect;
    const [lo, hi] = span(c, speed);
    const x0 = A - hi, x1 = A - lo;
    const horizon = 0.46;
    const fill = shape({ kind: "fill" }, paint(1.1, 0.1, { grad: 0.8, scale: 0.4, ...texOrigin(rng) }));
    const sun = [shape({ kind: "ellipse", cx: 0.25 * A, cy: 0.16, rx: 0.05, ry: 0.05 }, paint(2.4, 0))];
    const ix = rng.uniform(0.55, 0.8) * A;
    const island: Shape[] = [shape(ground(rng, horizon - 0.02, [[0.025, 9]], ix - 0.45, ix + 0.45), paint(-0.6, 0.4, texOrigin(rng)))];
    island.push(shape({ kind: "rect", x0: ix - 0.02, y0: horizon - 0.2, x1: ix + 0.02, y1: horizon - 0.03 }, paint(1.6, 0)));
    island.push(shape({ kind: "rect", x0: ix - 0.02, y0: horizon - 0.14, x1: ix + 0.02, y1: horizon - 0.1 }, paint(-1.2, 0)));
    island.push(shape({ kind: "poly", xs: [ix - 0.03, ix + 0.03, ix], ys: [horizon - 0.2, horizon - 0.2, horizon - 0.24] }, paint(-1.2, 0)));
    const water = shape({ kind: "rect", x0: x0 - 1, y0: horizon, x1: x1 + 1, y1: 3 }, paint(-0.9, 0.35, { grad: 0.8, ...texOrigin(rng) }));
    const rows = Array.from({ length: 14 }, (_, k) => {
      const d = ((k + 1) / 14) ** 1.7;
      return { y: horizon + 0.01 + 0.6 * d, len: 0.04 + 0.3 * d, r: 0.002 + 0.012 * d, gap: 0.08 + 0.5 * d, ph: rng.uniform(0, 1), v: rng.uniform(0.04, 0.1) * (0.5 + d) };
    });
    const foam = paint(1.3, 0.2, texOrigin(rng));
    const bx = rng.uniform(0.7, 0.9) * A;
    const start = A / 2;
    return {
      camera: (t) => ({ x: start + speed * t, y: 0.5 + 0.01 * Math.sin((2 * Math.PI * t) / 2.5), zoom: 1 }),
      shapes: (t, cam) => {
        const out: Shape[] = [fill, ...parallax(sun, 0, cam, start), ...parallax(island, 0.25, cam, start), water];
        for (const r of rows) {
          const period = r.len + r.gap;
          const first = Math.floor((cam.x - A) / period) - 1;
          const bob = 0.25 * r.r * Math.sin(2 * Math.PI * (t / 1.7 + r.ph));
          for (let k = first; (k - 1) * period < cam.x + A; k++) {
            const x = k * period + period * r.ph + r.v * t;
            out.push(shape({ kind: "capsule", ax: x, ay: r.y + bob, bx: x + r.len, by: r.y + bob, r: r.r }, foam));
          }
        }
        const by = horizon + 0.2 + 0.012 * Math.sin(2 * Math.PI * t / 2);
        out.push(...boat(bx - 0.18 * t, by, 0.3, -1));
        return out;
      },
    };
  },
};

/** The scenes in screening order; `n_scenes` takes the first n. */
export const SCENES: readonly SceneKind[] = [hills, street, room, meadow, sky, sea];

/** Relative shot lengths (the default 900 frames give 165, 150, 135, 165, 135, 150 frames). */
export const SCENE_WEIGHTS: readonly number[] = [1.1, 1.0, 0.9, 1.1, 0.9, 1.0];
