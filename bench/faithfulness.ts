/**
 * Measurements behind the faithfulness options and the step default (docs/FAITHFULNESS.md), on the
 * built-in recording (builtin:allen-like defaults, seed 0; offset10-model, behavior on frame features,
 * batch 512, output dimension 8, τ = 1; repeats 0–8 train, repeat 9 decoded with every control, as
 * bench/builtin-why.ts). Prints Markdown table rows as they finish.
 *
 *   npm run build && node dist/bench/faithfulness.js ties [SEED...]  # demo setting (800 steps, lr 1e-3):
 *       positive_ties random vs first, each with its shuffled-label control; seeds 0–2 by default (~1 min a seed and rule)
 *   node dist/bench/faithfulness.js steps        # the tool's setting (lr 3e-4) at 10,000 steps, seed 0 (~5 min)
 *   node dist/bench/faithfulness.js steps2000    # the same at 2000 steps (docs/BUILTIN.md has this row)
 *   node dist/bench/faithfulness.js fullbatch    # 20 full-batch steps: time and peak memory
 */
import { generateAllenLike } from "../src/data/builtin/index.js";
import { fitEmbedding } from "../src/engine/fit.js";
import { demoRowCells } from "./demo-row.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../src/engine/types.js";
import { DEMO_DEFAULTS } from "../src/cli/demo.js";

interface Row { name: string; cfg: Partial<TrainConfig> }

const DEMO: Partial<TrainConfig> = { max_iterations: DEMO_DEFAULTS.steps, learning_rate: DEMO_DEFAULTS.learning_rate };
const TOOL: Partial<TrainConfig> = { learning_rate: 3e-4 };
const seeds = process.argv.slice(3).map(Number);
const SETS: Record<string, Row[]> = {
  ties: (seeds.length ? seeds : [0, 1, 2]).flatMap((seed) => [
    { name: `demo setting, ties random, seed ${seed}`, cfg: { ...DEMO, seed, positive_ties: "random" as const } },
    { name: `demo setting, ties first, seed ${seed}`, cfg: { ...DEMO, seed, positive_ties: "first" as const } },
  ]),
  // The 2000-step row of this setting is in docs/BUILTIN.md (bench/builtin-why.ts steps); `steps2000` reruns it.
  steps: [{ name: "tool setting, 10,000 steps", cfg: { ...TOOL, max_iterations: 10_000 } }],
  steps2000: [{ name: "tool setting, 2000 steps", cfg: { ...TOOL, max_iterations: 2000 } }],
};

const which = process.argv[2] ?? "ties";
const rec = generateAllenLike({ seed: DEMO_DEFAULTS.seed });
const base: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, seed: DEMO_DEFAULTS.seed, device: "cpu" };

if (which === "fullbatch") {
  const cfg: TrainConfig = { ...base, ...DEMO, full_batch: true, max_iterations: 20 };
  const t0 = Date.now();
  const fit = await fitEmbedding(rec, { mode: "behavior", evaluate_batches: 0, config: cfg });
  const s = (Date.now() - t0) / 1000;
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(`full batch: ${fit.model.config.batch_size} references per step, ${cfg.max_iterations} steps in ${s.toFixed(1)} s (incl. setup and transform), peak RSS ${rss.toFixed(0)} MiB, loss ${fit.model.log.total.at(-1)!.toFixed(3)} (chance ${Math.log(fit.model.config.batch_size).toFixed(3)})`);
  process.exit(0);
}
const rows = SETS[which];
if (!rows) {
  console.error(`Unknown set "${which}". Use ties, steps, steps2000 or fullbatch.`);
  process.exit(2);
}

console.log("| Run | CEBRA | raw per sample | raw window-averaged | untrained encoder | shuffled labels | chance | CEBRA − window-averaged raw, points (95% CI) | training time |");
console.log("|---|---:|---:|---:|---:|---:|---:|---|---:|");
for (const row of rows) {
  const cells = await demoRowCells(rec, { ...base, ...row.cfg }, which === "ties");
  console.log(`| ${row.name} | ${cells.join(" | ")} |`);
}
