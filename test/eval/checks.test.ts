/** Check operators, the implicit error expectation, image budgets on real images, and scenario validation. */
import test from "node:test";
import assert from "node:assert/strict";
import sharp from "sharp";
import { errorExpectation, evaluateCheck, toRegExp, type CheckScope } from "../../src/eval/checks.js";
import { CHECK, parseScenario, ScenarioFileError, type Check } from "../../src/eval/scenario.js";
import { callView, jsonObjectsIn, type StepView } from "../../src/eval/view.js";

function scope(view: Partial<StepView>, steps: Record<string, Partial<StepView>> = {}): CheckScope {
  const full = (v: Partial<StepView>) => ({ is_error: false, text: "", jsons: [], bytes: 0, latency_ms: 0, attempts: 1, ...v }) as StepView;
  return { view: full(view), context: { steps: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, full(v)])) } };
}

function check(c: unknown, s: CheckScope) {
  return evaluateCheck(CHECK.parse(c) as Check, s);
}

const VIEW = scope(
  { structured: { accuracy: 0.42, status: "succeeded", ids: ["a", "b"], losses: [1.5, 0.9, 0.4] }, text: "Decoded 30 frames (retrieved, not generated)" },
  { decode: { json: { chance: { accuracy: 0.1 }, rows: [{ sample: 1, t: 5, p: 6 }, { sample: 2, t: 7, p: 7 }] } } },
);

test("value operators pass and fail with the actual value in the reason", () => {
  assert.equal(check({ path: "structured.status", equals: "succeeded" }, VIEW).passed, true);
  const bad = check({ path: "structured.status", equals: "failed" }, VIEW);
  assert.equal(bad.passed, false);
  assert.equal(bad.reason, 'structured.status is "succeeded", expected "failed"');
  assert.equal(check({ path: "structured.status", in: ["queued", "succeeded"] }, VIEW).passed, true);
  assert.equal(check({ path: "structured.status", not_equals: "failed" }, VIEW).passed, true);
  assert.equal(check({ path: "text", matches: "/RETRIEVED/i" }, VIEW).passed, true);
  assert.equal(check({ path: "text", matches: "RETRIEVED" }, VIEW).passed, false, "patterns without /…/flags are case-sensitive");
  assert.equal(check({ path: "text", not_matches: "generated" }, VIEW).passed, false);
  assert.equal(check({ path: "structured.ids", contains: "b" }, VIEW).passed, true);
  assert.equal(check({ path: "text", contains: "30 frames" }, VIEW).passed, true);
  assert.equal(check({ path: "structured.ids", length: 2 }, VIEW).passed, true);
  assert.match(check({ path: "structured.ids", length: { min: 3 } }, VIEW).reason!, /length 2, expected at least 3/);
});

test("exists / absent, and missing paths fail other operators with the lookup reason", () => {
  assert.equal(check({ path: "structured.accuracy", exists: true }, VIEW).passed, true);
  assert.equal(check({ path: "structured.nope", exists: false }, VIEW).passed, true);
  const r = check({ path: "structured.model_id", matches: "^mdl_" }, VIEW);
  assert.equal(r.passed, false);
  assert.match(r.reason!, /structured\.model_id is missing: structured has no "model_id"/);
});

test("numeric bounds, including templated bounds from earlier steps and arrays of numbers", () => {
  assert.equal(check({ path: "structured.accuracy", min: 0, max: 1 }, VIEW).passed, true);
  assert.equal(check({ path: "structured.accuracy", gt: "${steps.decode.json.chance.accuracy}" }, VIEW).passed, true);
  const r = check({ path: "structured.accuracy", lt: "${steps.decode.json.chance.accuracy}" }, VIEW);
  assert.equal(r.reason, "structured.accuracy = 0.42 is not < 0.1");
  assert.equal(check({ path: "structured.losses", max: 2 }, VIEW).passed, true);
  assert.match(check({ path: "structured.losses", lt: 1 }, VIEW).reason!, /structured\.losses\[0\] = 1\.5 is not < 1/);
  assert.match(check({ path: "structured.status", min: 0 }, VIEW).reason!, /not a finite number/);
  assert.match(check({ path: "structured.accuracy", gt: "${steps.nothing.x}" }, VIEW).reason!, /refers to nothing/);
});

test("exceeds: the value is at least `by` above another number; the reason gives both and the gap", () => {
  assert.equal(check({ path: "structured.accuracy", exceeds: { path: "steps.decode.json.chance.accuracy", by: 0.3 } }, VIEW).passed, true);
  const r = check({ path: "structured.accuracy", exceeds: { path: "steps.decode.json.chance.accuracy", by: 0.4 } }, VIEW);
  assert.equal(r.passed, false);
  assert.equal(r.reason, "structured.accuracy = 0.42 exceeds steps.decode.json.chance.accuracy = 0.1 by 0.32, less than the required 0.4");
  assert.equal(r.description, "structured.accuracy ≥ steps.decode.json.chance.accuracy + 0.4");
  assert.match(check({ path: "structured.accuracy", exceeds: { path: "steps.decode.json.nothing", by: 0 } }, VIEW).reason!, /steps\.decode\.json\.nothing is missing/);
  assert.match(check({ path: "structured.status", exceeds: { path: "steps.decode.json.chance.accuracy", by: 0 } }, VIEW).reason!, /not a finite number/);
  assert.match(check({ path: "structured.accuracy", exceeds: { path: "structured.status", by: 0 } }, VIEW).reason!, /structured\.status is "succeeded", not a finite number/);
  assert.equal(CHECK.safeParse({ path: "a", exceeds: { path: "b", by: -1 } }).success, false, "a negative margin is refused");
  assert.equal(CHECK.safeParse({ path: "a", exceeds: { path: "b" } }).success, false, "by is required");
  assert.equal(CHECK.safeParse({ path: "a", exceeds: { path: "b", by: 0.1, plus: 1 } }).success, false, "unknown keys are refused");
});

test("near: within ±tol of another path or of a value (templated values resolve first)", () => {
  assert.equal(check({ path: "structured.accuracy", near: { value: 0.4, tol: 0.05 } }, VIEW).passed, true);
  assert.equal(check({ path: "structured.accuracy", near: { path: "steps.decode.json.chance.accuracy", tol: 0.35 } }, VIEW).passed, true);
  const r = check({ path: "structured.accuracy", near: { path: "steps.decode.json.chance.accuracy", tol: 0.1 } }, VIEW);
  assert.equal(r.reason, "structured.accuracy = 0.42 is 0.32 away from steps.decode.json.chance.accuracy = 0.1, more than ±0.1");
  assert.equal(check({ path: "structured.accuracy", near: { value: "${steps.decode.json.chance.accuracy}", tol: 0.5 } }, VIEW).passed, true);
  assert.match(check({ path: "structured.accuracy", near: { value: "${steps.decode.json.chance.accuracy}", tol: 0.01 } }, VIEW).reason!, /0\.32 away from 0\.1, more than ±0\.01/);
  assert.equal(CHECK.safeParse({ path: "a", near: { tol: 0.1 } }).success, false, "needs a reference");
  assert.equal(CHECK.safeParse({ path: "a", near: { path: "b", value: 1, tol: 0.1 } }).success, false, "only one reference");
  assert.equal(CHECK.safeParse({ path: "a", near: { value: 1, tol: -0.1 } }).success, false, "tol ≥ 0");
});

test("same_as compares with another path (also as a set); join matches rows by key", () => {
  const s = scope({ json: { shown: [{ sample: 2, t: 7, p: 7 }, { sample: 1, t: 5, p: 6 }], ids: [2, 1, 1] }, images: [] }, { decode: { json: { rows: [{ sample: 1, t: 5, p: 6 }, { sample: 2, t: 7, p: 7 }], ids: [1, 2] } } });
  assert.equal(check({ path: "json.ids", same_as: "steps.decode.json.ids", as_set: true }, s).passed, true);
  assert.equal(check({ path: "json.ids", same_as: "steps.decode.json.ids" }, s).passed, false);
  assert.equal(check({ join: { left: "json.shown", right: "steps.decode.json.rows", on: "sample", fields: ["t", "p"] } }, s).passed, true);
  const wrong = scope({ json: { shown: [{ sample: 2, t: 7, p: 8 }, { sample: 9, t: 0, p: 0 }] } }, { decode: { json: { rows: [{ sample: 2, t: 7, p: 7 }] } } });
  const r = check({ join: { left: "json.shown", right: "steps.decode.json.rows", on: "sample", fields: ["t", "p"] } }, wrong);
  assert.equal(r.passed, false);
  assert.match(r.reason!, /sample=2: p is 8 in json\.shown but 7 in steps\.decode\.json\.rows/);
  assert.match(r.reason!, /sample=9 is not in steps\.decode\.json\.rows/);
  assert.match(check({ join: { left: "json.shown", right: "steps.decode.json.rows", on: "sample", fields: ["t"], min_matches: 5 } }, s).reason!, /expected at least 5/);
});

test("image budgets are checked on decoded images: size, megapixels, count, mime type", async () => {
  const big = await sharp({ create: { width: 1600, height: 800, channels: 3, background: "#336699" } }).png().toBuffer();
  const small = await sharp({ create: { width: 400, height: 300, channels: 3, background: "#993366" } }).webp().toBuffer();
  const view = await callView(
    {
      content: [
        { type: "text", text: "two images" },
        { type: "image", data: big.toString("base64"), mimeType: "image/png" },
        { type: "image", data: small.toString("base64"), mimeType: "image/png" },
      ],
    },
    { latency_ms: 1 },
  );
  assert.deepEqual(view.images!.map((i) => [i.width, i.height, i.long_side, i.megapixels, i.format]), [[1600, 800, 1600, 1.28, "png"], [400, 300, 400, 0.12, "webp"]]);
  const s = scope(view);
  const r = check({ images: { min_count: 1, max_count: 1, max_long_side: 1568, max_megapixels: 1.15 } }, s);
  assert.equal(r.passed, false);
  assert.match(r.reason!, /2 image\(s\), expected at most 1/);
  assert.match(r.reason!, /image #1 \(image\/png\) is 1600×800 px, long side over 1568/);
  assert.match(r.reason!, /is 1\.28 MP, over 1\.15/);
  assert.match(r.reason!, /image #2 \(image\/png\) declares image\/png but contains webp/);
  assert.equal(check({ images: { max_long_side: 2000, mime_types: ["image/png"] } }, scope({ ...view, images: [view.images![0]!] })).passed, true);
  assert.equal(check({ max_result_bytes: 100 }, s).passed, false);
  assert.equal(check({ max_result_bytes: view.bytes }, s).passed, true);
  assert.ok(view.bytes > big.byteLength, "result size counts the base64 image data");
});

test("undecodable image data is reported, not thrown", async () => {
  const view = await callView({ content: [{ type: "image", data: Buffer.from("not an image").toString("base64"), mimeType: "image/png" }] }, { latency_ms: 1 });
  assert.ok(view.images![0]!.decode_error);
  assert.match(check({ images: { min_count: 1 } }, scope(view)).reason!, /cannot be decoded/);
});

test("the implicit success check and expect_error", () => {
  const ok = scope({ is_error: false, text: "fine" }).view;
  const err = scope({ is_error: true, text: "No job with id job_x. Fix: call list_artifacts", error: { message: "No job with id job_x. Fix: call list_artifacts" } }).view;
  assert.equal(errorExpectation(ok, undefined).passed, true);
  assert.match(errorExpectation(err, undefined).reason!, /returned an error: No job with id job_x/);
  assert.equal(errorExpectation(err, true).passed, true);
  assert.equal(errorExpectation(err, "/list_artifacts/").passed, true);
  assert.match(errorExpectation(err, "/load_recording/").reason!, /does not match/);
  assert.match(errorExpectation(ok, true).reason!, /succeeded, but an error was expected/);
});

test("JSON is found in text blocks: whole text, fenced blocks, or the outermost braces", () => {
  assert.deepEqual(jsonObjectsIn('{"a":1}'), [{ a: 1 }]);
  assert.deepEqual(jsonObjectsIn('Result:\n```json\n{"a":2}\n```\nmore\n```\n[3]\n```'), [{ a: 2 }, [3]]);
  assert.deepEqual(jsonObjectsIn('Decoded dec_1.\n{"decoding_id":"dec_1","n":{"x":1}}\nNext: render'), [{ decoding_id: "dec_1", n: { x: 1 } }]);
  assert.deepEqual(jsonObjectsIn("no json {here"), []);
  assert.equal(toRegExp("/a.c/i").flags, "i");
});

test("scenario files are validated strictly with locations in the message", () => {
  const good = parseScenario({ name: "s", steps: [{ call: "echo", args: { value: 1 } }, { id: "r", read: "x://y" }] });
  assert.deepEqual(good.steps.map((s) => s.id), ["step1", "r"]);
  assert.equal(good.timeout_s, 600);
  const problems = (json: unknown) => {
    try {
      parseScenario(json, "bad.json");
      return "";
    } catch (e) {
      assert.ok(e instanceof ScenarioFileError);
      return (e as Error).message;
    }
  };
  assert.match(problems({ name: "s", steps: [{ call: "a", read: "b" }] }), /steps\.0: a step needs exactly one of: call, read, list, prompt, complete/);
  assert.match(problems({ name: "s", steps: [{ call: "a", expect: [{ path: "x" }] }] }), /steps\.0\.expect\.0: a check needs at least one of/);
  assert.match(problems({ name: "s", steps: [{ call: "a", expcet: [] }] }), /steps\.0: Unrecognized key: "expcet"/);
  assert.match(problems({ name: "s", steps: [{ id: "a", call: "a" }, { id: "a", call: "b" }] }), /step id "a" is used twice/);
  assert.match(problems({ name: "s", fixtures: [{ name: "f", generator: "nope" }], steps: [{ call: "a" }] }), /fixtures\.0\.generator/);
});
