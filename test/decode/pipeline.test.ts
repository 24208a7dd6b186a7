import test from "node:test";
import assert from "node:assert/strict";
import { medianRunLength } from "../../src/decode/pipeline.js";

test("samples per frame presentation: 4 bins per frame at 120 Hz, 1 at 30 Hz, blanks ignored", () => {
  const np = Int32Array.from([-1, -1, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, -1, 0, 0, 0, 0, 1, 1, 1, 1]);
  assert.equal(medianRunLength(np), 4);
  assert.equal(medianRunLength(Int32Array.from([0, 1, 2, 3, -1, 0, 1, 2, 3])), 1);
  assert.equal(medianRunLength(Int32Array.from([-1, -1])), 1);
});
