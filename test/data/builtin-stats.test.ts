/**
 * The literature statistics of the built-in recording (src/data/builtin/stats.ts, the functions
 * bench/builtin-stats.ts prints and docs/BUILTIN.md "Parameters and statistics" reports): each falls in
 * its documented range on a small recording, moves the right way when the mechanism behind it is
 * switched off, and is deterministic. The running state (state.ts) round-trips through provenance.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { ALLEN_LIKE_DEFAULTS, generateAllenLike, type AllenLikeParams } from "../../src/data/builtin/index.js";
import { resolveParams } from "../../src/data/builtin/params.js";
import { streamRng } from "../../src/data/builtin/random.js";
import { measureRecording, singleSpikeTransient, sparseness, type RecordingStats } from "../../src/data/builtin/stats.js";
import { runningMaskFromBouts, simulateRunning } from "../../src/data/builtin/state.js";

// 100 cells, 10 s movie, 8 repeats: enough repeats for reliability and noise correlations, well under a second.
const SMALL: Partial<AllenLikeParams> = { n_cells: 100, n_frames: 300, n_repeats: 8, frame_height: 48, frame_width: 96, seed: 3, running_bout_s: 3 };
const QUIET: Partial<AllenLikeParams> = { shared_gain_sd: 0, running_fraction: 0, arousal_min: 1, arousal_max: 1, drift_sd: 0, neuropil_residual_sd: 0 };

const cache = new Map<string, RecordingStats>();
function stats(extra: Partial<AllenLikeParams> = {}): RecordingStats {
  const key = JSON.stringify(extra);
  let s = cache.get(key);
  if (!s) cache.set(key, (s = measureRecording(generateAllenLike({ ...SMALL, ...extra }))));
  return s;
}

test("sparseness: 0 for a flat response, 1 for a single non-zero value, negatives clipped", () => {
  assert.equal(sparseness([2, 2, 2, 2]), 0);
  assert.ok(Math.abs(sparseness([0, 0, 5, 0]) - 1) < 1e-12);
  assert.ok(Math.abs(sparseness([-1, 0, 5, -3]) - 1) < 1e-12);
  assert.ok(Number.isNaN(sparseness([0, -1, 0])));
});

test("running state: stationary fraction, bout length, and the mask round-trips through the bouts", () => {
  const p = resolveParams({ running_fraction: 0.3, running_bout_s: 2 });
  const n = 200_000;
  const s = simulateRunning(streamRng(5, "running"), n, p);
  let on = 0;
  for (const v of s.running) on += v;
  assert.ok(Math.abs(on / n - 0.3) < 0.05, `running fraction ${on / n}`);
  const meanBout = s.bouts.reduce((a, [x, y]) => a + (y - x), 0) / s.bouts.length;
  assert.ok(Math.abs(meanBout - 2) < 0.3, `mean bout ${meanBout} s`);
  assert.deepEqual(runningMaskFromBouts(s.bouts, n), s.running);
  assert.equal(simulateRunning(streamRng(5, "running"), 100, resolveParams({ running_fraction: 0 })).bouts.length, 0);
});

test("literature statistics of the default model fall in their documented ranges", () => {
  const s = stats();
  assert.ok(s.responsiveFraction > 0.3 && s.responsiveFraction < 0.7, `responsive ${s.responsiveFraction}`);
  assert.ok(s.reliabilityResponsive > s.reliabilityAll, `reliability ${s.reliabilityResponsive} vs ${s.reliabilityAll}`);
  assert.ok(s.lifetimeSparseness > 0.05 && s.lifetimeSparseness < 0.8, `lifetime sparseness ${s.lifetimeSparseness}`);
  assert.ok(s.populationSparseness > 0.05 && s.populationSparseness < 0.8, `population sparseness ${s.populationSparseness}`);
  assert.ok(s.noiseCorrelation > 0.01 && s.noiseCorrelation < 0.3, `noise correlation ${s.noiseCorrelation}`);
  assert.ok(s.runningRatio > 1.2 && s.runningRatio < 2.2, `running / still ${s.runningRatio}`);
  assert.ok(s.noiseFloor > 0.02 && s.noiseFloor < 0.08, `noise floor ${s.noiseFloor}`);
  const t = singleSpikeTransient(ALLEN_LIKE_DEFAULTS);
  assert.ok(t.halfDecayMs > 100 && t.halfDecayMs < 250, `half-decay ${t.halfDecayMs} ms`);
  assert.ok(t.peakDff > 0.05 && t.peakDff < ALLEN_LIKE_DEFAULTS.indicator_amplitude, `peak ${t.peakDff}`);
});

test("each statistic follows its mechanism: shared gain and running make noise correlations, running gain the running ratio", () => {
  const quiet = stats(QUIET);
  assert.ok(Math.abs(quiet.noiseCorrelation) < 0.03, `noise correlation without shared gain, running or arousal: ${quiet.noiseCorrelation}`);
  assert.ok(stats().noiseCorrelation > quiet.noiseCorrelation + 0.02);
  const flat = stats({ running_gain: 1 });
  assert.ok(Math.abs(flat.runningRatio - 1) < 0.1, `running ratio with running_gain 1: ${flat.runningRatio}`);
  const none = stats({ fraction_reliable: 0, fraction_weak: 0 });
  assert.ok(none.responsiveFraction < 0.1, `responsive fraction with no driven cells: ${none.responsiveFraction}`);
});

test("measurements are deterministic", () => {
  const a = measureRecording(generateAllenLike({ ...SMALL }));
  assert.deepEqual(a, stats());
});
