/**
 * Broken variants (docs/EVALS.md): validation of their definitions, the argument overrides, the verdict
 * (caught only by a value check of a named step), and, against the real built server over stdio, a
 * small place-cell scenario whose real run passes while its no-training variant is caught and a
 * variant that breaks nothing is reported as not caught (exit 1). Also: --fault needs its env var.
 */
import test, { after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { runEval } from "../../src/cli/eval.js";
import { parseServeArgs } from "../../src/cli/args.js";
import { judgeBroken } from "../../src/eval/broken.js";
import type { ScenarioRun } from "../../src/eval/runner.js";
import { applyBrokenVariant, parseScenario, ScenarioFileError } from "../../src/eval/scenario.js";
import { UserError } from "../../src/util/errors.js";
import { clearFaults, faultActive } from "../../src/util/faults.js";
import { tempDir } from "../helpers/tmp.js";

const tmp = tempDir("cebra-eval-broken-");
after(tmp.cleanup);

const STEPS = [
  { id: "train", call: "train_embedding", args: { recording_id: "rec_x", max_iterations: 300, learning_rate: 0.003 } },
  { id: "decode", call: "decode_labels", args: { model_id: "mdl_x" }, expect: [{ path: "structured.scores.r2_mean", min: 0.5 }] },
];

test("broken variants are validated against the scenario's steps and applied as argument overrides", () => {
  const s = parseScenario({ name: "s", steps: STEPS, broken: [{ name: "no-training", args: { train: { max_iterations: 1, learning_rate: 1e-9 } }, caught_by: ["decode"] }] });
  const b = applyBrokenVariant(s, s.broken[0]!);
  assert.equal(b.name, "s~no-training");
  assert.deepEqual(b.steps[0]!.args, { recording_id: "rec_x", max_iterations: 1, learning_rate: 1e-9 });
  assert.deepEqual(b.steps[1]!.args, { model_id: "mdl_x" });
  assert.deepEqual(s.steps[0]!.args!.max_iterations, 300, "the scenario itself is unchanged");
  const bad = (broken: unknown, pattern: RegExp) => assert.throws(() => parseScenario({ name: "s", steps: STEPS, broken }), (e: unknown) => e instanceof ScenarioFileError && pattern.test(e.message));
  bad([{ name: "x", args: { nope: { a: 1 } }, caught_by: ["decode"] }], /names step "nope", which the scenario does not have/);
  bad([{ name: "x", args: { train: { a: 1 } }, caught_by: ["later"] }], /names step "later"/);
  bad([{ name: "x", caught_by: ["decode"] }], /changes nothing/);
  bad([{ name: "x", fault: "majority-decoder", caught_by: ["decode"] }, { name: "x", fault: "majority-decoder", caught_by: ["decode"] }], /defined twice/);
  bad([{ name: "x", fault: "slow-disk", caught_by: ["decode"] }], /broken\.0\.fault/);
  bad([{ name: "x", fault: "majority-decoder", caught_by: [] }], /caught_by/);
});

function run(checks: { description: string; passed: boolean; reason?: string }[], step = "decode"): ScenarioRun {
  return {
    scenario: "s~v", transport: "stdio", passed: false, started_at: "", duration_s: 1,
    steps: [{ id: step, action: "call", target: "decode_labels", status: checks.every((c) => c.passed) ? "passed" : "failed", latency_ms: 1, attempts: 1, checks }],
  };
}

test("a broken run counts as caught only when a value check of a caught_by step fails", () => {
  const variant = { name: "v", args: {}, caught_by: ["decode"] };
  const byValue = judgeBroken("s", variant, run([{ description: "succeeds", passed: true }, { description: "r2 ≥ 0.5", passed: false, reason: "structured.scores.r2_mean = 0.2 is not ≥ 0.5" }]));
  assert.equal(byValue.caught, true);
  assert.deepEqual(byValue.caught_by, ["decode: r2 ≥ 0.5: structured.scores.r2_mean = 0.2 is not ≥ 0.5"]);
  const missing = judgeBroken("s", variant, run([{ description: "untrained", passed: false, reason: "structured.controls.untrained_encoder is missing: controls has no \"untrained_encoder\"" }]));
  assert.equal(missing.caught, false, "a missing value proves nothing about the checks");
  assert.equal(missing.other_failures.length, 1);
  assert.equal(judgeBroken("s", variant, run([{ description: "succeeds", passed: false, reason: "returned an error: boom" }])).caught, false, "an error is not a caught analysis");
  assert.equal(judgeBroken("s", variant, run([{ description: "r2 ≥ 0.5", passed: false, reason: "0.2 is not ≥ 0.5" }], "plot")).caught, false, "only the named steps count");
  assert.equal(judgeBroken("s", variant, { ...run([]), passed: true }).caught, false);
});

test("--fault is refused without CEBRA_MCP_ENABLE_FAULTS=1 and unknown faults are refused", () => {
  try {
    assert.throws(() => parseServeArgs(["--fault", "majority-decoder"], {}), (e: unknown) => e instanceof UserError && /negative evaluations/.test(e.problem) && /CEBRA_MCP_ENABLE_FAULTS=1/.test(e.fix));
    assert.equal(faultActive("majority-decoder"), false);
    assert.throws(() => parseServeArgs(["--fault", "slow-disk"], { CEBRA_MCP_ENABLE_FAULTS: "1" }), (e: unknown) => e instanceof UserError && /slow-disk/.test(e.problem));
    parseServeArgs([], {});
    assert.equal(faultActive("majority-decoder"), false, "no fault without --fault");
    parseServeArgs(["--fault", "majority-decoder"], { CEBRA_MCP_ENABLE_FAULTS: "1" });
    assert.equal(faultActive("majority-decoder"), true);
  } finally {
    clearFaults();
  }
});

/** Collects what the command prints. */
function sink(): { write(s: string): boolean; text: () => string } {
  let out = "";
  return { write: (s: string) => ((out += s), true), text: () => out };
}

// Smallest setting that still learns: 30 place cells, 60 s, 250 steps. Measured 2026-12-07 (2-core EPYC, Node 20.20.2) over
// training seeds 1–5: trained r² 0.988–0.991, untrained (1 step, lr 1e-9) 0.36–0.45, chance ≈ 0; the margin 0.7 lies between.
const PLACE = {
  name: "place",
  fixtures: [{ name: "track", generator: "linear-track", params: { seed: 5, n_cells: 30, duration_s: 60 } }],
  steps: [
    { id: "load", call: "load_recording", args: { source: "${fixtures.track}" } },
    { id: "train", call: "train_embedding", args: { recording_id: "${steps.load.structured.recording_id}", labels: "continuous", output_dimension: 8, batch_size: 128, max_iterations: 250, learning_rate: 0.003, seed: 1, wait_seconds: 50 } },
    { id: "trained", call: "get_job", args: { job_id: "${steps.train.structured.job_id}", wait_seconds: 50 }, repeat: { until: [{ path: "structured.status", in: ["succeeded", "failed"] }], max_seconds: 120 }, expect: [{ path: "structured.status", equals: "succeeded" }] },
    { id: "decode", call: "decode_labels", args: { model_id: "${steps.trained.structured.result.model_id}", skip_raw_controls: true }, expect: [{ path: "structured.scores.r2_mean", exceeds: { path: "structured.chance.r2_mean", by: 0.7 } }] },
  ],
  broken: [
    { name: "no-training", args: { train: { max_iterations: 1, learning_rate: 1e-9 } }, caught_by: ["decode"] },
    { name: "harmless", $comment: "breaks nothing: must be reported as NOT caught", args: { train: { seed: 2 } }, caught_by: ["decode"] },
  ],
};

test("eval --broken: the real run passes, no-training is caught by the margin, a harmless variant is not caught (exit 1)", async () => {
  const file = path.join(tmp.dir, "place.json");
  writeFileSync(file, JSON.stringify(PLACE));
  const real = sink();
  assert.equal(await runEval(["--transport", "stdio", "--out", path.join(tmp.dir, "real"), file], real), 0, real.text());
  const out = path.join(tmp.dir, "broken");
  const log = sink();
  assert.equal(await runEval(["--broken", "--transport", "stdio", "--out", out, file], log), 1, log.text());
  const report = JSON.parse(readFileSync(path.join(out, "broken.json"), "utf8")) as { caught: boolean; verdicts: { variant: string; caught: boolean; caught_by: string[] }[] };
  assert.equal(report.caught, false);
  assert.deepEqual(report.verdicts.map((v) => [v.variant, v.caught]), [["no-training", true], ["harmless", false]]);
  assert.match(report.verdicts[0]!.caught_by[0]!, /^decode: structured\.scores\.r2_mean ≥ structured\.chance\.r2_mean \+ 0\.7: .* by -?0\.\d+, less than the required 0\.7$/);
  assert.match(log.text(), /NOT caught|NOT CAUGHT \(the broken run passed every check\)/);
  assert.match(log.text(), /FAIL: 1\/2 broken variants caught \(not caught: place~harmless \[stdio\]\)/);
});

test("the faults do what docs/EVALS.md says, and only while enabled", async () => {
  const { decodeFrames } = await import("../../src/decode/frames.js");
  const { prepareTraining } = await import("../../src/engine/train/prepare.js");
  const { generateAllenLike } = await import("../../src/data/builtin/index.js");
  const { enableFaults } = await import("../../src/util/faults.js");
  // 3 repeats of 12 frames; features = one-hot of the frame, so kNN decodes every frame exactly.
  const F = 12, R = 3, n = F * R;
  const frame = Int32Array.from({ length: n }, (_, i) => i % F);
  const repeat = Int32Array.from({ length: n }, (_, i) => Math.floor(i / F));
  const features = new Float32Array(n * F);
  for (let i = 0; i < n; i++) features[i * F + frame[i]!] = 1;
  const input = { features, n_samples: n, dim: F, frame, repeat, train_repeats: [0, 1], test_repeat: 2, k: 1, window: 1 };
  const rec = generateAllenLike({ seed: 3, n_cells: 12, n_frames: 20, n_repeats: 2, frame_height: 16, frame_width: 32, feature_dim: 4, n_occluders: 0 });
  const { decodeLabels } = await import("../../src/decode/labels.js");
  // A 1-D position equal to the feature: kNN recovers it; the fault predicts the training mean (r² = chance).
  const pos = Float32Array.from({ length: 60 }, (_, i) => (i * 7) % 60);
  const labelInput = { features: pos, n_samples: 60, dim: 1, labels: { kind: "continuous" as const, data: pos, dim: 1 }, split: { train_ranges: [[0, 45]] as [number, number][], test_ranges: [[45, 60]] as [number, number][] }, k: 1, metric: "euclidean" as const };
  const labels = () => prepareTraining(rec, { mode: "behavior", labels: "frame", train_repeats: [0], shuffle_seed: 1 }).session.discrete!;
  try {
    assert.equal(decodeFrames(input).scores.accuracy, 1, "the real decoder finds every frame");
    const real = decodeLabels(labelInput);
    assert.ok(real.kind === "labels_continuous" && real.scores.r2_mean > 0.99, "the real decoder recovers the position");
    const honest = labels();
    enableFaults(["majority-decoder", "scrambled-labels"], { CEBRA_MCP_ENABLE_FAULTS: "1" });
    const meanDecoded = decodeLabels(labelInput);
    assert.ok(meanDecoded.kind === "labels_continuous" && Math.abs(meanDecoded.scores.r2_mean - meanDecoded.chance.r2_mean) < 1e-9, "label decoding predicts the training mean: r² = chance");
    const broken = decodeFrames(input);
    assert.deepEqual([...new Set(broken.rows.map((r) => r.predicted_frame))], [0], "every test sample gets the majority frame (ties: the lowest)");
    assert.ok(Math.abs(broken.scores.accuracy - 1 / F) < 1e-12);
    const scrambled = labels();
    assert.notDeepEqual(scrambled, honest, "training labels are permuted");
    assert.equal(scrambled.length, honest.length, "…across samples: the same training samples, other labels");
    assert.ok(scrambled.every((f) => f >= 0 && f < 20), "…drawn from the recording's frames");
  } finally {
    clearFaults();
  }
  assert.equal(decodeFrames(input).scores.accuracy, 1, "cleared: the real decoder again");
});
