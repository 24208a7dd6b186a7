import test from "node:test";
import assert from "node:assert/strict";
import { fillWindows } from "../../src/engine/cebra/windows.js";
import { UserError } from "../../src/util/errors.js";

/** neural[t, n] = 10·t + n. */
function ramp(T: number, N: number): Float32Array {
  return Float32Array.from({ length: T * N }, (_, i) => 10 * Math.floor(i / N) + (i % N));
}

test("windows copy rows [i − left, i + right) and clamp i to [left, T − right]", () => {
  const T = 10;
  const N = 3;
  const left = 2;
  const right = 3;
  const L = left + right;
  const idx = Int32Array.of(0, 1, 2, 5, 7, 9);
  const out = new Float32Array((idx.length + 1) * L * N).fill(-1);
  fillWindows(ramp(T, N), T, N, idx, left, right, out, 1);
  assert.deepEqual([...out.subarray(0, L * N)], new Array(L * N).fill(-1), "row before the offset untouched");
  const centres = [2, 2, 2, 5, 7, 7];
  centres.forEach((c, r) => {
    for (let l = 0; l < L; l++) {
      for (let n = 0; n < N; n++) assert.equal(out[((r + 1) * L + l) * N + n], 10 * (c - left + l) + n, `row ${r} step ${l}`);
    }
  });
});

test("offset1 windows (left 0, right 1) are single rows", () => {
  const out = new Float32Array(2 * 4);
  fillWindows(ramp(5, 4), 5, 4, Int32Array.of(4, 0), 0, 1, out, 0);
  assert.deepEqual([...out], [40, 41, 42, 43, 0, 1, 2, 3]);
});

test("too-short sessions are UserErrors; an undersized output is a RangeError", () => {
  assert.throws(() => fillWindows(ramp(4, 1), 4, 1, Int32Array.of(0), 5, 5, new Float32Array(10), 0), UserError);
  assert.throws(() => fillWindows(ramp(20, 1), 20, 1, Int32Array.of(0, 1), 5, 5, new Float32Array(15), 0), RangeError);
});
