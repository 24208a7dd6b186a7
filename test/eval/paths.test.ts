/** Path expressions and `${...}` templates of scenario files. */
import test from "node:test";
import assert from "node:assert/strict";
import { getPath, lookup, parsePath, PathSyntaxError } from "../../src/eval/paths.js";
import { referencedSteps, resolveTemplates, TemplateError } from "../../src/eval/template.js";

const DOC = {
  structured: { recording_id: "rec_1", "a.b": 5 },
  images: [{ _meta: { "neuro/frameIndices": [3, 4] } }, { _meta: {} }],
  json: { rows: [{ sample: 0, f: 10 }, { sample: 1, f: 11 }, { sample: 2, f: 12 }] },
  text: "hello",
};

test("paths reach keys, quoted keys, indices, negative indices, slices, maps and lengths", () => {
  assert.equal(getPath(DOC, "structured.recording_id"), "rec_1");
  assert.equal(getPath(DOC, 'structured["a.b"]'), 5);
  assert.deepEqual(getPath(DOC, "images[0]._meta.neuro/frameIndices"), [3, 4]);
  assert.deepEqual(getPath(DOC, "images[-1]._meta"), {});
  assert.deepEqual(getPath(DOC, "json.rows[1:][*].f"), [11, 12]);
  assert.deepEqual(getPath(DOC, "json.rows[:2][*].sample"), [0, 1]);
  assert.equal(getPath(DOC, "json.rows.length"), 3);
  assert.equal(getPath(DOC, "text.length"), 5);
  assert.equal(getPath(DOC, ""), DOC);
});

test("a missing part is reported with where and why", () => {
  const r = lookup(DOC, "structured.model_id");
  assert.equal(r.found, false);
  assert.match((r as { reason: string }).reason, /structured has no "model_id" \(keys: recording_id, a\.b\)/);
  assert.match((lookup(DOC, "json.rows[7]") as { reason: string }).reason, /has 3 elements; index 7 is out of range/);
  assert.match((lookup(DOC, "text.x") as { reason: string }).reason, /is a string, so it has no "x"/);
  assert.match((lookup(DOC, "json.rows[*].missing") as { reason: string }).reason, /json\.rows\[0\] has no "missing"/);
});

test("malformed paths throw PathSyntaxError", () => {
  assert.throws(() => parsePath("a..b"), PathSyntaxError);
  assert.throws(() => parsePath("a[x]"), PathSyntaxError);
  assert.throws(() => parsePath("a."), PathSyntaxError);
  assert.deepEqual(parsePath('a["x.y"][2][*][1:3]'), [
    { kind: "key", key: "a" },
    { kind: "key", key: "x.y" },
    { kind: "index", index: 2 },
    { kind: "each" },
    { kind: "slice", start: 1, end: 3 },
  ]);
});

test("a whole-string template keeps the value's type; embedded ones interpolate", () => {
  const ctx = { steps: { load: { structured: { n: 3, id: "rec_9", list: [1, 2] } } }, dir: "/tmp/x" };
  const out = resolveTemplates(
    { a: "${steps.load.structured.n}", b: "${steps.load.structured.list}", c: "recording://${steps.load.structured.id}", d: ["${dir}/f.npz", 7], e: "n=${steps.load.structured.list}" },
    ctx,
  );
  assert.deepEqual(out, { a: 3, b: [1, 2], c: "recording://rec_9", d: ["/tmp/x/f.npz", 7], e: "n=[1,2]" });
});

test("a template referring to nothing throws TemplateError naming the missing part", () => {
  assert.throws(() => resolveTemplates({ x: "${steps.train.structured.model_id}" }, { steps: {} }), (e: unknown) => e instanceof TemplateError && /steps has no "train"/.test((e as Error).message));
});

test("referencedSteps finds the step ids a request depends on", () => {
  assert.deepEqual([...referencedSteps({ a: "${steps.load.x}", b: ["x ${ steps.train.y } ${steps.load.z}"], c: "${dir}" })].sort(), ["load", "train"]);
});
