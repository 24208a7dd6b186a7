/** Synthetic movie-decoding data shared by the decode tests. */
import { Rng } from "../../src/util/rng.js";

export interface MovieData {
  features: Float32Array;
  n_samples: number;
  dim: number;
  frame: Int32Array;
  repeat: Int32Array;
  timestamps: Float64Array;
  /** `[n_frames, dim]` the noise-free feature of each frame. */
  prototypes: Float32Array;
}

/**
 * `repeats` presentations of an `nFrames`-frame movie, `binsPerFrame` samples per frame (30 Hz × bins);
 * features = a random prototype per frame + Gaussian noise of s.d. `noise`.
 */
export function movieData(o: { nFrames: number; repeats: number; dim: number; noise: number; seed: number; binsPerFrame?: number }): MovieData {
  const bins = o.binsPerFrame ?? 1;
  const rng = new Rng(o.seed);
  const prototypes = new Float32Array(o.nFrames * o.dim);
  for (let i = 0; i < prototypes.length; i++) prototypes[i] = rng.normal();
  const T = o.nFrames * o.repeats * bins;
  const features = new Float32Array(T * o.dim);
  const frame = new Int32Array(T), repeat = new Int32Array(T), timestamps = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const f = Math.floor(t / bins) % o.nFrames;
    frame[t] = f;
    repeat[t] = Math.floor(t / (o.nFrames * bins));
    timestamps[t] = t / (30 * bins);
    for (let d = 0; d < o.dim; d++) features[t * o.dim + d] = prototypes[f * o.dim + d] + o.noise * rng.normal();
  }
  return { features, n_samples: T, dim: o.dim, frame, repeat, timestamps, prototypes };
}
