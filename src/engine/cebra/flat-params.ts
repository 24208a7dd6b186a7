/**
 * One encoder on a flat parameter vector: the vector's length (model parameters, plus θ last when
 * the temperature is learnable), the parameter tensors as slices of the vector, and the encoder's
 * one output per window. Shared by the step, multi-session step, inference and initialisation code.
 */
import type { ArchitectureSpec } from "../../../models/index.js";
import { Value } from "../graph/ir.js";
import { reshape, slice } from "../graph/ops/index.js";
import { type DropoutSource, type EncoderInput, type ModelDims, type ParamInfo, buildEncoder, modelParamCount } from "./architectures.js";
import type { TemperatureMode } from "../types.js";

/** Number of model parameters plus the learnable temperature θ (last) when temperature_mode = auto. */
export function totalParams(spec: ArchitectureSpec, dims: ModelDims, mode: TemperatureMode): number {
  return modelParamCount(spec, dims) + (mode === "auto" ? 1 : 0);
}

/** One encoder's parameter tensors as slices of a flat vector, starting at `base`. */
interface EncoderParams {
  source: (p: ParamInfo) => Value;
  /** The tensors in parameter order (after the encoder was built). */
  tensors: () => Value[];
}

export function sliceParams(flat: Value, infos: readonly ParamInfo[], base = 0): EncoderParams {
  const made = new Map<number, Value>();
  const source = (p: ParamInfo): Value => {
    let t = made.get(p.offset);
    if (!t) {
      t = reshape(slice(flat, [0], [base + p.offset], [base + p.offset + p.size]), p.shape);
      made.set(p.offset, t);
    }
    return t;
  };
  const tensors = (): Value[] =>
    infos.map((p) => {
      const t = made.get(p.offset);
      if (!t) throw new Error(`parameter ${p.torch_name} is not used by the model graph`);
      return t;
    });
  return { source, tensors };
}

/** Encoder output for the windows (X [rows, L, N], or recording rows [rows, L]) as [rows, D] (one output per window). */
export function embedWindows(spec: ArchitectureSpec, dims: ModelDims, x: EncoderInput, source: (p: ParamInfo) => Value, dropout?: DropoutSource): Value {
  const z = buildEncoder(spec, dims, x, source, dropout);
  const rows = (x instanceof Value ? x : x.rows).staticShape()[0];
  return reshape(z, [rows, dims.D]);
}
