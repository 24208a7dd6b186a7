/**
 * Importing a model trained by CEBRA 0.6 in Python (`cebra_model.save("model.pt")`, the default
 * "sklearn" backend: torch.save of {args, state, state_dict, metadata}) as a cebra-mcp TrainedModel, so
 * train_embedding's `resume_from: <path>` can embed with it (max_iterations 0) or train it on.
 *
 * The file is read by the data-only checkpoint reader (data/torch-checkpoint.ts), through the allowed
 * roots as load_recording's paths are (data/source-file.ts `openVerified`). The model's tensors
 * (`state_dict.model`) are placed into the engine's flat parameter vector by the same layout an export
 * uses (`stateDictLayout`): every key of the layout must be in the file with its shape, no other key may
 * be, and keys CEBRA shares (repeated layers) must hold equal values. A learnable temperature comes from
 * the criterion (`log_inverse_temperature` = θ, the vector's last element). CEBRA's Adam state (moments
 * and step, one entry per distinct tensor in `model.parameters()` order, then the criterion's θ: the
 * order of the flat vector) and its loss log come along, so training on continues CEBRA's optimiser.
 */
import { createHash } from "node:crypto";
import { getArchitecture, isSupervised, stateDictLayout } from "../engine/cebra/lookup.js";
import { DEFAULT_TRAIN_CONFIG, TRAIN_CONFIG_SCHEMA, type TrainConfig, type TrainedModel } from "../engine/types.js";
import type { TrainingMode } from "../engine/train/prepare.js";
import { withVerifiedFile } from "../data/source-file.js";
import { isTensor, openTorchCheckpointBytes, type TorchCheckpoint, type TorchTensor } from "../data/torch-checkpoint.js";
import { PyObject } from "../data/pickle.js";
import { UserError } from "../util/errors.js";

/** The name of an imported checkpoint's copy in the workspace's imports/ folder (import-checkpoint.ts). */
export function stagedCheckpointName(sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
  return `${sha256}.pt`;
}

/** Largest checkpoint file read (CEBRA models are kilobytes to a few megabytes). */
export const MAX_CHECKPOINT_BYTES = 256 * 1024 ** 2;

/** What a model imported from CEBRA records (`ModelMeta.imported_from`). */
export interface ImportedFrom {
  path: string;
  sha256: string;
  cebra_version: string | null;
  torch_version: string | null;
  architecture: string;
  /** CEBRA's conditional and iterations, as saved. */
  conditional: string;
  max_iterations: number | null;
}

export interface ImportedModel {
  model: TrainedModel;
  /** The training mode CEBRA's conditional stands for (time → time, hybrid → hybrid, else behavior). */
  mode: TrainingMode;
  imported_from: ImportedFrom;
}

const FIX = "Save the model with CEBRA 0.6 (cebra_model.save(path)) from a single-session fit of a cebra-mcp architecture (list_architectures).";

/** Reads and imports the checkpoint at `absPath` (checked against the roots by `check`, as recording paths are); `keep` receives the bytes read once they import. */
export async function importCebraFile(absPath: string, check: (realPath: string) => void, keep?: (bytes: Uint8Array, sha256: string) => Promise<void>): Promise<ImportedModel> {
  return withVerifiedFile(absPath, check, { name: absPath }, async (file) => {
    if (file.size > MAX_CHECKPOINT_BYTES) {
      throw new UserError(`${absPath} is ${file.size} bytes, more than the ${MAX_CHECKPOINT_BYTES} bytes a CEBRA checkpoint is read up to.`, "Pass the file CEBRA's save wrote for one model.", "limit_exceeded");
    }
    const bytes = new Uint8Array(await file.handle.readFile());
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const ck = openTorchCheckpointBytes(bytes, absPath, { budgetBytes: 2 * MAX_CHECKPOINT_BYTES, maxInflateRatio: 1032, ratioGraceBytes: 1024 ** 2 });
    try {
      const imported = importCebraCheckpoint(ck, absPath, { path: file.realPath, sha256 });
      // The bytes just checked (not the path again, which could have changed since) are what is kept.
      await keep?.(bytes, sha256);
      return imported;
    } finally {
      ck.close();
    }
  });
}

/** The model a CEBRA checkpoint holds (see the module comment); `name` is for messages. */
export function importCebraCheckpoint(ck: TorchCheckpoint, name: string, source: { path: string; sha256: string }): ImportedModel {
  const root = asDict(ck.object, name, "the file");
  const args = asDict(field(root, "args", name), name, "args");
  const state = asDict(field(root, "state", name), name, "state");
  const solver = asDict(field(root, "state_dict", name), name, "state_dict");
  const metadata = root.get("metadata") instanceof Map ? (root.get("metadata") as Map<unknown, unknown>) : new Map();
  const arch = str(field(args, "model_architecture", name), "args.model_architecture", name);
  const sessions = state.get("num_sessions_");
  if (sessions !== null && sessions !== undefined) {
    throw new UserError(
      `${name} is a multi-session CEBRA model (${String(sessions)} sessions); train_embedding imports single-session models only.`,
      "Fit one CEBRA model per recording and import each, or train the sessions here with recording_ids.",
    );
  }
  const info = getArchitecture(arch); // a UserError listing the valid names for an unknown architecture
  if (isSupervised(arch)) throw new UserError(`${name}: ${arch} is a supervised model, not a CEBRA contrastive model.`, FIX);
  const n = num(state.get("n_features_in_"), "state.n_features_in_", name);
  checkOffset(state.get("offset_"), info, name);
  const config = importConfig(args, discreteLabels(state.get("label_types_")), name);
  const layout = stateDictLayout({ architecture: arch, n_neurons: n, num_hidden_units: config.num_hidden_units, output_dimension: config.output_dimension });
  const weights = asDict(field(solver, "model", name), name, "state_dict.model");
  const wanted = new Set(layout.map((l) => l.key));
  const keys = [...weights.keys()].map(String);
  const extra = keys.filter((k) => !wanted.has(k));
  const missing = [...wanted].filter((k) => !weights.has(k));
  if (extra.length || missing.length) {
    throw new UserError(
      `${name}: state_dict.model does not match ${arch} with ${n} neurons${missing.length ? `; missing ${missing.slice(0, 5).join(", ")}` : ""}${extra.length ? `; unexpected ${extra.slice(0, 5).join(", ")}` : ""}.`,
      keys.some((k) => /^\d+\./.test(k)) ? "This looks like a multi-session model (per-session prefixes): import single-session models." : FIX,
    );
  }
  // Every tensor is read (checked against the bytes the file holds) before the parameter vector is
  // allocated, so a file that claims a huge neuron count cannot make the server allocate for it.
  const tensors = layout.map((l) => {
    const t = weights.get(l.key);
    if (!isTensor(t)) throw new UserError(`${name}: state_dict.model["${l.key}"] is not a tensor.`, FIX);
    if (t.shape.join() !== l.shape.join()) {
      throw new UserError(`${name}: ${l.key} has shape [${t.shape.join(", ")}]; ${arch} with ${n} neurons, ${config.num_hidden_units} hidden units and ${config.output_dimension} outputs needs [${l.shape.join(", ")}].`, FIX);
    }
    return { l, data: ck.tensorData(t, l.key) };
  });
  const P = layout.reduce((m, l) => Math.max(m, l.offset + l.shape.reduce((a, b) => a * b, 1)), 0);
  const auto = config.temperature_mode === "auto";
  const params = new Float32Array(P + (auto ? 1 : 0));
  const written = new Set<number>();
  for (const { l, data } of tensors) {
    if (written.has(l.offset)) {
      // A tensor CEBRA shares between repeated layers: each of its keys must hold the same values.
      const have = params.subarray(l.offset, l.offset + data.length);
      if (data.some((v, i) => v !== have[i])) throw new UserError(`${name}: ${l.key} should be the same tensor as another layer of ${arch} (CEBRA shares it), but its values differ.`, FIX);
    } else {
      params.set(data, l.offset);
      written.add(l.offset);
    }
  }
  if (auto) params[P] = learnableTheta(solver, ck, name);
  const slots = [...new Map(layout.map((l) => [l.offset, l])).values()].map((l) => ({ key: l.key, offset: l.offset, shape: l.shape }));
  if (auto) slots.push({ key: "criterion.log_inverse_temperature", offset: P, shape: [] });
  const adam = importAdam(solver.get("optimizer"), slots, params.length, ck, name);
  const log = importLog(solver.get("log"), adam.step);
  const model: TrainedModel = {
    config: { ...config, max_iterations: adam.step }, architecture: info, n_neurons: [n], params: [params],
    optimizer: [adam], log, device_used: "cpu", device_notes: [], wall_time_s: 0, steps_done: adam.step, cancelled: false,
  };
  const conditional = str(args.get("conditional"), "args.conditional", name);
  const mode: TrainingMode = args.get("hybrid") === true ? "hybrid" : conditional === "time" ? "time" : "behavior";
  const version = (k: string) => (typeof metadata.get(k) === "string" ? (metadata.get(k) as string) : null);
  const iterations = args.get("max_iterations");
  return {
    model, mode,
    imported_from: { ...source, cebra_version: version("cebra_version"), torch_version: version("torch_version"), architecture: arch, conditional, max_iterations: typeof iterations === "number" ? iterations : null },
  };
}

/** CEBRA's `args` as a TrainConfig; what cebra-mcp cannot represent is refused by name. */
function importConfig(args: Map<unknown, unknown>, discrete: boolean, name: string): TrainConfig {
  const get = (k: string) => args.get(k);
  if (get("criterion") !== "infonce") throw new UserError(`${name}: criterion ${String(get("criterion"))} is not InfoNCE.`, FIX);
  if (get("optimizer") !== "adam") throw new UserError(`${name}: optimizer ${String(get("optimizer"))} is not Adam.`, FIX);
  const opt = new Map<string, unknown>();
  const kw = get("optimizer_kwargs");
  if (Array.isArray(kw)) for (const p of kw) if (Array.isArray(p) && typeof p[0] === "string") opt.set(p[0], p[1]);
  if ((opt.get("weight_decay") ?? 0) !== 0 || (opt.get("amsgrad") ?? false) !== false) {
    throw new UserError(`${name}: Adam with weight_decay ${String(opt.get("weight_decay"))} / amsgrad ${String(opt.get("amsgrad"))}; cebra-mcp trains plain Adam.`, "Fit the model in CEBRA with the default optimizer_kwargs.");
  }
  const betas = opt.get("betas");
  const batch = get("batch_size");
  if (batch === null) throw new UserError(`${name} was fitted with batch_size None (full batch); cebra-mcp imports mini-batch models.`, "Fit the CEBRA model with a batch_size (e.g. 512).");
  let offsets = get("time_offsets");
  if (Array.isArray(offsets) && offsets.length === 1) offsets = offsets[0];
  const conditional = get("conditional");
  if (!["time", "time_delta", "delta"].includes(conditional as string)) {
    throw new UserError(`${name}: conditional ${String(conditional)} is not one cebra-mcp trains with (time, time_delta, delta).`, FIX);
  }
  if (conditional === "delta" && typeof get("delta") !== "number") throw new UserError(`${name}: conditional delta without a delta (σ).`, FIX);
  const candidate = {
    ...DEFAULT_TRAIN_CONFIG,
    model_architecture: get("model_architecture"), output_dimension: get("output_dimension"), num_hidden_units: get("num_hidden_units"),
    batch_size: batch, learning_rate: get("learning_rate"), temperature: get("temperature"), temperature_mode: get("temperature_mode"),
    min_temperature: get("min_temperature") ?? DEFAULT_TRAIN_CONFIG.min_temperature, distance: get("distance"),
    // CEBRA's time_delta with integer labels samples positives by class: cebra-mcp's "discrete" conditional.
    conditional: discrete && conditional === "time_delta" ? "discrete" : conditional,
    // CEBRA 0.6.1 always takes the first of tied nearest labels (torch.argmin): training on continues that way.
    positive_ties: "first",
    hybrid: get("hybrid") === true, time_offsets: offsets, delta: conditional === "delta" ? get("delta") : undefined,
    ...(Array.isArray(betas) ? { beta1: betas[0], beta2: betas[1] } : {}), ...(typeof opt.get("eps") === "number" ? { eps: opt.get("eps") } : {}),
    max_iterations: 1,
  };
  const parsed = TRAIN_CONFIG_SCHEMA.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue.path[0]);
    throw new UserError(`${name}: args.${key} = ${JSON.stringify((candidate as Record<string, unknown>)[key])} is outside what cebra-mcp supports (${issue.message}).`, FIX);
  }
  return parsed.data;
}

/** Whether CEBRA's `label_types_` (per label array: numpy dtype and shape) has integer labels. */
function discreteLabels(types: unknown): boolean {
  const dtypes = Array.isArray(types) ? types.map((t) => (Array.isArray(t) ? t[0] : undefined)) : [];
  return dtypes.some((d) => d instanceof PyObject && typeof d.args[0] === "string" && /^[iu]\d/.test(d.args[0]));
}

/**
 * CEBRA's Adam state (torch's optimizer state_dict: `state[i]` = {step, exp_avg, exp_avg_sq} for the i-th
 * parameter of the single param group) as the flat vector's moments; `slots` are the vector's tensors in
 * that order. A state whose shapes do not match is refused; a model saved without one starts Adam afresh.
 */
function importAdam(opt: unknown, slots: Array<{ key: string; offset: number; shape: number[] }>, size: number, ck: TorchCheckpoint, name: string) {
  const m = new Float32Array(size);
  const v = new Float32Array(size);
  const state = opt instanceof Map ? opt.get("state") : undefined;
  if (!(state instanceof Map) || state.size === 0) return { step: 0, m, v };
  if (state.size !== slots.length) {
    throw new UserError(`${name}: the optimizer state has ${state.size} entries, not one per parameter tensor (${slots.length}).`, FIX);
  }
  let step = -1;
  slots.forEach((slot, i) => {
    const s = state.get(i);
    const [avg, sq, st] = s instanceof Map ? [s.get("exp_avg"), s.get("exp_avg_sq"), s.get("step")] : [];
    if (!isTensor(avg) || !isTensor(sq) || avg.shape.join() !== slot.shape.join() || sq.shape.join() !== slot.shape.join()) {
      throw new UserError(`${name}: optimizer state ${i} does not hold Adam moments of ${slot.key}'s shape [${slot.shape.join(", ")}].`, FIX);
    }
    m.set(ck.tensorData(avg, `Adam exp_avg of ${slot.key}`), slot.offset);
    v.set(ck.tensorData(sq, `Adam exp_avg_sq of ${slot.key}`), slot.offset);
    const k = isTensor(st) ? ck.tensorData(st, `Adam step of ${slot.key}`)[0] : st;
    if (typeof k !== "number" || !Number.isInteger(k) || k < 0 || (step >= 0 && k !== step)) throw new UserError(`${name}: the Adam step counts are not one non-negative integer.`, FIX);
    step = k;
  });
  return { step, m, v };
}

/** CEBRA's loss log (`pos` is the alignment term, `neg` the uniformity term), when it has one entry per step. */
function importLog(log: unknown, steps: number): TrainedModel["log"] {
  const list = (k: string) => (log instanceof Map && Array.isArray(log.get(k)) ? (log.get(k) as unknown[]) : []);
  const [total, align, uniform, temperature] = ["total", "pos", "neg", "temperature"].map(list);
  const ok = [total, align, uniform, temperature].every((l) => l.length === steps && l.every((x) => typeof x === "number"));
  return ok ? { total: total as number[], align: align as number[], uniform: uniform as number[], temperature: temperature as number[] } : { total: [], align: [], uniform: [], temperature: [] };
}

/** θ = log(1/τ) of a learnable temperature (CEBRA keeps it in the criterion). */
function learnableTheta(solver: Map<unknown, unknown>, ck: TorchCheckpoint, name: string): number {
  const crit = solver.get("criterion");
  const t = crit instanceof Map ? crit.get("log_inverse_temperature") : undefined;
  if (!isTensor(t) || t.shape.length !== 0) {
    throw new UserError(`${name}: temperature_mode is auto but state_dict.criterion has no scalar log_inverse_temperature.`, FIX);
  }
  return ck.tensorData(t as TorchTensor, "criterion.log_inverse_temperature")[0];
}

/** The saved `offset_` must be the architecture's receptive field. */
function checkOffset(v: unknown, info: { left: number; right: number; name: string }, name: string): void {
  const st = v instanceof PyObject && Array.isArray(v.state) ? v.state[1] : v instanceof PyObject ? v.state : undefined;
  if (!(st instanceof Map)) return; // older CEBRA versions save no offset_; the architecture defines it
  if (st.get("left") !== info.left || st.get("right") !== info.right) {
    throw new UserError(`${name}: the saved offset (left ${String(st.get("left"))}, right ${String(st.get("right"))}) is not ${info.name}'s (left ${info.left}, right ${info.right}).`, FIX);
  }
}

function asDict(v: unknown, name: string, what: string): Map<unknown, unknown> {
  if (!(v instanceof Map)) throw new UserError(`${name}: ${what} is not a dict; the file is not a CEBRA model saved with cebra_model.save.`, FIX);
  return v;
}

function field(d: Map<unknown, unknown>, k: string, name: string): unknown {
  if (!d.has(k)) throw new UserError(`${name} has no "${k}" entry; it is not a CEBRA model saved with cebra_model.save (sklearn backend).`, FIX);
  return d.get(k);
}

function str(v: unknown, what: string, name: string): string {
  if (typeof v !== "string") throw new UserError(`${name}: ${what} is not a string.`, FIX);
  return v;
}

function num(v: unknown, what: string, name: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new UserError(`${name}: ${what} is ${Array.isArray(v) ? "a list (multi-session)" : String(v)}, not a positive integer.`, FIX);
  return v;
}
