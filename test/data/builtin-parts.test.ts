/**
 * Numerical building blocks of the built-in simulator: FFT, temporal filtering,
 * nonlinearity fitting, the ziggurat normal sampler and the 1/f canvas.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { fbmCanvas, fft, fft2d } from "../../src/data/builtin/fbm.js";
import { applyKernel, makeGaborKernel, type GaborSpec } from "../../src/data/builtin/gabor.js";
import { FIELD_HEIGHT_DEG, FIELD_WIDTH_DEG, STIMULUS_GRAY } from "../../src/data/builtin/geometry.js";
import { allocatePyramid, fillPyramid } from "../../src/data/builtin/pyramid.js";
import { normalSampler } from "../../src/data/builtin/random.js";
import { solveThreshold } from "../../src/data/builtin/rates.js";
import { biphasicKernel, filterPresentations, phaseKernels } from "../../src/data/builtin/temporal.js";
import { Rng } from "../../src/util/rng.js";

test("fft matches a naive DFT", () => {
  const rng = new Rng(1);
  const n = 16;
  const re = Float64Array.from({ length: n }, () => rng.normal());
  const im = Float64Array.from({ length: n }, () => rng.normal());
  const [r0, i0] = [Float64Array.from(re), Float64Array.from(im)];
  fft(re, im);
  for (let k = 0; k < n; k++) {
    let sr = 0, si = 0;
    for (let j = 0; j < n; j++) {
      const a = (-2 * Math.PI * j * k) / n;
      sr += r0[j] * Math.cos(a) - i0[j] * Math.sin(a);
      si += r0[j] * Math.sin(a) + i0[j] * Math.cos(a);
    }
    assert.ok(Math.abs(sr - re[k]) < 1e-9 && Math.abs(si - im[k]) < 1e-9, `bin ${k}`);
  }
  // 2-D: a single complex exponential becomes a single peak.
  const h = 8, w = 16, kx = 3, ky = 5;
  const r2 = new Float64Array(h * w), i2 = new Float64Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const a = 2 * Math.PI * (kx * x / w + ky * y / h);
    r2[y * w + x] = Math.cos(a);
    i2[y * w + x] = Math.sin(a);
  }
  fft2d(r2, i2, h, w);
  assert.ok(Math.abs(r2[ky * w + kx] - h * w) < 1e-8);
  let other = 0;
  for (let k = 0; k < h * w; k++) if (k !== ky * w + kx) other += Math.abs(r2[k]) + Math.abs(i2[k]);
  assert.ok(other < 1e-6);
});

test("fBm canvas has a ≈1/f^α amplitude spectrum", () => {
  const n = 128;
  const alpha = 1.2;
  const img = fbmCanvas(new Rng(3), n, n, alpha, 1, 1);
  const re = Float64Array.from(img), im = new Float64Array(n * n);
  fft2d(re, im, n, n);
  // Mean amplitude in two frequency bands an octave apart: ratio ≈ 2^α.
  const band = (lo: number, hi: number) => {
    let s = 0, c = 0;
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
      const fy = y <= n / 2 ? y : y - n, fx = x <= n / 2 ? x : x - n;
      const f = Math.hypot(fx, fy);
      if (f >= lo && f < hi) { s += Math.hypot(re[y * n + x], im[y * n + x]); c++; }
    }
    return s / c;
  };
  const slope = Math.log2(band(8, 12) / band(16, 24));
  assert.ok(Math.abs(slope - alpha) < 0.15, `measured slope ${slope}`);
});

test("biphasic kernel: positive lobe near the peak time, negative lobe near the trough time", () => {
  const k = biphasicKernel(65, 160, 0.7, 1);
  let iMax = 0, iMin = 0;
  for (let i = 0; i < k.length; i++) {
    if (k[i] > k[iMax]) iMax = i;
    if (k[i] < k[iMin]) iMin = i;
  }
  assert.ok(Math.abs(iMax + 0.5 - 65) < 6.5, `peak at ${iMax + 0.5} ms`);
  assert.ok(Math.abs(iMin + 0.5 - 160) < 16, `trough at ${iMin + 0.5} ms`);
  const pos = k.reduce((s, v) => s + Math.max(0, v), 0);
  const neg = -k.reduce((s, v) => s + Math.min(0, v), 0);
  assert.ok(neg > 0.3 * pos && neg < pos, `lobe areas ${pos} / ${neg}`);
});

test("held-frame filtering equals direct convolution at bin resolution", () => {
  const rng = new Rng(6);
  const F = 7, C = 2, channel = 1, passes = 3;
  const drives = Float32Array.from({ length: F * C }, () => rng.normal());
  for (const B of [1, 4]) {
    const bin = biphasicKernel(65, 160, 0.7, 1000 / (30 * B));
    const out = filterPresentations(drives, F, C, channel, passes, phaseKernels(bin, B));
    const total = passes * F * B;
    const held = (b: number) => (b < 0 ? 0 : drives[(Math.floor(b / B) % F) * C + channel]);
    for (let b = 0; b < total; b++) {
      let direct = 0;
      for (let j = 0; j < bin.length; j++) direct += bin[j] * held(b - j);
      assert.ok(Math.abs(direct - out[b]) < 1e-9, `B=${B} bin ${b}: ${direct} vs ${out[b]}`);
    }
  }
});

test("solveThreshold hits the requested mean/peak ratio", () => {
  const rng = new Rng(7);
  const u = Float64Array.from({ length: 900 }, () => rng.normal());
  for (const ratio of [0.05, 0.15, 0.4]) {
    const theta = solveThreshold(u, ratio, 2);
    const max = Math.max(...u);
    let m = 0;
    for (const v of u) m += Math.max(0, v - theta) ** 2;
    m /= u.length;
    assert.ok(Math.abs(m / (max - theta) ** 2 - ratio) < 1e-9, `ratio ${ratio}`);
  }
});

test("ziggurat normal sampler: standard normal moments and tails, deterministic", () => {
  const g = normalSampler(new Rng(8));
  const n = 200000;
  let s1 = 0, s2 = 0, s4 = 0, beyond2 = 0;
  for (let i = 0; i < n; i++) {
    const x = g();
    s1 += x; s2 += x * x; s4 += x ** 4;
    if (Math.abs(x) > 2) beyond2++;
  }
  assert.ok(Math.abs(s1 / n) < 0.01);
  assert.ok(Math.abs(s2 / n - 1) < 0.015);
  assert.ok(Math.abs(s4 / n - 3) < 0.1);
  assert.ok(Math.abs(beyond2 / n - 0.0455) < 0.003);
  const a = normalSampler(new Rng(9)), b = normalSampler(new Rng(9));
  for (let i = 0; i < 100; i++) assert.equal(a(), b());
});

test("Gabor kernels sit at their visual-field position at every pyramid level", () => {
  const h = 64, w = 128;
  const spec: GaborSpec = { xDeg: 12, yDeg: -8, sigmaDeg: 6, sfCpd: 0.06, orientationRad: 0.6, phaseRad: 0.3 };
  /** A frame showing the Gabor `s` itself (gray 127 ± 100). */
  const render = (s: GaborSpec): Uint8Array => {
    const img = new Uint8Array(h * w);
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
      const x = ((j + 0.5) / w - 0.5) * FIELD_WIDTH_DEG - s.xDeg;
      const y = ((i + 0.5) / h - 0.5) * FIELD_HEIGHT_DEG - s.yDeg;
      const env = Math.exp(-(x * x + y * y) / (2 * s.sigmaDeg ** 2));
      const car = Math.cos(2 * Math.PI * s.sfCpd * (x * Math.cos(s.orientationRad) + y * Math.sin(s.orientationRad)) + s.phaseRad);
      img[i * w + j] = Math.round(STIMULUS_GRAY + 100 * env * car);
    }
    return img;
  };
  const pyr = allocatePyramid(h, w, 3);
  const scratch = new Float32Array(h * w);
  const respond = (img: Uint8Array, level: number) => {
    fillPyramid(img, 0, pyr, scratch);
    return applyKernel(makeGaborKernel(spec, level, pyr[level], w, h), pyr[level].data);
  };
  for (const level of [0, 1, 2]) {
    const match = respond(render(spec), level);
    const quadrature = respond(render({ ...spec, phaseRad: spec.phaseRad + Math.PI / 2 }), level);
    const shifted = respond(render({ ...spec, xDeg: spec.xDeg + 20 }), level);
    assert.ok(match > 0, `level ${level}: response to its own pattern ${match}`);
    assert.ok(Math.abs(quadrature) < 0.2 * match, `level ${level}: quadrature ${quadrature} vs ${match}`);
    assert.ok(Math.abs(shifted) < 0.2 * match, `level ${level}: pattern 20° away ${shifted} vs ${match}`);
    // The response peaks at the true position: patterns displaced by 2° in any direction respond less.
    for (const [dx, dy] of [[2, 0], [-2, 0], [0, 2], [0, -2]]) {
      const near = respond(render({ ...spec, xDeg: spec.xDeg + dx, yDeg: spec.yDeg + dy }), level);
      assert.ok(near < match, `level ${level}: displaced (${dx}, ${dy})° gives ${near} ≥ ${match}`);
    }
  }
});
