/**
 * The training-step graph of CEBRA's supervised models (`supervised10-model`, `supervised1-model`;
 * `SupervisedNNSolver.step`): forward of B windows through the net, features = relu(net(x)) (CEBRA's
 * ClassifierModel), prediction = classifier(features) = features·Wᵀ + b, the loss against the labels,
 * reverse-mode gradients and PyTorch Adam (the same tail as the contrastive step, `finishGraph`); or,
 * in mode "loss", the held-out loss alone.
 *
 * Loss: "mse" = nn.MSELoss() (mean over all B·C elements) for continuous labels; "cross_entropy" =
 * nn.CrossEntropyLoss() (mean over the batch) for discrete labels, fed as one-hot rows. Inputs: "X"
 * [B, L, N] windows, "targets" [B, C] float, "params" [P] (net then classifier.weight, classifier.bias).
 * Outputs as the contrastive step's: loss; align and uniform are its parts (cross-entropy:
 * mean(−prediction[label]) and mean(logsumexp(prediction)); MSE: the loss and 0); temperature 1 (none).
 */
import { UserError } from "../../util/errors.js";
import { Graph, type Value } from "../graph/ir.js";
import { logSumExp } from "../graph/nn.js";
import { writeOnnx } from "../graph/onnx.js";
import { add, gemm, mul, neg, reduceMean, reduceSum, sub } from "../graph/ops/index.js";
import { architectureInfo, outputLength, resolveModel } from "./architectures.js";
import { embedWindows, sliceParams } from "./flat-params.js";
import { type ModelShape, checkModel, positiveInt } from "./lookup.js";
import { finishGraph } from "./step-common.js";

/** What a supervised model is trained on: continuous labels with MSE, discrete with cross-entropy. */
export type SupervisedLoss = "mse" | "cross_entropy";

export interface SupervisedStepOptions extends ModelShape {
  /** Outputs of the classifier head: label dimensions (MSE) or classes (cross-entropy). */
  label_num: number;
  loss: SupervisedLoss;
  batch_size: number;
  beta1: number;
  beta2: number;
  eps: number;
  mode: "step" | "loss";
}

export interface SupervisedStepGraph {
  onnx: Uint8Array;
  /** Length of the flat params / m / v vectors (net, then the classifier head). */
  param_count: number;
  /** L = left + right: time steps per window in X. */
  window_length: number;
}

/** The step (or loss) graph as IR, before serialisation (tests evaluate it with the interpreter). */
export function buildSupervisedStepIR(o: SupervisedStepOptions, ir: { customRules?: boolean } = {}): Omit<SupervisedStepGraph, "onnx"> & { graph: Graph } {
  const { spec, dims } = checkModel(o);
  if (spec.head !== "classifier") throw new Error(`${spec.name} is not a supervised model`);
  if (o.loss !== "mse" && o.loss !== "cross_entropy") throw new Error(`loss must be "mse" or "cross_entropy", got "${o.loss}"`);
  if (o.mode !== "step" && o.mode !== "loss") throw new Error(`mode must be "step" or "loss", got "${o.mode}"`);
  positiveInt(o.batch_size, "batch_size", "Use e.g. 512.");
  if (o.loss === "cross_entropy" && o.label_num < 2) throw new UserError(`Cross-entropy needs at least 2 classes, got ${o.label_num}.`, "Pass discrete labels with at least two classes.");
  const L = architectureInfo(spec).receptive_field;
  if (outputLength(spec, dims, L) !== 1) throw new Error(`${spec.name}: a window of ${L} steps must give exactly one output`);
  const B = o.batch_size;
  const C = o.label_num;
  const resolved = resolveModel(spec, dims);
  const P = resolved.params.reduce((s, p) => s + p.size, 0);
  const g = new Graph(o.mode === "step" ? "cebra_supervised_step" : "cebra_supervised_loss");
  const x = g.input("X", "float", [B, L, dims.N]);
  const targets = g.input("targets", "float", [B, C]);
  const flat = g.input("params", "float", [P]);
  const enc = sliceParams(flat, resolved.params);
  const features = embedWindows(spec, dims, x, enc.source);
  const [w, b] = resolved.params.slice(-2).map(enc.source);
  const prediction = gemm(features, w, { transB: true, c: b });
  const loss = supervisedLoss(prediction, targets, o.loss);
  const scale = { scale: { kind: "constant" as const, temperature: 1 }, temperature: g.scalar(1), theta: null };
  // finishGraph reads only mode and the Adam options of its option argument.
  const adamOptions = { ...o, distance: "euclidean" as const, temperature: 1, temperature_mode: "constant" as const, min_temperature: 0 };
  finishGraph(g, flat, loss, scale, enc.tensors(), adamOptions, ir.customRules ?? true);
  return { graph: g, param_count: P, window_length: L };
}

/** MSE (mean over all elements) or cross-entropy against one-hot targets (mean over rows), with its two parts. */
function supervisedLoss(prediction: Value, targets: Value, kind: SupervisedLoss): { loss: Value; align: Value; uniform: Value } {
  if (kind === "mse") {
    const d = sub(prediction, targets);
    const loss = reduceMean(mul(d, d), [0, 1]);
    return { loss, align: loss, uniform: mul(loss, 0) };
  }
  const align = reduceMean(neg(reduceSum(mul(prediction, targets), [1])), [0]);
  const uniform = reduceMean(logSumExp(prediction, 1), [0]);
  return { loss: add(align, uniform), align, uniform };
}

/** Training-step graph (mode "step") or held-out loss graph (mode "loss"), serialised. */
export function buildSupervisedStepGraph(o: SupervisedStepOptions): SupervisedStepGraph {
  const { graph, ...meta } = buildSupervisedStepIR(o);
  return { onnx: writeOnnx(graph), ...meta };
}
