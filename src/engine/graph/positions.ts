/**
 * Stride-1 valid convolutions computed once per distinct time position (the step graphs' "positions"
 * input form, cebra/positions.ts). A layer's output at an absolute recording time depends only on the
 * recording, not on the window it sits in, so a batch of overlapping windows needs each layer at the
 * union of the positions its windows need, once each. Activations are [P, C]: one row per position of
 * the layer, P dynamic; `taps` (int64 [P, k]) gives, for each output position, the rows of the previous
 * layer at its k taps.
 *
 * Every block is one custom-gradient region. The backward scatter-adds each position's input-row
 * gradients back to the rows it read (ScatterND with reduction "add"): the adjoint of the forward's
 * Gather, and in place of the per-window forms' Pad + Sum.
 */
import { type Value, customGradient } from "./ir.js";
import { add, gather, gemm, reduceSum, reshape, scatterAddRows, slice, transpose, zerosLike } from "./ops/index.js";
import { type GeluParts, geluBackward, geluForward } from "./nn.js";

/** Forward pieces kept for the backward. */
interface PositionsConv {
  /** The taps of every position, [P, k·Ci] (tap-major). */
  cols: Value;
  /** Wt [Co, k·Ci] with Wt[o, j·Ci + c] = W[o, c, j]. */
  wt: Value;
  /** cols·Wtᵀ + bias, [P, Co]. */
  y: Value;
  k: number;
  ci: number;
  co: number;
}

function convForward(h: Value, taps: Value, w: Value, bias: Value): PositionsConv {
  const [co, ci, k] = w.staticShape();
  if (h.shape[1] !== ci) throw new Error(`positions conv: input has ${h.shape[1]} channels, the weight ${ci}`);
  if (taps.shape[1] !== k) throw new Error(`positions conv: taps have ${taps.shape[1]} columns for kernel ${k}`);
  const cols = reshape(gather(h, taps, 0), [-1, k * ci]);
  const wt = reshape(transpose(w, [0, 2, 1]), [co, k * ci]);
  return { cols, wt, y: gemm(cols, wt, { transB: true, c: bias }), k, ci, co };
}

/**
 * dh [R, Ci] for h [R, Ci]: dCols = g·Wt [P, k·Ci] added at the rows `taps` names (every row of h
 * receives at most one tap j from each position), plus `shortcut` (a gradient [P, Ci] for the rows of
 * tap `tap`, the residual's cropped input).
 */
function inputGrad(h: Value, taps: Value, f: PositionsConv, g: Value, shortcut?: { tap: number; grad: Value }): Value {
  let base = zerosLike(h);
  if (shortcut) base = scatterAddRows(base, reshape(slice(taps, [1], [shortcut.tap], [shortcut.tap + 1]), [-1]), shortcut.grad);
  return scatterAddRows(base, taps, reshape(gemm(g, f.wt), [-1, f.k, f.ci]));
}

/** dW in PyTorch layout [Co, Ci, k] from dWt = gᵀ·cols. */
function weightGrad(f: PositionsConv, g: Value): Value {
  return transpose(reshape(gemm(g, f.cols, { transA: true }), [f.co, f.k, f.ci]), [0, 2, 1]);
}

/**
 * Conv1d (stride 1, valid) at positions: y[p] = bias + Σ_j W_j·h[taps[p, j]], [P, Co]; W in PyTorch
 * layout [Co, Ci, k]. (The step graphs run their first layer as `conv1dRecording` on the touched rows
 * instead, cebra/positions.ts.)
 */
export function convPositions(h: Value, taps: Value, w: Value, bias: Value): Value {
  let f: PositionsConv | null = null;
  return customGradient(
    "conv1d_positions",
    [h, w, bias],
    () => {
      f = convForward(h, taps, w, bias);
      return [f.y];
    },
    ([dy], needs) => [needs[0] ? inputGrad(h, taps, f!, dy!) : null, needs[1] ? weightGrad(f!, dy!) : null, needs[2] ? reduceSum(dy!, [0]) : null],
  )[0];
}

/**
 * CEBRA's `_Skip(Conv1d(C, C, k), GELU, crop=(l, r))` at positions: y[p] = GELU(conv(h)[p]) + h[taps[p, l]]
 * (the cropped input is tap l's row). Weight and bias pre-scaled by `GELU_PRESCALE` (nn.ts).
 */
export function residualPositions(h: Value, taps: Value, w: Value, bias: Value, cropLeft: number): Value {
  let f: PositionsConv | null = null;
  let act: GeluParts | null = null;
  return customGradient(
    "residual_conv_gelu_positions",
    [h, w, bias],
    () => {
      f = convForward(h, taps, w, bias);
      if (f.ci !== f.co) throw new Error("residualPositions: the block must keep the channel count");
      act = geluForward(f.y);
      return [add(act.y, slice(f.cols, [1], [cropLeft * f.ci], [(cropLeft + 1) * f.ci]))];
    },
    ([dy], needs) => {
      const ga = geluBackward(act!, dy!);
      return [
        needs[0] ? inputGrad(h, taps, f!, ga, { tap: cropLeft, grad: dy! }) : null,
        needs[1] ? weightGrad(f!, ga) : null,
        needs[2] ? reduceSum(ga, [0]) : null,
      ];
    },
  )[0];
}

/** z[index] (rows; repeats allowed) with the scatter-add backward onto a dynamic row count. */
export function gatherPositions(z: Value, index: Value): Value {
  return customGradient(
    "gather_positions",
    [z],
    () => [gather(z, index, 0)],
    ([g]) => [scatterAddRows(zerosLike(z), index, g!)],
  )[0];
}
