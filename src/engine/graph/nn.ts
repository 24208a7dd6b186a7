/**
 * Neural-network building blocks built from standard ONNX ops, most wrapped in a custom-gradient
 * region with a hand-tuned backward rule (the generic per-op path remains available and is tested
 * against these rules). Weights are in PyTorch layout; activations are channels-last [batch, time, C].
 * - `conv1d`: GEMM convolutions over the time axis (three formulations, see below);
 * - `conv1dRecording`: the taps convolution reading its windows as row indices into the whole recording;
 * - `residualConvGelu`: CEBRA's skip block Skip(Conv1d, GELU) fused into one region;
 * - `linear`: nn.Linear per time step;
 * - `gelu` / `geluPrescaled` / `geluFusable`: exact (erf) GELU;
 * - `l2normalize`: x / ‖x‖ over the last axis, no epsilon (CEBRA `_Norm`);
 * - `logSumExp`: stabilised log Σ exp (InfoNCE's uniformity term).
 */
import { type Value, customGradient } from "./ir.js";
import {
  add,
  concat,
  div,
  erf,
  exp,
  gather,
  gemm,
  log,
  matmul,
  mul,
  pad,
  reciprocal,
  reduceMax,
  reduceSum,
  reshape,
  scatterAddRows,
  scatterAxis,
  slice,
  softmax,
  sqrt,
  sub,
  sum,
  transpose,
  unsqueeze,
  zeros,
  zerosLike,
} from "./ops/index.js";

/** A bound larger than any dimension (ONNX Slice clamps it). */
const END = 2 ** 53;

interface ConvSpec {
  kernel: number;
  stride: number;
  /** Output channels Co (the weight is [Co, Ci, kernel]). */
  out: number;
}

/** Output length of a valid (unpadded) convolution, null for a dynamic input length. */
export function convOutLength(len: number | null, kernel: number, stride: number): number | null {
  if (len === null) return null;
  const n = Math.floor((len - kernel) / stride) + 1;
  if (n < 1) throw new Error(`convolution with kernel ${kernel} needs at least ${kernel} time steps, got ${len}`);
  return n;
}

/**
 * End bound of a time slice that picks `count` positions start, start+stride, …; for a dynamic length
 * (count null) the end is relative to the sequence end: `len − trailing`.
 */
function timeEnd(start: number, stride: number, count: number | null, trailing: number): number {
  if (count !== null) return start + (count - 1) * stride + 1;
  return trailing > 0 ? -trailing : END;
}

/** Slice of the time axis (axis 1); see `timeEnd`. */
export function timeSlice(x: Value, start: number, stride: number, count: number | null, trailing: number): Value {
  return slice(x, [1], [start], [timeEnd(start, stride, count, trailing)], [stride]);
}

/**
 * Conv1d (no padding) over the time axis of X [b, L, Ci] with a PyTorch-layout weight W [Co, Ci, k]
 * and bias [Co]; returns [b, L_out, Co]. The formulation is picked per layer (all are GEMM-based,
 * channels-last, and agree exactly):
 * - a window exactly one kernel long (the last layer of every offset model): one dense Gemm over the
 *   flattened window;
 * - wide inputs (e.g. the first layer), or a dynamic length (inference) with a wide input or a stride:
 *   `convTaps`, one MatMul X·Wc then k shifted slices summed, so the wide input is read once and never copied;
 * - a dynamic length, stride 1, narrow input: `convConcatTaps` (the shifted slices concatenated, one Gemm);
 * - narrow or strided layers: `convIm2col`, a Gather of the k taps then one Gemm with exact FLOPs
 *   (`preferIm2col` decides).
 */
export function conv1d(x: Value, w: Value, bias: Value, spec: ConvSpec): Value {
  const { kernel: k, stride: s, out: co } = spec;
  const len = x.shape[1];
  const ci = x.shape[2];
  if (ci === null) throw new Error("conv1d: channel count must be static");
  if (len === k && s === 1) {
    // W [Co, Ci, k] → [Co, k·Ci] matches the flattened window's (time, channel) order.
    const y = gemm(reshape(x, [-1, k * ci]), reshape(transpose(w, [0, 2, 1]), [co, k * ci]), { transB: true, c: bias });
    return reshape(y, [-1, 1, co]);
  }
  if (len === null) {
    // Inference over a whole recording: narrow stride-1 layers concatenate their taps (no Gather index for a dynamic length).
    const b = x.shape[0];
    return s === 1 && b !== null && preferIm2col(ci, co, k, s, DYNAMIC_LENGTH_GUESS) ? convConcatTaps(x, w, bias, k, co, b) : convTaps(x, w, bias, k, s, co);
  }
  if (!preferIm2col(ci, co, k, s, len)) return convTaps(x, w, bias, k, s, co);
  return convIm2col(x, w, bias, k, s, co, len);
}

/** The length `preferIm2col` assumes for a dynamic-length input (its choice barely depends on the length). */
const DYNAMIC_LENGTH_GUESS = 10_000;

/**
 * im2col for a dynamic length, stride 1: the k time-shifted views of X concatenated along the channels,
 * [b, L − k + 1, k·Ci] (tap-major, as W [Co, Ci, k] → [Co, k·Ci] orders them), then one Gemm with the bias
 * fused. The channels-last inference graphs (the MLPs', or `channels_last`) use it for narrow layers: it avoids the k·Co-wide tap product and its k
 * strided slices and sum (measured about 10% of a whole transform at N = 100, bench/run.ts). Plain ops:
 * differentiable by the generic rules.
 */
function convConcatTaps(x: Value, w: Value, bias: Value, k: number, co: number, b: number): Value {
  const ci = x.shape[2] as number;
  const cols = concat(Array.from({ length: k }, (_, j) => timeSlice(x, j, 1, null, k - 1 - j)), 2);
  const wt = reshape(transpose(w, [0, 2, 1]), [co, k * ci]);
  return reshape(gemm(reshape(cols, [-1, k * ci]), wt, { transB: true, c: bias }), [b, -1, co]);
}

/**
 * Rough per-window cost model (single-thread CPU: ~40 multiply-adds per ns, ~1 ns per float copied):
 * taps multiply all L positions by every tap (wasted work grows with the stride) and copy the
 * k·Co-wide product; im2col multiplies exactly but copies the k·Ci-wide gathered input. Wide inputs
 * (the first layer) favour taps, narrow or strided layers im2col.
 */
function preferIm2col(ci: number, co: number, k: number, s: number, len: number): boolean {
  const lout = convOutLength(len, k, s)!;
  const taps = (len * ci * k * co) / 40 + 1.5 * len * k * co;
  const im2col = (lout * k * ci * co) / 40 + lout * k * ci;
  return im2col < taps;
}

/** nn.Linear on every time step: X [b, L, Ci], W [Co, Ci] (PyTorch layout), bias [Co] → [b, L, Co]. */
export function linear(x: Value, w: Value, bias: Value): Value {
  const [b, , ci] = x.shape;
  const [co] = w.staticShape();
  if (b === null || ci === null) throw new Error("linear: batch and channel counts must be static");
  return reshape(gemm(reshape(x, [-1, ci]), w, { transB: true, c: bias }), [b, -1, co]);
}

/**
 * Taps formulation: Wc [Ci, k·Co] (Wc[c, j·Co + o] = W[o, c, j]); P = X·Wc [b, L, k·Co];
 * y[:, t] = bias + Σ_j P[:, t·s + j, j·Co:(j+1)·Co].
 * Backward: dP [b, L, k·Co] holds the taps of dy scattered back in time; dX = dP·Wcᵀ and
 * dWc = dPᵀ·X, computed as one MatMul with the wide X as the non-transposed right operand (measured
 * the fastest orientation for the first layer's big weight gradient).
 */
function convTaps(x: Value, w: Value, bias: Value, k: number, s: number, co: number): Value {
  const lout = convOutLength(x.shape[1], k, s);
  const ci = x.shape[2] as number; // static, checked by conv1d; the length may be dynamic
  let wc: Value | null = null;
  return customGradient(
    "conv1d_taps",
    [x, w, bias],
    () => {
      wc = tapsWeight(w, ci, k, co);
      return [sumTaps(matmul(x, wc), bias, k, s, co, lout)];
    },
    ([dy], needs) => {
      const dp = tapsOutputGrad(dy!, k, s, x.staticShape()[1]);
      return [
        needs[0] ? matmul(dp, transpose(wc!, [1, 0])) : null,
        needs[1] ? tapsWeightGrad(dp, reshape(x, [-1, ci]), k, co) : null,
        needs[2] ? reduceSum(dy!, [0, 1]) : null,
      ];
    },
  )[0];
}

/** Wc [Ci, k·Co] with Wc[c, j·Co + o] = W[o, c, j] (W in PyTorch layout [Co, Ci, k]). */
function tapsWeight(w: Value, ci: number, k: number, co: number): Value {
  return reshape(transpose(w, [1, 2, 0]), [ci, k * co]);
}

/** y[:, t] = bias + Σ_j P[:, t·s + j, j·Co:(j+1)·Co] for the tap products P [b, L, k·Co]. */
function sumTaps(p: Value, bias: Value, k: number, s: number, co: number, lout: number | null): Value {
  const taps: Value[] = [];
  for (let j = 0; j < k; j++) taps.push(slice(p, [1, 2], [j, j * co], [timeEnd(j, s, lout, k - 1 - j), (j + 1) * co], [s, 1]));
  return sum([...taps, bias]);
}

/** dP [b, len, k·Co]: tap j of dy [b, L_out, Co] placed back at times t·s + j (adjoint of `sumTaps`). */
function tapsOutputGrad(dy: Value, k: number, s: number, len: number): Value {
  return concat(Array.from({ length: k }, (_, j) => scatterAxis(dy, 1, j, s, len)), 2);
}

/**
 * dW in PyTorch layout [Co, Ci, k] from dP (any leading axes, last k·Co) and the input rows x2d
 * [rows, Ci] in the same row order: dWc = dPᵀ·X [k·Co, Ci]. A 3-D transpose of the small dP keeps the
 * wide X as the non-transposed operand (ORT would fuse a 2-D transpose into a slower transA).
 */
function tapsWeightGrad(dp: Value, x2d: Value, k: number, co: number): Value {
  const dp3 = dp.rank === 3 ? dp : reshape(dp, [-1, 1, k * co]);
  return tapsWeightGradT(reshape(transpose(dp3, [2, 0, 1]), [k * co, -1]), x2d, k, co);
}

/** `tapsWeightGrad` from dPᵀ [k·Co, rows] given directly. */
function tapsWeightGradT(dpT: Value, x2d: Value, k: number, co: number): Value {
  const ci = x2d.shape[1];
  if (ci === null) throw new Error("tapsWeightGrad: channel count must be static");
  return transpose(reshape(matmul(dpT, x2d), [k, co, ci]), [1, 2, 0]);
}

/**
 * Windows given as row indices into a whole recording instead of copied values: window m's time step
 * l is `data[rows[m, l]]`, and a window's rows are consecutive: rows[m, l] = rows[m, 0] + l (as
 * `fillWindowRows` writes them). The recording is the same buffer every step (ORT reads CPU inputs in
 * place), so nothing is copied per step.
 */
export interface RecordingWindows {
  /** The recording [T, Ci] (time-major). */
  data: Value;
  /** int64 [b, L]: recording row of each window time step (consecutive within a window); with `touched`, its position in `touched` instead. */
  rows: Value;
  /**
   * int64 [U] (U dynamic): the distinct recording rows the windows touch, ascending (they may end with
   * repeats of the last, as padding). Given, the first layer runs on these rows only and `rows` index them.
   */
  touched?: Value;
}

/**
 * `conv1d` (stride 1, taps formulation) of the windows `src.rows` of `src.data`, computed once per
 * recording row: the tap products P_all = data·Wc [T, k·Co], the convolution over the whole recording
 * Q[r] = bias + Σ_j P_all[r + j, j·Co:(j+1)·Co] [T − k + 1, Co], and each window's outputs gathered from
 * Q (window m, output t = Q[rows[m, t]]: its rows are consecutive), Co wide instead of k·Co. The
 * backward scatter-adds dy into dQ [T − k + 1, Co] (repeated rows accumulate), places its taps back in
 * time (dP_all [T, k·Co]) and dWc = dP_allᵀ·data. First-layer work scales with T instead of b·L, so
 * this pays when the recording has fewer rows than the batch's windows (see cebra/cost.ts `chooseStepInput`).
 *
 * With `src.touched` the same is computed over the touched rows only: X = data[touched] [U, Ci], its tap
 * products and convolution Q over U rows (a window's rows are consecutive recording rows, all touched,
 * so they are consecutive in `touched` too and Q at a window's positions is the recording's Q there),
 * the windows' outputs gathered at `rows` (at positions: `rowTaps`), and dWc = dPᵀ·X: the recording
 * rows no window touches contribute exact zeros to dWc in the whole-recording form, so both give the
 * same results up to float rounding, with the first layer's GEMMs over U instead of T rows.
 */
export function conv1dRecording(src: RecordingWindows, w: Value, bias: Value, spec: ConvSpec): Value {
  const { kernel: k, stride: s, out: co } = spec;
  if (s !== 1) throw new Error("conv1dRecording: only stride 1 is supported");
  const ci = src.data.staticShape()[1];
  const x = src.touched ? gather(src.data, src.touched, 0) : src.data;
  const T = x.shape[0];
  const len = src.rows.shape[1];
  if (len === null) throw new Error("conv1dRecording: the window length must be static");
  const lout = convOutLength(len, k, 1)!;
  // One output per row of `rows` (the positions form): each output read from its taps' rows. Windows with
  // several outputs each (the touched form) have more outputs than touched rows: the whole-row sum pays there.
  if (T === null && lout === 1) return rowTaps(x, src.rows, w, bias, k, co, lout);
  const tq = convOutLength(T, k, 1);
  const starts = slice(src.rows, [1], [0], [lout]);
  let wc: Value | null = null;
  let q: Value | null = null;
  return customGradient(
    "conv1d_recording_taps",
    [x, w, bias],
    () => {
      wc = tapsWeight(w, ci, k, co);
      q = reshape(sumTaps(reshape(matmul(x, wc), [1, T ?? -1, k * co]), bias, k, 1, co, tq), [tq ?? -1, co]);
      return [gather(q, starts, 0)];
    },
    ([dy], needs) => {
      // A dynamic row count: the zero base takes Q's shape and the taps go back by fixed pads.
      const dq = scatterAddRows(tq === null ? zerosLike(q!) : zeros(x.graph, [tq, co]), starts, dy!);
      if (T === null) {
        // dPᵀ built directly (half the data through the Transpose, and a Concat of whole rows).
        const dpT = tapsBackT(dq, k);
        return [
          needs[0] ? gemm(dpT, wc!, { transA: true, transB: true }) : null,
          needs[1] ? tapsWeightGradT(dpT, x, k, co) : null,
          needs[2] ? reduceSum(dy!, [0, 1]) : null,
        ];
      }
      const dpAll = reshape(tapsOutputGrad(reshape(dq, [1, tq!, co]), k, 1, T), [T, k * co]);
      return [
        needs[0] ? matmul(dpAll, transpose(wc!, [1, 0])) : null,
        needs[1] ? tapsWeightGrad(dpAll, x, k, co) : null,
        needs[2] ? reduceSum(dy!, [0, 1]) : null,
      ];
    },
  )[0];
}

/**
 * `conv1dRecording` at positions (one output per row of `rows`, a dynamic count of touched rows X
 * [U, Ci], the positions form's first layer): per tap j the products
 * A_j = X·W_j [U, Co] and each output bias + Σ_j A_j[rows[m, t + j]] (a window's rows are consecutive,
 * so tap j's rows are a slice of `rows`, no index arithmetic), in place of the k·Co-wide products, k
 * strided Slices, a Sum over all U rows and a Gather of the outputs (BENCHMARKS.md (10)). The backward
 * scatter-adds dy into each dA_j at the same rows: dA_j is dP's tap block, and dWc = dPᵀ·X with dPᵀ the
 * dA_jᵀ stacked.
 */
function rowTaps(x: Value, rows: Value, w: Value, bias: Value, k: number, co: number, lout: number): Value {
  const ci = x.shape[1] as number; // static: the recording's channels
  const idx = Array.from({ length: k }, (_, j) => slice(rows, [1], [j], [j + lout]));
  let wc: Value | null = null;
  let a: Value[] = [];
  return customGradient(
    "conv1d_recording_taps",
    [x, w, bias],
    () => {
      wc = tapsWeight(w, ci, k, co);
      a = idx.map((_, j) => matmul(x, slice(wc!, [1], [j * co], [(j + 1) * co])));
      return [sum([...a.map((aj, j) => gather(aj, idx[j], 0)), bias])];
    },
    ([dy], needs) => {
      // Each dA_jᵀ by a 3-D Transpose (a 2-D one ORT moves past the Concat and fuses into a slower transA MatMul).
      const dpT = concat(a.map((aj, j) => reshape(transpose(reshape(scatterAddRows(zerosLike(aj), idx[j], dy!), [-1, 1, co]), [2, 0, 1]), [co, -1])), 0);
      return [
        needs[0] ? gemm(dpT, wc!, { transA: true, transB: true }) : null,
        needs[1] ? tapsWeightGradT(dpT, x, k, co) : null,
        needs[2] ? reduceSum(dy!, [0, 1]) : null,
      ];
    },
  )[0];
}

/**
 * dPᵀ [k·Co, R] from dQ [R − k + 1, Co] of a stride-1 convolution over R rows: dP's tap j holds dQ at rows
 * t + j (`tapsOutputGrad` for one sequence of any length), built transposed: dQᵀ shifted by j columns per tap.
 */
function tapsBackT(dq: Value, k: number): Value {
  const dqT = transpose(dq, [1, 0]);
  return concat(Array.from({ length: k }, (_, j) => pad(dqT, [0, j, 0, k - 1 - j])), 0);
}

/** Forward pieces of the im2col formulation, kept for the backward pass. */
interface Im2col {
  /** X̃ [b·L_out, k·Ci]. */
  cols: Value;
  /** Wt [Co, k·Ci] with Wt[o, j·Ci + c] = W[o, c, j]. */
  wt: Value;
  /** Pre-activation X̃·Wtᵀ + bias, [b·L_out, Co]. */
  y: Value;
  k: number;
  s: number;
  ci: number;
  co: number;
  len: number;
  lout: number;
}

/** X̃ = Gather(X, t·s + j) [b, L_out, k, Ci] → [b·L_out, k·Ci]; y = X̃·Wtᵀ + bias (exact FLOPs). */
function im2colForward(x: Value, w: Value, bias: Value, k: number, s: number, co: number, len: number): Im2col {
  const ci = x.staticShape()[2];
  const lout = convOutLength(len, k, s)!;
  const index = x.graph.constant(
    Array.from({ length: lout * k }, (_, i) => Math.floor(i / k) * s + (i % k)),
    [lout, k],
    "int64",
  );
  const wt = reshape(transpose(w, [0, 2, 1]), [co, k * ci]);
  const cols = reshape(gather(x, index, 1), [-1, k * ci]);
  return { cols, wt, y: gemm(cols, wt, { transB: true, c: bias }), k, s, ci, co, len, lout };
}

/**
 * dX = Σ_j (g·Wt_j) scattered to times t·s + j: k small Gemms, no slices of a big dX̃. `shortcut`
 * (a gradient [b·L_out, Ci] arriving at tap `tap`'s times) is accumulated inside that tap's Gemm.
 */
function im2colInputGrad(f: Im2col, g: Value, shortcut?: { tap: number; grad: Value }): Value {
  const parts = Array.from({ length: f.k }, (_, j) => {
    const wj = slice(f.wt, [1], [j * f.ci], [(j + 1) * f.ci]);
    const q = shortcut?.tap === j ? gemm(g, wj, { c: shortcut.grad }) : gemm(g, wj);
    return scatterAxis(reshape(q, [-1, f.lout, f.ci]), 1, j, f.s, f.len);
  });
  return sum(parts);
}

/** dW in PyTorch layout from dWt = gᵀ·X̃ (the faster of the two Gemm orientations). */
function im2colWeightGrad(f: Im2col, g: Value): Value {
  return transpose(reshape(gemm(g, f.cols, { transA: true }), [f.co, f.k, f.ci]), [0, 2, 1]);
}

/** Im2col convolution (see `im2colForward`) with its backward rule. */
function convIm2col(x: Value, w: Value, bias: Value, k: number, s: number, co: number, len: number): Value {
  let f: Im2col | null = null;
  return customGradient(
    "conv1d_im2col",
    [x, w, bias],
    () => {
      f = im2colForward(x, w, bias, k, s, co, len);
      return [reshape(f.y, [-1, f.lout, co])];
    },
    ([dy], needs) => {
      const g = reshape(dy!, [-1, co]);
      return [needs[0] ? im2colInputGrad(f!, g) : null, needs[1] ? im2colWeightGrad(f!, g) : null, needs[2] ? reduceSum(g, [0]) : null];
    },
  )[0];
}

/**
 * CEBRA's residual block `_Skip(Conv1d(C, C, k), GELU, crop=(l, r))` with l + r = k − 1 as one region:
 * y = GELU(conv(x)) + x[:, l : L − r]. The weight and bias must be pre-scaled by `GELU_PRESCALE`.
 * The backward adds the shortcut's gradient inside the Gemm of tap l (whose times are exactly the
 * shortcut's), saving a full-size Pad and Add per block.
 */
export function residualConvGelu(x: Value, w: Value, bias: Value, kernel: number, cropLeft: number): Value {
  const [, len, c] = x.staticShape();
  if (w.staticShape()[0] !== c || w.staticShape()[1] !== c) throw new Error("residualConvGelu: the block must keep the channel count");
  let f: Im2col | null = null;
  let act: GeluParts | null = null;
  return customGradient(
    "residual_conv_gelu",
    [x, w, bias],
    () => {
      f = im2colForward(x, w, bias, kernel, 1, c, len);
      act = geluForward(f.y);
      return [add(reshape(act.y, [-1, f.lout, c]), timeSlice(x, cropLeft, 1, f.lout, kernel - 1 - cropLeft))];
    },
    ([dy], needs) => {
      const g = reshape(dy!, [-1, c]);
      const ga = geluBackward(act!, g);
      return [
        needs[0] ? im2colInputGrad(f!, ga, { tap: cropLeft, grad: g }) : null,
        needs[1] ? im2colWeightGrad(f!, ga) : null,
        needs[2] ? reduceSum(ga, [0]) : null,
      ];
    },
  )[0];
}

/**
 * GELU works on u = a/√2: GELU(a) = u·(1 + erf(u))/√2. Layers followed by a GELU produce u directly
 * by scaling their (small) weight and bias by `GELU_PRESCALE` in-graph, which saves one full-size
 * multiply per activation; `gelu(x)` scales x itself.
 */
export const GELU_PRESCALE = Math.SQRT1_2;

/** Values of the GELU forward pass that its backward reuses. */
export interface GeluParts {
  u: Value;
  /** c = (1 + erf(u))/√2, so GELU = u·c; null when the forward was built fusable (the backward recomputes it). */
  c: Value | null;
  y: Value;
}

/** Set while `withFusableGelu` builds a graph. */
let fusableGelu = false;

/**
 * Build `f` with every GELU in the form ONNX Runtime's graph optimiser fuses into its exact `Gelu`
 * kernel, x·0.5·(1 + erf(x/√2)) with x = √2·u (one kernel instead of four elementwise passes over the
 * activation). For forward-only graphs (inference): the fused kernel keeps no Φ(x) for a backward, so a
 * gradient through such a GELU recomputes it. Same function as the default form (float32 rounding aside).
 */
export function withFusableGelu<T>(f: () => T): T {
  const was = fusableGelu;
  fusableGelu = true;
  try {
    return f();
  } finally {
    fusableGelu = was;
  }
}

const geluC = (u: Value): Value => mul(add(erf(u), 1), Math.SQRT1_2);

/**
 * Exact GELU(x) = x·0.5·(1 + erf(x/√2)) in plain ops, the pattern ORT fuses into its `Gelu` kernel (the
 * fusable form of `withFusableGelu`); for forward-only graphs built without the prescaled weights.
 */
export function geluFusable(x: Value): Value {
  return mul(mul(x, 0.5), add(erf(div(x, Math.SQRT2)), 1));
}

export function geluForward(u: Value): GeluParts {
  if (fusableGelu) return { u, c: null, y: geluFusable(mul(u, Math.SQRT2)) };
  const c = geluC(u);
  return { u, c, y: mul(u, c) };
}

/** g·d GELU/du = g·(c + u·√(2/π)·exp(−u²)), the constant folded into the exp. */
export function geluBackward(p: GeluParts, g: Value): Value {
  const tail = mul(p.u, exp(sub(0.5 * Math.log(2 / Math.PI), mul(p.u, p.u))));
  return mul(g, add(p.c ?? geluC(p.u), tail));
}

/** GELU(√2·u) for a pre-scaled input u = a/√2 (see `GELU_PRESCALE`). */
export function geluPrescaled(u: Value): Value {
  let p: GeluParts | null = null;
  return customGradient(
    "gelu",
    [u],
    () => {
      p = geluForward(u);
      return [p.y];
    },
    ([g]) => [geluBackward(p!, g!)],
  )[0];
}

/** Exact GELU(x) = x·Φ(x) (PyTorch's default, erf form). */
export function gelu(x: Value): Value {
  return geluPrescaled(mul(x, GELU_PRESCALE));
}

/** x / ‖x‖₂ over the last axis (no epsilon); backward (g − z·Σ z⊙g) / ‖x‖. */
export function l2normalize(x: Value): Value {
  let inv: Value | null = null;
  let z: Value | null = null;
  return customGradient(
    "l2normalize",
    [x],
    () => {
      inv = reciprocal(sqrt(reduceSum(mul(x, x), [-1], true)));
      z = mul(x, inv);
      return [z];
    },
    ([g]) => [mul(sub(g!, mul(z!, reduceSum(mul(z!, g!), [-1], true))), inv!)],
  )[0];
}

/**
 * log Σ exp(x) over `axis` (dropped), stabilised. ORT's ReduceLogSumExp is several times slower
 * than its Softmax on the CPU EP, so this takes P = softmax(x) (one pass) and
 * lse = max x − log(max P) (max P ≥ 1/n, so the log is well conditioned); the backward is g·P,
 * reusing P. The max shift carries no gradient, as CEBRA's detached c.
 */
export function logSumExp(x: Value, axis: number): Value {
  let p: Value | null = null;
  return customGradient(
    "logsumexp",
    [x],
    () => {
      p = softmax(x, axis);
      return [sub(reduceMax(x, [axis]), log(reduceMax(p, [axis])))];
    },
    ([g]) => [mul(p!, unsqueeze(g!, [axis]))],
  )[0];
}
