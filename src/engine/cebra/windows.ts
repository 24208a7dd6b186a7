/**
 * Window expansion for training batches (CEBRA `Dataset.expand_index`, spec §1.3): the model sees the
 * samples [i − left, i + right) around each sampled index i.
 */
import { UserError } from "../../util/errors.js";

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
  checkWindowLength(T, L);
  const rowSize = L * N;
  if ((outRowOffset + idx.length) * rowSize > out.length) {
    throw new RangeError(`fillWindows: out holds ${out.length} values, rows ${outRowOffset}..${outRowOffset + idx.length} need ${(outRowOffset + idx.length) * rowSize}.`);
  }
  for (let r = 0; r < idx.length; r++) {
    const start = windowStart(idx[r], T, left, right);
    out.set(neural.subarray(start * N, (start + L) * N), (outRowOffset + r) * rowSize);
  }
}

/**
 * The recording rows of the same windows as `fillWindows`, without copying any data: writes
 * start, start+1, …, start+L−1 (start = clamped index − left) for each index of `idx` into `out`,
 * laid out int64 `[rows, L]` from batch row `outRowOffset`. The step graph's "recording" input form
 * gathers these rows from the recording itself.
 */
export function fillWindowRows(T: number, idx: Int32Array, left: number, right: number, out: BigInt64Array, outRowOffset: number): void {
  const L = left + right;
  checkWindowLength(T, L);
  if ((outRowOffset + idx.length) * L > out.length) {
    throw new RangeError(`fillWindowRows: out holds ${out.length} values, rows ${outRowOffset}..${outRowOffset + idx.length} need ${(outRowOffset + idx.length) * L}.`);
  }
  if (!LITTLE_ENDIAN) throw new Error("fillWindowRows assumes a little-endian platform");
  // Row numbers are small and non-negative: write the low 32-bit words (little-endian) instead of
  // making a BigInt per value; the high words are set to 0 once per call.
  const words = new Int32Array(out.buffer, out.byteOffset, out.length * 2);
  for (let r = 0; r < idx.length; r++) {
    const start = windowStart(idx[r], T, left, right);
    const base = 2 * (outRowOffset + r) * L;
    for (let j = 0; j < L; j++) {
      words[base + 2 * j] = start + j;
      words[base + 2 * j + 1] = 0;
    }
  }
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** First recording row of the window around sample `i`: i clamped to [left, T − right], minus left (CEBRA). */
export function windowStart(i: number, T: number, left: number, right: number): number {
  return Math.min(Math.max(i, left), T - right) - left;
}

function checkWindowLength(T: number, L: number): void {
  if (T < L) {
    throw new UserError(
      `The session has ${T} samples, fewer than the model's receptive field (${L} samples).`,
      "Use a model with a shorter receptive field (e.g. offset1-model) or train on more samples.",
    );
  }
}
