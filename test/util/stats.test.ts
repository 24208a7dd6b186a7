/** Small numeric helpers: roundTo must equal the hand-written `Math.round(x * 10^n) / 10^n` it replaced. */
import test from "node:test";
import assert from "node:assert/strict";
import { mean, median, roundTo } from "../../src/util/stats.js";
import { Rng } from "../../src/util/rng.js";

test("roundTo is bit-identical to Math.round(x * 10^n) / 10^n with literal powers", () => {
  const rng = new Rng(7);
  const xs = [0, -0, 0.5, -0.5, 0.0005, -0.0005, 1.0005, 2.675, 1e-9, 123456.78951, Number.MAX_SAFE_INTEGER, NaN, Infinity];
  for (let i = 0; i < 2000; i++) xs.push(rng.normal() * 10 ** ((i % 13) - 6));
  for (const x of xs) {
    assert.ok(Object.is(roundTo(x, 1), Math.round(x * 10) / 10), `1 digit, ${x}`);
    assert.ok(Object.is(roundTo(x, 2), Math.round(x * 100) / 100), `2 digits, ${x}`);
    assert.ok(Object.is(roundTo(x, 3), Math.round(x * 1000) / 1000), `3 digits, ${x}`);
    assert.ok(Object.is(roundTo(x, 4), Math.round(x * 1e4) / 1e4), `4 digits, ${x}`);
  }
});

test("mean and median", () => {
  assert.equal(mean([1, 2, 3, 4]), 2.5);
  assert.ok(Number.isNaN(mean([])));
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});
