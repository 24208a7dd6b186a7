/**
 * Issue 16, "controls at full strength": every decoder (the CEBRA embedding and each raw-activity control)
 * decoded three ways on the same split: the old default (cosine, features as given, k chosen on
 * validation), euclidean as given, and the new default (preprocessing × distance × k chosen on the same
 * validation split). Prints Markdown tables with CEBRA's margin over each control and its 95% paired
 * block-bootstrap interval (docs/DECODING.md).
 *
 * (a) linear track: the place-cell generator the evals use (src/eval/fixtures.ts), 48 cells, 25 ms bins,
 *     254 s (the length of CEBRA's rat-hippocampus "achilles" session); CEBRA-Behavior on position,
 *     offset10-model, output dimension 3, time offset 10, 2000 steps, first 80% train, last 20% decoded.
 * (b) the built-in movie (`builtin:allen-like`, seed 0) with the demo's training (800 steps, lr 1e-3).
 *
 *   npm run build && node dist/bench/controls.js [track|movie]   (both by default; a few minutes on 2 cores)
 */
import { generateAllenLike } from "../src/data/builtin/index.js";
import { decodeHeldOutLabels, decodeMovie, type DecodingWithControls } from "../src/decode/pipeline.js";
import type { DecodeResult, DecodingSummary } from "../src/decode/types.js";
import { fitEmbedding } from "../src/engine/fit.js";
import { DEFAULT_TRAIN_CONFIG } from "../src/engine/types.js";
import { benchTrack } from "./track.js";
import { DEMO_DEFAULTS } from "../src/cli/demo.js";

type Variant = { name: string; metric?: "cosine" | "euclidean"; preprocessings?: ["none"] };
const VARIANTS: Variant[] = [
  { name: "old default: cosine, as given", metric: "cosine", preprocessings: ["none"] },
  { name: "euclidean, as given", metric: "euclidean", preprocessings: ["none"] },
  { name: "new default: chosen on validation" },
];
const DECODERS = ["main", "raw_per_sample", "raw_window_averaged"] as const;
const NAMES = { main: "CEBRA embedding", raw_per_sample: "raw, per sample", raw_window_averaged: "raw, window-averaged" };

function report(title: string, runs: { v: Variant; d: DecodingWithControls<DecodeResult>; s: number }[]): void {
  const headline = (r: DecodeResult) => ("accuracy" in r.scores ? r.scores.accuracy : r.scores.r2_mean);
  const fmt = (x: number) => (runs[0].d.main.kind === "labels_continuous" ? x.toFixed(3) : `${(x * 100).toFixed(1)}%`);
  const margin = (s: DecodingSummary, name: string) => {
    const c = s.controls[name as "raw_per_sample"]?.comparison;
    if (!c) return "";
    const f = c.score === "accuracy" ? (x: number) => `${(x * 100).toFixed(1)}` : (x: number) => x.toFixed(3);
    return ` (CEBRA − this ${f(c.difference)}, 95% CI ${f(c.ci_low)} to ${f(c.ci_high)})`;
  };
  console.log(`\n### ${title}\n`);
  console.log(`| Decoder | ${runs.map((r) => r.v.name).join(" | ")} |`);
  console.log(`|---|${runs.map(() => "---|").join("")}`);
  for (const name of DECODERS) {
    const cells = runs.map(({ d }) => {
      const r = name === "main" ? d.main : (d.controls[name]?.status === "ok" ? (d.controls[name] as { result: DecodeResult }).result : null);
      if (!r) return "not run";
      return `${fmt(headline(r))} [${r.metric}, ${r.preprocessing}, k=${r.k}]${name === "main" ? "" : margin(d.summary, name)}`;
    });
    console.log(`| ${NAMES[name]} | ${cells.join(" | ")} |`);
  }
  console.log(`\nDecoding time per column (all three decoders): ${runs.map((r) => `${r.s.toFixed(1)} s`).join(", ")}.`);
}

async function track(): Promise<void> {
  const { sim, rec, T, N } = benchTrack();
  const t0 = Date.now();
  const fit = await fitEmbedding(rec, {
    mode: "behavior", labels: "continuous", train_fraction: 0.8, evaluate_batches: 0,
    config: { ...DEFAULT_TRAIN_CONFIG, model_architecture: "offset10-model", output_dimension: 3, time_offsets: 10, max_iterations: 2000, seed: 0, device: "cpu" },
  });
  console.log(`linear track: ${T} samples × ${N} cells, trained in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const nTrain = Math.round(0.8 * T);
  const emb = { data: fit.embedding, rows: fit.embedding_rows, dim: fit.dim };
  const runs = VARIANTS.map((v) => {
    const t1 = Date.now();
    const d = decodeHeldOutLabels(rec, emb, fit.model.architecture, { not_run: "not needed here" }, {
      labels: { kind: "continuous", data: sim.position, dim: 1, columns: ["position"] },
      train_ranges: [[0, nTrain]], test_ranges: [[nTrain, T]], metric: v.metric, preprocessings: v.preprocessings,
    });
    return { v, d: d as DecodingWithControls<DecodeResult>, s: (Date.now() - t1) / 1000 };
  });
  report(`Linear track (48 place cells, 25 ms bins; held-out last 20 %, ${T - nTrain} samples): mean R² of position`, runs);
}

async function movie(): Promise<void> {
  const rec = generateAllenLike({ seed: DEMO_DEFAULTS.seed });
  const t0 = Date.now();
  const fit = await fitEmbedding(rec, {
    mode: "behavior", evaluate_batches: 0,
    config: { ...DEFAULT_TRAIN_CONFIG, max_iterations: DEMO_DEFAULTS.steps, learning_rate: DEMO_DEFAULTS.learning_rate, seed: DEMO_DEFAULTS.seed, device: "cpu" },
  });
  console.log(`movie: trained in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const emb = { data: fit.embedding, rows: fit.embedding_rows, dim: fit.dim };
  const runs = VARIANTS.map((v) => {
    const t1 = Date.now();
    const d = decodeMovie(rec, emb, fit.model.architecture, { not_run: "not needed here" }, {
      train_repeats: fit.prepared.split.train_repeats, metric: v.metric, preprocessings: v.preprocessings,
    });
    return { v, d: d as DecodingWithControls<DecodeResult>, s: (Date.now() - t1) / 1000 };
  });
  report("Built-in movie (builtin:allen-like seed 0, demo training; repeat 9 decoded, 900 samples): accuracy within 30 frames", runs);
}

const which = process.argv[2];
if (!which || which === "track") await track();
if (!which || which === "movie") await movie();
