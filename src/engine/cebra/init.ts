/** Initial parameters of one model: PyTorch's default initialisation, plus θ for a learnable temperature. */
import { UserError } from "../../util/errors.js";
import { Rng } from "../../util/rng.js";
import { resolveModel } from "./architectures.js";
import { totalParams } from "./flat-params.js";
import { type ModelShape, checkModel } from "./lookup.js";
import type { TemperatureMode, TrainConfig } from "../types.js";

/**
 * PyTorch default initialisation: every weight and bias ~ U(±1/√fan_in), fan_in = in_channels·kernel,
 * drawn from Rng(seed) in parameter order. With temperature_mode "auto" the last element is
 * θ = log(1/temperature).
 */
export function initParams(o: ModelShape & { temperature: number; temperature_mode: TemperatureMode }, seed: number): Float32Array {
  const { spec, dims } = checkModel(o);
  const infos = resolveModel(spec, dims).params;
  const P = totalParams(spec, dims, o.temperature_mode);
  const out = new Float32Array(P);
  const rng = new Rng(seed);
  for (const p of infos) {
    const bound = 1 / Math.sqrt(p.fan_in);
    for (let i = 0; i < p.size; i++) out[p.offset + i] = rng.uniform(-bound, bound);
  }
  if (o.temperature_mode === "auto") {
    if (!(o.temperature > 0)) throw new UserError(`temperature must be positive, got ${o.temperature}.`, "Use e.g. 1.");
    out[P - 1] = Math.log(1 / o.temperature);
  }
  return out;
}

/**
 * The parameters a single-session training of `cfg` starts from (the trainer's step 0), for an encoder
 * with `nNeurons` inputs: the untrained encoder the decoders use as a control is built from the same call.
 */
export function configInitParams(
  cfg: Pick<TrainConfig, "model_architecture" | "num_hidden_units" | "output_dimension" | "temperature" | "temperature_mode" | "seed">,
  nNeurons: number,
): Float32Array {
  return initParams(
    { architecture: cfg.model_architecture, n_neurons: nNeurons, num_hidden_units: cfg.num_hidden_units, output_dimension: cfg.output_dimension, temperature: cfg.temperature, temperature_mode: cfg.temperature_mode },
    cfg.seed,
  );
}
