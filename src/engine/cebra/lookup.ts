/**
 * Architecture lookup and model validation: the registered architectures by name, a model's shape
 * (architecture + sizes) checked into its spec and dims, and the flat parameter layout. Every graph
 * builder in this folder starts from `checkModel`.
 */
import { ARCHITECTURES, FAMILIES, type ArchitectureSpec } from "../../../models/index.js";
import { UserError } from "../../util/errors.js";
import { type ModelDims, type ParamInfo, architectureInfo, findSpec, resolveModel } from "./architectures.js";
import type { ArchitectureInfo } from "../types.js";

export interface ModelShape {
  architecture: string;
  n_neurons: number;
  num_hidden_units: number;
  output_dimension: number;
  /** Outputs of the classifier head of a supervised model (`ArchitectureSpec.head`); omit for the net alone. */
  label_num?: number;
}

/** Static facts about an architecture; UserError listing the valid names if unknown. */
export function getArchitecture(name: string): ArchitectureInfo {
  return architectureInfo(findSpec(name));
}

/** Whether `name` is a supervised model (CEBRA's ClassifierModel: trained on its labels, not contrastively). */
export function isSupervised(name: string): boolean {
  return findSpec(name).head === "classifier";
}

/** All registered architectures with a fixed name (the parametrised families: `architectureFamilies`). */
export function listArchitectures(): ArchitectureInfo[] {
  return ARCHITECTURES.map(architectureInfo);
}

/** CEBRA's parametrised families: the name pattern, the parameters' ranges and every member name. */
export function architectureFamilies(): Array<{ pattern: string; values: string; names: readonly string[] }> {
  return FAMILIES.map(({ pattern, values, names }) => ({ pattern, values, names }));
}

/**
 * Flat parameter layout of a model: per tensor its CEBRA state-dict name, PyTorch shape, fan-in and
 * offset. The flat vector stores each tensor exactly as PyTorch does (row-major), so export is slicing.
 */
export function paramLayout(o: ModelShape): ParamInfo[] {
  const { spec, dims } = checkModel(o);
  return resolveModel(spec, dims).params;
}

/**
 * CEBRA's `state_dict()` keys in its order, each with the tensor it names in the flat vector: a shared
 * tensor (`ParamInfo.aliases`) appears under each of its keys, at one offset.
 */
export function stateDictLayout(o: ModelShape): Array<{ key: string; offset: number; shape: number[] }> {
  const keys = paramLayout(o).flatMap((p) => [p.torch_name, ...(p.aliases ?? [])].map((key) => ({ key, offset: p.offset, shape: p.shape })));
  // By top-level module (net.<i> in index order, then the classifier head); a stable sort keeps each
  // module's own order (weight before bias, the order the parameters were registered in).
  const rank = (key: string) => (key.startsWith("net.") ? Number(key.split(".")[1]) : Number.MAX_SAFE_INTEGER);
  return keys.sort((a, b) => rank(a.key) - rank(b.key));
}

// ---------------------------------------------------------------------------------------------------
// Validation

export function positiveInt(value: number, name: string, fix: string): void {
  if (!Number.isInteger(value) || value < 1) throw new UserError(`${name} must be a positive integer, got ${value}.`, fix);
}

export function checkModel(o: ModelShape): { spec: ArchitectureSpec; dims: ModelDims } {
  const spec = findSpec(o.architecture);
  positiveInt(o.n_neurons, "n_neurons", "Pass a recording with at least one neuron.");
  positiveInt(o.num_hidden_units, "num_hidden_units", "Use e.g. 32 (CEBRA's default).");
  positiveInt(o.output_dimension, "output_dimension", "Use e.g. 8 (CEBRA's default) or 3 for plotting.");
  const dims = { N: o.n_neurons, H: o.num_hidden_units, D: o.output_dimension, ...(o.label_num !== undefined ? { C: o.label_num } : {}) };
  if (o.label_num !== undefined) {
    if (spec.head !== "classifier") throw new Error(`${spec.name} has no classifier head; label_num is for supervised models`);
    positiveInt(o.label_num, "label_num", "Pass labels with at least one dimension or class.");
  }
  const { params } = resolveModel(spec, dims);
  const bad = params.find((p) => p.shape.some((d) => d < 1));
  if (bad) throw new UserError(`num_hidden_units = ${o.num_hidden_units} is too small for ${spec.name} (layer ${bad.torch_name} would be empty).`, "Use num_hidden_units >= 2.");
  return { spec, dims };
}
