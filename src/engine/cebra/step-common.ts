/**
 * What the single- and multi-session step graphs share: the loss, batch and Adam options and their
 * validation, the similarity scale (constant 1/τ or learnable θ), PyTorch Adam, and the outputs every
 * step (or loss-only) graph ends with. onnxruntime-node has no training API; the step graphs are run
 * by a plain InferenceSession, with the flat parameter vector and Adam moments fed back each step.
 */
import type { ArchitectureSpec } from "../../../models/index.js";
import { UserError } from "../../util/errors.js";
import { gradients } from "../graph/autodiff.js";
import type { Graph, Value } from "../graph/ir.js";
import { add, concat, div, mul, reshape, slice, sqrt, sub, zeros } from "../graph/ops/index.js";
import { type DropoutSource, type ModelDims, architectureInfo, outputLength } from "./architectures.js";
import { type InfoNCE, type SimilarityScale, learnableTemperature } from "./loss.js";
import { positiveInt } from "./lookup.js";
import type { Distance, TemperatureMode } from "../types.js";

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

/** Options of `buildStepIR` and `buildMultiSessionStepIR` beyond the graph options (tests use them). */
export interface StepIROptions {
  /** Use the hand-written region gradients (default true); false = generic per-op rules only. */
  customRules?: boolean;
}

// ---------------------------------------------------------------------------------------------------
// Validation

function checkLoss(o: Omit<LossOptions, "hybrid">): void {
  if (o.distance !== "cosine" && o.distance !== "euclidean") throw new UserError(`distance must be "cosine" or "euclidean", got "${o.distance}".`, 'Use "cosine" (CEBRA default).');
  if (o.temperature_mode !== "constant" && o.temperature_mode !== "auto")
    throw new UserError(`temperature_mode must be "constant" or "auto", got "${o.temperature_mode}".`, 'Use "constant" (CEBRA default) or "auto".');
  if (!(o.temperature > 0) || !Number.isFinite(o.temperature)) throw new UserError(`temperature must be a positive number, got ${o.temperature}.`, "Use e.g. 1 (CEBRA default).");
  if (o.temperature_mode === "auto" && !(o.min_temperature >= 0)) throw new UserError(`min_temperature must be >= 0, got ${o.min_temperature}.`, "Use e.g. 0.1 (CEBRA default).");
}

/** Validates the options shared by single- and multi-session step graphs; returns the window length. */
export function checkStep(spec: ArchitectureSpec, dims: ModelDims, o: StepGraphOptionsBase): number {
  checkLoss(o);
  positiveInt(o.batch_size, "batch_size", "Use e.g. 512 (the paper's batch size).");
  if (o.mode !== "step" && o.mode !== "loss") throw new Error(`mode must be "step" or "loss", got "${o.mode}"`);
  const L = architectureInfo(spec).receptive_field;
  if (outputLength(spec, dims, L) !== 1) throw new Error(`${spec.name}: a window of ${L} steps must give exactly one output`);
  return L;
}

// ---------------------------------------------------------------------------------------------------
// Shared graph pieces

/**
 * Dropout in a training step (mode "step"): site i's mask is the float input `${prefix}${i}` [rows, 1,
 * channels], drawn per step by the trainer (`drawDropoutMasks`); the held-out loss graph (mode "loss",
 * CEBRA's model.eval()) has no masks.
 */
export function dropoutInputs(g: Graph, mode: "step" | "loss", prefix: string): DropoutSource | undefined {
  if (mode !== "step") return undefined;
  return (site, rows) => g.input(`${prefix}${site.index}`, "float", [rows, 1, site.channels]);
}

interface Scale {
  scale: SimilarityScale;
  temperature: Value;
  /** θ (the last element of the flat vector) when learnable. */
  theta: Value | null;
}

/** 1/τ, or the learnable β from θ = flat[P − 1]. */
export function similarityScale(g: Graph, flat: Value, o: Omit<LossOptions, "hybrid">, P: number): Scale {
  if (o.temperature_mode !== "auto") return { scale: { kind: "constant", temperature: o.temperature }, temperature: g.scalar(o.temperature), theta: null };
  const theta = reshape(slice(flat, [0], [P - 1], [P]), []);
  const t = learnableTemperature(theta, o.min_temperature);
  return { scale: { kind: "learnable", beta: t.beta }, temperature: t.temperature, theta };
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
 * Adds the step graph's outputs: loss, align, uniform, temperature; in mode "step" also the inputs
 * m, v, step_size, bc2_sqrt and the outputs new_params, new_m, new_v (gradient w.r.t. `wrt`, which
 * must cover the flat vector in order).
 */
export function finishGraph(g: Graph, flat: Value, loss: InfoNCE, scale: Scale, wrt: readonly Value[], o: StepGraphOptionsBase, customRules: boolean): void {
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
