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
import { decodeMovie } from "../src/decode/pipeline.js";
import { fitEmbedding } from "../src/engine/fit.js";
import { transformRecording, untrainedModel } from "../src/engine/train/transform.js";
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

const pct = (x: number | undefined) => (x === undefined ? "—" : `${(x * 100).toFixed(1)}%`);
const pts = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(1)}`;
const acc = (x: { scores?: unknown } | undefined) => (x?.scores as { accuracy?: number } | undefined)?.accuracy;

console.log("| Run | CEBRA | raw per sample | raw window-averaged | untrained encoder | shuffled labels | chance | CEBRA − window-averaged raw, points (95% CI) | training time |");
console.log("|---|---:|---:|---:|---:|---:|---:|---|---:|");
for (const row of rows) {
  const cfg: TrainConfig = { ...base, ...row.cfg };
  const t0 = Date.now();
  const fit = await fitEmbedding(rec, { mode: "behavior", evaluate_batches: 0, config: cfg });
  const trainS = (Date.now() - t0) / 1000;
  const shuffled = which === "ties" ? await fitEmbedding(rec, { mode: "behavior", evaluate_batches: 0, config: cfg, shuffle_labels: true, shuffle_seed: cfg.seed + 1 }) : null;
  const untrained = await transformRecording(untrainedModel(fit.model), rec.neural, rec.n_samples, rec.n_neurons);
  const emb = { data: fit.embedding, rows: fit.embedding_rows, dim: fit.dim };
  const d = decodeMovie(rec, emb, fit.model.architecture, shuffled ? { embedding: { data: shuffled.embedding, rows: shuffled.embedding_rows, dim: shuffled.dim }, model_id: "shuffled" } : { not_run: "not run for this row" }, {
    train_repeats: fit.prepared.split.train_repeats,
    untrained: { embedding: { data: untrained, rows: untrained.length / fit.dim, dim: fit.dim }, model_id: "untrained" },
  });
  const s = d.summary;
  const c = s.controls;
  const cmp = c.raw_window_averaged?.comparison;
  const ci = cmp ? `${pts(cmp.difference)} (${pts(cmp.ci_low)} to ${pts(cmp.ci_high)})` : "—";
  console.log(
    `| ${row.name} | ${pct((s.scores as { accuracy: number }).accuracy)} | ${pct(acc(c.raw_per_sample))} | ${pct(acc(c.raw_window_averaged))} | ` +
      `${pct(acc(c.untrained_encoder))} | ${pct(acc(c.shuffled_labels))} | ${pct((s.chance as { accuracy: number }).accuracy)} | ${ci} | ${trainS.toFixed(0)} s |`,
  );
}
