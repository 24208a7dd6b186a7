/**
 * `cebra-mcp eval` against the real built server, spawned over stdio and over Streamable HTTP on
 * 127.0.0.1 (src/eval/connect.ts): exit codes, reports, usage errors. Uses only load_recording,
 * list_artifacts and get_job, with a tiny built-in recording, so it stays fast.
 */
import test, { after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { runEval } from "../../src/cli/eval.js";
import type { EvalReport } from "../../src/eval/report.js";
import { UserError } from "../../src/util/errors.js";
import { tempDir } from "../helpers/tmp.js";

const tmp = tempDir("cebra-eval-cli-");
after(tmp.cleanup);

const TINY = { seed: 3, n_cells: 12, n_frames: 20, n_repeats: 2, frame_height: 16, frame_width: 32, feature_dim: 4, n_occluders: 0 };

function scenarioFile(name: string, json: unknown): string {
  const file = path.join(tmp.dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(json));
  return file;
}

/** Collects what the command prints. */
function sink(): { write(s: string): boolean; text: () => string } {
  let out = "";
  return { write: (s: string) => ((out += s), true), text: () => out };
}

const PASSING = scenarioFile("smoke", {
  name: "smoke",
  fixtures: [{ name: "secret", generator: "text", location: "outside" }],
  steps: [
    { id: "load", call: "load_recording", args: { source: "builtin:allen-like", builtin: TINY }, expect: [{ path: "structured.recording_id", matches: "^rec_" }, { path: "structured.n_neurons", equals: 12 }] },
    { id: "outside", call: "load_recording", args: { source: "${fixtures.secret}" }, expect_error: "/outside the allowed roots/" },
    { id: "list", call: "list_artifacts", args: { kind: "recording" }, expect: [{ path: "structured.artifacts[0].id", same_as: "steps.load.structured.recording_id" }] },
    { id: "read", read: "recording://${steps.load.structured.recording_id}", expect: [{ path: "json.n_neurons", equals: 12 }] },
  ],
});

test("a passing scenario over stdio and HTTP exits 0 and writes both reports", async () => {
  const out = path.join(tmp.dir, "results-pass");
  const log = sink();
  const code = await runEval([PASSING, "--out", out], log);
  assert.equal(code, 0, log.text());
  const report = JSON.parse(readFileSync(path.join(out, "report.json"), "utf8")) as EvalReport;
  assert.equal(report.passed, true);
  assert.deepEqual(report.settings, { era: "legacy", transports: ["stdio", "http"] });
  assert.deepEqual(report.runs.map((r) => [r.scenario, r.transport, r.passed]), [["smoke", "stdio", true], ["smoke", "http", true]]);
  assert.deepEqual(report.runs[1]!.steps.map((s) => s.status), ["passed", "passed", "passed", "passed"]);
  assert.match(readFileSync(path.join(out, "summary.md"), "utf8"), /\| smoke \| http \| ✅ pass \| 4\/4 \|/);
  assert.match(log.text(), /▶ smoke \[http\][\s\S]*✓ list call list_artifacts/);
  assert.match(log.text(), /PASS: 2\/2 runs passed/);
});

test("a failing check exits 1, keeps the reason and the server log, and --transport picks one transport", async () => {
  const failing = scenarioFile("wrong", {
    name: "wrong",
    steps: [{ id: "job", call: "get_job", args: { job_id: "job_zzzzzzzzzzzz" } }],
  });
  const out = path.join(tmp.dir, "results-fail");
  const code = await runEval(["--transport", "stdio", "--out", out, failing], sink());
  assert.equal(code, 1);
  const report = JSON.parse(readFileSync(path.join(out, "report.json"), "utf8")) as EvalReport;
  assert.equal(report.runs.length, 1);
  assert.equal(report.runs[0]!.transport, "stdio");
  assert.match(report.runs[0]!.steps[0]!.reason!, /succeeds: returned an error: No job with id job_zzzzzzzzzzzz/);
  assert.match(report.runs[0]!.server_log_tail!, /serving on stdio/);
});

test("usage errors are UserErrors with the fix", async () => {
  await assert.rejects(runEval([], sink()), (e: unknown) => e instanceof UserError && /No scenario files given/.test(e.problem));
  await assert.rejects(runEval(["--transport", "pigeon", PASSING], sink()), (e: unknown) => e instanceof UserError && /pigeon/.test(e.problem));
  await assert.rejects(runEval(["--era", "future", PASSING], sink()), (e: unknown) => e instanceof UserError && /future/.test(e.problem));
  await assert.rejects(runEval([path.join(tmp.dir, "absent.json")], sink()), (e: unknown) => e instanceof UserError && /does not exist/.test(e.problem));
  const invalid = scenarioFile("invalid", { name: "invalid", steps: [{ call: "x", bogus: 1 }] });
  await assert.rejects(runEval([invalid], sink()), (e: unknown) => e instanceof UserError && /invalid\.json is not a valid scenario:\n {2}steps\.0: Unrecognized key: "bogus"/.test(e.problem));
  await assert.rejects(runEval([PASSING, PASSING], sink()), (e: unknown) => e instanceof UserError && /Two scenario files are named "smoke"/.test(e.problem));
  const help = sink();
  assert.equal(await runEval(["--help"], help), 0);
  assert.match(help.text(), /--transport T/);
});

test("the shipped scenario files are valid", async () => {
  const dir = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../../evals");
  const { loadScenario } = await import("../../src/eval/scenario.js");
  const names = ["hypothesis-comparison", "long-training-job", "movie-decoding", "position-decoding", "prompts", "recovery"];
  for (const n of names) {
    const s = await loadScenario(path.join(dir, `${n}.json`));
    assert.ok(s.steps.length >= 5, `${n} has steps`);
    assert.ok(s.description && s.description.length > 40, `${n} is described`);
  }
});
