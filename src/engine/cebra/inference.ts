/**
 * Inference graphs: the fully convolutional encoder over a whole recording ("X" [T', N] → "Z"), and
 * the training-time per-window encoder on its own (to check the two agree). The `*IR` builders return
 * the graph before serialisation (the float64 interpreter runs them in tests).
 */
import { UserError } from "../../util/errors.js";
import { Graph, type Value } from "../graph/ir.js";
import { withFusableGelu } from "../graph/nn.js";
import { writeOnnx } from "../graph/onnx.js";
import { reshape, unsqueeze } from "../graph/ops/index.js";
import { type ParamInfo, architectureInfo, buildEncoder, modelParamCount, resolveModel } from "./architectures.js";
import { encodeChannelsFirst, fitsChannelsFirst } from "./channels-first.js";
import { embedWindows, sliceParams } from "./flat-params.js";
import { type ModelShape, checkModel, positiveInt } from "./lookup.js";

/**
 * The fully convolutional inference graph as IR: "X" [T', N] → "Z" [rows, D], with T' dynamic.
 * Parameters come from the input "params" (length ≥ the model's parameter count; a trailing θ is
 * ignored) or are embedded as constants when given. The encoder is channels-first with ONNX Conv
 * (channels-first.ts) for the architectures it fits, the channels-last GEMM formulations of the step
 * graphs otherwise or with `channels_last` (the same function; tests compare the two).
 */
export function buildInferenceIR(o: ModelShape & { params?: Float32Array; channels_last?: boolean }): { graph: Graph; param_count: number } {
  const { spec, dims } = checkModel(o);
  const P = modelParamCount(spec, dims);
  const g = new Graph("cebra_transform");
  const x = g.input("X", "float", [null, dims.N]);
  let source: (p: ParamInfo) => Value;
  if (o.params) {
    const params = o.params;
    // A trailing θ (learnable temperature) or classifier head (supervised models, C·(D + 1) values) is not read.
    const extra = params.length - P;
    if (extra !== 0 && extra !== 1 && !(spec.head === "classifier" && extra > 0 && extra % (dims.D + 1) === 0))
      throw new UserError(`Parameter vector has ${params.length} values; ${spec.name} with these sizes needs ${P} (or ${P + 1} with a learnable temperature).`, "Pass the params of a model trained with the same architecture and sizes.");
    source = (p) => g.constant(params.subarray(p.offset, p.offset + p.size), p.shape);
  } else {
    source = sliceParams(g.input("params", "float", [null]), resolveModel(spec, dims).params).source;
  }
  // Forward only: GELUs in the form ORT fuses into one exact kernel.
  const z = !o.channels_last && fitsChannelsFirst(spec, dims) ? encodeChannelsFirst(spec, dims, x, source) : withFusableGelu(() => buildEncoder(spec, dims, unsqueeze(x, [0]), source));
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
export function buildInferenceGraph(o: ModelShape & { params?: Float32Array; channels_last?: boolean }): { onnx: Uint8Array; param_count: number } {
  const { graph, param_count } = buildInferenceIR(o);
  return { onnx: writeOnnx(graph), param_count };
}
