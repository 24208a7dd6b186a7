/**
 * `cebra-mcp demo`: the main job, end to end, through the same workspace code the MCP tools use.
 * Built-in Allen-like recording → CEBRA training (and the shuffled-label control) → decoding of the
 * held-out repeat with the raw-activity controls → what the embedding gives beyond accuracy (geometry,
 * lag analysis; demo-beyond.ts) → reconstruction images, an embedding plot and a Markdown report that opens
 * with the accuracy table and one sentence on what it shows (demo-report.ts), written to an output folder.
 * `--full` adds accuracy vs number of cells over several seeds and consistency across seeds (demo-full.ts).
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { generateAllenLike } from "../data/builtin/index.js";
import { DEVICES, type Device, isDevice } from "../engine/runtime/devices.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../engine/types.js";
import { decodeAndStoreFrames } from "../app/decode.js";
import { JobRegistry } from "../store/jobs.js";
import { loadEmbedding, type ModelMeta } from "../app/model-artifacts.js";
import { jobKinds } from "../app/jobs.js";
import { RecordingStore, summarizeRecording } from "../store/recordings.js";
import { plotStoredEmbedding, renderStoredReconstruction, type ReconstructionLayout } from "../app/render.js";
import { Workspace } from "../store/workspace.js";
import { UserError } from "../util/errors.js";
import { VERSION } from "../version.js";
import { ProgressBar } from "./progress.js";
import { beyondAccuracy, beyondMarkdown } from "./demo-beyond.js";
import { fullMarkdown, runFull } from "./demo-full.js";
import { demoReport, type ReportOptions } from "./demo-report.js";
import { DEMO_TRAINING_DEFAULTS, TOOL_DEFAULTS, trainAndWait } from "./demo-run.js";

/** Demo training settings (see demo-run.ts); they differ from train_embedding's, as --help and the report say. */
export const DEMO_DEFAULTS = DEMO_TRAINING_DEFAULTS;

/** Population sizes and seeds of `--full` (the paper's curve goes up to its recorded populations). */
export const FULL_DEFAULTS = { cells: [50, 100, 200, 400, 800], seeds: 3 };

const USAGE = `cebra-mcp demo [options]

  --out DIR            output folder (default ./demo-output)
  --workspace DIR      workspace for the demo's artifacts (default OUT/workspace)
  --steps N            training steps per model (default ${DEMO_DEFAULTS.steps})
  --learning-rate X    Adam learning rate (default ${DEMO_DEFAULTS.learning_rate})
  --seed N             seed of the recording and the training (default ${DEMO_DEFAULTS.seed})
  --cells N            simulated neurons (default: the simulator's default)
  --device D           ${DEVICES.join(" | ")} (default auto)
  --no-shuffled        skip the shuffled-label control (halves the training time)
  --full               also: accuracy vs number of cells for every decoder over several
                       seeds, and consistency across seeds (tens of minutes on 2 cores)
  --full-cells LIST    population sizes of --full (default ${FULL_DEFAULTS.cells.join(",")})
  --full-seeds N       training seeds per size in --full (default ${FULL_DEFAULTS.seeds})

The demo's training defaults (${DEMO_DEFAULTS.steps} steps, learning rate ${DEMO_DEFAULTS.learning_rate}) differ from the
train_embedding tool's (${TOOL_DEFAULTS.steps} steps, learning rate ${TOOL_DEFAULTS.learning_rate}): they are chosen so the
plain demo fits in 2 minutes on 2 cores. It takes tied nearest labels with positive_ties ${DEMO_DEFAULTS.positive_ties} (the tool:
${TOOL_DEFAULTS.positive_ties}, CEBRA's rule), with which its documented figures were measured (docs/FAITHFULNESS.md).`;

export interface DemoOptions extends ReportOptions {
  out: string;
  device: Device;
}

export function parseDemoArgs(argv: string[]): DemoOptions | null {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        out: { type: "string" },
        workspace: { type: "string" },
        steps: { type: "string" },
        "learning-rate": { type: "string" },
        seed: { type: "string" },
        cells: { type: "string" },
        device: { type: "string" },
        "no-shuffled": { type: "boolean" },
        full: { type: "boolean" },
        "full-cells": { type: "string" },
        "full-seeds": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    throw new UserError(`${(e as Error).message}.`, `Valid options:\n${USAGE}`, "bad_flag");
  }
  if (values.help) return null;
  const num = (name: string, v: string | undefined, dflt: number, integer = true): number => {
    if (v === undefined) return dflt;
    const x = Number(v);
    if (!Number.isFinite(x) || (integer && !Number.isInteger(x)) || x <= 0 && name !== "seed") {
      throw new UserError(`--${name} must be a ${integer ? "positive integer" : "positive number"}, got "${v}".`, USAGE, "bad_flag");
    }
    return x;
  };
  const device = values.device ?? "auto";
  if (!isDevice(device)) throw new UserError(`--device must be ${DEVICES.slice(0, -1).join(", ")} or ${DEVICES.at(-1)}, got "${device}".`, USAGE, "bad_flag");
  if (!values.full && (values["full-cells"] !== undefined || values["full-seeds"] !== undefined)) {
    throw new UserError("--full-cells and --full-seeds only apply with --full.", `Add --full, or drop them.\n${USAGE}`, "bad_flag");
  }
  const fullCells = values["full-cells"] === undefined ? FULL_DEFAULTS.cells
    : [...new Set(values["full-cells"].split(",").map((x) => num("full-cells", x.trim(), 0)))].sort((a, b) => a - b);
  const out = path.resolve(values.out ?? "demo-output");
  return {
    out,
    workspace: path.resolve(values.workspace ?? path.join(out, "workspace")),
    steps: num("steps", values.steps, DEMO_DEFAULTS.steps),
    learning_rate: num("learning-rate", values["learning-rate"], DEMO_DEFAULTS.learning_rate, false),
    seed: num("seed", values.seed, DEMO_DEFAULTS.seed),
    cells: values.cells !== undefined ? num("cells", values.cells, 0) : undefined,
    device,
    shuffled: !values["no-shuffled"],
    full: values.full ?? false,
    full_cells: fullCells,
    full_seeds: num("full-seeds", values["full-seeds"], FULL_DEFAULTS.seeds),
  };
}

/** The lag figure and the --full curve, in the output folder. */
export const LAG_FILE = "demo-lag.png";
export const FULL_FILE = "demo-full-cells.png";

export async function runDemo(argv: string[]): Promise<number> {
  const opts = parseDemoArgs(argv);
  if (!opts) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const phase = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const s = Date.now();
    const r = await f();
    timings[name] = (Date.now() - s) / 1000;
    return r;
  };
  await mkdir(opts.out, { recursive: true });
  const workspace = await Workspace.open(opts.workspace);
  const recordings = new RecordingStore(workspace);
  const jobs = await JobRegistry.open(workspace, { kinds: jobKinds({ workspace, recordings }) });
  const log = (s: string) => process.stderr.write(`${s}\n`);

  log(`cebra-mcp ${VERSION} demo → ${opts.out}`);
  const rec = await phase("recording", async () => generateAllenLike({ seed: opts.seed, ...(opts.cells ? { n_cells: opts.cells } : {}) }));
  const recordingId = await recordings.saveRecording(rec);
  const recSummary = summarizeRecording(rec);
  log(`recording ${recordingId}: ${rec.n_neurons} simulated V1 cells × ${rec.n_samples} samples at ${rec.sampling_rate_hz} Hz, movie ${rec.movie!.n_frames} frames × ${recSummary.n_repeats} repeats (${timings.recording.toFixed(1)} s)`);

  const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, max_iterations: opts.steps, learning_rate: opts.learning_rate, seed: opts.seed, device: opts.device, positive_ties: DEMO_DEFAULTS.positive_ties };
  const bar = new ProgressBar("training");
  const deps = { workspace, recordings, jobs };
  const training = await phase("training", () =>
    trainAndWait(deps, { recording_id: recordingId, config, shuffled: opts.shuffled }, (step, total, message) => bar.update(step, total, message)));
  bar.done(`done: ${training.steps_done} steps per model on ${training.device_used} at ${training.steps_per_s.toFixed(1)} steps/s (${timings.training.toFixed(1)} s in all)`);

  log("decoding the held-out repeat with the raw-activity and shuffled-label controls …");
  const decoding = await phase("decoding", () => decodeAndStoreFrames({ workspace, recordings }, { model_id: training.model_id, shuffled_control: opts.shuffled }));

  log("beyond accuracy: geometry and lag analysis …");
  const beyond = await phase("beyond accuracy", async () => {
    const model = await workspace.get<ModelMeta>(training.model_id, "model");
    const emb = await loadEmbedding(workspace, training.embedding_id);
    let shuffled;
    if (training.shuffled_model_id) {
      const twin = await workspace.get<ModelMeta>(training.shuffled_model_id, "model");
      const e = await loadEmbedding(workspace, twin.meta.embedding_id);
      shuffled = { name: "CEBRA with shuffled labels", features: e.data, dim: e.dim };
    }
    return beyondAccuracy({
      rec, embedding: { name: "CEBRA embedding", features: emb.data, dim: emb.dim }, shuffled,
      receptive_field: model.meta.architecture, decoding: decoding.main,
    });
  });
  await writeFile(path.join(opts.out, LAG_FILE), beyond.lag_figure);

  let full;
  if (opts.full) {
    log(`--full: accuracy vs number of cells (${opts.full_cells.join(", ")}) × ${opts.full_seeds} seeds …`);
    const fo = { cells: opts.full_cells, seeds: opts.full_seeds, steps: opts.steps, learning_rate: opts.learning_rate, seed: opts.seed, device: opts.device, shuffled: opts.shuffled };
    const r = await phase("full curve", () => runFull(deps, fo, log));
    await writeFile(path.join(opts.out, FULL_FILE), r.figure);
    full = { markdown: fullMarkdown(r, fo, FULL_FILE), json: { points: r.points, consistency: r.consistency, time_s: r.time_s }, consistency: r.consistency };
  }
  const consistencyText = full
    ? full.consistency.length
      ? `Measured in the \`--full\` section below: ${full.consistency.map((c) => `${c.cebra.toFixed(3)} at ${c.cells} cells${c.shuffled_labels !== null ? ` (shuffled-label models ${c.shuffled_labels.toFixed(3)})` : ""}`).join(", ")}.`
      : "Not measured: \`--full\` ran with a single seed."
    : `Not measured in the plain demo: it needs at least two more trainings (this run's training of ${opts.shuffled ? "the model and its shuffled-label twin" : "one model"} took ${timings.training!.toFixed(0)} s), which would take the demo past 2 minutes on 2 cores. \`cebra-mcp demo --full\` measures it (the engine's consistency score, as compare_embeddings reports it, with the shuffled-label models as control).`;

  log("rendering …");
  const images: { file: string; caption: string }[] = [];
  await phase("rendering", async () => {
    const layouts: [ReconstructionLayout, string][] = [
      ["side_by_side", "Decoded (retrieved) frames under the frames on screen, evenly spaced over the held-out repeat."],
      ["timeline", "Decoded vs true frame index over the held-out repeat; errors of a second or more in red."],
      ["contact_sheet", "Decoded frames of the held-out repeat, labelled with decoded/true index, error and confidence."],
      ["animation", "True | decoded, two seconds of the held-out repeat at the movie's frame rate (animated WebP)."],
    ];
    for (const [layout, caption] of layouts) {
      const r = await renderStoredReconstruction({ workspace, recordings }, { decoding_id: decoding.decoding_id, layout, selection: {} });
      for (const f of r.render.full_resolution) {
        await writeFile(path.join(opts.out, f.name), f.data);
        images.push({ file: f.name, caption: f.name.endsWith(".gif") ? caption.replace("animated WebP", "GIF, which slide software plays") : caption });
      }
    }
    const plot = await plotStoredEmbedding({ workspace, recordings }, { model_id: training.model_id, colour_by: "frame", samples: "all", projection: "first", include_loss: true });
    for (const f of plot.render.full_resolution) {
      await writeFile(path.join(opts.out, f.name), f.data);
      images.push({ file: f.name, caption: "The embedding (first 3 dimensions) coloured by movie frame, and the training loss." });
    }
  });

  const total = (Date.now() - t0) / 1000;
  const beyondSection = { markdown: beyondMarkdown(beyond, consistencyText, LAG_FILE), json: { geometry: beyond.geometry, lags: beyond.lags } };
  const report = demoReport({
    opts, rec: recSummary, recordingId, training, decoding: decoding.summary, decodingId: decoding.decoding_id, testRepeat: decoding.main.test_repeat,
    images, timings, total, beyond: beyondSection, ...(full ? { full: { markdown: full.markdown, json: full.json } } : {}),
  });
  await writeFile(path.join(opts.out, "report.md"), report.markdown);
  await writeFile(path.join(opts.out, "results.json"), JSON.stringify(report.json, null, 2));
  process.stdout.write(`${report.table}\n\n${report.headline}\n\nReport: ${path.join(opts.out, "report.md")} (${total.toFixed(0)} s in all)\n`);
  await jobs.shutdown(1000);
  return 0;
}

