/**
 * Lag analysis: how well the frame shown k frames later (k > 0) or earlier (k < 0) than a sample's frame
 * is decoded from that sample's features, with the same kNN protocol as the frame decoder (`decodeFrames`
 * with `lag_frames = k`; the preprocessing, distance and k chosen on the validation repeat at lag 0 are
 * kept for every lag, so only the target moves).
 *
 * Next to each lagged decoder sits the "shifted" baseline: the lag-0 decoder's prediction plus k, scored
 * against the frame k later, on the same test rows. When the movie plays in the same order in every repeat
 * (as here) the frame at t + k is the frame at t plus k, so this baseline needs no knowledge of the future:
 * a lagged decoder that does not beat it has not learnt to predict anything, it has located the sample in
 * the movie. With the same movie in every repeat a kNN decoder's neighbour lists do not depend on k, so
 * the two agree except near the movie's ends, where training samples whose lagged frame falls outside the
 * movie are dropped.
 */
import { decodeFrames, type FrameDecodeInput } from "./frames.js";
import type { KnnMetric } from "./knn.js";
import type { Preprocessing } from "./preprocess.js";

/** Lags (frames) of the demo: both directions, up to one second at 30 Hz. */
export const DEFAULT_LAGS: readonly number[] = [-30, -15, -10, -5, -2, -1, 0, 1, 2, 5, 10, 15, 30];

export interface LagPoint {
  lag: number;
  /** Scored test rows (target inside the movie). */
  n_test: number;
  /** Fraction with |predicted − true| < window. */
  accuracy: number;
  /** Fraction with predicted = true. */
  exact_accuracy: number;
}

export interface LagCurve {
  features_source: string;
  /** Settings chosen at lag 0 and kept at every lag. */
  k: number;
  metric: KnnMetric;
  preprocessing: Preprocessing;
  window: number;
  /** The lagged decoder at each lag, in the order of `lags`. */
  points: LagPoint[];
  /** The lag-0 prediction + k, scored against the frame k later on the same rows. */
  shifted: LagPoint[];
  /** Chance (a uniform guess over the movie) within the window, at lag 0. */
  chance: number;
}

/** The lag curve of one feature set (see the module doc). `input.lag_frames` is ignored. */
export function lagCurve(input: FrameDecodeInput, lags: readonly number[] = DEFAULT_LAGS): LagCurve {
  const base = decodeFrames({ ...input, lag_frames: 0 });
  const fixed = { k: base.k, metric: base.metric, preprocessings: [base.preprocessing] };
  const nFrames = base.n_frames;
  const window = base.window;
  const points: LagPoint[] = [];
  const shifted: LagPoint[] = [];
  for (const lag of lags) {
    const r = lag === 0 ? base : decodeFrames({ ...input, ...fixed, lag_frames: lag });
    points.push({ lag, n_test: r.scores.n_test, accuracy: r.scores.accuracy, exact_accuracy: r.scores.exact_accuracy });
    let n = 0, within = 0, exact = 0;
    for (const row of base.rows) {
      if (row.true_frame === null || row.error === null) continue;
      const target = row.true_frame + lag;
      if (target < 0 || target >= nFrames) continue;
      // (predicted + lag) − (true + lag) = the lag-0 error.
      n++;
      if (Math.abs(row.error) < window) within++;
      if (row.error === 0) exact++;
    }
    shifted.push({ lag, n_test: n, accuracy: n ? within / n : 0, exact_accuracy: n ? exact / n : 0 });
  }
  return {
    features_source: base.features_source, k: base.k, metric: base.metric, preprocessing: base.preprocessing, window,
    points, shifted, chance: base.chance.accuracy,
  };
}

