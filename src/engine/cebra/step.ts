/**
 * The single-session ONNX training-step graph: forward of the ref/pos/neg windows through shared
 * weights, InfoNCE (plus the hybrid behaviour term), reverse-mode gradients and PyTorch Adam; or,
 * in mode "loss", the held-out loss alone. `buildStepIR` returns the graph before serialisation (the
 * float64 interpreter runs it in tests).
 */
import { UserError } from "../../util/errors.js";
import { Graph, type Value } from "../graph/ir.js";
import { writeOnnx } from "../graph/onnx.js";
import { slice } from "../graph/ops/index.js";
import type { ArchitectureSpec } from "../../../models/index.js";
import { type DropoutSite, type EncoderInput, type ModelDims, readsRecording, resolveModel } from "./architectures.js";
import { embedWindows, sliceParams, totalParams } from "./flat-params.js";
import { type InfoNCE, type SimilarityScale, infonce, leadingDims, sumInfonce } from "./loss.js";
import { type ModelShape, checkModel } from "./lookup.js";
import { embedPositions, positionInputs } from "./positions.js";
import { type LossOptions, type StepGraphOptionsBase, type StepIROptions, checkStep, dropoutInputs, finishGraph, similarityScale } from "./step-common.js";

export interface StepGraphOptions extends ModelShape, LossOptions, StepGraphOptionsBase {
  /**
   * How the batch's windows come in (see `chooseStepInput`): "windows" (default), input "X"
   * [ref+pos+neg, L, N] of copied windows; or "recording", inputs "data" [recording_samples, N] (the
   * whole recording, the same buffer every step) and "rows" (int64 [ref+pos+neg, L], the recording row
   * of each window step, clamped as `fillWindowRows` does); or "touched", as "recording" plus input
   * "touched" (int64 [U], U dynamic: the distinct recording rows the windows touch, ascending, possibly
   * padded at the end with repeats of the last) with "rows" holding each window step's position in
   * "touched", so the first layer runs on the touched rows only (train/batches.ts writes them); or
   * "positions", inputs "data", "touched", "taps_1" … "taps_S" and "out_index": every layer once per
   * distinct time position the batch needs (cebra/positions.ts; offset conv models without dropout only).
   */
  input?: StepInput;
  /** T of the "data" input; required with input "recording", "touched" or "positions". */
  recording_samples?: number;
}

/** The ways a single-session step graph reads its windows (see `StepGraphOptions.input`). */
export type StepInput = "windows" | "recording" | "touched" | "positions";

export interface StepGraph {
  onnx: Uint8Array;
  /** Length of the flat params / m / v vectors (model parameters, plus θ last when temperature_mode = auto). */
  param_count: number;
  /** L = left + right: time steps per window in X. */
  window_length: number;
  /** Rows of X: ref, then pos, then neg. */
  rows: { ref: number; pos: number; neg: number };
  /** How the graph reads its windows ("X", or "data" + "rows" (+ "touched"), or "data" + "touched" + "taps_s" + "out_index"). */
  input: StepInput;
  /** Dropout sites whose masks the step takes as inputs "dropout_{index}" [ref+pos+neg, 1, channels]; empty in mode "loss". */
  dropout: DropoutSite[];
}

/** Output dimensions the hybrid behaviour objective uses (CEBRA hard-codes 3). */
const HYBRID_BEHAVIOR_DIMS = 3;

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

/** The step (or loss) graph as IR, before serialisation (tests evaluate it with the interpreter). */
export function buildStepIR(o: StepGraphOptions, ir: StepIROptions = {}): Omit<StepGraph, "onnx"> & { graph: Graph } {
  const { spec, dims } = checkModel(o);
  const L = checkStep(spec, dims, o);
  if (o.hybrid && dims.D < HYBRID_BEHAVIOR_DIMS)
    throw new UserError(`Hybrid training needs output_dimension >= ${HYBRID_BEHAVIOR_DIMS}, got ${dims.D}.`, "Increase output_dimension or turn hybrid off.");
  const b = o.batch_size;
  const rows = { ref: b, pos: o.hybrid ? 2 * b : b, neg: b };
  const P = totalParams(spec, dims, o.temperature_mode);

  const g = new Graph(o.mode === "step" ? "cebra_train_step" : "cebra_loss");
  const input = o.input ?? "windows";
  const M = rows.ref + rows.pos + rows.neg;
  const x = input === "positions" ? positionInputs(g, spec, dims, recordingSamples(o, L), M) : windowInputs(g, spec, dims, o, M, L);
  const flat = g.input("params", "float", [P]);
  const resolved = resolveModel(spec, dims);
  const enc = sliceParams(flat, resolved.params);
  const z = "outIndex" in x ? embedPositions(spec, dims, x, enc.source) : embedWindows(spec, dims, x, enc.source, dropoutInputs(g, o.mode, "dropout_"));
  const scale = similarityScale(g, flat, o, P);
  finishGraph(g, flat, singleSessionLoss(z, o, b, rows.pos, scale.scale), scale, enc.tensors(), o, ir.customRules ?? true);
  return { graph: g, param_count: P, window_length: L, rows, input, dropout: o.mode === "step" ? resolved.dropout : [] };
}

/** The step graph's window inputs for `o.input`: "X", or "data" + "rows" (see `StepGraphOptions`). */
function windowInputs(g: Graph, spec: ArchitectureSpec, dims: ModelDims, o: StepGraphOptions, M: number, L: number): EncoderInput {
  if ((o.input ?? "windows") === "windows") return g.input("X", "float", [M, L, dims.N]);
  if (o.input !== "recording" && o.input !== "touched") throw new Error(`input must be "windows", "recording" or "touched", got "${o.input}"`);
  if (!readsRecording(spec, dims)) throw new Error(`${spec.name} cannot read windows from the recording (its first layer is not a stride-1 convolution)`);
  const data = g.input("data", "float", [recordingSamples(o, L), dims.N]);
  const rows = g.input("rows", "int64", [M, L]);
  return o.input === "touched" ? { data, rows, touched: g.input("touched", "int64", [null]) } : { data, rows };
}

/** T of the "data" input, checked against the window length `L`. */
function recordingSamples(o: StepGraphOptions, L: number): number {
  const T = o.recording_samples;
  if (T === undefined || !Number.isInteger(T) || T < L) throw new Error(`recording_samples must be an integer >= ${L} with input "${o.input}", got ${T}`);
  return T;
}

/**
 * Training-step graph (mode "step": forward + InfoNCE + backward + Adam) or held-out loss graph
 * (mode "loss"), serialised; inputs as in `StepGraphOptions.input` plus "params", outputs (and the
 * Adam inputs) as `finishGraph` adds them.
 */
export function buildStepGraph(o: StepGraphOptions): StepGraph {
  const { graph, ...meta } = buildStepIR(o);
  return { onnx: writeOnnx(graph), ...meta };
}
