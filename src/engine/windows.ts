/**
 * Window expansion for training batches (CEBRA `Dataset.expand_index`, spec §1.3): the model sees the
 * samples [i − left, i + right) around each sampled index i.
 */
import { UserError } from "../util/errors.js";

/**
 * Copies the windows of the sample indices `idx` into `out`, laid out `[rows, L, N]` with L = left + right,
 * starting at batch row `outRowOffset` (so ref, pos and neg rows can be stacked into one input tensor).
 *
 * ⚠ As in CEBRA, each index is first clamped to [left, T − right]: indices near the edges collapse onto
 * the first/last valid window centre (no padding during training). `neural` is `[T, N]` time-major, so
 * a window is one contiguous block of L·N values and each row is a single copy.
 */
export function fillWindows(
  neural: Float32Array,
  T: number,
  N: number,
  idx: Int32Array,
  left: number,
  right: number,
  out: Float32Array,
  outRowOffset: number,
): void {
  const L = left + right;
  if (T < L) {
    throw new UserError(
      `The session has ${T} samples, fewer than the model's receptive field (${L} samples).`,
      "Use a model with a shorter receptive field (e.g. offset1-model) or train on more samples.",
    );
  }
  const rowSize = L * N;
  if ((outRowOffset + idx.length) * rowSize > out.length) {
    throw new RangeError(`fillWindows: out holds ${out.length} values, rows ${outRowOffset}..${outRowOffset + idx.length} need ${(outRowOffset + idx.length) * rowSize}.`);
  }
  const hi = T - right;
  for (let r = 0; r < idx.length; r++) {
    const i = Math.min(Math.max(idx[r], left), hi);
    out.set(neural.subarray((i - left) * N, (i + right) * N), (outRowOffset + r) * rowSize);
  }
}
