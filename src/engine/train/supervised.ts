/**
 * Training CEBRA's supervised models (`supervised10-model`, `supervised1-model`) as CEBRA's
 * SupervisedNNSolver does: each step B samples drawn uniformly at random (as CEBRA's reference samples),
 * their windows and labels, the supervised step graph (cebra/supervised-step.ts: MSE on continuous
 * labels, cross-entropy on discrete ones) and PyTorch Adam. It is a `TrainingProblem`, so the trainer's
 * loop, progress, checkpoints, cancellation and exact resume (the seeded draws are replayed) apply
 * unchanged. What only makes sense for contrastive training is refused (`checkSupervisedRequest`).
 */
import { UserError } from "../../util/errors.js";
import { Rng } from "../../util/rng.js";
import { initParams } from "../cebra/init.js";
import { isSupervised, paramLayout } from "../cebra/lookup.js";
import { type SupervisedLoss, buildSupervisedStepGraph } from "../cebra/supervised-step.js";
import { createSession, f32, outputData } from "../runtime/sessions.js";
import { BatchAssembler, type TrainingProblem } from "./batches.js";
import type { ArchitectureInfo, SessionData, TrainConfig, TrainedModel } from "../types.js";

/** The head a session's labels give: continuous → MSE on its dims; discrete → cross-entropy over classes 0…max. */
export function supervisedTargets(data: SessionData): { loss: SupervisedLoss; label_num: number } {
  if (data.continuous && data.discrete) {
    throw new UserError("Supervised models train on one kind of label, but both continuous and discrete labels were given.", "Pass labels: 'continuous' or labels: 'discrete'.");
  }
  if (data.continuous) return { loss: "mse", label_num: data.continuous.dim };
  if (data.discrete) {
    let max = 0;
    for (const c of data.discrete) {
      if (c < 0) throw new UserError(`Discrete labels must be class indices >= 0 for cross-entropy, got ${c}.`, "Relabel the classes as 0, 1, 2, …");
      max = Math.max(max, c);
    }
    return { loss: "cross_entropy", label_num: max + 1 };
  }
  throw new UserError("Supervised models (supervised10-model, supervised1-model) are trained on labels, but none were given.", "Use mode 'behavior' with continuous or discrete labels, or a contrastive model (e.g. offset10-model) for mode 'time'.");
}

/**
 * Refuses what a supervised model cannot do: one recording, labels (mode 'behavior'), no contrastive-only
 * options (hybrid, delta positives, full batch, learnable temperature), no adaptation.
 */
export function checkSupervisedRequest(r: { architecture: string; mode: string; sessions: number; adapt: boolean; config: Pick<TrainConfig, "temperature_mode" | "delta" | "full_batch" | "hybrid"> }): void {
  if (!isSupervised(r.architecture)) return;
  const fix = "Train the supervised model on one recording_id with mode 'behavior', or use a contrastive model (e.g. offset10-model).";
  const no = (what: string) => new UserError(`${r.architecture} is supervised (trained on the labels with MSE or cross-entropy): ${what}.`, fix);
  if (r.mode !== "behavior") throw no(`mode '${r.mode}' is contrastive only; it needs mode 'behavior' and labels`);
  if (r.config.hybrid) throw no("hybrid training is contrastive only");
  if (r.sessions > 1) throw no("multi-session training (recording_ids) aligns sessions contrastively");
  if (r.adapt) throw no("adapt_from reuses a contrastive encoder");
  if (r.config.delta !== undefined) throw no("delta chooses contrastive positives; leave it unset");
  if (r.config.full_batch) throw no("full_batch is a contrastive sampling mode; use batch_size");
  if (r.config.temperature_mode === "auto") throw no("there is no temperature to learn; leave temperature_mode 'constant'");
}

/** The flat vector of a supervised model at its initialisation: the net, then the head, PyTorch default init from Rng(cfg.seed). */
function supervisedInit(cfg: TrainConfig, data: SessionData, label_num: number): Float32Array {
  const shape = { architecture: cfg.model_architecture, n_neurons: data.n_neurons, num_hidden_units: cfg.num_hidden_units, output_dimension: cfg.output_dimension };
  return initParams({ ...shape, label_num, temperature: cfg.temperature, temperature_mode: "constant" }, cfg.seed);
}

/**
 * The supervised training problem of `sessions` (one), or with mode "loss" its held-out loss graph fed
 * by batches drawn from `seed`. Batch samples: uniform over the window centres [left, T − right].
 */
export function supervisedProblem(sessions: SessionData[], cfg: TrainConfig, arch: ArchitectureInfo, mode: "step" | "loss" = "step", seed = cfg.seed, labelNum?: number): TrainingProblem {
  checkSupervisedRequest({ architecture: cfg.model_architecture, mode: "behavior", sessions: sessions.length, adapt: false, config: cfg });
  const data = sessions[0];
  const targets = supervisedTargets(data);
  const C = labelNum ?? targets.label_num;
  const B = cfg.batch_size;
  const graph = buildSupervisedStepGraph({
    architecture: cfg.model_architecture, n_neurons: data.n_neurons, num_hidden_units: cfg.num_hidden_units, output_dimension: cfg.output_dimension,
    label_num: C, loss: targets.loss, batch_size: B, beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, mode,
  });
  const windows = new BatchAssembler(data, arch, { ref: B, pos: 0, neg: 0 });
  const y = new Float32Array(B * C);
  const idx = new Int32Array(B);
  const none = new Int32Array(0);
  const rng = new Rng(seed);
  const centres = data.n_samples - arch.left - arch.right + 1;
  return {
    onnx: graph.onnx,
    param_count: graph.param_count,
    initParams: () => supervisedInit(cfg, data, C),
    nextBatch: () => {
      for (let i = 0; i < B; i++) idx[i] = arch.left + rng.int(centres);
      windows.fill({ ref: idx, pos: none, neg: none });
      if (data.continuous) {
        for (let i = 0; i < B; i++) y.set(data.continuous.data.subarray(idx[i] * C, idx[i] * C + C), i * C);
      } else {
        y.fill(0);
        for (let i = 0; i < B; i++) {
          const c = data.discrete![idx[i]];
          if (c >= C) throw new UserError(`Class ${c} is not one of the model's ${C} classes (0…${C - 1}).`, "Evaluate on labels of the classes the model was trained on.");
          y[i * C + c] = 1;
        }
      }
      return { X: windows.tensor(), targets: f32(y, [B, C]) };
    },
    split: (flat) => [flat],
    join: (parts) => parts[0],
  };
}

/** Outputs of a trained supervised model's head: (parameters − net parameters) / (D + 1). */
export function supervisedLabelNum(model: TrainedModel): number {
  const c = model.config;
  const net = paramLayout({ architecture: c.model_architecture, n_neurons: model.n_neurons[0], num_hidden_units: c.num_hidden_units, output_dimension: c.output_dimension });
  return (model.params[0].length - net.reduce((s, p) => s + p.size, 0)) / (c.output_dimension + 1);
}

/** Mean supervised loss (MSE or cross-entropy) of `model` on `data` over `numBatches` batches drawn from `seed`. */
export async function evaluateSupervisedLoss(model: TrainedModel, data: SessionData, numBatches = 50, seed = model.config.seed + 1): Promise<number> {
  const problem = supervisedProblem([data], model.config, model.architecture, "loss", seed, supervisedLabelNum(model));
  const { session } = await createSession(problem.onnx, { device: model.config.device, threads: model.config.threads });
  try {
    const params = f32(model.params[0], [model.params[0].length]);
    let sum = 0;
    for (let i = 0; i < numBatches; i++) sum += outputData(await session.run({ ...problem.nextBatch(), params }), "loss")[0];
    return sum / numBatches;
  } finally {
    await session.release();
  }
}
