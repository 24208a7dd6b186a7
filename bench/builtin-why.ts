/**
 * What moves the CEBRA / raw-activity ordering on the built-in recording (docs/BUILTIN.md, "What moves
 * the CEBRA / raw-activity ordering"). Starts from the demo's setting (builtin:allen-like defaults,
 * seed 0; offset10-model, behavior on frame features, 800 steps, lr 1e-3, batch 512, output dimension 8,
 * τ = 1; repeats 0–8 train, 9 decoded) and changes ONE factor per row. Every row is decoded with the
 * product's protocol (decode/pipeline.ts: each decoder picks preprocessing, distance and k on
 * validation), with the raw per-sample and window-averaged controls and the untrained encoder.
 * One fit (one training seed) per row. Prints Markdown table rows as they finish. `all` (the default) takes
 * about 20 minutes on 2 loaded cores, a quarter of it the 10,000-step row.
 *
 *   npm run build && node dist/bench/builtin-why.js [all | FACTOR...]
 *   (FACTOR: demo, cells, noise, features, dim, temperature, steps, seeds, recording-seed, modality, state)
 */
import { generateAllenLike, type AllenLikeParams } from "../src/data/builtin/index.js";
import type { Recording } from "../src/data/recording.js";
import { demoRowCells } from "./demo-row.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../src/engine/types.js";
import { DEMO_DEFAULTS } from "../src/cli/demo.js";

interface Row { factor: string; name: string; rec?: Partial<AllenLikeParams>; cfg?: Partial<TrainConfig> }

// 1e-6 rather than 0: a zero range takes another path through the random stream (random.ts), which would redraw part of the population.
const NO_IMAGING_NOISE: Partial<AllenLikeParams> = { noise_sd_min: 1e-6, noise_sd_max: 1e-6, neuropil_residual_sd: 0, baseline_drift_sd: 0 };
const NO_GAIN_NOISE: Partial<AllenLikeParams> = { gain_noise_sd: 0, drift_sd: 0, arousal_min: 1, arousal_max: 1, shared_gain_sd: 0, running_fraction: 0 };

/** In the order `all` runs them: the cheap, most telling factors first. */
const ROWS: Row[] = [
  { factor: "demo", name: "demo setting (300 cells, 16 feature PCs, 800 steps, dim 8, τ 1)" },
  { factor: "cells", name: "50 cells", rec: { n_cells: 50 } },
  { factor: "cells", name: "100 cells", rec: { n_cells: 100 } },
  { factor: "noise", name: "no imaging noise (noise_sd 1e-6, neuropil residual 0, baseline drift 0)", rec: NO_IMAGING_NOISE },
  { factor: "noise", name: "no gain variability (gain_noise_sd 0, drift_sd 0, arousal 1–1, shared_gain_sd 0, running_fraction 0)", rec: NO_GAIN_NOISE },
  { factor: "features", name: "64 feature PCs (feature_dim 64)", rec: { feature_dim: 64 } },
  { factor: "dim", name: "output dimension 3", cfg: { output_dimension: 3 } },
  { factor: "dim", name: "output dimension 32", cfg: { output_dimension: 32 } },
  { factor: "temperature", name: "τ 0.1", cfg: { temperature: 0.1 } },
  { factor: "temperature", name: "τ learnable (auto, from 1, floor 0.1)", cfg: { temperature_mode: "auto" } },
  { factor: "cells", name: "1000 cells", rec: { n_cells: 1000 } },
  { factor: "steps", name: "3000 steps", cfg: { max_iterations: 3000 } },
  { factor: "seeds", name: "demo setting, training seed 1 (same recording)", cfg: { seed: 1 } },
  { factor: "features", name: "4 feature PCs (feature_dim 4)", rec: { feature_dim: 4 } },
  { factor: "features", name: "128 feature PCs (feature_dim 128)", rec: { feature_dim: 128 } },
  { factor: "seeds", name: "demo setting, training seed 2 (same recording)", cfg: { seed: 2 } },
  { factor: "recording-seed", name: "recording seed 1 (another population, movie and noise)", rec: { seed: 1 } },
  { factor: "recording-seed", name: "recording seed 4", rec: { seed: 4 } },
  { factor: "noise", name: "neither (no imaging noise, no gain variability)", rec: { ...NO_IMAGING_NOISE, ...NO_GAIN_NOISE } },
  { factor: "modality", name: "Neuropixels-like spike counts (120 Hz bins) instead of dF/F", rec: { modality: "neuropixels" } },
  { factor: "steps", name: "tool defaults: 2000 steps, lr 3e-4", cfg: { max_iterations: 2000, learning_rate: 3e-4 } },
  { factor: "steps", name: "10000 steps (the paper's)", cfg: { max_iterations: 10000 } },
  { factor: "state", name: "no running bouts (running_fraction 0)", rec: { running_fraction: 0 } },
  { factor: "state", name: "no shared fast gain (shared_gain_sd 0)", rec: { shared_gain_sd: 0 } },
];

const which = process.argv.slice(2);
const known = new Set(ROWS.map((r) => r.factor));
const unknown = which.filter((f) => f !== "all" && !known.has(f));
if (unknown.length) {
  console.error(`Unknown factor "${unknown[0]}". Use all or one or more of: ${[...known].join(", ")}.`);
  process.exit(2);
}
const rows = !which.length || which.includes("all") ? ROWS : ROWS.filter((r) => which.includes(r.factor));

const base: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, max_iterations: DEMO_DEFAULTS.steps, learning_rate: DEMO_DEFAULTS.learning_rate, seed: DEMO_DEFAULTS.seed, device: "cpu" };
const recordings = new Map<string, Recording>();
function recordingFor(p: Partial<AllenLikeParams>): Recording {
  const key = JSON.stringify(p);
  let rec = recordings.get(key);
  if (!rec) {
    recordings.clear(); // one at a time: the 1000-cell recording is large
    rec = generateAllenLike({ seed: DEMO_DEFAULTS.seed, ...p });
    recordings.set(key, rec);
  }
  return rec;
}

console.log("| One change from the demo | CEBRA | raw per sample | raw window-averaged | untrained encoder | chance | CEBRA − window-averaged raw, points (95% CI) | training time |");
console.log("|---|---:|---:|---:|---:|---:|---|---:|");
for (const row of rows) {
  const cells = await demoRowCells(recordingFor(row.rec ?? {}), { ...base, ...row.cfg }, false);
  console.log(`| ${row.name} | ${cells.join(" | ")} |`);
}
