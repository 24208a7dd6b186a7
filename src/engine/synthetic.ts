/**
 * Synthetic recordings with known structure, for benchmarks, the GPU check and engine tests: a latent phase θ(t)
 * drifting around a ring drives N neurons with von Mises tuning curves (preferred phases spread around
 * the ring), plus Gaussian noise. Labels: (cos θ, sin θ) followed by `label_dim − 2` slow random walks.
 * Seeded and deterministic.
 */
import { Rng } from "../util/rng.js";
import type { SessionData } from "./types.js";

interface RingParams {
  /** Samples. */
  T: number;
  /** Neurons. */
  N: number;
  /** Continuous label columns (≥ 2). */
  label_dim: number;
  /** Mean phase advance per sample (radians). */
  speed: number;
  /** Std of the per-sample phase jitter (radians). */
  jitter: number;
  /** Tuning sharpness κ. */
  kappa: number;
  /** Std of additive Gaussian noise on each rate. */
  noise: number;
  seed: number;
}

const RING_DEFAULTS: RingParams = { T: 2000, N: 50, label_dim: 2, speed: 0.05, jitter: 0.05, kappa: 2, noise: 0.3, seed: 1 };

interface RingRecording {
  session: SessionData;
  /** θ(t) in radians, wrapped to [0, 2π). */
  phase: Float64Array;
}

/** A ring-latent recording: neural `[T, N]` float32 and continuous labels `[T, label_dim]`. */
export function ringRecording(overrides: Partial<RingParams> = {}): RingRecording {
  const p = { ...RING_DEFAULTS, ...overrides };
  if (p.label_dim < 2) throw new RangeError("label_dim must be at least 2");
  const rng = new Rng(p.seed);
  const preferred = Float64Array.from({ length: p.N }, (_, n) => (2 * Math.PI * n) / p.N + rng.normal(0, 0.1));
  const phase = new Float64Array(p.T);
  const neural = new Float32Array(p.T * p.N);
  const labels = new Float32Array(p.T * p.label_dim);
  const walks = new Float64Array(p.label_dim - 2);
  let theta = rng.uniform(0, 2 * Math.PI);
  for (let t = 0; t < p.T; t++) {
    theta = (theta + p.speed + rng.normal(0, p.jitter) + 2 * Math.PI) % (2 * Math.PI);
    phase[t] = theta;
    for (let n = 0; n < p.N; n++) {
      neural[t * p.N + n] = Math.exp(p.kappa * (Math.cos(theta - preferred[n]) - 1)) + rng.normal(0, p.noise);
    }
    labels[t * p.label_dim] = Math.cos(theta);
    labels[t * p.label_dim + 1] = Math.sin(theta);
    for (let k = 0; k < walks.length; k++) {
      walks[k] = 0.99 * walks[k] + rng.normal(0, 0.1);
      labels[t * p.label_dim + 2 + k] = walks[k];
    }
  }
  return {
    session: { neural, n_samples: p.T, n_neurons: p.N, continuous: { data: labels, dim: p.label_dim } },
    phase,
  };
}

/**
 * How well an embedding `[T, D]` encodes the ring phase: a k-nearest-neighbour (cosine) decoder fitted on
 * samples [0, trainEnd) predicts (cos θ, sin θ) for samples [trainEnd, T) as the mean of its neighbours'
 * values; returns the mean absolute angular error in radians (chance ≈ π/2).
 */
export function ringDecodingError(embedding: Float32Array, D: number, phase: Float64Array, trainEnd: number, k = 5): number {
  const T = phase.length;
  const unit = normalizeRows(embedding, D);
  let total = 0;
  for (let t = trainEnd; t < T; t++) {
    const nearest = topKBySimilarity(unit, D, t, trainEnd, k);
    let c = 0;
    let s = 0;
    for (const j of nearest) {
      c += Math.cos(phase[j]);
      s += Math.sin(phase[j]);
    }
    const predicted = Math.atan2(s, c);
    total += Math.abs(Math.atan2(Math.sin(predicted - phase[t]), Math.cos(predicted - phase[t])));
  }
  return total / (T - trainEnd);
}

function normalizeRows(x: Float32Array, D: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / D; r++) {
    let n = 0;
    for (let d = 0; d < D; d++) n += x[r * D + d] ** 2;
    const inv = n > 0 ? 1 / Math.sqrt(n) : 0;
    for (let d = 0; d < D; d++) out[r * D + d] = x[r * D + d] * inv;
  }
  return out;
}

/** Indices j in [0, end) of the k rows most similar (dot product) to row `q`. */
function topKBySimilarity(unit: Float64Array, D: number, q: number, end: number, k: number): number[] {
  const best: Array<{ j: number; s: number }> = [];
  for (let j = 0; j < end; j++) {
    let s = 0;
    for (let d = 0; d < D; d++) s += unit[q * D + d] * unit[j * D + d];
    if (best.length < k || s > best[best.length - 1].s) {
      best.push({ j, s });
      best.sort((a, b) => b.s - a.s);
      if (best.length > k) best.pop();
    }
  }
  return best.map((b) => b.j);
}
