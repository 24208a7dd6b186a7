/**
 * The per-step cost model that picks how a single-session step graph reads its windows: copied
 * windows ("windows"), rows of the whole recording ("recording") or of its rows the batch touches
 * ("touched"), or every layer once per distinct time position ("positions"); see `StepGraphOptions.input`.
 */
import { architectureInfo, firstLayerTapWidth, readsRecording } from "./architectures.js";
import { type ModelShape, checkModel } from "./lookup.js";
import { positionKernels } from "./positions.js";
import type { StepInput } from "./step.js";

/**
 * The cheaper window input for a single-session step on a recording of `T` samples (per step, on
 * the CPU): "windows" copies the b·L window rows (N wide) in JS and runs the first layer on all of
 * them; "recording" runs the first layer once per recording row, then gathers and scatter-adds the
 * k·Co-wide tap products of the window rows. With ~40 multiply-adds per ns and ~1 ns per float
 * moved (as `preferIm2col` in graph/nn.ts), "recording" wins when T is below ≈ b·L (short recordings:
 * T = 10,000 against 1,536·10 window rows at batch 512); long recordings use "windows". "touched" runs
 * the first layer on the U distinct rows the windows touch instead of all T, for a gather of those U
 * rows (contiguous runs: ~0.25 ns per float) and a JS pass over T: it wins unless nearly every row is
 * touched. U is estimated as if the M windows fell independently and uniformly, T·(1 − e^(−M·L/T)):
 * an upper bound where positives overlap their references (at `time`, T = 10,000, batch 512: 7,850
 * estimated, about 6,600 drawn). Models whose first layer cannot read the recording (`readsRecording`)
 * always use "windows".
 *
 * "positions" (cebra/positions.ts) is chosen for every model it fits (offset conv models without
 * dropout): its first layer is the touched form's, and every later layer does at most the per-window
 * forms' work (fewer FLOPs wherever windows overlap, e.g. a `time` positive and its reference), for an
 * O(M log M + Σ P·k) index pass in JS. Measured (docs/BENCHMARKS.md, change (8); offset10-model,
 * batch 512, T = 10,000) 12–39% less CPU per step than "touched" at `time` (N = 100 and 1,000),
 * `time_delta` (N = 100) and hybrid (N = 100 and 1,000), and at T = 100,000 faster than "windows" and
 * "touched" at `time`, as fast at `time_delta` (few windows overlap). The rest of this model decides
 * between the other forms, for models "positions" does not fit.
 */
export function chooseStepInput(o: ModelShape & { batch_size: number; hybrid: boolean }, T: number): StepInput {
  const { spec, dims } = checkModel(o);
  if (positionKernels(spec, dims)) return "positions";
  if (!readsRecording(spec, dims)) return "windows";
  const M = (o.hybrid ? 4 : 3) * o.batch_size;
  const L = architectureInfo(spec).receptive_field;
  const kc = firstLayerTapWidth(spec, dims);
  const gemm = (2 * dims.N * kc) / 40; // forward X·Wc and backward dWc, per row
  const windows = M * L * (gemm + dims.N);
  const recording = T * (gemm + kc) + 2 * M * L * kc;
  const U = T * (1 - Math.exp((-M * L) / T));
  const touched = U * (gemm + kc + dims.N / 4) + 2 * M * L * kc + T + M * L;
  if (windows <= Math.min(recording, touched)) return "windows";
  return touched < recording ? "touched" : "recording";
}
