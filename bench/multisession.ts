/**
 * Joint (multi-session) training against single-session models of the same size (issue 14; the paper's
 * claim in kind: training across mice improves frame decoding over single-session models).
 *
 * "Mice", KIND `split` (the default): one builtin:allen-like population (default parameters but `n_cells` =
 * MICE × CELLS, seed 0) split into MICE disjoint groups of CELLS cells: different simulated cells seeing the
 * same movie, but sharing the session's per-repeat arousal, running bouts and shared gain, which separate mice
 * would not. KIND `separate`: MICE recordings of CELLS cells with recording seeds 1 … MICE and one
 * `movie_seed` (0): separate simulated mice (own cells, own running and gains) watching one movie.
 *
 * Per mouse: a single-session model (offset10-model, behavior on frame features, STEPS steps, batch 512,
 * lr 1e-3, output dimension 8, hidden 32, training seed SEED; repeats 0–8 train) and the same mouse's encoder of ONE
 * joint model trained on all mice at once with the same settings (same encoder size, same steps; batch
 * 512 per session, CEBRA's convention, so each joint step sees MICE × more samples). Each embedding is
 * decoded on the held-out repeat 9 with the product's protocol (decode/pipeline.ts, correct within 30
 * frames = 1 s), beside the raw per-sample and window-averaged controls and chance. Also the mean
 * cross-mouse consistency (R² between mice aligned by frame, 100 bins) of the two kinds of embedding.
 *
 *   npm run build && node dist/bench/multisession.js [MICE=4] [CELLS=100] [STEPS=800] [SEED=0] [KIND=split]
 * (SEED: the training seed of every model; the population stays seed 0.) About 8.5 minutes on 2 loaded cores.
 */
import { generateAllenLike } from "../src/data/builtin/index.js";
import type { Recording } from "../src/data/recording.js";
import { decodeMovie } from "../src/decode/pipeline.js";
import { fitEmbedding, fitSessions } from "../src/engine/fit.js";
import { consistencyScore } from "../src/engine/cebra/metrics.js";
import { DEFAULT_TRAIN_CONFIG, type ArchitectureInfo, type TrainConfig } from "../src/engine/types.js";
import { mean } from "../src/util/stats.js";

const [MICE, CELLS, STEPS, SEED] = [4, 100, 800, 0].map((d, i) => Number(process.argv[2 + i] ?? d));
const KIND = process.argv[6] ?? "split";
if (KIND !== "split" && KIND !== "separate") throw new Error(`KIND must be split or separate, not ${KIND}`);

/** Cells [from, from + n) of `rec` as a recording of their own. */
function units(rec: Recording, from: number, n: number): Recording {
  const N = rec.n_neurons;
  const neural = new Float32Array(rec.n_samples * n);
  for (let t = 0; t < rec.n_samples; t++) neural.set(rec.neural.subarray(t * N + from, t * N + from + n), t * n);
  const unit_metadata = Object.fromEntries(Object.entries(rec.unit_metadata).map(([k, v]) => [k, v.slice(from, from + n)]));
  return { ...rec, neural, n_neurons: n, unit_ids: rec.unit_ids.slice(from, from + n), unit_metadata };
}

const mice =
  KIND === "split"
    ? ((population) => Array.from({ length: MICE }, (_, m) => units(population, m * CELLS, CELLS)))(generateAllenLike({ n_cells: MICE * CELLS, seed: 0 }))
    : Array.from({ length: MICE }, (_, m) => generateAllenLike({ n_cells: CELLS, seed: m + 1, movie_seed: 0 }));
const cfg: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, max_iterations: STEPS, learning_rate: 1e-3, batch_size: 512, output_dimension: 8, num_hidden_units: 32, seed: SEED, device: "cpu" };
const TRAIN_REPEATS = [0, 1, 2, 3, 4, 5, 6, 7, 8];

type Scores = { cebra: number; raw: number; rawAvg: number; chance: number };
function decode(rec: Recording, data: Float32Array, arch: ArchitectureInfo): Scores {
  const d = decodeMovie(rec, { data, rows: data.length / cfg.output_dimension, dim: cfg.output_dimension }, arch, { not_run: "not needed here" }, { train_repeats: TRAIN_REPEATS, test_repeat: 9 });
  const acc = (x: unknown) => (x as { scores?: { accuracy?: number } } | undefined)?.scores?.accuracy ?? NaN;
  return { cebra: (d.summary.scores as { accuracy: number }).accuracy, raw: acc(d.summary.controls.raw_per_sample), rawAvg: acc(d.summary.controls.raw_window_averaged), chance: (d.summary.chance as { accuracy: number }).accuracy };
}

function crossMouseR2(embeddings: Float32Array[]): number {
  const labels = mice.map((r) => Float64Array.from(r.frame!));
  const res = consistencyScore(embeddings.map((data) => ({ data, rows: data.length / cfg.output_dimension, dim: cfg.output_dimension })), { between: "datasets", labels, dataset_ids: mice.map((_, i) => `mouse${i}`), num_discretization_bins: 100 });
  return mean(res.scores);
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const who = KIND === "split" ? `disjoint groups of one ${MICE * CELLS}-cell builtin:allen-like population, seed 0` : `builtin:allen-like recordings with seeds 1–${MICE}, movie_seed 0`;
console.log(`${MICE} mice × ${CELLS} cells (${who}), ${STEPS} steps, training seed ${SEED}, batch 512 per session, repeats 0–8 train, repeat 9 decoded within 30 frames.`);

const single: { emb: Float32Array; s: Scores; t: number }[] = [];
for (const rec of mice) {
  const t0 = Date.now();
  const fit = await fitEmbedding(rec, { mode: "behavior", train_repeats: TRAIN_REPEATS, evaluate_batches: 0, config: cfg });
  single.push({ emb: fit.embedding, s: decode(rec, fit.embedding, fit.model.architecture), t: (Date.now() - t0) / 1000 });
}
const t0 = Date.now();
const joint = await fitSessions(mice, { mode: "behavior", train_repeats: TRAIN_REPEATS, evaluate_batches: 0, config: cfg });
const jointS = (Date.now() - t0) / 1000;
const jointScores = mice.map((rec, m) => decode(rec, joint.embeddings[m].data, joint.model.architecture));

console.log("\n| mouse | single-session CEBRA | joint (multi-session) CEBRA | joint − single, points | raw per sample | raw window-averaged | chance |");
console.log("|---|---:|---:|---:|---:|---:|---:|");
mice.forEach((_, m) => {
  const s = single[m].s;
  const j = jointScores[m];
  console.log(`| ${m} | ${pct(s.cebra)} | ${pct(j.cebra)} | ${((j.cebra - s.cebra) * 100).toFixed(1)} | ${pct(s.raw)} | ${pct(s.rawAvg)} | ${pct(s.chance)} |`);
});
const avg = (f: (x: Scores) => number, xs: Scores[]) => mean(xs.map(f));
const ss = single.map((x) => x.s);
console.log(`| mean | ${pct(avg((x) => x.cebra, ss))} | ${pct(avg((x) => x.cebra, jointScores))} | ${((avg((x) => x.cebra, jointScores) - avg((x) => x.cebra, ss)) * 100).toFixed(1)} | ${pct(avg((x) => x.raw, ss))} | ${pct(avg((x) => x.rawAvg, ss))} | ${pct(avg((x) => x.chance, ss))} |`);
console.log(`\nCross-mouse consistency (mean R², aligned by frame, 100 bins): single-session ${crossMouseR2(single.map((x) => x.emb)).toFixed(3)}, joint ${crossMouseR2(joint.embeddings.map((e) => e.data)).toFixed(3)}.`);
console.log(`Training time: single-session ${single.map((x) => x.t.toFixed(0)).join(" + ")} s (incl. decoding), joint ${jointS.toFixed(0)} s.`);
