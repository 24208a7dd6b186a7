/**
 * Checks of prepared training data against the model, before a worker starts: data that can only
 * train to chance is refused in words (too few samples for the receptive field, every unit constant),
 * data that trains but partly wastes the effort is warned about (some units constant, constant labels).
 */
import type { Recording } from "../../data/recording.js";
import { constantColumns, firstFew } from "../../data/validate.js";
import { UserError } from "../../util/errors.js";
import { getArchitecture, isSupervised, listArchitectures } from "../cebra/lookup.js";
import type { TrainConfig } from "../types.js";
import type { PreparedTraining } from "./prepare.js";

/**
 * Refuses (UserError) training data the model cannot learn from, and returns warnings about data it
 * can learn from only in part. `rec` names units and label columns; `prepared` holds the training samples.
 */
export function checkTrainingData(rec: Recording, prepared: PreparedTraining, cfg: Pick<TrainConfig, "model_architecture" | "batch_size">): string[] {
  const s = prepared.session;
  const split = prepared.split.description;
  const arch = getArchitecture(cfg.model_architecture);
  if (s.n_samples < arch.receptive_field) {
    const shorter = listArchitectures()
      .filter((a) => a.receptive_field <= s.n_samples && a.resample_factor === 1 && isSupervised(a.name) === isSupervised(arch.name))
      .map((a) => `${a.name} (${a.receptive_field} sample${a.receptive_field > 1 ? "s" : ""})`);
    throw new UserError(
      `The training data has ${s.n_samples} samples (${split}), fewer than the ${arch.receptive_field}-sample receptive field of ${arch.name}.`,
      `${shorter.length ? `Use a model with a shorter receptive field: ${shorter.join(", ")}; or` : "Use"} more data (a longer recording, more train_repeats or a larger train_fraction).`,
    );
  }
  const warnings: string[] = [];
  const constant = constantColumns(s.neural, s.n_neurons);
  const units = (cols: number[]) => firstFew(cols.map((j) => rec.unit_ids[j] ?? String(j)));
  if (constant.length === s.n_neurons && s.n_samples > 1) {
    const zero = s.neural.every((x) => x === 0);
    throw new UserError(
      `Every one of the ${s.n_neurons} units is constant over the ${s.n_samples} training samples${zero ? " (all values are 0)" : ""}, so there is no neural signal: the loss could only stay at chance (ln ${cfg.batch_size} ≈ ${Math.log(cfg.batch_size).toFixed(2)}).`,
      "Check the file and the load options: the neural key and neural_layout, nan_policy (zero or interpolate can fill a unit with one value), time_range and select_units; then load it again.",
    );
  }
  if (constant.length > 0 && s.n_samples > 1) {
    warnings.push(`${constant.length} of ${s.n_neurons} units are constant over the training samples (units ${units(constant)}); they add no information to the embedding.`);
  }
  const labels = labelWarning(prepared);
  if (labels) warnings.push(labels);
  return warnings;
}

/** A warning when the labels that drive the behaviour positives are constant over the training samples. */
function labelWarning(prepared: PreparedTraining): string | null {
  const s = prepared.session;
  if (s.n_samples < 2) return null;
  const cannot = "behaviour-contrastive learning cannot use them (every sample matches every other), so that objective learns nothing";
  const fix = prepared.hybrid ? "only the time objective shapes this model" : "use other labels, or mode 'time'";
  if (s.discrete) {
    const d = s.discrete;
    if (d.every((x) => x === d[0])) return `The labels (${prepared.label_description}) have the same value (${d[0]}) at every training sample: ${cannot}; ${fix}.`;
  }
  if (s.continuous) {
    const c = constantColumns(s.continuous.data, s.continuous.dim);
    if (c.length === s.continuous.dim) return `The labels (${prepared.label_description}) are constant over the training samples: ${cannot}; ${fix}.`;
    if (c.length > 0) return `${c.length} of ${s.continuous.dim} label dimensions (${prepared.label_description}) are constant over the training samples; only the others shape the positives.`;
  }
  return null;
}
