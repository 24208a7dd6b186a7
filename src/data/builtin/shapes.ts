/**
 * The drawing primitives of the procedural movie (movie.ts, scenes.ts): rectangles, ellipses,
 * capsules (limbs, masts, wings), polygons (roofs, sails, hulls) and "ground" regions under a
 * sum-of-sines skyline (hills, shores), each filled with a gray level, a vertical gradient and a patch
 * of the natural-statistics texture canvas (dead leaves + 1/f^α, canvas.ts), so that flat regions
 * keep a natural spectrum and outlines give the sharp occlusion edges of real scenes.
 *
 * Coordinates are "world units": the frame is 1 unit high at zoom 1 and W/H units wide, y points
 * down. Shapes are rasterised through signed distance functions, with an edge ramp whose width is
 * the optical blur (anti-aliased, never narrower than one pixel).
 */

/** Geometry of one primitive (world units). */
export type Geom =
  | { kind: "fill" }
  | { kind: "rect"; x0: number; y0: number; x1: number; y1: number }
  | { kind: "ellipse"; cx: number; cy: number; rx: number; ry: number }
  | { kind: "capsule"; ax: number; ay: number; bx: number; by: number; r: number }
  | { kind: "poly"; xs: readonly number[]; ys: readonly number[] }
  /** Everything below the skyline y = y0 + Σ amp·sin(freq·x + phase), for x in [x0, x1]. */
  | { kind: "ground"; y0: number; waves: readonly (readonly [number, number, number])[]; x0: number; x1: number };

/** How a primitive is filled: value = gray + grad·y + tex·texture((x − ox)·scale, (y − oy)·scale). */
export interface Paint {
  gray: number;
  grad: number;
  tex: number;
  /** Texture magnification (canvas pixels per world unit, relative to the frame height in px). */
  scale: number;
  /** Texture origin: the shape's own anchor, so a moving object carries its texture along. */
  ox: number;
  oy: number;
}

export interface Shape {
  geom: Geom;
  paint: Paint;
}

/** The camera of one frame: view centre (world units) and zoom (> 1 magnifies). */
export interface Camera {
  x: number;
  y: number;
  zoom: number;
}

/** The texture every shape samples: zero mean, unit SD, periodic, sizes powers of two. */
export interface Texture {
  data: Float32Array;
  height: number;
  width: number;
}

const INF = 1e9;

/** Skyline height of a ground region at x. */
export function groundY(g: Extract<Geom, { kind: "ground" }>, x: number): number {
  let y = g.y0;
  for (const [amp, freq, phase] of g.waves) y += amp * Math.sin(freq * x + phase);
  return y;
}

/** World bounding box [x0, y0, x1, y1] of a geometry. */
function bounds(g: Geom): [number, number, number, number] {
  switch (g.kind) {
    case "fill": return [-INF, -INF, INF, INF];
    case "rect": return [g.x0, g.y0, g.x1, g.y1];
    case "ellipse": return [g.cx - g.rx, g.cy - g.ry, g.cx + g.rx, g.cy + g.ry];
    case "capsule": return [Math.min(g.ax, g.bx) - g.r, Math.min(g.ay, g.by) - g.r, Math.max(g.ax, g.bx) + g.r, Math.max(g.ay, g.by) + g.r];
    case "poly": return [Math.min(...g.xs), Math.min(...g.ys), Math.max(...g.xs), Math.max(...g.ys)];
    case "ground": {
      let amp = 0;
      for (const w of g.waves) amp += Math.abs(w[0]);
      return [g.x0, g.y0 - amp, g.x1, INF];
    }
  }
}

/** Signed distance (world units, negative inside) from (x, y) to a polygon (Quilez's winding form). */
function polyDistance(xs: readonly number[], ys: readonly number[], x: number, y: number): number {
  const n = xs.length;
  let d = (x - xs[0]) ** 2 + (y - ys[0]) ** 2;
  let s = 1;
  for (let i = 0, j = n - 1; i < n; j = i, i++) {
    const ex = xs[j] - xs[i], ey = ys[j] - ys[i];
    const wx = x - xs[i], wy = y - ys[i];
    const h = Math.min(1, Math.max(0, (wx * ex + wy * ey) / (ex * ex + ey * ey)));
    const bx = wx - ex * h, by = wy - ey * h;
    d = Math.min(d, bx * bx + by * by);
    const c1 = y >= ys[i], c2 = y < ys[j], c3 = ex * wy > ey * wx;
    if ((c1 && c2 && c3) || (!c1 && !c2 && !c3)) s = -s;
  }
  return s * Math.sqrt(d);
}

/** Work arrays of `paintShapes` for an `h` × `w` frame, allocated once per movie rather than per frame. */
export interface PaintScratch {
  colX: Float64Array;
  skyline: Float64Array;
  dist: Float64Array;
  texCol: Int32Array;
  texFrac: Float64Array;
  cover: Float32Array;
  rowFull: Int32Array;
}

export function paintScratch(h: number, w: number): PaintScratch {
  return { colX: new Float64Array(w), skyline: new Float64Array(w), dist: new Float64Array(w), texCol: new Int32Array(w), texFrac: new Float64Array(w), cover: new Float32Array(h * w), rowFull: new Int32Array(h) };
}

/** Numeric codes of the geometry kinds, so the pixel loop switches on a small integer (monomorphic). */
const KIND = { fill: 0, rect: 1, ellipse: 2, capsule: 3, poly: 4, ground: 5 } as const;

/**
 * Paints `shapes` in order (later ones in front) into `out` (`[h, w]`) as seen by `cam`. `edgePx` is
 * the width (frame pixels) of the linear edge ramp; the texture is magnified by `paint.scale × h`
 * canvas pixels per world unit, so it keeps its size relative to the frame whatever the resolution.
 * `out` is overwritten (every scene starts with a "fill" layer; pixels nothing covers stay 0).
 *
 * Shapes are composited front to back ("under"), which gives the same image as painting back to front
 * but lets pixels and rows that nearer shapes already cover be skipped: most layers of a scene
 * (sky, far hills) are largely hidden. The distance of each kind is written out in its own loop: a
 * generic distance function on the union type made the loop megamorphic and many times slower.
 */
export function paintShapes(shapes: readonly Shape[], cam: Camera, tex: Texture, h: number, w: number, edgePx: number, out: Float32Array, scratch: PaintScratch = paintScratch(h, w)): void {
  const pxPerUnit = h * cam.zoom;
  const halfEdge = (0.5 * edgePx) / pxPerUnit;
  const { colX, skyline, dist, texCol, texFrac, cover, rowFull } = scratch;
  for (let j = 0; j < w; j++) colX[j] = cam.x + (j + 0.5 - w / 2) / pxPerUnit;
  const inner = -0.5 * edgePx;
  out.fill(0);
  cover.fill(0);
  rowFull.fill(0);
  for (let k = shapes.length - 1; k >= 0; k--) {
    const { geom: g, paint } = shapes[k];
    const [bx0, by0, bx1, by1] = bounds(g);
    const jMin = Math.max(0, Math.floor((bx0 - halfEdge - cam.x) * pxPerUnit + w / 2 - 0.5));
    const jMax = Math.min(w - 1, Math.ceil((bx1 + halfEdge - cam.x) * pxPerUnit + w / 2 - 0.5));
    const iMin = Math.max(0, Math.floor((by0 - halfEdge - cam.y) * pxPerUnit + h / 2 - 0.5));
    const iMax = Math.min(h - 1, Math.ceil((by1 + halfEdge - cam.y) * pxPerUnit + h / 2 - 0.5));
    if (jMin > jMax || iMin > iMax) continue;
    const kind = KIND[g.kind];
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0;
    let xs: readonly number[] = [], ys: readonly number[] = [];
    switch (g.kind) {
      case "rect": a0 = g.x0; a1 = g.y0; a2 = g.x1; a3 = g.y1; break;
      case "ellipse": a0 = g.cx; a1 = g.cy; a2 = 1 / g.rx; a3 = 1 / g.ry; a4 = Math.min(g.rx, g.ry); break;
      case "capsule": a0 = g.ax; a1 = g.ay; a2 = g.bx - g.ax; a3 = g.by - g.ay; a4 = g.r; a5 = a2 * a2 + a3 * a3; break;
      case "poly": xs = g.xs; ys = g.ys; break;
      case "ground": for (let j = jMin; j <= jMax; j++) skyline[j] = colX[j] < g.x0 || colX[j] > g.x1 ? INF : groundY(g, colX[j]); break;
      case "fill": break;
    }
    const texPerUnit = paint.scale * h;
    const tg = paint.tex;
    const mw = tex.width - 1, mh = tex.height - 1, tw = tex.width, td = tex.data;
    // Texture columns and weights depend only on the image column: computed once per shape.
    if (tg !== 0) {
      for (let j = jMin; j <= jMax; j++) {
        const u = (colX[j] - paint.ox) * texPerUnit;
        const fu = Math.floor(u);
        texCol[j] = fu & mw;
        texFrac[j] = u - fu;
      }
    }
    for (let i = iMin; i <= iMax; i++) {
      if (rowFull[i] === w) continue;
      const y = cam.y + (i + 0.5 - h / 2) / pxPerUnit;
      // Pass 1: signed distance (frame px) of every pixel of the row span, one tight loop per kind.
      switch (kind) {
        case 0: dist.fill(-INF, jMin, jMax + 1); break;
        case 1: rectRow(dist, colX, jMin, jMax, y, a0, a1, a2, a3, pxPerUnit); break;
        case 2: ellipseRow(dist, colX, jMin, jMax, y, a0, a1, a2, a3, a4, pxPerUnit); break;
        case 3: capsuleRow(dist, colX, jMin, jMax, y, a0, a1, a2, a3, a4, a5, pxPerUnit); break;
        case 4: for (let j = jMin; j <= jMax; j++) dist[j] = polyDistance(xs, ys, colX[j], y) * pxPerUnit; break;
        default: for (let j = jMin; j <= jMax; j++) dist[j] = (skyline[j] - y) * pxPerUnit;
      }
      // Pass 2: blend gray + gradient + texture (bilinear, wrapped; the same two canvas rows serve the row).
      const base = paint.gray + paint.grad * y;
      const v = (y - paint.oy) * texPerUnit;
      const fv = Math.floor(v), av = v - fv;
      const r0 = (fv & mh) * tw, r1 = ((fv + 1) & mh) * tw;
      rowFull[i] += blendRow(out, cover, dist, texCol, texFrac, td, i * w, jMin, jMax, base, tg, r0, r1, av, mw, inner, edgePx);
    }
  }
}

/**
 * Composites one row span of a shape under what is already there (front to back): `dist` holds the
 * signed distances (px), `cover` the coverage so far. Returns how many pixels became fully covered.
 * A function of its own so that V8 optimises this hot loop on its own.
 */
function blendRow(out: Float32Array, cover: Float32Array, dist: Float64Array, texCol: Int32Array, texFrac: Float64Array, td: Float32Array, row: number, jMin: number, jMax: number, base: number, tg: number, r0: number, r1: number, av: number, mw: number, inner: number, edgePx: number): number {
  let full = 0;
  for (let j = jMin; j <= jMax; j++) {
    const dPx = dist[j];
    const c = cover[row + j];
    if (dPx >= -inner || c >= 1) continue;
    let value = base;
    if (tg !== 0) {
      const x0 = texCol[j], x1 = (x0 + 1) & mw, au = texFrac[j];
      const top = td[r0 + x0] + (td[r0 + x1] - td[r0 + x0]) * au;
      const bottom = td[r1 + x0] + (td[r1 + x1] - td[r1 + x0]) * au;
      value += tg * (top + (bottom - top) * av);
    }
    const a = (dPx <= inner ? 1 : 0.5 - dPx / edgePx) * (1 - c);
    out[row + j] += a * value;
    if (c + a >= 0.9999) {
      cover[row + j] = 1;
      full++;
    } else cover[row + j] = c + a;
  }
  return full;
}

/** Row of signed distances (px) to the rectangle [x0, x1] × [y0, y1]. */
function rectRow(dist: Float64Array, colX: Float64Array, jMin: number, jMax: number, y: number, x0: number, y0: number, x1: number, y1: number, pxPerUnit: number): void {
  const dy = Math.max(y0 - y, y - y1);
  const dy2 = dy > 0 ? dy * dy : 0;
  for (let j = jMin; j <= jMax; j++) {
    const x = colX[j];
    const dx = Math.max(x0 - x, x - x1);
    dist[j] = (dx > 0 || dy > 0 ? Math.sqrt((dx > 0 ? dx * dx : 0) + dy2) : Math.max(dx, dy)) * pxPerUnit;
  }
}

/** Row of signed distances (px) to the ellipse centred (cx, cy) with inverse semi-axes (irx, iry): Quilez's first-order approximation k0·(k0 − 1)/k1, exact on the axes, within a pixel at the edge. */
function ellipseRow(dist: Float64Array, colX: Float64Array, jMin: number, jMax: number, y: number, cx: number, cy: number, irx: number, iry: number, rMin: number, pxPerUnit: number): void {
  const py = (y - cy) * iry;
  for (let j = jMin; j <= jMax; j++) {
    const px = (colX[j] - cx) * irx;
    const k0 = Math.sqrt(px * px + py * py);
    const k1 = Math.sqrt(px * px * irx * irx + py * py * iry * iry);
    dist[j] = (k1 > 0 ? (k0 * (k0 - 1)) / k1 : -rMin) * pxPerUnit;
  }
}

/** Row of signed distances (px) to the capsule from (ax, ay) along (ex, ey) (squared length `len2`) with radius r. */
function capsuleRow(dist: Float64Array, colX: Float64Array, jMin: number, jMax: number, y: number, ax: number, ay: number, ex: number, ey: number, r: number, len2: number, pxPerUnit: number): void {
  const wy = y - ay;
  for (let j = jMin; j <= jMax; j++) {
    const wx = colX[j] - ax;
    const t = len2 > 0 ? Math.min(1, Math.max(0, (wx * ex + wy * ey) / len2)) : 0;
    const dx = wx - ex * t, dy = wy - ey * t;
    dist[j] = (Math.sqrt(dx * dx + dy * dy) - r) * pxPerUnit;
  }
}
