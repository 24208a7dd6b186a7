/**
 * One row of the built-in recording's factor tables (bench/builtin-why.ts, bench/faithfulness.ts): train a
 * CEBRA-Behavior model on the frame features (and, if asked, its shuffled-label twin), embed the recording
 * with the model and with its untrained encoder, decode the held-out repeat with the product's protocol
 * (decode/pipeline.ts: every decoder chooses its settings on validation) and format the Markdown cells.
 */
import type { Recording } from "../src/data/recording.js";
import { decodeMovie } from "../src/decode/pipeline.js";
import { fitEmbedding } from "../src/engine/fit.js";
import { transformRecording, untrainedModel } from "../src/engine/train/transform.js";
import type { TrainConfig } from "../src/engine/types.js";

const pct = (x: number | undefined) => (x === undefined ? "—" : `${(x * 100).toFixed(1)}%`);
const pts = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(1)}`;
const acc = (x: { scores?: unknown } | undefined) => (x?.scores as { accuracy?: number } | undefined)?.accuracy;

/**
 * The row's cells after its name: CEBRA, raw per sample, raw window-averaged, untrained encoder, [shuffled
 * labels,] chance, CEBRA − window-averaged raw with its 95 % interval, training time.
 */
export async function demoRowCells(rec: Recording, cfg: TrainConfig, withShuffled: boolean): Promise<string[]> {
  const t0 = Date.now();
  const fit = await fitEmbedding(rec, { mode: "behavior", evaluate_batches: 0, config: cfg });
  const trainS = (Date.now() - t0) / 1000;
  const shuffled = withShuffled ? await fitEmbedding(rec, { mode: "behavior", evaluate_batches: 0, config: cfg, shuffle_labels: true, shuffle_seed: cfg.seed + 1 }) : null;
  const untrained = await transformRecording(untrainedModel(fit.model), rec.neural, rec.n_samples, rec.n_neurons);
  const emb = { data: fit.embedding, rows: fit.embedding_rows, dim: fit.dim };
  const shuffledControl = shuffled
    ? { embedding: { data: shuffled.embedding, rows: shuffled.embedding_rows, dim: shuffled.dim }, model_id: "shuffled" }
    : { not_run: "not run for this row" };
  const d = decodeMovie(rec, emb, fit.model.architecture, shuffledControl, {
    train_repeats: fit.prepared.split.train_repeats,
    untrained: { embedding: { data: untrained, rows: untrained.length / fit.dim, dim: fit.dim }, model_id: "untrained" },
  });
  const s = d.summary;
  const c = s.controls;
  const cmp = c.raw_window_averaged?.comparison;
  const ci = cmp ? `${pts(cmp.difference)} (${pts(cmp.ci_low)} to ${pts(cmp.ci_high)})` : "—";
  return [
    pct((s.scores as { accuracy: number }).accuracy), pct(acc(c.raw_per_sample)), pct(acc(c.raw_window_averaged)), pct(acc(c.untrained_encoder)),
    ...(withShuffled ? [pct(acc(c.shuffled_labels))] : []),
    pct((s.chance as { accuracy: number }).accuracy), ci, `${trainS.toFixed(0)} s`,
  ];
}
