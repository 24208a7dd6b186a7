import test from "node:test";
import assert from "node:assert/strict";
import { selectContinuous } from "../../src/data/recording.js";
import { UserError } from "../../src/util/errors.js";

const labels = { data: Float32Array.from([1, 10, 100, 2, 20, 200]), dim: 3, columns: ["x", "y", "z"] };

test("selectContinuous picks named columns in the order asked, or all of them", () => {
  assert.deepEqual(selectContinuous(labels, ["z", "x"]), { data: Float32Array.from([100, 1, 200, 2]), dim: 2, columns: ["z", "x"] });
  assert.deepEqual(selectContinuous(labels).data, labels.data);
  assert.notEqual(selectContinuous(labels).data, labels.data, "a copy, not the recording's array");
});

test("an unknown column is a UserError listing the columns there are", () => {
  assert.throws(() => selectContinuous(labels, ["position"]), (e: unknown) => e instanceof UserError && /'position'/.test(e.problem) && /x, y, z/.test(e.fix));
});
