/**
 * Statistics of the built-in recording measured the way the V1 literature defines them, beside the
 * published values (docs/BUILTIN.md, "Parameters and statistics"). Defaults (calcium, 300 cells,
 * 10 repeats), recording seeds 0, 1, 2; every statistic comes from src/data/builtin/stats.ts, the same
 * functions test/data/builtin-stats.test.ts checks. Prints Markdown table rows; about a minute.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/builtin-stats.js [seed...]
 */
import { ALLEN_LIKE_DEFAULTS, generateAllenLike } from "../src/data/builtin/index.js";
import { measureRecording, type RecordingStats } from "../src/data/builtin/stats.js";
import { singleSpikeTransient } from "../src/data/builtin/stats.js";

const seeds = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [0, 1, 2];
const results: RecordingStats[] = [];
for (const seed of seeds) {
  const t0 = performance.now();
  const rec = generateAllenLike({ seed });
  const gen = (performance.now() - t0) / 1000;
  results.push(measureRecording(rec));
  console.error(`seed ${seed}: generated in ${gen.toFixed(2)} s, measured in ${((performance.now() - t0) / 1000 - gen).toFixed(2)} s`);
}
const tr = singleSpikeTransient(ALLEN_LIKE_DEFAULTS);
const fmt = (key: keyof RecordingStats, digits: number, pct = false) =>
  results.map((r) => (pct ? `${(100 * r[key]).toFixed(digits)} %` : r[key].toFixed(digits))).join(" / ");
console.log(`| statistic | simulated, seeds ${seeds.join(" / ")} |\n|---|---|`);
console.log(`| responsive cells (reliability above the 95th percentile of the shifted-repeat null) | ${fmt("responsiveFraction", 0, true)} |`);
console.log(`| reliability (mean pairwise correlation across repeats), median over responsive cells | ${fmt("reliabilityResponsive", 2)} |`);
console.log(`| reliability, median over all cells | ${fmt("reliabilityAll", 2)} |`);
console.log(`| lifetime sparseness, median over responsive cells | ${fmt("lifetimeSparseness", 2)} |`);
console.log(`| population sparseness (all cells), mean over frames | ${fmt("populationSparseness", 2)} |`);
console.log(`| noise correlation (1 s bins), mean over pairs of responsive cells | ${fmt("noiseCorrelation", 3)} |`);
console.log(`| noise correlation, running epochs removed (still frames only) | ${fmt("noiseCorrelationStill", 3)} |`);
console.log(`| running / still mean dF/F, responsive cells | ${fmt("runningRatio", 2)} |`);
console.log(`| time running | ${fmt("runningFraction", 0, true)} |`);
console.log(`| dF/F noise floor (median over cells) | ${fmt("noiseFloor", 3)} |`);
console.log(`| single-spike transient: peak dF/F, time to peak, half-decay | ${tr.peakDff.toFixed(3)}, ${tr.timeToPeakMs.toFixed(0)} ms, ${tr.halfDecayMs.toFixed(0)} ms |`);
console.log(`| single-spike peak / noise floor (30 Hz sampling) | ${results.map((r) => (tr.peakDff / r.noiseFloor).toFixed(1)).join(" / ")} |`);
