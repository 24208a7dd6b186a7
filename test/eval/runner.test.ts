/**
 * The scenario engine end to end against an in-process MCP server (real SDK server and client over
 * InMemoryTransport): templating between steps, polling, dependants of failed steps, fixtures and run
 * variables, progress notifications, protocol errors, image provenance, and the written reports.
 */
import test, { after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { buildReport, renderMarkdown, writeReport } from "../../src/eval/report.js";
import { runScenario, type ScenarioRun } from "../../src/eval/runner.js";
import { parseScenario } from "../../src/eval/scenario.js";
import { tempDir } from "../helpers/tmp.js";
import { inProcessConnector } from "./inprocess.js";

const tmp = tempDir("cebra-eval-runner-");
after(tmp.cleanup);

async function run(json: unknown, opts: { keep?: boolean } = {}): Promise<ScenarioRun> {
  return runScenario(parseScenario(json), inProcessConnector(), { transport: "stdio", tmpRoot: tmp.dir, ...opts });
}

test("results flow into later steps through templates and checks", async () => {
  const r = await run({
    name: "chain",
    steps: [
      { id: "first", call: "echo", args: { value: { id: "rec_1", n: 4 } }, expect: [{ path: "structured.value.n", equals: 4 }, { path: "json.length", equals: 20 }] },
      { id: "second", call: "echo", args: { value: "${steps.first.structured.value.n}" }, expect: [{ path: "structured.value", equals: 4 }] },
      { id: "third", call: "echo", args: { value: "x-${steps.first.structured.value.id}" }, expect: [{ path: "structured.value", equals: "x-rec_1" }, { path: "structured.length", lt: "${steps.first.structured.length}" }] },
    ],
  });
  assert.equal(r.passed, true, JSON.stringify(r.steps));
  assert.deepEqual(r.steps.map((s) => [s.id, s.status, s.action, s.target]), [["first", "passed", "call", "echo"], ["second", "passed", "call", "echo"], ["third", "passed", "call", "echo"]]);
  assert.ok(r.steps.every((s) => s.latency_ms >= 0 && s.attempts === 1));
  assert.match(r.steps[0]!.excerpt!, /^Echo:/);
});

test("a failed step is reported once: its dependants are skipped, independent steps still run", async () => {
  const r = await run({
    name: "deps",
    steps: [
      { id: "bad", call: "echo", args: { value: 1 }, expect: [{ path: "structured.value", equals: 2 }] },
      { id: "dependent", call: "echo", args: { value: "${steps.bad.structured.value}" } },
      { id: "independent", call: "echo", args: { value: 3 }, expect: [{ path: "structured.value", equals: 3 }] },
      { id: "missing_ref", call: "echo", args: { value: "${steps.independent.structured.nope}" } },
    ],
  });
  assert.equal(r.passed, false);
  assert.deepEqual(r.steps.map((s) => s.status), ["failed", "skipped", "passed", "failed"]);
  assert.equal(r.steps[0]!.reason, "structured.value = 2: structured.value is 1, expected 2");
  assert.equal(r.steps[1]!.reason, "depends on step bad, which did not pass");
  assert.match(r.steps[3]!.reason!, /cannot build the request: \$\{steps\.independent\.structured\.nope\} refers to nothing/);
});

test("polling repeats a call until its condition holds, and fails with the last value when time runs out", async () => {
  const r = await run({
    name: "poll",
    steps: [
      { id: "wait", call: "poll", args: { key: "a", ready_after: 3 }, repeat: { until: [{ path: "json.status", equals: "done" }], max_seconds: 10, interval_s: 0 }, expect: [{ path: "json.calls", equals: 3 }] },
      { id: "give_up", call: "poll", args: { key: "b", ready_after: 1000 }, repeat: { until: [{ path: "json.status", equals: "done" }], max_seconds: 0.3, interval_s: 0.05 } },
    ],
  });
  assert.equal(r.steps[0]!.status, "passed");
  assert.equal(r.steps[0]!.attempts, 3);
  assert.equal(r.steps[1]!.status, "failed");
  assert.ok(r.steps[1]!.attempts >= 2, `attempts ${r.steps[1]!.attempts}`);
  assert.match(r.steps[1]!.reason!, /not reached after \d+ attempt\(s\) in [\d.]+ s \(limit 0\.3 s\); last: json\.status = "done": json\.status is "running", expected "done"/);
});

test("errors: tool errors and protocol errors can be expected; an unexpected one fails with its text", async () => {
  const r = await run({
    name: "errors",
    steps: [
      { id: "expected", call: "fail", args: { message: "No recording rec_9. Fix: call list_artifacts" }, expect_error: "/rec_9/", expect: [{ path: "text", matches: "list_artifacts" }] },
      { id: "unexpected", call: "fail", args: { message: "boom" } },
      { id: "unknown_tool", call: "no_such_tool", args: {}, expect_error: "/no_such_tool/" },
      { id: "bad_args", call: "poll", args: { key: 5 }, expect_error: "/Input validation error/" },
      { id: "unknown_tool_unexpected", call: "nope", args: {} },
    ],
  });
  assert.deepEqual(r.steps.map((s) => s.status), ["passed", "failed", "passed", "passed", "failed"]);
  assert.match(r.steps[1]!.reason!, /succeeds: returned an error: boom/);
  assert.match(r.steps[4]!.reason!, /^the server offers no tool "nope" \(it offers: echo, poll, picture, fail, file_size, progress\)/);
});

test("fixtures are written where the scenario says and run variables point at the directories", async () => {
  const r = await run(
    {
      name: "fixtures",
      fixtures: [
        { name: "track", generator: "linear-track", params: { n_cells: 3, duration_s: 2 } },
        { name: "secret", generator: "text", location: "outside", file: "secret.txt", params: { content: "12345" } },
      ],
      steps: [
        { id: "in_dir", call: "file_size", args: { path: "${dir}/track.npz" }, expect: [{ path: "json.bytes", gt: 100 }] },
        { id: "outside", call: "file_size", args: { path: "${fixtures.secret}" }, expect: [{ path: "json.bytes", equals: 5 }] },
        {
          id: "vars",
          call: "echo",
          args: { value: ["${dir}", "${workspace}", "${outside}", "${transport}", "${fixtures.track}"] },
          expect: [
            { path: "structured.value[0]", matches: "/cebra-eval-fixtures-[^/]+/run$" },
            { path: "structured.value[1]", matches: "/run/workspace$" },
            { path: "structured.value[2]", matches: "/cebra-eval-fixtures-[^/]+/outside$" },
            { path: "structured.value[3]", equals: "stdio" },
            { path: "structured.value[4]", matches: "/run/track\\.npz$" },
          ],
        },
      ],
    },
    { keep: true },
  );
  assert.equal(r.passed, true, JSON.stringify(r.steps));
  assert.ok(r.kept_dir && existsSync(r.kept_dir));
  const root = r.kept_dir!;
  assert.deepEqual(readdirSync(root).sort(), ["outside", "run"]);
  assert.ok(existsSync(path.join(root, "run", "track.npz")));
  assert.ok(existsSync(path.join(root, "outside", "secret.txt")));
  assert.ok(existsSync(path.join(root, "run", "workspace")));
  assert.ok(r.steps[2]!.excerpt!.includes(path.join(root, "run", "track.npz")), "variables name this run's directories");
});

test("temp directories are removed after a run unless kept; a bad fixture is a run error", async () => {
  const before = readdirSync(tmp.dir).length;
  const r = await run({ name: "badfix", fixtures: [{ name: "t", generator: "linear-track", params: { n_cells: -1 } }], steps: [{ call: "echo", args: { value: 1 } }] });
  assert.equal(r.passed, false);
  assert.match(r.error!, /fixture "t" \(linear-track\): linear-track parameter n_cells must be a non-negative number/);
  assert.equal(readdirSync(tmp.dir).length, before);
});

test("progress notifications are collected when a step asks for them", async () => {
  const r = await run({
    name: "progress",
    steps: [
      { id: "with", call: "progress", args: { steps: 3 }, progress: true, expect: [{ path: "progress", length: 3 }, { path: "progress[-1].message", equals: "step 3" }, { path: "progress[*].progress", same_as: "steps.with.progress[*].progress" }] },
      { id: "without", call: "progress", args: { steps: 3 }, expect: [{ path: "progress", length: 0 }] },
    ],
  });
  assert.equal(r.passed, true, JSON.stringify(r.steps));
});

test("image provenance: _meta and text agree, rows join, budgets hold", async () => {
  const frames = [{ sample: 0, frame: 5 }, { sample: 1, frame: 6 }];
  const r = await run({
    name: "images",
    steps: [
      { id: "table", call: "echo", args: { value: [{ sample: 0, frame: 5 }, { sample: 1, frame: 6 }, { sample: 2, frame: 9 }] } },
      {
        id: "pic",
        call: "picture",
        args: { width: 800, height: 400, frames },
        expect: [
          { images: { min_count: 1, max_count: 1, max_long_side: 1568, max_megapixels: 1.15, mime_types: ["image/png"] } },
          { max_result_bytes: 900000 },
          { path: "images[0]._meta.frames_shown", same_as: "json.frames_shown" },
          { join: { left: "json.frames_shown", right: "steps.table.structured.value", on: "sample", fields: ["frame"] } },
        ],
      },
      { id: "too_big", call: "picture", args: { width: 2000, height: 1000, frames }, expect: [{ images: { max_long_side: 1568 } }] },
    ],
  });
  assert.deepEqual(r.steps.map((s) => s.status), ["passed", "passed", "failed"]);
  assert.match(r.steps[2]!.reason!, /2000×1000 px, long side over 1568/);
});

test("list, read errors and scenario time limits", async () => {
  const r = await run({
    name: "misc",
    timeout_s: 0.5,
    steps: [
      { id: "tools", list: "tools", expect: [{ path: "names", contains: "picture" }, { path: "items", length: 6 }] },
      { id: "read", read: "memo://note", expect: [{ path: "json.note", equals: "hello" }, { path: "contents[0].uri", equals: "memo://note" }] },
      { id: "read_unknown", read: "memo://other", expect_error: true, expect: [{ path: "error.code", in: [-32002, -32602] }] },
      { id: "slow", call: "poll", args: { key: "z", ready_after: 1000 }, repeat: { until: [{ path: "json.status", equals: "done" }], max_seconds: 60, interval_s: 0.1 } },
      { id: "late", call: "echo", args: { value: 1 } },
    ],
  });
  assert.deepEqual(r.steps.map((s) => s.status), ["passed", "passed", "passed", "failed", "failed"]);
  assert.match(r.steps[3]!.reason!, /limit 60 s, cut short by the scenario's timeout_s/);
  assert.equal(r.steps[4]!.reason, "scenario time limit (timeout_s) reached before this step");
});

test("reports: totals, JSON and Markdown files with one row per step", async () => {
  const good = await run({ name: "good", description: "all fine", steps: [{ id: "a", call: "echo", args: { value: 1 } }] });
  const bad = await run({ name: "bad", steps: [{ id: "b", call: "fail", args: { message: "x | y" } }, { id: "c", call: "echo", args: { value: "${steps.b.structured}" } }] });
  const report = buildReport([good, bad], new Date(Date.now() - 1500));
  assert.equal(report.passed, false);
  assert.deepEqual(report.totals, { runs: 2, passed_runs: 1, failed_runs: 1, steps: 3, passed_steps: 1, failed_steps: 1, skipped_steps: 1 });
  assert.equal(bad.server_log_tail, "test server log line\n", "failed runs keep the server log tail");
  assert.equal(good.server_log_tail, undefined);
  const out = path.join(tmp.dir, "report");
  const files = await writeReport(report, out);
  const json = JSON.parse(readFileSync(files.json, "utf8"));
  assert.equal(json.runs[1].steps[1].status, "skipped");
  const md = readFileSync(files.markdown, "utf8");
  assert.equal(md, renderMarkdown(report));
  assert.match(md, /^# cebra-mcp eval FAILED/);
  assert.match(md, /\| good \| stdio \| ✅ pass \| 1\/1 \|/);
  assert.match(md, /\| b \| call `fail` \| \d+ \| ❌ \| succeeds: returned an error: x \\\| y \|/, "pipes in reasons are escaped");
  assert.match(md, /\| c \| call `echo` \| 0 \| ⏭ skipped \| depends on step b, which did not pass \|/);
  assert.equal(buildReport([good], new Date()).passed, true);
  assert.equal(buildReport([], new Date()).passed, false, "an empty eval is not a pass");
});
