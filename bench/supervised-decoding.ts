/**
 * CEBRA's supervised models beside the contrastive model they share a net with: supervised10-model
 * (MSE on the labels, CEBRA's SupervisedNNSolver) and offset10-model (CEBRA-Behavior, InfoNCE), same
 * labels, split, steps, learning rate and seed, each with its shuffled-label twin, decoded with the same
 * kNN protocol (raw-activity controls and chance beside). docs/TRAINING.md "Supervised models".
 *
 * (a) linear track: 48 place cells, 25 ms bins, 254 s (as bench/controls.ts), position; first 80 % train.
 * (b) the built-in movie (builtin:allen-like, seed 0), frame features as labels, the demo's steps and
 *     learning rate; the last repeat decoded (accuracy within 30 frames).
 *
 *   npm run build && node dist/bench/supervised-decoding.js [track|movie]   (both by default; minutes on 2 cores)
 */
import { generateAllenLike } from "../src/data/builtin/index.js";
import type { Recording } from "../src/data/recording.js";
import { decodeHeldOutLabels, decodeMovie } from "../src/decode/pipeline.js";
import type { DecodeResult } from "../src/decode/types.js";
import { fitEmbedding, type FitOptions } from "../src/engine/fit.js";
import { DEFAULT_TRAIN_CONFIG } from "../src/engine/types.js";
import { benchTrack } from "./track.js";
import { DEMO_DEFAULTS } from "../src/cli/demo.js";

const ARCHITECTURES = ["offset10-model", "supervised10-model"] as const;

/** The model and its shuffled-label twin (same samples, configuration, seed, steps). */
async function fitPair(rec: Recording, opts: FitOptions) {
  const t0 = Date.now();
  const real = await fitEmbedding(rec, opts);
  const twin = await fitEmbedding(rec, { ...opts, shuffle_labels: true });
  const emb = (f: typeof real) => ({ data: f.embedding, rows: f.embedding_rows, dim: f.dim });
  return { real, emb: emb(real), shuffled: { embedding: emb(twin), model_id: "shuffled twin" }, s: (Date.now() - t0) / 1000 };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
/** The headline score of a decoding: accuracy (frames) or mean R² (continuous labels). */
const headline = (r: DecodeResult) => ("accuracy" in r.scores ? r.scores.accuracy : (r.scores as { r2_mean: number }).r2_mean);
const control = (c: { status: string } | undefined) => (c?.status === "ok" ? headline((c as unknown as { result: DecodeResult }).result) : NaN);

async function track(): Promise<void> {
  const { sim, rec, T, N } = benchTrack();
  const nTrain = Math.round(0.8 * T);
  console.log(`\n### Linear track (${N} place cells, 25 ms bins, ${T} samples; last 20 % decoded): R² of position\n`);
  console.log("| model | R² | shuffled-label twin | raw, per sample | raw, window-averaged | chance | training (both) |\n|---|---|---|---|---|---|---|");
  for (const a of ARCHITECTURES) {
    const p = await fitPair(rec, {
      mode: "behavior", labels: "continuous", train_fraction: 0.8, evaluate_batches: 0,
      config: { ...DEFAULT_TRAIN_CONFIG, model_architecture: a, output_dimension: 8, max_iterations: 2000, learning_rate: 1e-3, seed: 0, device: "cpu" },
    });
    const d = decodeHeldOutLabels(rec, p.emb, p.real.model.architecture, p.shuffled, {
      labels: { kind: "continuous", data: sim.position, dim: 1, columns: ["position"] }, train_ranges: [[0, nTrain]], test_ranges: [[nTrain, T]],
    });
    const c = d.controls;
    const f = (x: number) => x.toFixed(3);
    console.log(`| ${a} | ${f(headline(d.main))} | ${f(control(c.shuffled_labels))} | ${f(control(c.raw_per_sample))} | ${f(control(c.raw_window_averaged))} | ${f((d.main.chance as { r2_mean: number }).r2_mean)} | ${p.s.toFixed(0)} s |`);
  }
}

async function movie(): Promise<void> {
  const rec = generateAllenLike({ seed: DEMO_DEFAULTS.seed });
  console.log(`\n### Built-in movie (builtin:allen-like seed 0, ${rec.n_neurons} cells; last repeat decoded): accuracy within 30 frames\n`);
  console.log("| model | accuracy | shuffled-label twin | raw, per sample | raw, window-averaged | chance | training (both) |\n|---|---|---|---|---|---|---|");
  for (const a of ARCHITECTURES) {
    const p = await fitPair(rec, {
      mode: "behavior", evaluate_batches: 0,
      config: { ...DEFAULT_TRAIN_CONFIG, model_architecture: a, max_iterations: DEMO_DEFAULTS.steps, learning_rate: DEMO_DEFAULTS.learning_rate, seed: DEMO_DEFAULTS.seed, device: "cpu" },
    });
    const d = decodeMovie(rec, p.emb, p.real.model.architecture, p.shuffled, { train_repeats: p.real.prepared.split.train_repeats });
    const c = d.controls;
    console.log(`| ${a} | ${pct(headline(d.main))} | ${pct(control(c.shuffled_labels))} | ${pct(control(c.raw_per_sample))} | ${pct(control(c.raw_window_averaged))} | ${pct(d.main.chance.accuracy)} | ${p.s.toFixed(0)} s |`);
  }
}

const which = process.argv[2];
if (!which || which === "track") await track();
if (!which || which === "movie") await movie();
