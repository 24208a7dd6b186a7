/**
 * The positions of the standard step's first residual layer, for the fragment benchmarks of the positions
 * form (positions-backward.ts, positions-passes.ts): a `time` batch (512 references, their positives one
 * sample later, 512 negatives, T = 10,000), each start widened to the 5 positions the two layers above
 * it read; its P output positions, the R input positions they read (merged in order, as
 * `PositionsAssembler` does) and each output's taps into them. `rng` continues the same stream for the
 * benchmarks' random values.
 */
import { Rng } from "../src/util/rng.js";

export const C = 32;
export const k = 3;
export const rng = new Rng(1);
const starts = new Set<number>();
for (let i = 0; i < 512; i++) {
  const r = rng.int(9990);
  for (const s of [r, r + 1, rng.int(9990)]) for (let j = 0; j < 5; j++) starts.add(s + j);
}
const cur = [...starts].sort((a, b) => a - b);
const prev: number[] = [];
/** Each output position's first tap, as a row of the input positions (its k taps are consecutive). */
export const base: number[] = [];
for (const p of cur) {
  const last = prev.length ? prev[prev.length - 1] : -1;
  base.push(last >= p ? prev.length - 1 - (last - p) : prev.length);
  for (let v = Math.max(p, last + 1); v < p + k; v++) prev.push(v);
}
/** Output positions P and input positions R. */
export const [P, R] = [cur.length, prev.length];
/** int64 [P, k]: each output position's taps as rows of the input positions. */
export const taps = new BigInt64Array(P * k);
base.forEach((b, i) => {
  for (let j = 0; j < k; j++) taps[i * k + j] = BigInt(b + j);
});
