/**
 * Which decoder is stronger, with its uncertainty: the difference in the headline score (accuracy within
 * the window for frames, accuracy for discrete labels, mean r² for continuous labels) between the main
 * decoder and a control, on the test samples both decoded, with a 95% interval from a paired
 * moving-block bootstrap over those samples in time order.
 *
 * For r², the resamples keep each label column's variance at its value on all the paired test samples
 * (see `r2Stat`), so the interval is about the decoders' errors, not about how much the track happens to
 * vary inside a resample.
 *
 * Why blocks: decoding errors of neighbouring samples are correlated (a slow stretch of movie or a pause
 * on the track is decoded well or badly as a whole), so resampling single samples would understate the
 * uncertainty. Paired: each resample draws the same samples for both decoders, so what they share (an easy
 * or hard stretch) cancels from the difference. Settings (`BOOTSTRAP`): 1,000 resamples from a fixed
 * seed (reproducible), blocks of ⌈n / 20⌉ consecutive test samples (about 20 blocks per resample), the
 * 2.5 and 97.5 percentiles of the resampled differences. "stronger" / "weaker" when the interval excludes 0,
 * "indistinguishable" otherwise.
 *
 * This module takes plain rows (no import of the result types, which import it).
 */
import { Rng } from "../util/rng.js";

export const BOOTSTRAP = { resamples: 1000, n_blocks: 20, seed: 20240611, level: 0.95 } as const;

/** The per-sample outcome a headline score is computed from. */
type SampleOutcome = { correct: boolean } | { truth: number[]; predicted: number[] };

/** What the comparison reads from a decoding result. */
export interface ComparableResult {
  kind: "frames" | "labels_continuous" | "labels_discrete";
  rows: readonly { sample: number }[];
  window?: number;
}

export interface Comparison {
  /** "accuracy" (fraction) or "r2_mean". */
  score: "accuracy" | "r2_mean";
  /** Test samples decoded by both (the comparison's sample). */
  n_paired: number;
  main: number;
  control: number;
  /** main − control, and its 95% paired block-bootstrap interval. */
  difference: number;
  ci_low: number;
  ci_high: number;
  verdict: "stronger" | "weaker" | "indistinguishable";
  /** Consecutive test samples per bootstrap block. */
  block_length: number;
}

interface Scored {
  sample: number;
  /** The true target, as text, to check that paired rows are about the same thing. */
  truth: string;
  outcome: SampleOutcome;
}

/** Outcome per scored test sample, keyed by sample index, in the result's row order. */
function outcomes(r: ComparableResult): Scored[] {
  const out: Scored[] = [];
  for (const row of r.rows as readonly ({ sample: number } & Record<string, unknown>)[]) {
    const truth = JSON.stringify(row.true_frame ?? row.true_label ?? null);
    if (r.kind === "frames") {
      if (typeof row.error !== "number") continue;
      out.push({ sample: row.sample, truth, outcome: { correct: Math.abs(row.error) < (r.window ?? 1) } });
    } else if (r.kind === "labels_discrete") {
      out.push({ sample: row.sample, truth, outcome: { correct: row.correct === true } });
    } else {
      out.push({ sample: row.sample, truth, outcome: { truth: row.true_label as number[], predicted: row.predicted as number[] } });
    }
  }
  return out;
}

/**
 * The main decoder against a control on their common test samples (paired by sample index; by position
 * when no index is shared but both have the same number of scored rows, e.g. raw data at another rate). Null when fewer than 10 samples pair up or the kinds differ.
 */
export function compareDecoders(main: ComparableResult, control: ComparableResult): Comparison | null {
  if (main.kind !== control.kind) return null;
  const a = outcomes(main), b = outcomes(control);
  const bySample = new Map(b.map((x) => [x.sample, x]));
  const matched = a.flatMap((x) => (bySample.has(x.sample) ? [[x, bySample.get(x.sample)!] as const] : []));
  const byPosition = a.length === b.length ? a.map((x, i) => [x, b[i]] as const) : [];
  const agree = (ps: readonly (readonly [Scored, Scored])[]) => ps.every(([x, y]) => x.truth === y.truth);
  // Same sample numbering (every decoder of one recording) → by sample; else by position, if the targets line up.
  const chosen = matched.length > 0 && agree(matched) ? matched : byPosition.length > 0 && agree(byPosition) ? byPosition : [];
  const pairs = chosen.map(([x, y]) => [x.outcome, y.outcome] as const);
  const n = pairs.length;
  if (n < 10) return null;
  const score = main.kind === "labels_continuous" ? "r2_mean" : "accuracy";
  const stat = score === "accuracy" ? accuracyStat(pairs as [SampleOutcome, SampleOutcome][]) : r2Stat(pairs as [SampleOutcome, SampleOutcome][]);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const [m, c] = stat(all);
  const L = Math.max(1, Math.ceil(n / BOOTSTRAP.n_blocks));
  const diffs = blockBootstrap(n, L, (idx) => {
    const [x, y] = stat(idx);
    return x - y;
  });
  const alpha = (1 - BOOTSTRAP.level) / 2;
  const ci_low = quantile(diffs, alpha), ci_high = quantile(diffs, 1 - alpha);
  return {
    score, n_paired: n, main: m, control: c, difference: m - c, ci_low, ci_high, block_length: L,
    verdict: ci_low > 0 ? "stronger" : ci_high < 0 ? "weaker" : "indistinguishable",
  };
}

/** Resampled statistics: `BOOTSTRAP.resamples` moving-block resamples of 0..n−1 (blocks of L, truncated to n). */
export function blockBootstrap(n: number, L: number, statistic: (indices: Int32Array) => number, seed: number = BOOTSTRAP.seed): Float64Array {
  const rng = new Rng(seed);
  const out = new Float64Array(BOOTSTRAP.resamples);
  const idx = new Int32Array(n);
  const starts = Math.max(1, n - L + 1);
  for (let b = 0; b < out.length; b++) {
    for (let filled = 0; filled < n;) {
      const s = rng.int(starts);
      for (let j = 0; j < L && filled < n; j++) idx[filled++] = s + j;
    }
    out[b] = statistic(idx);
  }
  return out;
}

/** Linear-interpolation quantile (numpy's default) of `values`. */
export function quantile(values: Float64Array, q: number): number {
  const s = Float64Array.from(values).sort();
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

type Stat = (indices: Int32Array) => [number, number];

function accuracyStat(pairs: [SampleOutcome, SampleOutcome][]): Stat {
  const a = Uint8Array.from(pairs, ([x]) => ((x as { correct: boolean }).correct ? 1 : 0));
  const b = Uint8Array.from(pairs, ([, y]) => ((y as { correct: boolean }).correct ? 1 : 0));
  return (idx) => {
    let sa = 0, sb = 0;
    for (const i of idx) {
      sa += a[i];
      sb += b[i];
    }
    return [sa / idx.length, sb / idx.length];
  };
}

/**
 * Mean over label columns of r² = 1 − SSres / SStot for both decoders, with SStot per column held at its
 * value on all paired test samples (so on the full set this is sklearn's r2, and in a resample the
 * difference is a mean of per-sample squared-error differences: stable even when a resample happens to
 * draw little label variance). A constant column scores 1 if predicted exactly, else 0, as sklearn.
 */
function r2Stat(pairs: [SampleOutcome, SampleOutcome][]): Stat {
  type Cont = { truth: number[]; predicted: number[] };
  const dim = (pairs[0][0] as Cont).truth.length;
  const n = pairs.length;
  const ea = new Float64Array(n * dim), eb = new Float64Array(n * dim);
  const mean = new Float64Array(dim), tot = new Float64Array(dim);
  pairs.forEach(([x, z], i) => {
    const p = x as Cont, q = z as Cont;
    for (let c = 0; c < dim; c++) {
      mean[c] += p.truth[c] / n;
      ea[i * dim + c] = (p.predicted[c] - p.truth[c]) ** 2;
      eb[i * dim + c] = (q.predicted[c] - p.truth[c]) ** 2;
    }
  });
  for (const [x] of pairs) for (let c = 0; c < dim; c++) tot[c] += ((x as Cont).truth[c] - mean[c]) ** 2 / n;
  const ra = new Float64Array(dim), rb = new Float64Array(dim);
  return (idx) => {
    ra.fill(0);
    rb.fill(0);
    for (const i of idx) {
      for (let c = 0; c < dim; c++) {
        ra[c] += ea[i * dim + c];
        rb[c] += eb[i * dim + c];
      }
    }
    let ma = 0, mb = 0;
    for (let c = 0; c < dim; c++) {
      ma += tot[c] > 0 ? 1 - ra[c] / idx.length / tot[c] : ra[c] === 0 ? 1 : 0;
      mb += tot[c] > 0 ? 1 - rb[c] / idx.length / tot[c] : rb[c] === 0 ? 1 : 0;
    }
    return [ma / dim, mb / dim];
  };
}

/** How a score difference reads: "4.1 points" for accuracies, "0.045" for r². */
export function formatDifference(score: Comparison["score"], x: number): string {
  return score === "accuracy" ? `${(x * 100).toFixed(1)} points` : x.toFixed(3);
}

/** One sentence: "<main> is stronger than <control> by 4.1 points (95% CI 1.2 to 7.0)". */
export function comparisonSentence(mainName: string, controlName: string, c: Comparison): string {
  const unit = c.score === "accuracy" ? (x: number) => (x * 100).toFixed(1) : (x: number) => x.toFixed(3);
  const what = c.score === "accuracy" ? " points" : " in mean r²";
  // "weaker by x (CI a to b)" states the interval of the control's lead, so both read as positive margins.
  const [lo, hi] = c.verdict === "weaker" ? [-c.ci_high, -c.ci_low] : [c.ci_low, c.ci_high];
  // The method (paired block bootstrap, samples, block length) is stated once beside the sentences (summary.comparison_method).
  const ci = `95% CI ${unit(lo)} to ${unit(hi)}`;
  if (c.verdict === "indistinguishable") {
    return `${mainName} and ${controlName} are indistinguishable: difference ${c.difference >= 0 ? "+" : ""}${unit(c.difference)}${what} (${ci}).`;
  }
  return `${mainName} is ${c.verdict} than ${controlName} by ${unit(Math.abs(c.difference))}${what} (${ci}).`;
}
