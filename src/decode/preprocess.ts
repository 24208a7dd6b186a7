/**
 * Feature preprocessing that a fair kNN baseline would try, chosen per decoder on the validation split
 * (kselect.ts): none; a variance-stabilising square root (spike counts are roughly Poisson, so √x makes
 * their noise about equal across rates); z-scoring each feature with the statistics of the reference
 * (fitting / training) rows only, so neither validation nor test samples shape the transform.
 */

/** How features are transformed before the kNN search. */
export type Preprocessing = "none" | "sqrt" | "zscore";

/** Every preprocessing, in candidate order (ties → earlier). */
export const PREPROCESSINGS: readonly Preprocessing[] = ["none", "sqrt", "zscore"];

/** Short words for protocol descriptions, after "features". */
export const PREPROCESSING_WORDS: Record<Preprocessing, string> = {
  none: "as given",
  sqrt: "square-rooted (sign kept)",
  zscore: "z-scored per feature (statistics of the fitting rows)",
};

/**
 * The preprocessings that suit these features: the square root only when every value of the reference
 * rows is ≥ 0 (counts or rates; an embedding with negative coordinates is not count data).
 */
export function applicablePreprocessings(features: Float32Array, dim: number, referenceRows: Int32Array): Preprocessing[] {
  for (const r of referenceRows) {
    const o = r * dim;
    for (let d = 0; d < dim; d++) if (features[o + d] < 0) return PREPROCESSINGS.filter((p) => p !== "sqrt");
  }
  return [...PREPROCESSINGS];
}

/**
 * `features` (`[n, dim]`) transformed by `kind`; statistics (z-score mean and standard deviation per
 * feature) come from `referenceRows` only. "none" returns the input array itself. The square root keeps
 * the sign (sign(x)·√|x|), so a negative value outside the reference rows stays finite. A feature that is
 * constant on the reference rows is centred but not scaled.
 */
export function preprocess(features: Float32Array, dim: number, kind: Preprocessing, referenceRows: Int32Array): Float32Array {
  if (kind === "none") return features;
  const out = new Float32Array(features.length);
  if (kind === "sqrt") {
    for (let i = 0; i < features.length; i++) {
      const x = features[i];
      out[i] = x >= 0 ? Math.sqrt(x) : -Math.sqrt(-x);
    }
    return out;
  }
  const mean = new Float64Array(dim), sq = new Float64Array(dim);
  const n = Math.max(1, referenceRows.length);
  for (const r of referenceRows) for (let d = 0; d < dim; d++) mean[d] += features[r * dim + d];
  for (let d = 0; d < dim; d++) mean[d] /= n;
  for (const r of referenceRows) for (let d = 0; d < dim; d++) sq[d] += (features[r * dim + d] - mean[d]) ** 2;
  const scale = Float64Array.from(sq, (s) => (s > 0 ? 1 / Math.sqrt(s / n) : 1));
  for (let i = 0; i < features.length; i += dim) {
    for (let d = 0; d < dim; d++) out[i + d] = (features[i + d] - mean[d]) * scale[d];
  }
  return out;
}
