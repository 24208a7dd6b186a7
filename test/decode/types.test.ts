import test from "node:test";
import assert from "node:assert/strict";
import { summarizeDecoding, truncateRows, controlNotRun, controlOk } from "../../src/decode/types.js";
import { decodeFrames } from "../../src/decode/frames.js";
import { frameRawControls } from "../../src/decode/controls.js";
import { movieData } from "./fixtures.js";

test("summarizeDecoding lists scores, chance and every control, flags protocol mismatches, and is JSON-ready", () => {
  const data = movieData({ nFrames: 30, repeats: 4, dim: 6, noise: 0.5, seed: 1 });
  const protocol = { n_samples: data.n_samples, frame: data.frame, repeat: data.repeat, window: 3 };
  const main = decodeFrames({ ...protocol, features: data.features, dim: 6, features_source: "embedding" });
  const raw = frameRawControls(protocol, { neural: data.features, n_neurons: 6, receptive_field: { left: 1, right: 1 } });
  const mismatched = decodeFrames({ ...protocol, features: data.features, dim: 6, window: 5 });
  const summary = summarizeDecoding(main, { ...raw, shuffled_labels: controlNotRun("the shuffled-label model was not trained (pass shuffled_control: true)") });
  assert.equal(summary.features_source, "embedding");
  assert.deepEqual(summary.scores, main.scores);
  assert.deepEqual(summary.chance, main.chance);
  assert.equal(summary.k_scores.length, main.k_selection.k_scores.length);
  assert.equal(summary.controls.raw_per_sample?.status, "ok");
  assert.equal(summary.controls.raw_window_averaged?.status, "ok");
  assert.equal(summary.controls.shuffled_labels?.status, "not_run");
  assert.match(summary.controls.shuffled_labels!.reason!, /not trained/);
  assert.equal(summary.warnings.length, 0);
  assert.ok(!("rows" in summary));
  // Each ok control carries its own settings and the main − control comparison with its interval, in words too.
  const perSample = summary.controls.raw_per_sample!;
  assert.equal(perSample.settings?.k, (raw.raw_per_sample as { result: { k: number } }).result.k);
  const cmp = perSample.comparison!;
  assert.ok(Math.abs(cmp.difference - (main.scores.accuracy - (perSample.scores as { accuracy: number }).accuracy)) < 1e-12);
  assert.ok(cmp.ci_low <= cmp.difference && cmp.difference <= cmp.ci_high);
  assert.match(perSample.comparison_text!, /^the embedding (is (stronger|weaker) than|and) the raw per-sample control/);
  assert.match(summary.comparison_method, /paired moving-block bootstrap \(1000 resamples/);
  assert.deepEqual(summary.settings, { metric: main.metric, preprocessing: main.preprocessing, k: main.k, metric_source: "validation" });
  assert.deepEqual(JSON.parse(JSON.stringify(summary)).controls.raw_per_sample.scores, (raw.raw_per_sample as { result: { scores: unknown } }).result.scores);

  const flagged = summarizeDecoding(main, { shuffled_labels: controlOk(mismatched) });
  assert.ok(flagged.warnings.some((w) => /shuffled_labels: protocol differs .*window 5 vs 3/.test(w)), flagged.warnings.join("\n"));
});

test("truncateRows keeps the first n rows and counts the rest", () => {
  const rows = Array.from({ length: 10 }, (_, i) => ({ i }));
  assert.deepEqual(truncateRows(rows, 3), { rows: [{ i: 0 }, { i: 1 }, { i: 2 }], total: 10, omitted: 7 });
  assert.deepEqual(truncateRows(rows, 50).omitted, 0);
  assert.deepEqual(truncateRows(rows, -1).rows, []);
});
