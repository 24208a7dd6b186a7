/**
 * How CEBRA's training settings change frame decoding on the demo's recording (docs/BENCHMARKS.md,
 * "The demo"). One fit per setting, seed 0, decoded with the demo's kNN protocol (raw controls skipped:
 * they do not depend on the setting). Prints Markdown table rows.
 *
 *   npm run build && node dist/bench/demo-settings.js
 */
import { generateAllenLike } from "../src/data/builtin/index.js";
import { decodeMovie } from "../src/decode/pipeline.js";
import { fitEmbedding, type FitOptions } from "../src/engine/fit.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../src/engine/types.js";
import { DEMO_DEFAULTS } from "../src/cli/demo.js";

const rec = generateAllenLike({ seed: DEMO_DEFAULTS.seed });
const base: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, max_iterations: DEMO_DEFAULTS.steps, learning_rate: DEMO_DEFAULTS.learning_rate, seed: DEMO_DEFAULTS.seed, device: "cpu" };
const variants: [string, Partial<TrainConfig>, Partial<FitOptions>][] = [
  ["demo: behavior, 800 steps, lr 1e-3", {}, {}],
  ["behavior, 3000 steps", { max_iterations: 3000 }, {}],
  ["behavior, 800 steps, lr 3e-4 (CEBRA default)", { learning_rate: 3e-4 }, {}],
  ["behavior, learnable temperature", { temperature_mode: "auto" }, {}],
  ["behavior, time_offsets 10", { time_offsets: 10 }, {}],
  ["behavior, output dim 32", { output_dimension: 32 }, {}],
  ["behavior, labels = frame id (discrete)", {}, { labels: "frame" }],
  ["hybrid (behavior + time)", {}, { mode: "hybrid" }],
  ["time (CEBRA-Time, no labels)", {}, { mode: "time" }],
];
console.log("| Setting | within 30 frames | median error | final loss | training time |\n|---|---:|---:|---:|---:|");
for (const [name, cfg, opts] of variants) {
  const t0 = Date.now();
  const fit = await fitEmbedding(rec, { mode: "behavior", evaluate_batches: 0, ...opts, config: { ...base, ...cfg } });
  const emb = { data: fit.embedding, rows: fit.embedding_rows, dim: fit.dim };
  const d = decodeMovie(rec, emb, fit.model.architecture, { not_run: "not needed here" }, { train_repeats: fit.prepared.split.train_repeats, skip_raw_controls: true });
  const s = d.main.scores;
  console.log(`| ${name} | ${(s.accuracy * 100).toFixed(1)}% | ${s.median_abs_error} | ${fit.model.log.total.at(-1)!.toFixed(3)} | ${((Date.now() - t0) / 1000).toFixed(0)} s |`);
}
