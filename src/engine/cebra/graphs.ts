/**
 * The engine's public graph API (contract in CONTRACTS.md): ONNX training-step graphs (forward of the
 * ref/pos/neg windows through shared weights, InfoNCE, reverse-mode gradients, PyTorch Adam), loss-only
 * graphs, multi-session step graphs (one encoder per session), fully convolutional inference graphs,
 * PyTorch-default initialisation, and architecture facts. onnxruntime-node has no training API; these
 * graphs are run by a plain InferenceSession, with the flat parameter vector and Adam moments fed back
 * each step. The `*IR` builders return the graph before serialisation (the float64 interpreter runs
 * them in tests).
 */
import { ARCHITECTURES, type ArchitectureSpec } from "../../../models/index.js";
import { UserError } from "../../util/errors.js";
import { Rng } from "../../util/rng.js";
import { gradients } from "../graph/autodiff.js";
import { Graph, Value } from "../graph/ir.js";
import { type InfoNCE, type SimilarityScale, infonce, leadingDims, learnableTemperature, sumInfonce } from "./loss.js";
import {
  type EncoderInput,
  type ModelDims,
  type ParamInfo,
  architectureInfo,
  buildEncoder,
  findSpec,
  firstLayerTapWidth,
  modelParamCount,
  outputLength,
  readsRecording,
  resolveModel,
} from "./architectures.js";
import { writeOnnx } from "../graph/onnx.js";
import { add, concat, div, gather, mul, reshape, slice, sqrt, sub, unsqueeze, zeros } from "../graph/ops/index.js";
import type { ArchitectureInfo, Distance, TemperatureMode } from "../types.js";

export type { ParamInfo } from "./architectures.js";

export interface ModelShape {
  architecture: string;
  n_neurons: number;
  num_hidden_units: number;
  output_dimension: number;
}

export interface LossOptions {
  distance: Distance;
  temperature: number;
  temperature_mode: TemperatureMode;
  /** Lower bound of the learnable temperature; 0 disables the clamp (CEBRA's None). */
  min_temperature: number;
  hybrid: boolean;
}

/** Loss, batch and Adam options shared by single- and multi-session step graphs. */
export interface StepGraphOptionsBase extends Omit<LossOptions, "hybrid"> {
  batch_size: number;
  beta1: number;
  beta2: number;
  eps: number;
  mode: "step" | "loss";
}

export interface StepGraphOptions extends ModelShape, LossOptions, StepGraphOptionsBase {
  /**
   * How the batch's windows come in (see `chooseStepInput`): "windows" (default), input "X"
   * [ref+pos+neg, L, N] of copied windows; or "recording", inputs "data" [recording_samples, N] (the
   * whole recording, the same buffer every step) and "rows" (int64 [ref+pos+neg, L], the recording row
   * of each window step, clamped as `fillWindowRows` does).
   */
  input?: StepInput;
  /** T of the "data" input; required with input "recording". */
  recording_samples?: number;
}

/** The two ways a single-session step graph reads its windows (see `StepGraphOptions.input`). */
export type StepInput = "windows" | "recording";

export interface StepGraph {
  onnx: Uint8Array;
  /** Length of the flat params / m / v vectors (model parameters, plus θ last when temperature_mode = auto). */
  param_count: number;
  /** L = left + right: time steps per window in X. */
  window_length: number;
  /** Rows of X: ref, then pos, then neg. */
  rows: { ref: number; pos: number; neg: number };
  /** How the graph reads its windows ("X", or "data" + "rows"). */
  input: StepInput;
}

/** Output dimensions the hybrid behaviour objective uses (CEBRA hard-codes 3). */
export const HYBRID_BEHAVIOR_DIMS = 3;

// ---------------------------------------------------------------------------------------------------
// Architecture facts

/** Static facts about an architecture; UserError listing the valid names if unknown. */
export function getArchitecture(name: string): ArchitectureInfo {
  return architectureInfo(findSpec(name));
}

/** All registered architectures. */
export function listArchitectures(): ArchitectureInfo[] {
  return ARCHITECTURES.map(architectureInfo);
}

/**
 * Flat parameter layout of a model: per tensor its CEBRA state-dict name, PyTorch shape, fan-in and
 * offset. The flat vector stores each tensor exactly as PyTorch does (row-major), so export is slicing.
 */
export function paramLayout(o: ModelShape): ParamInfo[] {
  const { spec, dims } = checkModel(o);
  return resolveModel(spec, dims).params;
}

// ---------------------------------------------------------------------------------------------------
// Validation

function positiveInt(value: number, name: string, fix: string): void {
  if (!Number.isInteger(value) || value < 1) throw new UserError(`${name} must be a positive integer, got ${value}.`, fix);
}

function checkModel(o: ModelShape): { spec: ArchitectureSpec; dims: ModelDims } {
  const spec = findSpec(o.architecture);
  positiveInt(o.n_neurons, "n_neurons", "Pass a recording with at least one neuron.");
  positiveInt(o.num_hidden_units, "num_hidden_units", "Use e.g. 32 (CEBRA's default).");
  positiveInt(o.output_dimension, "output_dimension", "Use e.g. 8 (CEBRA's default) or 3 for plotting.");
  const dims = { N: o.n_neurons, H: o.num_hidden_units, D: o.output_dimension };
  const { params } = resolveModel(spec, dims);
  const bad = params.find((p) => p.shape.some((d) => d < 1));
  if (bad) throw new UserError(`num_hidden_units = ${o.num_hidden_units} is too small for ${spec.name} (layer ${bad.torch_name} would be empty).`, "Use num_hidden_units >= 2.");
  return { spec, dims };
}

function checkLoss(o: Omit<LossOptions, "hybrid">): void {
  if (o.distance !== "cosine" && o.distance !== "euclidean") throw new UserError(`distance must be "cosine" or "euclidean", got "${o.distance}".`, 'Use "cosine" (CEBRA default).');
  if (o.temperature_mode !== "constant" && o.temperature_mode !== "auto")
    throw new UserError(`temperature_mode must be "constant" or "auto", got "${o.temperature_mode}".`, 'Use "constant" (CEBRA default) or "auto".');
  if (!(o.temperature > 0) || !Number.isFinite(o.temperature)) throw new UserError(`temperature must be a positive number, got ${o.temperature}.`, "Use e.g. 1 (CEBRA default).");
  if (o.temperature_mode === "auto" && !(o.min_temperature >= 0)) throw new UserError(`min_temperature must be >= 0, got ${o.min_temperature}.`, "Use e.g. 0.1 (CEBRA default).");
}

// ---------------------------------------------------------------------------------------------------
// Shared graph pieces

/** Number of model parameters plus the learnable temperature θ (last) when temperature_mode = auto. */
function totalParams(spec: ArchitectureSpec, dims: ModelDims, mode: TemperatureMode): number {
  return modelParamCount(spec, dims) + (mode === "auto" ? 1 : 0);
}

/** One encoder's parameter tensors as slices of a flat vector, starting at `base`. */
interface EncoderParams {
  source: (p: ParamInfo) => Value;
  /** The tensors in parameter order (after the encoder was built). */
  tensors: () => Value[];
}

function sliceParams(flat: Value, infos: readonly ParamInfo[], base = 0): EncoderParams {
  const made = new Map<number, Value>();
  const source = (p: ParamInfo): Value => {
    let t = made.get(p.offset);
    if (!t) {
      t = reshape(slice(flat, [0], [base + p.offset], [base + p.offset + p.size]), p.shape);
      made.set(p.offset, t);
    }
    return t;
  };
  const tensors = (): Value[] =>
    infos.map((p) => {
      const t = made.get(p.offset);
      if (!t) throw new Error(`parameter ${p.torch_name} is not used by the model graph`);
      return t;
    });
  return { source, tensors };
}

/** Encoder output for the windows (X [rows, L, N], or recording rows [rows, L]) as [rows, D] (one output per window). */
function embedWindows(spec: ArchitectureSpec, dims: ModelDims, x: EncoderInput, source: (p: ParamInfo) => Value): Value {
  const z = buildEncoder(spec, dims, x, source);
  const rows = (x instanceof Value ? x : x.rows).staticShape()[0];
  return reshape(z, [rows, dims.D]);
}

interface Scale {
  scale: SimilarityScale;
  temperature: Value;
  /** θ (the last element of the flat vector) when learnable. */
  theta: Value | null;
}

/** 1/τ, or the learnable β from θ = flat[P − 1]. */
function similarityScale(g: Graph, flat: Value, o: Omit<LossOptions, "hybrid">, P: number): Scale {
  if (o.temperature_mode !== "auto") return { scale: { kind: "constant", temperature: o.temperature }, temperature: g.scalar(o.temperature), theta: null };
  const theta = reshape(slice(flat, [0], [P - 1], [P]), []);
  const t = learnableTemperature(theta, o.min_temperature);
  return { scale: { kind: "learnable", beta: t.beta }, temperature: t.temperature, theta };
}

/** InfoNCE (plus the hybrid behaviour term) on embeddings Z [ref | pos | neg rows, D]. */
function singleSessionLoss(z: Value, o: LossOptions, b: number, posRows: number, scale: SimilarityScale): InfoNCE {
  const zr = slice(z, [0], [0], [b]);
  const zn = slice(z, [0], [b + posRows], [2 * b + posRows]);
  const posAt = (k: number): Value => slice(z, [0], [b + k * b], [2 * b + k * b]);
  if (!o.hybrid) return infonce(zr, posAt(0), zn, o.distance, scale);
  const d = HYBRID_BEHAVIOR_DIMS;
  const behaviour = infonce(leadingDims(zr, d), leadingDims(posAt(0), d), leadingDims(zn, d), o.distance, scale);
  return sumInfonce(behaviour, infonce(zr, posAt(1), zn, o.distance, scale));
}

/** PyTorch Adam (no weight decay): m′, v′ and p′ = p − step_size·m′/(√v′/bc2_sqrt + ε). */
function adam(p: Value, m: Value, v: Value, grad: Value, stepSize: Value, bc2Sqrt: Value, o: { beta1: number; beta2: number; eps: number }) {
  const m2 = add(mul(m, o.beta1), mul(grad, 1 - o.beta1));
  const v2 = add(mul(v, o.beta2), mul(mul(grad, grad), 1 - o.beta2));
  const denom = add(div(sqrt(v2), bc2Sqrt), o.eps);
  const p2 = sub(p, mul(stepSize, div(m2, denom)));
  return { p: p2, m: m2, v: v2 };
}

/** Flat gradient of `loss` w.r.t. `wrt` (in flat-vector order); zeros where the loss does not reach. */
function flatGradient(loss: Value, wrt: readonly Value[], customRules: boolean): Value {
  const grads = gradients(loss, wrt, { customRules });
  const pieces = grads.map((gv, i) => {
    const size = wrt[i].size();
    return gv ? reshape(gv, [size]) : zeros(loss.graph, [size]);
  });
  return concat(pieces, 0);
}

/**
 * Adds the contract's outputs: loss, align, uniform, temperature; in mode "step" also the inputs
 * m, v, step_size, bc2_sqrt and the outputs new_params, new_m, new_v (gradient w.r.t. `wrt`, which
 * must cover the flat vector in order).
 */
function finishGraph(g: Graph, flat: Value, loss: InfoNCE, scale: Scale, wrt: readonly Value[], o: StepGraphOptionsBase, customRules: boolean): void {
  g.output("loss", loss.loss);
  g.output("align", loss.align);
  g.output("uniform", loss.uniform);
  g.output("temperature", scale.temperature);
  if (o.mode !== "step") return;
  const P = flat.size();
  const m = g.input("m", "float", [P]);
  const v = g.input("v", "float", [P]);
  const stepSize = g.input("step_size", "float", []);
  const bc2 = g.input("bc2_sqrt", "float", []);
  const grad = flatGradient(loss.loss, scale.theta ? [...wrt, scale.theta] : wrt, customRules);
  const next = adam(flat, m, v, grad, stepSize, bc2, o);
  g.output("new_params", next.p);
  g.output("new_m", next.m);
  g.output("new_v", next.v);
}

/** Validates the options shared by single- and multi-session step graphs; returns the window length. */
function checkStep(spec: ArchitectureSpec, dims: ModelDims, o: StepGraphOptionsBase): number {
  checkLoss(o);
  positiveInt(o.batch_size, "batch_size", "Use e.g. 512 (the paper's batch size).");
  if (o.mode !== "step" && o.mode !== "loss") throw new Error(`mode must be "step" or "loss", got "${o.mode}"`);
  const L = architectureInfo(spec).receptive_field;
  if (outputLength(spec, dims, L) !== 1) throw new Error(`${spec.name}: a window of ${L} steps must give exactly one output`);
  return L;
}

// ---------------------------------------------------------------------------------------------------
// Step / loss graphs

/** Options of `buildStepIR` beyond the contract (tests use them). */
export interface StepIROptions {
  /** Use the hand-written region gradients (default true); false = generic per-op rules only. */
  customRules?: boolean;
}

/** The step (or loss) graph as IR, before serialisation (tests evaluate it with the interpreter). */
export function buildStepIR(o: StepGraphOptions, ir: StepIROptions = {}): { graph: Graph; param_count: number; window_length: number; rows: StepGraph["rows"]; input: StepInput } {
  const { spec, dims } = checkModel(o);
  const L = checkStep(spec, dims, o);
  if (o.hybrid && dims.D < HYBRID_BEHAVIOR_DIMS)
    throw new UserError(`Hybrid training needs output_dimension >= ${HYBRID_BEHAVIOR_DIMS}, got ${dims.D}.`, "Increase output_dimension or turn hybrid off.");
  const b = o.batch_size;
  const rows = { ref: b, pos: o.hybrid ? 2 * b : b, neg: b };
  const P = totalParams(spec, dims, o.temperature_mode);

  const g = new Graph(o.mode === "step" ? "cebra_train_step" : "cebra_loss");
  const input = o.input ?? "windows";
  const x = windowInputs(g, spec, dims, o, rows.ref + rows.pos + rows.neg, L);
  const flat = g.input("params", "float", [P]);
  const enc = sliceParams(flat, resolveModel(spec, dims).params);
  const z = embedWindows(spec, dims, x, enc.source);
  const scale = similarityScale(g, flat, o, P);
  finishGraph(g, flat, singleSessionLoss(z, o, b, rows.pos, scale.scale), scale, enc.tensors(), o, ir.customRules ?? true);
  return { graph: g, param_count: P, window_length: L, rows, input };
}

/** The step graph's window inputs for `o.input`: "X", or "data" + "rows" (see `StepGraphOptions`). */
function windowInputs(g: Graph, spec: ArchitectureSpec, dims: ModelDims, o: StepGraphOptions, M: number, L: number): EncoderInput {
  if ((o.input ?? "windows") === "windows") return g.input("X", "float", [M, L, dims.N]);
  if (o.input !== "recording") throw new Error(`input must be "windows" or "recording", got "${o.input}"`);
  if (!readsRecording(spec, dims)) throw new Error(`${spec.name} cannot read windows from the recording (its first layer is not a stride-1 convolution)`);
  const T = o.recording_samples;
  if (T === undefined || !Number.isInteger(T) || T < L) throw new Error(`recording_samples must be an integer >= ${L} with input "recording", got ${T}`);
  return { data: g.input("data", "float", [T, dims.N]), rows: g.input("rows", "int64", [M, L]) };
}

/**
 * The cheaper window input for a single-session step on a recording of `T` samples (per step, on
 * the CPU): "windows" copies the b·L window rows (N wide) in JS and runs the first layer on all of
 * them; "recording" runs the first layer once per recording row, then gathers and scatter-adds the
 * k·Co-wide tap products of the window rows. With ~40 multiply-adds per ns and ~1 ns per float
 * moved (as `preferIm2col` in ops-nn.ts), "recording" wins when T is below ≈ b·L (short recordings:
 * T = 10,000 against 1,536·10 window rows at batch 512); long recordings use "windows". Models
 * whose first layer cannot read the recording (`readsRecording`) always use "windows".
 */
export function chooseStepInput(o: ModelShape & { batch_size: number; hybrid: boolean }, T: number): StepInput {
  const { spec, dims } = checkModel(o);
  if (!readsRecording(spec, dims)) return "windows";
  const M = (o.hybrid ? 4 : 3) * o.batch_size;
  const L = architectureInfo(spec).receptive_field;
  const kc = firstLayerTapWidth(spec, dims);
  const gemm = (2 * dims.N * kc) / 40; // forward X·Wc and backward dWc, per row
  const windows = M * L * (gemm + dims.N);
  const recording = T * (gemm + kc) + 2 * M * L * kc;
  return recording < windows ? "recording" : "windows";
}

/**
 * Training-step graph (mode "step": forward + InfoNCE + backward + Adam) or held-out loss graph
 * (mode "loss"). Inputs and outputs are listed in CONTRACTS.md.
 */
export function buildStepGraph(o: StepGraphOptions): StepGraph {
  const { graph, param_count, window_length, rows, input } = buildStepIR(o);
  return { onnx: writeOnnx(graph), param_count, window_length, rows, input };
}

// ---------------------------------------------------------------------------------------------------
// Multi-session

/** Multi-session step options: one encoder per session, `n_neurons[s]` inputs each (CEBRA §3.4). */
export interface MultiSessionStepGraphOptions extends StepGraphOptionsBase {
  architecture: string;
  n_neurons: number[];
  num_hidden_units: number;
  output_dimension: number;
}

export interface MultiSessionStepGraph {
  onnx: Uint8Array;
  /** Length of the flat params / m / v vectors: all encoders in session order, then θ if learnable. */
  param_count: number;
  /** Start of session s's encoder in the flat vector (its length is `session_param_counts[s]`). */
  param_offsets: number[];
  session_param_counts: number[];
  window_length: number;
  /** Rows of each session's X: ref, then pos (the positives found in that session), then neg. */
  rows: { ref: number; pos: number; neg: number };
  sessions: number;
}

/**
 * Multi-session training step (CEBRA `MultiSessionSolver`): session s's windows "X{s}"
 * [3B, L, N_s] run through encoder s; refs, positives and negatives are stacked over sessions to
 * [S·B, D]; positives are reordered with "pos_index" (int64 [S·B], CEBRA's index_reversed: row j of
 * the loss uses stacked positive pos_index[j]); InfoNCE on the S·B batch with all S·B negatives.
 * Other inputs/outputs as the single-session graph. Hybrid training is not supported (as in CEBRA).
 */
export function buildMultiSessionStepIR(o: MultiSessionStepGraphOptions, ir: StepIROptions = {}): { graph: Graph; meta: Omit<MultiSessionStepGraph, "onnx"> } {
  const S = o.n_neurons.length;
  if (S < 1) throw new UserError("Multi-session training needs at least one session.", "Pass one n_neurons entry per session.");
  if ((o as { hybrid?: boolean }).hybrid) throw new UserError("Hybrid training is not available with multiple sessions (CEBRA raises NotImplementedError too).", "Train each session separately or turn hybrid off.");
  const models = o.n_neurons.map((N) => checkModel({ ...o, n_neurons: N }));
  const { spec } = models[0];
  const L = checkStep(spec, models[0].dims, o);
  const b = o.batch_size;
  const counts = models.map((m) => modelParamCount(m.spec, m.dims));
  const offsets = counts.map((_, s) => counts.slice(0, s).reduce((a, c) => a + c, 0));
  const P = counts.reduce((a, c) => a + c, 0) + (o.temperature_mode === "auto" ? 1 : 0);

  const g = new Graph(o.mode === "step" ? "cebra_multisession_step" : "cebra_multisession_loss");
  const xs = models.map((m, s) => g.input(`X${s}`, "float", [3 * b, L, m.dims.N]));
  const posIndex = g.input("pos_index", "int64", [S * b]);
  const flat = g.input("params", "float", [P]);
  const encs = models.map((m, s) => sliceParams(flat, resolveModel(m.spec, m.dims).params, offsets[s]));
  const zs = models.map((m, s) => embedWindows(m.spec, m.dims, xs[s], encs[s].source));
  const stack = (k: number): Value => concat(zs.map((z) => slice(z, [0], [k * b], [(k + 1) * b])), 0);
  const scale = similarityScale(g, flat, o, P);
  const loss = infonce(stack(0), gather(stack(1), posIndex, 0), stack(2), o.distance, scale.scale);
  finishGraph(g, flat, loss, scale, encs.flatMap((e) => e.tensors()), o, ir.customRules ?? true);
  return {
    graph: g,
    meta: { param_count: P, param_offsets: offsets, session_param_counts: counts, window_length: L, rows: { ref: b, pos: b, neg: b }, sessions: S },
  };
}

/** Multi-session step (or loss) graph, serialised; see `buildMultiSessionStepIR`. */
export function buildMultiSessionStepGraph(o: MultiSessionStepGraphOptions): MultiSessionStepGraph {
  const { graph, meta } = buildMultiSessionStepIR(o);
  return { onnx: writeOnnx(graph), ...meta };
}

/** Initial flat vector for a multi-session graph: each session's `initParams` (seeds seed, seed+1, …), then θ. */
export function initMultiSessionParams(o: Omit<MultiSessionStepGraphOptions, keyof StepGraphOptionsBase> & { temperature: number; temperature_mode: TemperatureMode }, seed: number): Float32Array {
  const parts = o.n_neurons.map((N, s) => initParams({ ...o, n_neurons: N, temperature_mode: "constant" }, seed + s));
  const theta = o.temperature_mode === "auto" ? [Math.log(1 / o.temperature)] : [];
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0) + theta.length);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  out.set(theta, off);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Inference

/**
 * The fully convolutional inference graph as IR: "X" [T', N] → "Z" [rows, D], with T' dynamic.
 * Parameters come from the input "params" (length ≥ the model's parameter count; a trailing θ is
 * ignored) or are embedded as constants when given.
 */
export function buildInferenceIR(o: ModelShape & { params?: Float32Array }): { graph: Graph; param_count: number } {
  const { spec, dims } = checkModel(o);
  const P = modelParamCount(spec, dims);
  const g = new Graph("cebra_transform");
  const x = g.input("X", "float", [null, dims.N]);
  let source: (p: ParamInfo) => Value;
  if (o.params) {
    const params = o.params;
    if (params.length !== P && params.length !== P + 1)
      throw new UserError(`Parameter vector has ${params.length} values; ${spec.name} with these sizes needs ${P} (or ${P + 1} with a learnable temperature).`, "Pass the params of a model trained with the same architecture and sizes.");
    source = (p) => g.constant(params.subarray(p.offset, p.offset + p.size), p.shape);
  } else {
    source = sliceParams(g.input("params", "float", [null]), resolveModel(spec, dims).params).source;
  }
  const z = buildEncoder(spec, dims, unsqueeze(x, [0]), source);
  g.output("Z", reshape(z, [-1, dims.D]));
  return { graph: g, param_count: P };
}

/**
 * The training-time encoder on its own: "X" [rows, L, N] windows (+ "params" [≥ P]) → "Z" [rows, D],
 * one output per window, with the same formulations as the step graph. Used to check that the
 * fully convolutional inference graph reproduces the training forward pass.
 */
export function buildWindowEmbeddingIR(o: ModelShape & { rows: number }): { graph: Graph; param_count: number; window_length: number } {
  const { spec, dims } = checkModel(o);
  positiveInt(o.rows, "rows", "Pass at least one window.");
  const L = architectureInfo(spec).receptive_field;
  const g = new Graph("cebra_embed_windows");
  const x = g.input("X", "float", [o.rows, L, dims.N]);
  const { source } = sliceParams(g.input("params", "float", [null]), resolveModel(spec, dims).params);
  g.output("Z", embedWindows(spec, dims, x, source));
  return { graph: g, param_count: modelParamCount(spec, dims), window_length: L };
}

/** Inference graph (see `buildInferenceIR`), serialised. */
export function buildInferenceGraph(o: ModelShape & { params?: Float32Array }): { onnx: Uint8Array; param_count: number } {
  const { graph, param_count } = buildInferenceIR(o);
  return { onnx: writeOnnx(graph), param_count };
}

// ---------------------------------------------------------------------------------------------------
// Initialisation

/**
 * PyTorch default initialisation: every weight and bias ~ U(±1/√fan_in), fan_in = in_channels·kernel,
 * drawn from Rng(seed) in parameter order. With temperature_mode "auto" the last element is
 * θ = log(1/temperature).
 */
export function initParams(o: ModelShape & { temperature: number; temperature_mode: TemperatureMode }, seed: number): Float32Array {
  const { spec, dims } = checkModel(o);
  const infos = resolveModel(spec, dims).params;
  const P = totalParams(spec, dims, o.temperature_mode);
  const out = new Float32Array(P);
  const rng = new Rng(seed);
  for (const p of infos) {
    const bound = 1 / Math.sqrt(p.fan_in);
    for (let i = 0; i < p.size; i++) out[p.offset + i] = rng.uniform(-bound, bound);
  }
  if (o.temperature_mode === "auto") {
    if (!(o.temperature > 0)) throw new UserError(`temperature must be positive, got ${o.temperature}.`, "Use e.g. 1.");
    out[P - 1] = Math.log(1 / o.temperature);
  }
  return out;
}
