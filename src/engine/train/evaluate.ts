/**
 * Goodness of fit of a trained model (CEBRA `infonce_loss` / `goodness_of_fit_score`).
 *
 * The mean InfoNCE loss over `num_batches` batches drawn from (held-out) data with a fresh sampler of
 * the same kind as in training (same conditional, time offset, batch size...), computed by the "loss"
 * mode of the step graph (forward only, parameters as an input). GoF [bits] = (log(B·S) − InfoNCE)·log₂e.
 * The sampler is seeded with `seed`, so the score is reproducible.
 * Multi-session models are scored one session at a time (`session_id`: that session's encoder,
 * single-session batches of its data, so S = 1 in the formula).
 * For hybrid models the loss graph returns the sum of the behaviour and time objectives (as CEBRA's
 * training loss), so their GoF is not on the single-objective scale.
 */
import { UserError } from "../../util/errors.js";
import { singleSessionProblem } from "./batches.js";
import { goodnessOfFitBits } from "../cebra/metrics.js";
import type { Device } from "../runtime/devices.js";
import { createSession, f32 } from "../runtime/sessions.js";
import { readLosses } from "./trainer.js";
import type { SessionData, TrainedModel } from "../types.js";

interface EvaluateOptions {
  /** Batches to average (CEBRA's default is 500). Default 100. */
  num_batches?: number;
  /** Seed of the evaluation batches (default: the model's seed + 1, so batches differ from training's). */
  seed?: number;
  /** Default: the model's configured device. */
  device?: Device;
  threads?: number;
  session_id?: number;
}

export interface InfoNCEResult {
  /** Mean InfoNCE over the batches (nats). */
  infonce: number;
  align: number;
  uniform: number;
  /** Goodness of fit in bits: (log(B·S) − InfoNCE)·log₂e; 0 = chance, log₂(B) = the maximum. */
  gof_bits: number;
  num_batches: number;
  batch_size: number;
}

/** Mean InfoNCE of `model` on `data` and the goodness of fit in bits. */
export async function evaluateInfoNCE(model: TrainedModel, data: SessionData, opts: EvaluateOptions = {}): Promise<InfoNCEResult> {
  // Full-batch models are scored on ordinary batches (the held-out data has its own size) of at most 512.
  const cfg = model.config.full_batch ? { ...model.config, full_batch: false, batch_size: Math.min(model.config.batch_size, 512) } : model.config;
  const sid = opts.session_id ?? 0;
  const numBatches = opts.num_batches ?? 100;
  if (!Number.isInteger(numBatches) || numBatches < 1) throw new UserError(`num_batches must be a positive integer, got ${numBatches}.`, "Pass e.g. num_batches = 100.");
  if (!Number.isInteger(sid) || sid < 0 || sid >= model.params.length) {
    throw new UserError(`session_id ${sid} is out of range: the model has ${model.params.length} session encoder(s).`, `Pass a session_id from 0 to ${model.params.length - 1}.`);
  }
  if (data.n_neurons !== model.n_neurons[sid]) {
    throw new UserError(`The data has ${data.n_neurons} neurons but the model's encoder expects ${model.n_neurons[sid]}.`, "Evaluate on data with the same units as the training data.");
  }
  const problem = singleSessionProblem(data, cfg, model.architecture, "loss", opts.seed ?? cfg.seed + 1);
  const { session } = await createSession(problem.onnx, { device: opts.device ?? cfg.device, threads: opts.threads });
  try {
    const params = f32(model.params[sid], [model.params[sid].length]);
    const sum = { loss: 0, align: 0, uniform: 0 };
    for (let i = 0; i < numBatches; i++) {
      const l = readLosses(await session.run({ ...problem.nextBatch(), params }));
      sum.loss += l.loss;
      sum.align += l.align;
      sum.uniform += l.uniform;
    }
    const infonce = sum.loss / numBatches;
    return {
      infonce,
      align: sum.align / numBatches,
      uniform: sum.uniform / numBatches,
      gof_bits: goodnessOfFitBits(infonce, cfg.batch_size, 1),
      num_batches: numBatches,
      batch_size: cfg.batch_size,
    };
  } finally {
    await session.release();
  }
}
