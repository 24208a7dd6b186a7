/** Checks on the feature matrix shared by the decoders. */
import { UserError } from "../util/errors.js";

/** Throws unless `features` is `[nSamples, dim]`. */
export function checkFeatureShape(features: Float32Array, nSamples: number, dim: number, what: string): void {
  if (!Number.isInteger(dim) || dim < 1 || !Number.isInteger(nSamples) || nSamples < 0 || features.length !== nSamples * dim) {
    throw new UserError(
      `${what}: features have ${features.length} values, expected n_samples × dim = ${nSamples} × ${dim}.`,
      "Pass features as a row-major [n_samples, dim] Float32Array with matching n_samples and dim.",
    );
  }
}

/** 1 for rows whose values are all finite, 0 otherwise. Throws if no row is finite. */
export function finiteRowMask(features: Float32Array, nRows: number, dim: number, what: string): Uint8Array {
  const mask = new Uint8Array(nRows);
  let nFinite = 0;
  for (let i = 0; i < nRows; i++) {
    let ok = 1;
    const o = i * dim;
    for (let d = 0; d < dim; d++) {
      if (!Number.isFinite(features[o + d])) {
        ok = 0;
        break;
      }
    }
    mask[i] = ok;
    nFinite += ok;
  }
  if (nRows > 0 && nFinite === 0) {
    throw new UserError(
      `${what}: every feature row contains NaN or infinite values.`,
      "Check the embedding (re-run the transform) or the recording's NaN policy (load with a nan_policy that fills or drops NaNs).",
    );
  }
  return mask;
}

/** Sample time for provenance rows: the timestamp if given, else null. */
export function timeOf(timestamps: Float64Array | undefined, sample: number): number | null {
  return timestamps && sample < timestamps.length ? timestamps[sample] : null;
}
