/**
 * The channels-first inference encoder: the whole recording X [T, N] → [T', D] with activations laid out
 * [1, C, 1, T] (PyTorch's [1, C, T] with a unit axis), so that every convolution after the first is one
 * ONNX `Conv` with the weight [Co, Ci, 1, k] (PyTorch's [Co, Ci, k], a unit axis added). Four dimensions,
 * not three: ONNX Runtime's NCHWc layout optimiser (graph optimisation level "all") rewrites 2-D Convs
 * into its blocked (AVX-512 / AVX2) convolutions, measured about twice the rate of our Gemm
 * formulations on these layers. The first layer reads X as it is, with no transpose: X [T, N] is a
 * one-channel image [1, 1, T, N] and the first layer a Conv with a [k, N] kernel (`firstConv`), whose
 * output [1, Co, T', 1] is channels-first already.
 *
 * Forward only (Conv has no gradient rule): training keeps the channels-last GEMM formulations of
 * nn.ts, and the architectures this does not fit (MLPs: linear layers, flatten) keep the channels-last
 * inference graph (`buildInferenceIR`). Dropout is the identity at inference (model.eval()).
 */
import type { ArchitectureSpec } from "../../../models/index.js";
import type { Value } from "../graph/ir.js";
import { geluFusable, l2normalize } from "../graph/nn.js";
import { add, concat, conv, reshape, slice, tanh, transpose } from "../graph/ops/index.js";
import { type ModelDims, type ParamInfo, relu, resolveModel } from "./architectures.js";

type Layer = ReturnType<typeof resolveModel>["layers"][number];
type ConvLayer = Layer & { type: "conv" };
type ParamSource = (p: ParamInfo) => Value;

/** A bound larger than any dimension (ONNX Slice clamps it). */
const END = 2 ** 53;

/** Exclusive end of a slice stopping `trailing` steps before the (dynamic) end of its axis. */
const endBefore = (trailing: number): number => (trailing > 0 ? -trailing : END);

/** The time axis of channels-first activations [1, C, 1, T]. */
const TIME = 3;

/**
 * Whether the architecture runs channels-first: a convolution (or `_MeanAndConv`) first, then only
 * convolutions, GELU, tanh, dropout, `_MeanAndConv` and skip blocks of those (not the MLPs: no linear
 * layers, flatten, clamp or SkipLinear).
 */
export function fitsChannelsFirst(spec: ArchitectureSpec, dims: ModelDims): boolean {
  const { layers } = resolveModel(spec, dims);
  const first = layers[0];
  // Only the layer kinds `applyLayers` handles; any other kind (linear layers, flatten, the MLP
  // families' clamp and SkipLinear) keeps the channels-last graph.
  const fits = (ls: readonly Layer[]): boolean =>
    ls.every((l) => {
      switch (l.type) {
        case "conv":
          return !l.linear;
        case "skip":
          return fits(l.body);
        case "gelu":
        case "tanh":
        case "dropout":
        case "mean_and_conv":
          return true;
        default:
          return false;
      }
    });
  return ((first.type === "conv" && !first.linear) || first.type === "mean_and_conv") && fits(layers);
}

/**
 * The encoder over the whole recording `x` [T, N] (T dynamic): [T', D], L2-normalised if the spec says
 * so (ReLU features for a classifier head), row t the output of the window starting at sample t·(the
 * model's total stride), as `buildEncoder` on [1, T, N].
 */
export function encodeChannelsFirst(spec: ArchitectureSpec, dims: ModelDims, x: Value, source: ParamSource): Value {
  if (!fitsChannelsFirst(spec, dims)) throw new Error(`${spec.name} does not run channels-first (linear layers or flatten)`);
  const [first, ...rest] = resolveModel(spec, dims).layers;
  let h: Value;
  if (first.type === "conv") h = firstConv(x, first, source);
  else if (first.type === "mean_and_conv") {
    // The conv channels, then the input at every stride-th sample, as many as the conv has outputs.
    const c = first.conv;
    const sub = slice(x, [0], [0], [endBefore(c.kernel - 1)], [c.stride]);
    h = concat([firstConv(x, c, source), reshape(transpose(sub, [1, 0]), [1, dims.N, 1, -1])], 1);
  } else throw new Error(`${spec.name}: the first layer is not a convolution`);
  h = applyLayers(rest, h, source);
  const y = transpose(reshape(h, [dims.D, -1]), [1, 0]);
  if (spec.head === "classifier") return relu(y);
  return spec.normalize ? l2normalize(y) : y;
}

/**
 * The first convolution from X [T, N] as it is: X viewed as a one-channel image [1, 1, T, N] and one Conv
 * whose kernel [k, N] spans every neuron (weight [Co, 1, k, N], W transposed to tap-major), stride s in
 * time: [1, Co, T', 1], channels-first with no transpose of X, as [1, Co, 1, T']. Measured faster than
 * one Gemm Wstack·Xᵀ [k·Co, T] with its k row blocks shifted and summed (1.6 against 2.3 ms of CPU at
 * N = 100, T = 10,000, Co = 32, k = 2; 13.2 against 16.3 at N = 1,000).
 */
function firstConv(x: Value, l: ConvLayer, source: ParamSource): Value {
  const { kernel: k, stride: s, co, ci } = l;
  const w = reshape(transpose(source(l.w), [0, 2, 1]), [co, 1, k, ci]);
  return reshape(conv(reshape(x, [1, 1, -1, ci]), w, source(l.b), [s, 1]), [1, co, 1, -1]);
}

/** A later convolution: ONNX Conv on [1, Ci, 1, L] with the weight [Co, Ci, 1, k]. */
function convLayer(h: Value, l: ConvLayer, source: ParamSource): Value {
  return conv(h, reshape(source(l.w), [l.co, l.ci, 1, l.kernel]), source(l.b), [1, l.stride]);
}

function applyLayers(layers: readonly Layer[], x: Value, source: ParamSource): Value {
  let h = x;
  for (const l of layers) {
    switch (l.type) {
      case "conv":
        h = convLayer(h, l, source);
        break;
      case "gelu":
        h = geluFusable(h);
        break;
      case "tanh":
        h = tanh(h);
        break;
      case "dropout":
        break; // the identity at inference
      case "skip": {
        const branch = applyLayers(l.body, h, source);
        h = add(slice(h, [TIME], [l.crop[0]], [endBefore(l.crop[1])]), branch);
        break;
      }
      case "mean_and_conv": {
        const c = l.conv;
        const sub = slice(h, [TIME], [0], [endBefore(c.kernel - 1)], [c.stride]);
        h = concat([convLayer(h, c, source), sub], 1);
        break;
      }
      default:
        throw new Error(`${l.type} does not run channels-first`);
    }
  }
  return h;
}
