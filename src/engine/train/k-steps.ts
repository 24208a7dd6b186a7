/**
 * K training steps per `session.run` (single-session training): the K-step Loop graph of
 * cebra/step-loop.ts, fed K batches at once, with parameters and Adam moments kept inside the run.
 * Same sampler, batches and Adam bias corrections as the one-step loop (trainer.ts), so the trajectory
 * equals K single steps up to float rounding. Used by the benchmark and the GPU check.
 */
import * as ort from "onnxruntime-node";
import { chooseStepInput } from "../cebra/cost.js";
import { getArchitecture } from "../cebra/lookup.js";
import type { StepInput } from "../cebra/step.js";
import { buildStepLoopGraph } from "../cebra/step-loop.js";
import { createSession, f32, outputData } from "../runtime/sessions.js";
import type { SessionData, TrainConfig } from "../types.js";
import { singleSessionProblem, stepGraphOptions } from "./batches.js";
import type { OptimState, StepProfile } from "./trainer.js";

type Feeds = Record<string, ort.Tensor>;
type StackData = Float32Array | BigInt64Array;

/**
 * Stacks K per-step feeds (copied as they are drawn: the problem reuses its buffers) into [K, ...] inputs.
 * Inputs with a dynamic first dimension differ in length between steps: "touched" (forms "touched" and
 * "positions"), which the step graph allows padded with repeats of its last row (`RecordingWindows.touched`),
 * and the "positions" form's "taps_s" [P_s, k]: each step's are padded to the longest with repeats of
 * their last row, so a layer computes a few extra positions that no later layer reads (their gradients
 * are exactly zero).
 */
class FeedStack {
  private steps = new Map<string, { parts: StackData[]; dims: readonly number[]; type: "float32" | "int64" }>();
  private static readonly DYNAMIC = /^(touched|taps_\d+)$/;
  private shared: Feeds = {};

  constructor(private readonly K: number) {}

  put(i: number, feeds: Feeds): void {
    for (const [name, t] of Object.entries(feeds)) {
      if (name === "data") {
        this.shared.data = t;
        continue;
      }
      if (t.type !== "float32" && t.type !== "int64") throw new Error(`cannot stack a ${t.type} input (${name})`);
      const s = this.steps.get(name) ?? { parts: [], dims: t.dims, type: t.type };
      s.parts[i] = (t.data as StackData).slice();
      this.steps.set(name, s);
    }
  }

  feeds(): Feeds {
    const out: Feeds = { ...this.shared };
    for (const [name, s] of this.steps) {
      const n = Math.max(...s.parts.map((p) => p.length));
      const dynamic = FeedStack.DYNAMIC.test(name);
      if (!dynamic && s.parts.some((p) => p.length !== n)) throw new Error(`input ${name} changes size between steps`);
      const row = s.dims.slice(1).reduce((a, b) => a * b, 1); // values per row of the first dimension
      const data = s.type === "float32" ? new Float32Array(this.K * n) : new BigInt64Array(this.K * n);
      s.parts.forEach((p, i) => {
        (data as Float32Array).set(p as Float32Array, i * n);
        for (let at = p.length; at < n; at += row) (data as Float32Array).set((p as Float32Array).subarray(p.length - row), i * n + at);
      });
      out[`${name}_k`] = new ort.Tensor(s.type, data, [this.K, ...(dynamic ? [n / row, ...s.dims.slice(1)] : s.dims)]);
    }
    return out;
  }
}

/** Runs the K-step graph: `steps` draws K batches, runs them in one session.run and advances `state`. */
export class LoopStepRunner {
  constructor(
    private readonly session: ort.InferenceSession,
    private readonly cfg: Pick<TrainConfig, "learning_rate" | "beta1" | "beta2">,
  ) {}

  async steps(next: () => Feeds, K: number, state: OptimState): Promise<{ losses: StepProfile["losses"]; assemble_ms: number }> {
    const t0 = performance.now();
    const stack = new FeedStack(K);
    for (let i = 0; i < K; i++) stack.put(i, next());
    const assemble_ms = performance.now() - t0;
    const stepSize = new Float32Array(K);
    const bc2 = new Float32Array(K);
    for (let i = 0; i < K; i++) {
      const t = state.step + 1 + i;
      stepSize[i] = this.cfg.learning_rate / (1 - this.cfg.beta1 ** t);
      bc2[i] = Math.sqrt(1 - this.cfg.beta2 ** t);
    }
    const P = state.params.length;
    const out = await this.session.run({
      ...stack.feeds(),
      K: new ort.Tensor("int64", BigInt64Array.of(BigInt(K)), []),
      params_0: f32(state.params, [P]),
      m_0: f32(state.m, [P]),
      v_0: f32(state.v, [P]),
      step_size_k: f32(stepSize, [K]),
      bc2_sqrt_k: f32(bc2, [K]),
    });
    state.params = outputData(out, "final_params");
    state.m = outputData(out, "final_m");
    state.v = outputData(out, "final_v");
    state.step += K;
    const [loss, align, uniform, temperature] = ["loss_k", "align_k", "uniform_k", "temperature_k"].map((n) => outputData(out, n));
    return { losses: Array.from(loss, (l, i) => ({ loss: l, align: align[i], uniform: uniform[i], temperature: temperature[i] })), assemble_ms };
  }
}

/**
 * `steps` training steps from the initialisation, K per session.run (the last run takes the rest), on
 * one session's data; per step: the run's sampling + stacking time and session.run time divided by its
 * steps, and the process CPU time likewise. Same batches as `profileSteps` (trainer.ts) with the same
 * input form, so the two trajectories can be compared.
 */
export async function profileStepsLoop(data: SessionData, cfg: TrainConfig, steps: number, K: number, input?: StepInput): Promise<StepProfile> {
  if (!Number.isInteger(K) || K < 1) throw new Error(`K must be a positive integer, got ${K}`);
  const arch = getArchitecture(cfg.model_architecture);
  const form = input ?? chooseStepInput(stepGraphOptions(cfg, data.n_neurons, "step"), data.n_samples);
  const problem = singleSessionProblem(data, cfg, arch, "step", cfg.seed, form);
  const graph = buildStepLoopGraph({ ...stepGraphOptions(cfg, data.n_neurons, "step"), input: form, recording_samples: data.n_samples });
  const { session, device_used, notes } = await createSession(graph.onnx, { device: cfg.device, threads: cfg.threads });
  try {
    const params = problem.initParams();
    const state: OptimState = { params, m: new Float32Array(params.length), v: new Float32Array(params.length), step: 0 };
    const runner = new LoopStepRunner(session, cfg);
    const profile: StepProfile = { assemble_ms: [], run_ms: [], cpu_ms: [], losses: [], params, device_used, device_notes: notes };
    while (state.step < steps) {
      const k = Math.min(K, steps - state.step);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const r = await runner.steps(() => problem.nextBatch(), k, state);
      const runMs = performance.now() - t0 - r.assemble_ms;
      const cpu = process.cpuUsage(cpu0);
      for (let i = 0; i < k; i++) {
        profile.assemble_ms.push(r.assemble_ms / k);
        profile.run_ms.push(runMs / k);
        profile.cpu_ms.push((cpu.user + cpu.system) / 1000 / k);
      }
      profile.losses.push(...r.losses);
    }
    profile.params = state.params;
    return profile;
  } finally {
    await session.release();
  }
}
