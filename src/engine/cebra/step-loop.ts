/**
 * The single-session training step run K times inside one `session.run`: the step graph of step.ts
 * as the body of an ONNX Loop, with the parameters and Adam moments as loop-carried values (they stay
 * inside the runtime between steps: no per-step copies in and out, which is what a GPU needs), the
 * recording ("data") shared by every iteration, and the per-step inputs (the batch's "rows" or "X",
 * the dropout masks "dropout_i", Adam's "step_size" and "bc2_sqrt") stacked for the K steps. Iteration i computes exactly the step
 * graph on batch i, so K steps of this graph equal K single steps on the same batches.
 */
import { writeOnnxLoop, type LoopLayout } from "../graph/onnx.js";
import { type StepGraph, type StepGraphOptions, buildStepIR } from "./step.js";

/** The Loop's layout: what is carried, shared, stacked (see `writeOnnxLoop`). */
export const STEP_LOOP_LAYOUT: LoopLayout = {
  carried: [
    ["params", "new_params"],
    ["m", "new_m"],
    ["v", "new_v"],
  ],
  shared: ["data"],
  scan: ["loss", "align", "uniform", "temperature"],
};

/**
 * The K-step graph. Inputs: "K" (int64 scalar), "params_0", "m_0", "v_0" [P], "data" (input
 * "recording", "touched" and "positions" only), and stacked per step "rows_k" [K, M, L] (or "X_k" [K, M, L, N]; with
 * "touched", also "touched_k" [K, U]: each step's touched rows padded to the longest; with "positions",
 * "touched_k", "taps_s_k" [K, P_s, k_s], padded likewise, and "out_index_k" instead of "rows_k"), "step_size_k",
 * "bc2_sqrt_k" [K]. Outputs: "final_params", "final_m", "final_v" [P], "loss_k", "align_k",
 * "uniform_k", "temperature_k" [K].
 */
export function buildStepLoopGraph(o: StepGraphOptions): StepGraph {
  if (o.mode !== "step") throw new Error(`the K-step graph needs mode "step", got "${o.mode}"`);
  const { graph, ...meta } = buildStepIR(o);
  const layout = meta.input !== "windows" ? STEP_LOOP_LAYOUT : { ...STEP_LOOP_LAYOUT, shared: [] };
  return { onnx: writeOnnxLoop(graph, layout), ...meta };
}
