import test from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_LAGS, lagCurve } from "../../src/decode/lag.js";
import { Rng } from "../../src/util/rng.js";
import { movieData } from "./fixtures.js";

test("a movie played in order: decoding the frame k later is the lag-0 decoding shifted by k, on nFrames − |k| rows", () => {
  const data = movieData({ nFrames: 100, repeats: 5, dim: 8, noise: 0.3, seed: 3 });
  const lags = [-10, -1, 0, 2, 10];
  const c = lagCurve({ ...data, window: 5 }, lags);
  assert.deepEqual(c.points.map((p) => p.lag), lags);
  for (const [i, lag] of lags.entries()) {
    const p = c.points[i]!, s = c.shifted[i]!;
    assert.equal(p.n_test, 100 - Math.abs(lag), `rows at lag ${lag}`);
    assert.equal(s.n_test, p.n_test);
    // Each frame's features are distinct, so every neighbour list is the lag-0 one and the votes move by k.
    assert.ok(Math.abs(p.accuracy - s.accuracy) < 0.03, `lag ${lag}: ${p.accuracy} vs shifted ${s.accuracy}`);
    assert.ok(p.accuracy > 0.9, `lag ${lag}: ${p.accuracy}`);
  }
  assert.equal(c.points[2]!.accuracy, c.shifted[2]!.accuracy, "at lag 0 the two are the same decoder");
  assert.ok(c.chance < 0.1);
});

test("features with no frame information decode at chance at every lag", () => {
  const data = movieData({ nFrames: 60, repeats: 5, dim: 6, noise: 0, seed: 4 });
  const rng = new Rng(5);
  for (let i = 0; i < data.features.length; i++) data.features[i] = rng.normal();
  const c = lagCurve({ ...data, window: 3 });
  assert.equal(c.points.length, DEFAULT_LAGS.length);
  for (const p of c.points) {
    if (p.n_test === 0) continue;
    assert.ok(p.accuracy < c.chance + 0.15, `lag ${p.lag}: ${p.accuracy} vs chance ${c.chance}`);
  }
});
