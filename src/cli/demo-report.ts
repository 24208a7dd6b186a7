/**
 * The demo's report: the accuracy table and one sentence on what it shows first, then the "beyond
 * accuracy" section (demo-beyond.ts), the `--full` curve if run (demo-full.ts), what was run, images and time.
 */
import os from "node:os";
import type { DecodingSummary } from "../decode/types.js";
import { DEFAULT_TRAIN_CONFIG } from "../engine/types.js";
import type { TrainingResult } from "../app/train.js";
import type { summarizeRecording } from "../store/recordings.js";
import { VERSION } from "../version.js";
import { settingsText } from "../../tools/kit/decoding-view.js";
import { DEMO_TRAINING_DEFAULTS, TOOL_DEFAULTS } from "./demo-run.js";

const DEMO_DEFAULTS_TEXT = `${DEMO_TRAINING_DEFAULTS.steps} steps, learning rate ${DEMO_TRAINING_DEFAULTS.learning_rate}`;

/** The demo options the report reads. */
export interface ReportOptions {
  workspace: string;
  steps: number;
  learning_rate: number;
  seed: number;
  cells?: number;
  shuffled: boolean;
  full: boolean;
  full_cells: number[];
  full_seeds: number;
}

export interface ReportInput {
  opts: ReportOptions;
  rec: ReturnType<typeof summarizeRecording>;
  recordingId: string;
  training: TrainingResult;
  decoding: DecodingSummary;
  decodingId: string;
  testRepeat: number;
  images: { file: string; caption: string }[];
  timings: Record<string, number>;
  total: number;
  /** The "beyond accuracy" section (Markdown) and its numbers. */
  beyond: { markdown: string; json: unknown };
  /** The `--full` section and its numbers, when run. */
  full?: { markdown: string; json: unknown };
}

interface Row {
  name: string;
  accuracy: number | null;
  exact: number | null;
  median: number | null;
  /** Distance, preprocessing and k (chosen on validation), or why the row has none. */
  note: string;
  /** CEBRA − this row, with its 95% interval (controls only). */
  margin: string;
}

/** Table names of the controls; a control not listed here (a newer one) is named by its key. */
const CONTROL_ROW_NAMES: Record<string, string> = {
  raw_per_sample: "Raw activity, per sample",
  raw_window_averaged: "Raw activity, mean over the model's 10-sample receptive field",
  shuffled_labels: "CEBRA with shuffled labels",
  untrained_encoder: "Untrained CEBRA encoder (initial weights)",
};
const CONTROL_ROW_ORDER = ["raw_per_sample", "raw_window_averaged", "shuffled_labels", "untrained_encoder"];

function rank(name: string): number {
  const i = CONTROL_ROW_ORDER.indexOf(name);
  return i < 0 ? CONTROL_ROW_ORDER.length : i;
}

/** +4.1 / −2.0 (an accuracy difference in points). */
function signedPoints(x: number): string {
  return `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(1)}`;
}

/** One CEBRA-vs-control comparison as the headline reads it. */
export interface HeadlineComparison {
  /** How the control is named in the sentence, e.g. "raw activity per sample". */
  name: string;
  verdict: "stronger" | "weaker" | "indistinguishable";
  /** CEBRA − control (fraction) and its 95% interval. */
  difference: number;
  ci_low: number;
  ci_high: number;
}

/**
 * The report's one plain sentence: CEBRA's accuracy and chance, then, for each raw control, whether CEBRA
 * decodes better, worse or indistinguishably (the compare.ts verdict: the 95% interval excludes 0 or not).
 */
export function headlineSentence(cebra: number, chance: number, window: number, comps: HeadlineComparison[]): string {
  const pts = (x: number) => `${signedPoints(x)} points`;
  const parts = comps.map((c) =>
    c.verdict === "stronger" ? `better than ${c.name} (${pts(c.difference)})`
      : c.verdict === "weaker" ? `worse than ${c.name} (${pts(c.difference)})`
        : `indistinguishably from ${c.name} (${pts(c.difference)}, 95% interval ${signedPoints(c.ci_low)} to ${signedPoints(c.ci_high)} includes 0)`);
  const lead = `On this recording CEBRA places ${(cebra * 100).toFixed(1)}% of held-out samples within ${window} frames of the frame on screen (chance ${(chance * 100).toFixed(1)}%)`;
  if (parts.length === 0) return `${lead}; no raw-activity control ran, so this says nothing about what CEBRA adds.`;
  const joined = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(", ")}${parts.length > 2 ? "," : ""} and ${parts.at(-1)}`;
  return `${lead}, decoding ${joined}.`;
}

const HEADLINE_NAMES: Record<string, string> = {
  raw_per_sample: "raw activity per sample",
  raw_window_averaged: "raw activity averaged over the model's receptive field",
};

export function demoReport(r: ReportInput) {
  const s = r.decoding;
  const main = s.scores as { accuracy: number; exact_accuracy: number; median_abs_error: number; window: number; n_test: number };
  const chance = s.chance as { accuracy: number; exact_accuracy: number };
  const names = Object.keys(s.controls).sort((a, b) => rank(a) - rank(b));
  const controlRows: Row[] = names.map((name) => {
    const c = s.controls[name as keyof typeof s.controls]!;
    const label = CONTROL_ROW_NAMES[name] ?? name.replace(/_/g, " ");
    if (c.status !== "ok") return { name: label, accuracy: null, exact: null, median: null, note: `not run: ${c.reason}`, margin: "—" };
    const sc = c.scores as { accuracy: number; exact_accuracy: number; median_abs_error: number };
    const m = c.comparison;
    const margin = m ? `${signedPoints(m.difference)} (${signedPoints(m.ci_low)} to ${signedPoints(m.ci_high)})` : "—";
    return { name: label, accuracy: sc.accuracy, exact: sc.exact_accuracy, median: sc.median_abs_error, note: c.settings ? settingsText(c.settings) : `k=${c.k}`, margin };
  });
  const rows: Row[] = [
    { name: "CEBRA embedding (behavior, frame-feature labels)", accuracy: main.accuracy, exact: main.exact_accuracy, median: main.median_abs_error, note: settingsText(s.settings), margin: "" },
    ...controlRows,
    { name: "Chance (uniform guess over the movie)", accuracy: chance.accuracy, exact: chance.exact_accuracy, median: null, note: "analytic", margin: "" },
  ];
  const pct = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(1)}%`);
  const table = [
    `| Decoder (same kNN protocol, repeat ${r.testRepeat} held out, ${main.n_test} samples) | within ${main.window} frames (1 s) | exact frame | median error (frames) | distance, preprocessing, k (chosen on validation) | CEBRA − this, points (95% CI) |`,
    "|---|---:|---:|---:|---|---|",
    ...rows.map((x) => `| ${x.name} | ${pct(x.accuracy)} | ${pct(x.exact)} | ${x.median === null ? "—" : x.median} | ${x.note} | ${x.margin} |`),
  ].join("\n");
  // The comparisons in words (the same numbers as the tool results and the figure headers), then the shuffled-label check.
  const verdicts: string[] = names.flatMap((name) => {
    const text = s.controls[name as keyof typeof s.controls]?.comparison_text;
    return text ? [text.charAt(0).toUpperCase() + text.slice(1)] : [];
  });
  if (verdicts.length) verdicts.push(`(${s.comparison_method})`);
  const sh = s.controls.shuffled_labels;
  const shAcc = sh?.status === "ok" ? (sh.scores as { accuracy: number }).accuracy : null;
  if (shAcc !== null) {
    verdicts.push(
      shAcc < chance.accuracy * 2
        ? `The shuffled-label control stays near chance (${pct(shAcc)} vs ${pct(chance.accuracy)}), so the accuracy comes from the neural activity–label relation, not from the pipeline.`
        : `The shuffled-label control is well above chance (${pct(shAcc)} vs ${pct(chance.accuracy)}): part of the accuracy does not come from the labels; treat the CEBRA figure with care.`,
    );
  }
  const verdict = verdicts.join(" ");
  const headline = headlineSentence(main.accuracy, chance.accuracy, main.window, ["raw_per_sample", "raw_window_averaged"].flatMap((name) => {
    const c = s.controls[name as keyof typeof s.controls];
    const m = c?.status === "ok" ? c.comparison : undefined;
    return m ? [{ name: HEADLINE_NAMES[name]!, verdict: m.verdict, difference: m.difference, ci_low: m.ci_low, ci_high: m.ci_high }] : [];
  }));
  // The demo always differs from the tool in its tie rule, so the line always names the tool's defaults.
  const ties = DEMO_TRAINING_DEFAULTS.positive_ties;
  const settingsLine = `Settings: ${r.opts.steps} training steps, learning rate ${r.opts.learning_rate}, positive_ties ${ties} — train_embedding's defaults are ${TOOL_DEFAULTS.steps} steps, learning rate ${TOOL_DEFAULTS.learning_rate}, positive_ties ${TOOL_DEFAULTS.positive_ties} (CEBRA's rule); the demo's defaults (${DEMO_DEFAULTS_TEXT}) are chosen to fit in 2 minutes on 2 cores, and its figures were measured with positive_ties ${ties}, so a model trained with the tool's defaults can score differently.`;
  const t = r.training;
  const f = (x: number | null, d = 3) => (x === null ? "n/a" : x.toFixed(d));
  const markdown = `# cebra-mcp demo report

${table}

${headline}

${settingsLine}

## The comparisons in detail

Generated ${new Date().toISOString()} by cebra-mcp ${VERSION} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}.

${verdict}

Every decoded frame in the images below is **retrieved**: the decoder outputs a frame index (kNN on the
embedding) and the frame is looked up in the stimulus movie. Nothing is generated.

${r.beyond.markdown}
${r.full ? `\n${r.full.markdown}\n` : ""}
## What was run

- **Recording** \`${r.recordingId}\`: the built-in \`builtin:allen-like\` simulation (seed ${r.opts.seed}) of the Allen
  Brain Observatory Natural Movie 1 experiment — ${r.rec.n_neurons} simulated V1 cells, ${r.rec.n_samples} samples at
  ${r.rec.sampling_rate_hz} Hz (${r.rec.modality}), a procedural ${r.rec.n_frames}-frame movie shown ${r.rec.n_repeats} times.
  Its parameters come from the literature ranges in docs/BUILTIN.md, not from tuning.
- **Model** \`${t.model_id}\`: ${DEFAULT_TRAIN_CONFIG.model_architecture}, CEBRA-Behavior with ${t.labels}; ${t.steps_done} steps,
  batch ${DEFAULT_TRAIN_CONFIG.batch_size}, learning rate ${r.opts.learning_rate}, temperature ${DEFAULT_TRAIN_CONFIG.temperature}, output dimension ${DEFAULT_TRAIN_CONFIG.output_dimension}, time offset ${DEFAULT_TRAIN_CONFIG.time_offsets}, seed ${r.opts.seed}.
  Split: ${t.split}.
  Final training loss ${f(t.final_loss)} (goodness of fit ${f(t.goodness_of_fit_bits, 2)} bits); held-out goodness of fit ${f(t.heldout_goodness_of_fit_bits, 2)} bits.
  ${t.steps_per_s.toFixed(1)} steps/s on ${t.device_used}${t.device_notes.length ? ` (${t.device_notes.join("; ")})` : ""}.
- **Shuffled-label control** ${t.shuffled_model_id ? `\`${t.shuffled_model_id}\`: the same model, samples, settings, seed and steps, trained on label rows permuted across samples (final loss ${f(t.shuffled_final_loss)}, held-out goodness of fit ${f(t.shuffled_heldout_goodness_of_fit_bits, 2)} bits).` : "not run (--no-shuffled)."}
- **Decoding** \`${r.decodingId}\`: ${s.protocol}

The paper's figures for real data (cebra-algorithm.md §5.4, V1 2P, 10-frame models, accuracy within 1 s):
CEBRA ≈65% / kNN ≈58% at 200 neurons, ≈82% / ≈79% at 400 neurons. These are for real recordings and the paper's
training (10,000 steps, DINO labels); the numbers above are for a simulation and a shorter training, so they are
not a reproduction of the paper — they show the analysis and its controls working end to end.

## Images

${r.images.map((im) => `### ${im.file}\n\n${im.caption}\n\n![${im.file}](${im.file})`).join("\n\n")}

## Time

${Object.entries(r.timings).map(([k, v]) => `- ${k}: ${v.toFixed(1)} s`).join("\n")}
- total: ${r.total.toFixed(1)} s

Reproduce: \`cebra-mcp demo --seed ${r.opts.seed} --steps ${r.opts.steps} --learning-rate ${r.opts.learning_rate}${r.opts.cells ? ` --cells ${r.opts.cells}` : ""}${r.opts.shuffled ? "" : " --no-shuffled"}${r.opts.full ? ` --full --full-cells ${r.opts.full_cells.join(",")} --full-seeds ${r.opts.full_seeds}` : ""}\`. Workspace: \`${r.opts.workspace}\`.
`;
  const json = {
    version: VERSION,
    recording_id: r.recordingId,
    model_id: t.model_id,
    shuffled_model_id: t.shuffled_model_id,
    decoding_id: r.decodingId,
    options: r.opts,
    training: t,
    decoding: s,
    rows,
    headline,
    verdict,
    beyond: r.beyond.json,
    full: r.full?.json ?? null,
    timings_s: r.timings,
    total_s: r.total,
  };
  return { markdown, table, headline, verdict, json };
}
