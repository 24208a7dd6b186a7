/**
 * Recognisable objects of the procedural movie, built from the primitives of shapes.ts: trees,
 * houses, clouds, a car, a walking person, a walking four-legged animal, a flapping bird and a sailing
 * boat. Each returns its shapes (back to front) for one moment; animation is driven by the caller
 * (position, walking / flapping phase). Sizes are world units (the frame is 1 unit high).
 */
import type { Rng } from "../../util/rng.js";
import type { Geom, Paint, Shape } from "./shapes.js";

/** A paint with `gray`, texture gain `tex` and optional fields (no gradient, texture at frame scale). */
export function paint(gray: number, tex: number, o: Partial<Paint> = {}): Paint {
  return { gray, grad: 0, tex, scale: 1, ox: 0, oy: 0, ...o };
}

export function shape(geom: Geom, p: Paint): Shape {
  return { geom, paint: p };
}

/** Moves shapes by (dx, dy), texture included (used for parallax layers and moving objects). */
export function shifted(shapes: readonly Shape[], dx: number, dy = 0): Shape[] {
  return shapes.map(({ geom: g, paint: p }) => {
    const q = { ...p, ox: p.ox + dx, oy: p.oy + dy };
    switch (g.kind) {
      case "fill": return { geom: g, paint: q };
      case "rect": return { geom: { ...g, x0: g.x0 + dx, x1: g.x1 + dx, y0: g.y0 + dy, y1: g.y1 + dy }, paint: q };
      case "ellipse": return { geom: { ...g, cx: g.cx + dx, cy: g.cy + dy }, paint: q };
      case "capsule": return { geom: { ...g, ax: g.ax + dx, bx: g.bx + dx, ay: g.ay + dy, by: g.by + dy }, paint: q };
      case "poly": return { geom: { kind: "poly", xs: g.xs.map((x) => x + dx), ys: g.ys.map((y) => y + dy) }, paint: q };
      case "ground": return { geom: { ...g, x0: g.x0 + dx, x1: g.x1 + dx, y0: g.y0 + dy, waves: g.waves.map(([a, f, ph]) => [a, f, ph - f * dx] as const) }, paint: q };
    }
  });
}

/** A random texture origin, so that objects show different patches of the texture canvas. */
export function texOrigin(rng: Rng): Pick<Paint, "ox" | "oy"> {
  return { ox: rng.uniform(0, 50), oy: rng.uniform(0, 50) };
}

/** A deciduous (round crown) or conifer (stacked triangles) tree standing at (x, yBase), `size` tall. */
export function tree(rng: Rng, x: number, yBase: number, size: number, gray: number): Shape[] {
  const trunkW = 0.05 * size;
  const out: Shape[] = [shape({ kind: "rect", x0: x - trunkW / 2, y0: yBase - 0.45 * size, x1: x + trunkW / 2, y1: yBase }, paint(gray - 0.3, 0.3, texOrigin(rng)))];
  const crown = paint(gray, 0.6, { ...texOrigin(rng), scale: 1.3 });
  if (rng.random() < 0.4) {
    for (let k = 0; k < 3; k++) {
      const top = yBase - size * (1 - 0.22 * k), bottom = yBase - size * (0.55 - 0.18 * k);
      const half = size * (0.16 + 0.07 * k);
      out.push(shape({ kind: "poly", xs: [x, x + half, x - half], ys: [top, bottom, bottom] }, crown));
    }
  } else {
    const r = 0.28 * size;
    out.push(shape({ kind: "ellipse", cx: x, cy: yBase - size + r, rx: r, ry: r * 0.9 }, crown));
    out.push(shape({ kind: "ellipse", cx: x - 0.6 * r, cy: yBase - size + 1.6 * r, rx: 0.75 * r, ry: 0.65 * r }, crown));
    out.push(shape({ kind: "ellipse", cx: x + 0.6 * r, cy: yBase - size + 1.5 * r, rx: 0.75 * r, ry: 0.65 * r }, crown));
  }
  return out;
}

/** A cloud of three to five overlapping bright ellipses around (x, y), `size` wide. */
export function cloud(rng: Rng, x: number, y: number, size: number, gray: number): Shape[] {
  const p = paint(gray, 0.35, { ...texOrigin(rng), scale: 0.6 });
  const n = 3 + rng.int(3);
  const out: Shape[] = [];
  for (let k = 0; k < n; k++) {
    const r = size * rng.uniform(0.18, 0.3);
    out.push(shape({ kind: "ellipse", cx: x + size * (k / (n - 1) - 0.5) * 0.7, cy: y - r * rng.uniform(0.2, 0.6), rx: r, ry: r * 0.75 }, p));
  }
  out.push(shape({ kind: "ellipse", cx: x, cy: y, rx: size / 2, ry: size * 0.12 }, p));
  return out;
}

/** A house of width `w` and wall height `h` standing at x0..x0+w on yBase: wall, roof, windows, door. */
export function house(rng: Rng, x0: number, yBase: number, w: number, h: number): Shape[] {
  const wall = rng.uniform(-0.5, 0.9);
  const x1 = x0 + w, yTop = yBase - h;
  const out: Shape[] = [
    shape({ kind: "rect", x0, y0: yTop, x1, y1: yBase }, paint(wall, 0.45, texOrigin(rng))),
    shape({ kind: "poly", xs: [x0 - 0.03, x1 + 0.03, (x0 + x1) / 2], ys: [yTop, yTop, yTop - rng.uniform(0.12, 0.22)] }, paint(wall < 0.2 ? 0.9 : -1.1, 0.4, texOrigin(rng))),
  ];
  const cols = Math.max(2, Math.round(w / 0.14)), rows = Math.max(1, Math.round(h / 0.15));
  const ww = 0.045, wh = 0.06;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const cx = x0 + (w * (c + 0.5)) / cols, cy = yTop + (h * (r + 0.4)) / (rows + 0.3);
      if (r === rows - 1 && c === Math.floor(cols / 2)) continue; // the door's place
      const lit = rng.random() < 0.25;
      out.push(shape({ kind: "rect", x0: cx - ww / 2 - 0.006, y0: cy - wh / 2 - 0.006, x1: cx + ww / 2 + 0.006, y1: cy + wh / 2 + 0.006 }, paint(wall > 0 ? -0.6 : 1.0, 0)));
      out.push(shape({ kind: "rect", x0: cx - ww / 2, y0: cy - wh / 2, x1: cx + ww / 2, y1: cy + wh / 2 }, paint(lit ? 1.6 : -1.5, 0.2, texOrigin(rng))));
    }
  }
  const dx = x0 + (w * (Math.floor(cols / 2) + 0.5)) / cols;
  out.push(shape({ kind: "rect", x0: dx - 0.03, y0: yBase - 0.11, x1: dx + 0.03, y1: yBase }, paint(-1.3, 0.3, texOrigin(rng))));
  return out;
}

/** A car `len` long whose wheels touch yBase at centre x, facing `dir` (±1). */
export function car(x: number, yBase: number, len: number, dir: number, body: Paint): Shape[] {
  const L = len, f = dir;
  const glass = paint(1.2, 0.15, { ox: x, oy: yBase, scale: 2 });
  const out: Shape[] = [
    shape({ kind: "rect", x0: x - 0.5 * L, y0: yBase - 0.3 * L, x1: x + 0.5 * L, y1: yBase - 0.09 * L }, body),
    shape({ kind: "poly", xs: [x - 0.32 * L * f, x + 0.22 * L * f, x + 0.1 * L * f, x - 0.24 * L * f], ys: [yBase - 0.29 * L, yBase - 0.29 * L, yBase - 0.48 * L, yBase - 0.48 * L] }, body),
    shape({ kind: "poly", xs: [x - 0.27 * L * f, x + 0.17 * L * f, x + 0.08 * L * f, x - 0.21 * L * f], ys: [yBase - 0.31 * L, yBase - 0.31 * L, yBase - 0.45 * L, yBase - 0.45 * L] }, glass),
    shape({ kind: "ellipse", cx: x + 0.47 * L * f, cy: yBase - 0.22 * L, rx: 0.03 * L, ry: 0.025 * L }, paint(2, 0)),
  ];
  for (const wx of [-0.3, 0.3]) {
    out.push(shape({ kind: "ellipse", cx: x + wx * L, cy: yBase - 0.1 * L, rx: 0.1 * L, ry: 0.1 * L }, paint(-1.8, 0.1)));
    out.push(shape({ kind: "ellipse", cx: x + wx * L, cy: yBase - 0.1 * L, rx: 0.045 * L, ry: 0.045 * L }, paint(0.8, 0)));
  }
  return out;
}

/** A walking person (silhouette) `height` tall, feet at (x, yFoot), facing `dir`, at gait phase `phase` (radians). */
export function person(x: number, yFoot: number, height: number, dir: number, phase: number, p: Paint): Shape[] {
  const H = height, r = 0.05 * H;
  const hipY = yFoot - 0.5 * H + 0.01 * H * Math.cos(2 * phase), shoulderY = hipY - 0.33 * H;
  const out: Shape[] = [];
  for (const s of [1, -1]) {
    const a = 0.45 * s * Math.sin(phase);
    out.push(shape({ kind: "capsule", ax: x, ay: hipY, bx: x + dir * 0.5 * H * Math.sin(a), by: hipY + 0.48 * H * Math.cos(a), r }, p));
    const b = -0.5 * s * Math.sin(phase);
    out.push(shape({ kind: "capsule", ax: x, ay: shoulderY, bx: x + dir * 0.36 * H * Math.sin(b), by: shoulderY + 0.34 * H * Math.cos(b), r: 0.8 * r }, p));
  }
  out.push(shape({ kind: "capsule", ax: x, ay: hipY, bx: x + dir * 0.02 * H, by: shoulderY, r: 1.9 * r }, p));
  out.push(shape({ kind: "ellipse", cx: x + dir * 0.03 * H, cy: shoulderY - 0.12 * H, rx: 0.075 * H, ry: 0.09 * H }, p));
  return out;
}

/** A walking four-legged animal (horse / dog) with body `len` long, feet at (x, yFoot), facing `dir`. */
export function animal(x: number, yFoot: number, len: number, dir: number, phase: number, p: Paint): Shape[] {
  const L = len, legLen = 0.5 * L;
  const cy = yFoot - legLen - 0.1 * L + 0.015 * L * Math.sin(2 * phase);
  const out: Shape[] = [];
  const legs: [number, number][] = [[0.36, 0], [0.3, Math.PI], [-0.34, Math.PI / 2], [-0.4, (3 * Math.PI) / 2]];
  for (const [hx, off] of legs) {
    const swing = 0.35 * Math.sin(phase + off);
    const lift = Math.max(0, Math.cos(phase + off)) * 0.06 * L;
    out.push(shape({ kind: "capsule", ax: x + dir * hx * L, ay: cy + 0.05 * L, bx: x + dir * (hx * L + legLen * Math.sin(swing)), by: yFoot - lift, r: 0.045 * L }, p));
  }
  out.push(shape({ kind: "ellipse", cx: x, cy, rx: 0.5 * L, ry: 0.17 * L }, p));
  const nod = 0.03 * L * Math.sin(2 * phase);
  out.push(shape({ kind: "capsule", ax: x + dir * 0.4 * L, ay: cy - 0.05 * L, bx: x + dir * 0.62 * L, by: cy - 0.38 * L + nod, r: 0.08 * L }, p));
  out.push(shape({ kind: "ellipse", cx: x + dir * 0.74 * L, cy: cy - 0.36 * L + nod, rx: 0.16 * L, ry: 0.07 * L }, p));
  out.push(shape({ kind: "capsule", ax: x + dir * 0.62 * L, ay: cy - 0.42 * L + nod, bx: x + dir * 0.6 * L, by: cy - 0.52 * L + nod, r: 0.025 * L }, p));
  out.push(shape({ kind: "capsule", ax: x - dir * 0.48 * L, ay: cy - 0.06 * L, bx: x - dir * (0.62 * L + 0.04 * L * Math.sin(phase)), by: cy + 0.3 * L, r: 0.03 * L }, p));
  return out;
}

/** A bird of wing span `span` at (x, y), wings at flap phase `phase` (radians). */
export function bird(x: number, y: number, span: number, phase: number, p: Paint): Shape[] {
  const tipY = y - 0.3 * span * Math.sin(phase);
  const r = 0.045 * span;
  return [
    shape({ kind: "capsule", ax: x, ay: y, bx: x - 0.5 * span, by: tipY, r }, p),
    shape({ kind: "capsule", ax: x, ay: y, bx: x + 0.5 * span, by: tipY, r }, p),
    shape({ kind: "ellipse", cx: x, cy: y + 0.02 * span, rx: 0.12 * span, ry: 0.06 * span }, p),
  ];
}

/** A sailing boat `len` long floating at waterline (x, y), sail on the `dir` side. */
export function boat(x: number, y: number, len: number, dir: number): Shape[] {
  const L = len;
  return [
    shape({ kind: "capsule", ax: x, ay: y - 0.08 * L, bx: x, by: y - 0.95 * L, r: 0.012 * L }, paint(-1.4, 0)),
    shape({ kind: "poly", xs: [x + 0.03 * L * dir, x + 0.03 * L * dir, x + 0.5 * L * dir], ys: [y - 0.9 * L, y - 0.14 * L, y - 0.14 * L] }, paint(1.7, 0.25, { ox: x, oy: y })),
    shape({ kind: "poly", xs: [x - 0.03 * L * dir, x - 0.03 * L * dir, x - 0.3 * L * dir], ys: [y - 0.75 * L, y - 0.14 * L, y - 0.14 * L] }, paint(1.3, 0.25, { ox: x + 3, oy: y })),
    shape({ kind: "poly", xs: [x - 0.55 * L, x + 0.55 * L, x + 0.4 * L, x - 0.42 * L], ys: [y - 0.1 * L, y - 0.1 * L, y + 0.06 * L, y + 0.06 * L] }, paint(-1.2, 0.3, { ox: x, oy: y })),
  ];
}
