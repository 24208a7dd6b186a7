/**
 * Shapes shared by the samplers (single-session and multi-session) and their users (trainer, graphs).
 */
import type { TrainConfig } from "../../types.js";

/**
 * One batch of sample indices into a session, before window expansion (raw indices in [0, T);
 * `fillWindows` clamps them to valid window centres).
 * - `ref`, `neg`: B indices each. Negatives are drawn independently of the references.
 * - `pos`: B indices (pos[b] pairs with ref[b]), or 2B for hybrid training: rows [0, B) are the behaviour
 *   (time_delta) positives and rows [B, 2B) the time positives ref + Δ, both paired with ref[b] by position.
 */
export interface BatchIndices {
  ref: Int32Array;
  pos: Int32Array;
  neg: Int32Array;
}

/** Draws one training batch per call, reproducibly from `cfg.seed`. */
export interface Sampler {
  readonly batch_size: number;
  sample(): BatchIndices;
}

/** The TrainConfig fields that decide sampling. */
export type SamplerConfig = Pick<
  TrainConfig,
  "conditional" | "hybrid" | "time_offsets" | "delta" | "discrete_prior" | "batch_size" | "seed"
> & Partial<Pick<TrainConfig, "positive_ties" | "full_batch">>;

/**
 * One multi-session batch (CEBRA `MultisessionSampler`): S sessions, B = batch_size samples per session.
 *
 * `ref[s]`, `pos[s]`, `neg[s]` hold B indices into session s (each session's encoder embeds its own rows).
 * References and negatives pair up as usual, but positives do NOT line up with references by position:
 * each query was searched in a randomly assigned session. Stack the embeddings session-major into
 * (S·B, D) matrices R, P, N (row s·B + b = session s, item b). Then the positive of reference row r is
 * `P[pos_order[r]]`: the graph must gather `P_aligned = P[pos_order]` (Gather on axis 0) and compute the
 * InfoNCE loss on (R, P_aligned) with all S·B rows of N as negatives for every reference (chance level
 * log(S·B)). `pos_order` is CEBRA's `index_reversed`.
 */
export interface MultiSessionBatch {
  ref: Int32Array[];
  pos: Int32Array[];
  neg: Int32Array[];
  /** Length S·B: stacked positive row that pairs with stacked reference row r. A permutation of 0..S·B−1. */
  pos_order: Int32Array;
}

/** Draws multi-session batches, reproducibly from `cfg.seed`. */
export interface MultiSessionSampler {
  readonly batch_size: number;
  readonly n_sessions: number;
  sample(): MultiSessionBatch;
}
