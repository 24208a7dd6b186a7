/**
 * Multi-session step graphs (CEBRA §3.4, `MultiSessionSolver`): one encoder per session in one flat
 * parameter vector, InfoNCE over the sessions' stacked batches, and the initial parameter vector
 * laid out the same way.
 */
import { UserError } from "../../util/errors.js";
import { Graph, type Value } from "../graph/ir.js";
import { writeOnnx } from "../graph/onnx.js";
import { concat, gather, slice } from "../graph/ops/index.js";
import { type DropoutSite, modelParamCount, resolveModel } from "./architectures.js";
import { embedWindows, sliceParams } from "./flat-params.js";
import { initParams } from "./init.js";
import { infonce } from "./loss.js";
import { checkModel } from "./lookup.js";
import { type StepGraphOptionsBase, type StepIROptions, checkStep, dropoutInputs, finishGraph, similarityScale } from "./step-common.js";
import type { TemperatureMode } from "../types.js";

/** Multi-session step options: one encoder per session, `n_neurons[s]` inputs each (CEBRA §3.4). */
export interface MultiSessionStepGraphOptions extends StepGraphOptionsBase {
  architecture: string;
  n_neurons: number[];
  num_hidden_units: number;
  output_dimension: number;
}

interface MultiSessionStepGraph {
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
  /** Per session, the dropout sites whose masks the step takes as "dropout{s}_{index}" [3B, 1, channels]; empty in mode "loss". */
  dropout: DropoutSite[][];
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
  const zs = models.map((m, s) => embedWindows(m.spec, m.dims, xs[s], encs[s].source, dropoutInputs(g, o.mode, `dropout${s}_`)));
  const stack = (k: number): Value => concat(zs.map((z) => slice(z, [0], [k * b], [(k + 1) * b])), 0);
  const scale = similarityScale(g, flat, o, P);
  const loss = infonce(stack(0), gather(stack(1), posIndex, 0), stack(2), o.distance, scale.scale);
  finishGraph(g, flat, loss, scale, encs.flatMap((e) => e.tensors()), o, ir.customRules ?? true);
  return {
    graph: g,
    meta: { param_count: P, param_offsets: offsets, session_param_counts: counts, window_length: L, rows: { ref: b, pos: b, neg: b }, sessions: S,
      dropout: models.map((m) => (o.mode === "step" ? resolveModel(m.spec, m.dims).dropout : [])) },
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
