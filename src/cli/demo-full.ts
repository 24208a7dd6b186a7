/**
 * `cebra-mcp demo --full`: the paper-style curve (cebra-algorithm.md §5.4) of decoding accuracy against
 * the number of recorded cells, for CEBRA and every control, and CEBRA's consistency across seeds.
 *
 * For each population size n: one built-in recording with n cells (the demo's recording seed); for each
 * training seed s = 0 … S−1, a CEBRA-Behavior model and its shuffled-label twin trained with seed s and the
 * demo's settings, decoded with the demo's protocol. The raw-activity controls do not depend on the
 * training seed (one recording per n), so they are decoded once per n. Spread = min … max over seeds.
 * Consistency: the engine's between-runs score (R² of a linear map from one seed's embedding to another's,
 * mean over ordered pairs), for CEBRA and for the shuffled-label models as its control.
 */
import { generateAllenLike } from "../data/builtin/index.js";
import { decodeAndStoreFrames } from "../app/decode.js";
import { loadEmbedding, type ModelMeta } from "../app/model-artifacts.js";
import type { TrainingResult } from "../app/train.js";
import { consistencyScore } from "../engine/cebra/metrics.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../engine/types.js";
import type { Device } from "../engine/runtime/devices.js";
import { renderCurve } from "../render/curve.js";
import { DEMO_TRAINING_DEFAULTS, trainAndWait, type DemoDeps } from "./demo-run.js";

export interface FullOptions {
  cells: number[];
  seeds: number;
  steps: number;
  learning_rate: number;
  /** Recording seed. */
  seed: number;
  device: Device;
  shuffled: boolean;
}

/** One population size and training seed: accuracy within 1 s of each decoder (null: not run). */
export interface FullPoint {
  cells: number;
  seed: number;
  cebra: number;
  shuffled_labels: number | null;
  raw_per_sample: number | null;
  raw_window_averaged: number | null;
  chance: number;
}

export interface Spread {
  mean: number;
  min: number;
  max: number;
  n: number;
}

export type FullDecoder = "cebra" | "shuffled_labels" | "raw_per_sample" | "raw_window_averaged" | "chance";
export const FULL_DECODERS: readonly FullDecoder[] = ["cebra", "raw_per_sample", "raw_window_averaged", "shuffled_labels", "chance"];

/** Mean, min and max over seeds of each decoder at each population size (sizes ascending; nulls skipped). */
export function aggregateFull(points: FullPoint[]): { cells: number; by: Partial<Record<FullDecoder, Spread>> }[] {
  const sizes = [...new Set(points.map((p) => p.cells))].sort((a, b) => a - b);
  return sizes.map((cells) => {
    const at = points.filter((p) => p.cells === cells);
    const by: Partial<Record<FullDecoder, Spread>> = {};
    for (const d of FULL_DECODERS) {
      const v = at.map((p) => p[d]).filter((x): x is number => x !== null);
      if (v.length) by[d] = { mean: v.reduce((a, b) => a + b, 0) / v.length, min: Math.min(...v), max: Math.max(...v), n: v.length };
    }
    return { cells, by };
  });
}

export interface FullConsistency {
  cells: number;
  cebra: number;
  shuffled_labels: number | null;
}

export interface FullResult {
  points: FullPoint[];
  consistency: FullConsistency[];
  time_s: number;
  figure: Buffer;
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

async function embeddingOf(deps: DemoDeps, modelId: string) {
  const model = await deps.workspace.get<ModelMeta>(modelId, "model");
  return loadEmbedding(deps.workspace, model.meta.embedding_id);
}

/** Trains and decodes every (population size, seed); see the module doc. */
export async function runFull(deps: DemoDeps, o: FullOptions, log: (s: string) => void): Promise<FullResult> {
  const t0 = Date.now();
  const points: FullPoint[] = [];
  const consistency: FullConsistency[] = [];
  for (const cells of o.cells) {
    const rec = generateAllenLike({ seed: o.seed, n_cells: cells });
    const recordingId = await deps.recordings.saveRecording(rec);
    const trained: TrainingResult[] = [];
    let raw: { per: number | null; avg: number | null } | null = null;
    for (let seed = 0; seed < o.seeds; seed++) {
      const s0 = Date.now();
      const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, max_iterations: o.steps, learning_rate: o.learning_rate, seed, device: o.device, positive_ties: DEMO_TRAINING_DEFAULTS.positive_ties };
      const t = await trainAndWait(deps, { recording_id: recordingId, config, shuffled: o.shuffled });
      trained.push(t);
      const d = await decodeAndStoreFrames(deps, { model_id: t.model_id, shuffled_control: o.shuffled, skip_raw_controls: raw !== null });
      const acc = (name: keyof typeof d.summary.controls) => {
        const c = d.summary.controls[name];
        return c?.status === "ok" ? (c.scores as { accuracy: number }).accuracy : null;
      };
      raw ??= { per: acc("raw_per_sample"), avg: acc("raw_window_averaged") };
      const p: FullPoint = {
        cells, seed, cebra: d.main.scores.accuracy, shuffled_labels: acc("shuffled_labels"),
        raw_per_sample: raw.per, raw_window_averaged: raw.avg, chance: d.main.chance.accuracy,
      };
      points.push(p);
      log(`--full: ${cells} cells, seed ${seed}: CEBRA ${(p.cebra * 100).toFixed(1)}%, raw ${pctOrNa(p.raw_per_sample)} / ${pctOrNa(p.raw_window_averaged)} (window-averaged), shuffled ${pctOrNa(p.shuffled_labels)} (${((Date.now() - s0) / 1000).toFixed(0)} s)`);
    }
    if (trained.length >= 2) {
      const score = async (ids: string[]) => {
        const embs = await Promise.all(ids.map((id) => embeddingOf(deps, id)));
        return mean(consistencyScore(embs, { between: "runs" }).scores);
      };
      const shuffledIds = trained.map((t) => t.shuffled_model_id).filter((x): x is string => x !== null);
      consistency.push({
        cells,
        cebra: await score(trained.map((t) => t.model_id)),
        shuffled_labels: shuffledIds.length >= 2 ? await score(shuffledIds) : null,
      });
    }
  }
  const figure = await renderCurve({
    title: `Decoding accuracy vs number of cells (mean, band = min…max over ${o.seeds} training seed${o.seeds > 1 ? "s" : ""})`,
    x_label: "simulated V1 cells (log scale)",
    y_label: "accuracy within 30 frames (1 s), %",
    log_x: true,
    y_domain: [0, 100],
    series: curveSeries(aggregateFull(points)),
  });
  return { points, consistency, time_s: (Date.now() - t0) / 1000, figure };
}

const SERIES: Record<FullDecoder, { label: string; colour: string; dashed?: boolean }> = {
  cebra: { label: "CEBRA", colour: "#1f77b4" },
  raw_per_sample: { label: "raw activity, per sample", colour: "#ff7f0e" },
  raw_window_averaged: { label: "raw activity, receptive-field mean", colour: "#2ca02c" },
  shuffled_labels: { label: "CEBRA, shuffled labels", colour: "#d62728" },
  chance: { label: "chance", colour: "#7f7f7f", dashed: true },
};

function curveSeries(agg: ReturnType<typeof aggregateFull>) {
  return FULL_DECODERS.flatMap((d) => {
    const pts = agg.flatMap((a) => {
      const s = a.by[d];
      return s ? [{ x: a.cells, y: s.mean * 100, ...(s.max > s.min ? { lo: s.min * 100, hi: s.max * 100 } : {}) }] : [];
    });
    return pts.length ? [{ ...SERIES[d], points: pts }] : [];
  });
}

const pctOrNa = (x: number | null) => (x === null ? "n/a" : `${(x * 100).toFixed(1)}%`);

/** The report section of the `--full` run. */
export function fullMarkdown(r: FullResult, o: FullOptions, file: string): string {
  const agg = aggregateFull(r.points);
  const cell = (s: Spread | undefined) => (s === undefined ? "—" : s.n > 1 && s.max > s.min
    ? `${(s.mean * 100).toFixed(1)}% (${(s.min * 100).toFixed(1)}–${(s.max * 100).toFixed(1)})` : `${(s.mean * 100).toFixed(1)}%`);
  const rows = agg.map((a) => `| ${a.cells} | ${FULL_DECODERS.map((d) => cell(a.by[d])).join(" | ")} |`);
  const cons = r.consistency.map((c) => `| ${c.cells} | ${c.cebra.toFixed(3)} | ${c.shuffled_labels === null ? "—" : c.shuffled_labels.toFixed(3)} |`);
  return `## Accuracy vs number of cells (\`--full\`)

One built-in recording per population size (recording seed ${o.seed}); at each size ${o.seeds} CEBRA models (training
seeds 0–${o.seeds - 1}) ${o.shuffled ? "and their shuffled-label twins " : ""}with the demo's settings (${o.steps} steps, learning rate ${o.learning_rate}),
decoded with the demo's protocol. Accuracy within 1 s on the held-out repeat: mean over seeds (min–max). The raw
controls do not depend on the training seed, so they have one value per size. ${r.time_s.toFixed(0)} s in all.

| cells | ${FULL_DECODERS.map((d) => SERIES[d].label).join(" | ")} |
|---:|${FULL_DECODERS.map(() => "---:").join("|")}|
${rows.join("\n")}

![${file}](${file})

### Consistency across training seeds

The engine's consistency score (as compare_embeddings reports it): R² of a linear map from one seed's
embedding to another's, mean over ordered pairs of the ${o.seeds} seeds; the shuffled-label models are its control
(what the same training makes of the data when the labels carry no frame information).

${cons.length ? `| cells | CEBRA | CEBRA, shuffled labels |\n|---:|---:|---:|\n${cons.join("\n")}` : "Not measured: it needs at least 2 seeds (`--full-seeds 2` or more)."}
`;
}
