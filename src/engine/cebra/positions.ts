/**
 * The "positions" window input form of the single-session step graphs: every layer runs once per
 * distinct absolute time position the batch needs instead of once per window position. CEBRA's offset
 * models are stacks of valid stride-1 convolutions, GELUs and `_Skip` blocks that crop their input, so a
 * layer's output at a recording time depends only on the recording; the batch's windows overlap (at
 * `time`, T = 10,000, batch 512: 1,426 distinct final positions for 1,536 windows, 3,001 against 4,608
 * outputs of the last residual layer, 6,173 against 13,824 of the first layer).
 *
 * Positions are left-edge aligned: the output of stage s at position p reads the previous stage's
 * positions p … p + k_s − 1 (for the first stage, recording rows). Inputs: "data" [T, N] (the whole
 * recording), "touched" (int64 [U]: the recording rows the first stage reads, ascending), per
 * positional stage s = 1 … S "taps_s" (int64 [P_s, k_s]: rows of stage s − 1's positions, ascending;
 * for s = 1, positions in "touched"), and "out_index" (int64 [M]: each window's row in the last stage's
 * positions, windows stacked ref, pos, neg). train/batches.ts writes them.
 *
 * The first stage is `conv1dRecording` on the touched rows (X = data[touched], its tap products X·Wc,
 * each position's taps summed; only tap 0 of "taps_1" is read): measured faster than gathering each
 * position's k rows of N values for one GEMM (im2col), at N = 100 and more so at N = 1,000.
 */
import type { ArchitectureSpec } from "../../../models/index.js";
import { type Graph, type Value, customGradient } from "../graph/ir.js";
import { GELU_PRESCALE, conv1dRecording, gelu, geluPrescaled, l2normalize } from "../graph/nn.js";
import { mul, reshape, tanh } from "../graph/ops/index.js";
import { convPositions, gatherPositions, residualPositions } from "../graph/positions.js";
import { type ModelDims, type ParamInfo, resolveModel } from "./architectures.js";

type Layer = ReturnType<typeof resolveModel>["layers"][number];
type Conv = Layer & { type: "conv" };

/** One step of the positions encoder: a positional stage (conv, fused residual block) or an elementwise layer. */
type Stage = { kind: "conv"; conv: Conv; gelu: boolean } | { kind: "residual"; conv: Conv; cropLeft: number } | { kind: "gelu" } | { kind: "tanh" };

const plainConv = (l: Layer | undefined): l is Conv => l?.type === "conv" && !l.linear && l.stride === 1;

/**
 * The encoder as positional stages, or null where the form does not apply: it needs a stride-1
 * convolution first, then only such convolutions, GELU, tanh and `Skip(Conv1d(C, C, k), GELU)` blocks
 * whose crop matches the kernel (dropout, linear layers, subsampling, other skip bodies, a classifier head: null).
 */
function positionsPlan(spec: ArchitectureSpec, dims: ModelDims): Stage[] | null {
  if (spec.head !== undefined) return null;
  const { layers } = resolveModel(spec, dims);
  if (!plainConv(layers[0])) return null;
  const stages: Stage[] = [];
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    if (plainConv(l)) {
      const withGelu = layers[i + 1]?.type === "gelu";
      stages.push({ kind: "conv", conv: l, gelu: withGelu });
      if (withGelu) i++;
    } else if (l.type === "gelu" || l.type === "tanh") stages.push({ kind: l.type });
    else if (l.type === "skip") {
      const [conv, act] = l.body;
      const fits = l.body.length === 2 && plainConv(conv) && act.type === "gelu" && conv.ci === conv.co && l.crop[0] + l.crop[1] === conv.kernel - 1;
      if (!fits) return null;
      stages.push({ kind: "residual", conv: conv as Conv, cropLeft: l.crop[0] });
    } else return null;
  }
  return stages;
}

/** Kernel of each positional stage (what the batch assembler needs), or null where the form does not apply. */
export function positionKernels(spec: ArchitectureSpec, dims: ModelDims): number[] | null {
  const plan = positionsPlan(spec, dims);
  return plan && plan.flatMap((s) => (s.kind === "conv" || s.kind === "residual" ? [s.conv.kernel] : []));
}

/** The form's graph inputs (see the module comment). */
export interface PositionInputs {
  data: Value;
  /** int64 [U]: the recording rows the first stage reads, ascending ("taps_1" index them). */
  touched: Value;
  taps: Value[];
  outIndex: Value;
}

/** Declares the form's inputs for a recording of `T` samples and `M` windows. */
export function positionInputs(g: Graph, spec: ArchitectureSpec, dims: ModelDims, T: number, M: number): PositionInputs {
  const kernels = positionKernels(spec, dims);
  if (!kernels) throw new Error(`${spec.name} cannot run at positions (only stride-1 convolutions, GELU, tanh and fused residual blocks can; no dropout)`);
  return {
    data: g.input("data", "float", [T, dims.N]),
    touched: g.input("touched", "int64", [null]),
    taps: kernels.map((k, s) => g.input(`taps_${s + 1}`, "int64", [null, k])),
    outIndex: g.input("out_index", "int64", [M]),
  };
}

/** [P, 1, C] → [P, C] for a dynamic P (the generic Reshape gradient needs static shapes). */
function dropTimeAxis(y: Value): Value {
  const c = y.shape[2] as number;
  return customGradient("positions_rows", [y], () => [reshape(y, [-1, c])], ([g]) => [reshape(g!, [-1, 1, c])])[0];
}

/** The encoder's output per window, [M, D] (L2-normalised if the spec says so), computed at positions. */
export function embedPositions(spec: ArchitectureSpec, dims: ModelDims, x: PositionInputs, source: (p: ParamInfo) => Value): Value {
  const plan = positionsPlan(spec, dims)!;
  const scaled = (p: ParamInfo) => mul(source(p), GELU_PRESCALE);
  let h = x.data;
  let s = 0;
  for (const st of plan) {
    if (st.kind === "conv") {
      const src = st.gelu ? scaled : source;
      const y =
        s === 0
          ? dropTimeAxis(conv1dRecording({ data: h, rows: x.taps[s++], touched: x.touched }, src(st.conv.w), src(st.conv.b), { kernel: st.conv.kernel, stride: 1, out: st.conv.co }))
          : convPositions(h, x.taps[s++], src(st.conv.w), src(st.conv.b));
      h = st.gelu ? geluPrescaled(y) : y;
    } else if (st.kind === "residual") h = residualPositions(h, x.taps[s++], scaled(st.conv.w), scaled(st.conv.b), st.cropLeft);
    else h = st.kind === "gelu" ? gelu(h) : tanh(h);
  }
  return gatherPositions(spec.normalize ? l2normalize(h) : h, x.outIndex);
}
