/**
 * Saving and loading trained models as plain files (the store writes/reads them; this module only
 * turns a TrainedModel into named byte arrays and back).
 *
 * Files of a model with S sessions (suffix `_s<i>` only when S > 1):
 * - `encoder.onnx`: self-contained ONNX inference encoder, parameters embedded; input "X" float32
 *   `[T', N]` (one contiguous sequence), output "Z" `[⌊(T' − L) / r⌋ + 1, D]` (r the resample factor).
 *   Runs in any ONNX runtime; pad the input as `manifest.encoder_io.padding` says to get one row per
 *   sample (one per r samples for resample models).
 * - `params.npy`, `adam_m.npy`, `adam_v.npy`: float32 `[P]` parameter vector and Adam moments (resumable;
 *   the Adam step count is in the manifest). The manifest's `state_dict` maps CEBRA's state-dict keys
 *   onto slices of `params.npy`.
 * - `training_log.json`: the per-step log (total, align, uniform, temperature).
 * - `embedding_<name>.npy`: float32 `[rows, D]` embeddings the caller adds.
 * - `manifest.json`: architecture, hyperparameters, offsets, label types, seed, data provenance,
 *   training summary, versions, device, wall time and the list of files.
 */
import { parseNpy, writeNpy } from "../../data/formats/npy.js";
import { UserError } from "../../util/errors.js";
import { mean } from "../../util/stats.js";
import { VERSION } from "../../version.js";
import { getArchitecture, isSupervised, stateDictLayout } from "../cebra/lookup.js";
import { goodnessOfFitBits } from "../cebra/metrics.js";
import { runtimeVersions } from "../runtime/sessions.js";
import { supervisedLabelNum } from "./supervised.js";
import { encoderOnnx } from "./transform.js";
import { storedTrainConfig, type ArchitectureInfo, type TrainConfig, type TrainedModel, type TrainLog } from "../types.js";

export interface ModelFile {
  name: string;
  data: Uint8Array;
}

/** Where the training data came from, one entry per session (the caller knows; recorded verbatim). */
interface DataProvenance {
  recording_id: string;
  sha256: string;
  [key: string]: unknown;
}

/** An embedding to store with the model. */
interface ExportEmbedding {
  /** File-name safe: letters, digits, `_`, `-`, `.`. */
  name: string;
  data: Float32Array;
  rows: number;
  dim: number;
}

interface ExportOptions {
  /** One entry per training session. */
  data: DataProvenance[];
  /** Which labels drove the positives (e.g. `{ kind: "continuous", dim: 8, columns: [...] }`). */
  label_types?: Record<string, unknown>;
  embeddings?: ExportEmbedding[];
}

interface SessionFiles {
  n_neurons: number;
  param_count: number;
  optimizer_step: number;
  encoder: string;
  params: string;
  adam_m: string;
  adam_v: string;
  /**
   * CEBRA's `state_dict()` keys of this session's model in its order, each with its slice of the params
   * file (`offset`, PyTorch `shape`, row-major): a tensor shared by repeated layers appears under each of
   * its keys at one offset. A learnable temperature θ is the vector's last element, not a key.
   */
  state_dict: Array<{ key: string; offset: number; shape: number[] }>;
}

export interface TrainingSummary {
  steps_done: number;
  max_iterations: number;
  cancelled: boolean;
  wall_time_s: number;
  steps_per_s: number;
  device_used: TrainedModel["device_used"];
  device_notes: string[];
  loss_first: number | null;
  loss_final: number | null;
  loss_min: number | null;
  /** Mean loss of the last min(100, steps) steps and its goodness of fit (bits). */
  loss_final_mean: number | null;
  goodness_of_fit_bits: number | null;
  temperature_final: number | null;
  log_file: string;
}

interface ModelManifest {
  format: "cebra-mcp-model";
  format_version: 1;
  created_at: string;
  architecture: ArchitectureInfo;
  hyperparameters: TrainConfig;
  offsets: { left: number; right: number; receptive_field: number; resample_factor: number };
  seed: number;
  label_types: Record<string, unknown> | null;
  data: DataProvenance[];
  sessions: SessionFiles[];
  encoder_io: { input: "X"; output: "Z"; padding: string };
  training: TrainingSummary;
  embeddings: Array<{ name: string; file: string; rows: number; dim: number }>;
  versions: { cebra_mcp: string; onnxruntime_node: string; node: string };
  files: string[];
}

export const MANIFEST_FILE = "model.json";
export const LOG_FILE = "training_log.json";

function sessionFile(base: string, ext: string, i: number, S: number): string {
  return S > 1 ? `${base}_s${i}.${ext}` : `${base}.${ext}`;
}

function f32Npy(data: Float32Array, shape: number[]): Uint8Array {
  return writeNpy({ dtype: "<f4", shape, data });
}

const encodeJson = (x: unknown) => new TextEncoder().encode(JSON.stringify(x, null, 2));

function checkEmbeddingName(e: ExportEmbedding): void {
  if (!/^[A-Za-z0-9_.-]+$/.test(e.name)) {
    throw new UserError(`Embedding name "${e.name}" is not file-name safe.`, "Use letters, digits, '_', '-' and '.' only.");
  }
  if (e.data.length !== e.rows * e.dim) throw new Error(`Embedding ${e.name}: ${e.data.length} values, expected ${e.rows}·${e.dim}.`);
}

/** Summary statistics of a training log for the manifest. */
function summariseTraining(model: TrainedModel): TrainingSummary {
  const total = model.log.total;
  const tail = total.slice(-100);
  const tailMean = tail.length ? mean(tail) : null;
  const stepsPerS = model.wall_time_s > 0 ? model.steps_done / model.wall_time_s : 0;
  return {
    steps_done: model.steps_done,
    max_iterations: model.config.max_iterations,
    cancelled: model.cancelled,
    wall_time_s: model.wall_time_s,
    steps_per_s: stepsPerS,
    device_used: model.device_used,
    device_notes: model.device_notes,
    loss_first: total.length ? total[0] : null,
    loss_final: total.length ? total[total.length - 1] : null,
    loss_min: total.length ? Math.min(...total) : null,
    loss_final_mean: tailMean,
    goodness_of_fit_bits: tailMean === null || isSupervised(model.config.model_architecture) ? null : goodnessOfFitBits(tailMean, model.config.batch_size, model.params.length),
    temperature_final: model.log.temperature.length ? model.log.temperature[model.log.temperature.length - 1] : null,
    log_file: LOG_FILE,
  };
}

/** Session i's state-dict keys and slices (`SessionFiles.state_dict`); supervised models with their head. */
function stateDict(model: TrainedModel, i: number): SessionFiles["state_dict"] {
  const c = model.config;
  const shape = { architecture: c.model_architecture, n_neurons: model.n_neurons[i], num_hidden_units: c.num_hidden_units, output_dimension: c.output_dimension };
  return stateDictLayout(isSupervised(c.model_architecture) ? { ...shape, label_num: supervisedLabelNum(model) } : shape);
}

/** Turn a trained model (plus provenance and embeddings) into files and the manifest describing them. */
export function exportModel(model: TrainedModel, opts: ExportOptions): { files: ModelFile[]; manifest: ModelManifest } {
  const S = model.params.length;
  if (opts.data.length !== S) {
    throw new UserError(`Export got provenance for ${opts.data.length} recording(s) but the model has ${S} session(s).`, "Pass one data provenance entry per training session.");
  }
  const files: ModelFile[] = [];
  const sessions: SessionFiles[] = model.params.map((params, i) => {
    const P = params.length;
    const opt = model.optimizer[i];
    const names = {
      encoder: sessionFile("encoder", "onnx", i, S),
      params: sessionFile("params", "npy", i, S),
      adam_m: sessionFile("adam_m", "npy", i, S),
      adam_v: sessionFile("adam_v", "npy", i, S),
    };
    files.push(
      { name: names.encoder, data: encoderOnnx(model, i) },
      { name: names.params, data: f32Npy(params, [P]) },
      { name: names.adam_m, data: f32Npy(opt.m, [P]) },
      { name: names.adam_v, data: f32Npy(opt.v, [P]) },
    );
    return { n_neurons: model.n_neurons[i], param_count: P, optimizer_step: opt.step, ...names, state_dict: stateDict(model, i) };
  });
  files.push({ name: LOG_FILE, data: encodeJson(model.log) });
  const embeddings = (opts.embeddings ?? []).map((e) => {
    checkEmbeddingName(e);
    const file = `embedding_${e.name}.npy`;
    files.push({ name: file, data: f32Npy(e.data, [e.rows, e.dim]) });
    return { name: e.name, file, rows: e.rows, dim: e.dim };
  });
  const a = model.architecture;
  const manifest: ModelManifest = {
    format: "cebra-mcp-model",
    format_version: 1,
    created_at: new Date().toISOString(),
    architecture: a,
    hyperparameters: model.config,
    offsets: { left: a.left, right: a.right, receptive_field: a.receptive_field, resample_factor: a.resample_factor },
    seed: model.config.seed,
    label_types: opts.label_types ?? null,
    data: opts.data,
    sessions,
    encoder_io: {
      input: "X",
      output: "Z",
      padding: encoderPadding(a),
    },
    training: summariseTraining(model),
    embeddings,
    versions: { cebra_mcp: VERSION, ...runtimeVersions() },
    files: [MANIFEST_FILE, ...files.map((f) => f.name)],
  };
  files.unshift({ name: MANIFEST_FILE, data: encodeJson(manifest) });
  return { files, manifest };
}

/**
 * The manifest's padding text: how many rows the encoder returns for a sequence of T' rows and which
 * samples they embed. An encoder with window L and resample factor r returns ⌊(T' − L) / r⌋ + 1 rows,
 * row j embedding X rows [r·j, r·j + L); padded as CEBRA pads, that is ⌈T / r⌉ rows, row j being
 * sample r·j.
 */
export function encoderPadding(a: ArchitectureInfo): string {
  const [L, r] = [a.receptive_field, a.resample_factor];
  const pad = `replicate-pad ${a.left} copies of the first row before and ${a.right - 1} copies of the last row after (CEBRA pad_before_transform)`;
  if (r === 1) return `X is one contiguous [T', N] float32 sequence; Z has T' - ${L - 1} rows. For one row per sample, ${pad}.`;
  return (
    `X is one contiguous [T', N] float32 sequence; Z has floor((T' - ${L}) / ${r}) + 1 rows (${r}x subsampling), row j embedding X rows [${r}j, ${r}j + ${L}). ` +
    `For a recording of T samples, ${pad}: Z then has ceil(T / ${r}) rows and row j is sample ${r}j (window [${r}j - ${a.left}, ${r}j + ${a.right})).`
  );
}

function fileGetter(files: ModelFile[]): (name: string) => Uint8Array {
  const byName = new Map(files.map((f) => [f.name, f.data]));
  return (name) => {
    const data = byName.get(name);
    if (!data) throw new UserError(`Saved model is missing the file "${name}".`, "Re-export the model, or restore the missing file from the model folder.");
    return data;
  };
}

function readJson<T>(get: (name: string) => Uint8Array, name: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(get(name))) as T;
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`Saved model file "${name}" is not valid JSON (${(e as Error).message}).`, "Re-export the model.");
  }
}

function readVector(get: (name: string) => Uint8Array, name: string, length: number): Float32Array {
  const arr = parseNpy(get(name), name);
  if (!(arr.data instanceof Float32Array) || arr.shape.length !== 1 || arr.shape[0] !== length) {
    throw new UserError(`Saved model file "${name}" should be float32 [${length}], got ${arr.dtype} [${arr.shape.join(", ")}].`, "Re-export the model; the files do not belong together.");
  }
  return arr.data;
}

/** Rebuild a TrainedModel (resumable, transformable) from the files `exportModel` wrote. */
export function loadModelFiles(files: ModelFile[]): TrainedModel {
  const get = fileGetter(files);
  const m = readJson<ModelManifest>(get, MANIFEST_FILE);
  if (m.format !== "cebra-mcp-model" || m.format_version !== 1) {
    throw new UserError(`${MANIFEST_FILE} is not a cebra-mcp model manifest (format ${m.format}, version ${m.format_version}).`, "Load a folder written by cebra-mcp's model export.");
  }
  const log = readJson<TrainLog>(get, m.training.log_file);
  return {
    config: storedTrainConfig(m.hyperparameters),
    architecture: getArchitecture(m.hyperparameters.model_architecture),
    n_neurons: m.sessions.map((s) => s.n_neurons),
    params: m.sessions.map((s) => readVector(get, s.params, s.param_count)),
    optimizer: m.sessions.map((s) => ({ step: s.optimizer_step, m: readVector(get, s.adam_m, s.param_count), v: readVector(get, s.adam_v, s.param_count) })),
    log,
    device_used: m.training.device_used,
    device_notes: m.training.device_notes,
    wall_time_s: m.training.wall_time_s,
    steps_done: m.training.steps_done,
    cancelled: m.training.cancelled,
  };
}
