/**
 * The demo's "beyond accuracy" section: what a CEBRA embedding gives besides a decoding score, each
 * measured next to its control.
 *
 * - Geometry follows the movie (`movieGeometry`): for pairs of samples from different repeats whose frames
 *   are at most `max_delta` frames apart, Spearman's ρ between the features' cosine distance and the frame
 *   difference |Δframe|. Pairs come from different repeats so that slow drift or noise shared by
 *   neighbouring samples of one repeat cannot create the relation; only the movie can. Controls: raw
 *   activity projected on its top principal components (as many as the embedding has dimensions), per
 *   sample and averaged over the model's receptive field, and the shuffled-label CEBRA embedding.
 * - Lag analysis (decode/lag.ts): the frame k frames later decoded from the features at t, for CEBRA and
 *   the raw controls, beside the lag-0 decoder shifted by k.
 */
import type { Recording } from "../data/recording.js";
import { lagCurve, type LagCurve } from "../decode/lag.js";
import { windowAverage } from "../decode/controls.js";
import type { FrameDecodeResult } from "../decode/types.js";
import { renderCurve } from "../render/curve.js";
import { randomizedPca } from "../util/linalg.js";
import { Rng } from "../util/rng.js";

export interface FeatureSet {
  name: string;
  features: Float32Array;
  dim: number;
}

export interface GeometryScore {
  name: string;
  /** Spearman ρ between cosine distance and |Δframe| (higher = distance follows the movie). */
  rho: number;
  n_pairs: number;
}

/** Spearman's rank correlation (average ranks for ties). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ra = ranks(a), rb = ranks(b);
  const n = ra.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += ra[i]!; mb += rb[i]!; }
  ma /= n; mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = ra[i]! - ma, y = rb[i]! - mb;
    sab += x * y; saa += x * x; sbb += y * y;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

function ranks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => v[i]! - v[j]!);
  const r = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && v[order[j + 1]!] === v[order[i]!]) j++;
    for (let q = i; q <= j; q++) r[order[q]!] = (i + j) / 2;
    i = j + 1;
  }
  return r;
}

function cosineDistance(f: Float32Array, dim: number, a: number, b: number): number {
  let ab = 0, aa = 0, bb = 0;
  for (let d = 0; d < dim; d++) {
    const x = f[a * dim + d]!, y = f[b * dim + d]!;
    ab += x * y; aa += x * x; bb += y * y;
  }
  return aa > 0 && bb > 0 ? 1 - ab / Math.sqrt(aa * bb) : 1;
}

/**
 * Spearman ρ between cosine distance and |Δframe| over `n_pairs` random pairs (fixed seed): a sample of
 * the test repeat and a sample of another repeat whose frame differs by at most `max_delta`.
 */
export function movieGeometry(
  f: FeatureSet, frame: Int32Array, repeat: Int32Array, testRepeat: number,
  opts: { max_delta?: number; n_pairs?: number; seed?: number } = {},
): GeometryScore {
  const maxDelta = opts.max_delta ?? 30, nPairs = opts.n_pairs ?? 20000;
  const rng = new Rng(opts.seed ?? 1);
  const at = new Map<number, number[]>();
  let nFrames = 0;
  for (let t = 0; t < frame.length; t++) if (frame[t]! >= nFrames) nFrames = frame[t]! + 1;
  const test: number[] = [];
  for (let t = 0; t < frame.length; t++) {
    if (frame[t]! < 0 || repeat[t]! < 0) continue;
    if (repeat[t] === testRepeat) test.push(t);
    else {
      const key = frame[t]!;
      const list = at.get(key);
      if (list) list.push(t); else at.set(key, [t]);
    }
  }
  const dist: number[] = [], delta: number[] = [];
  for (let tries = 0; dist.length < nPairs && tries < nPairs * 4 && test.length > 0; tries++) {
    const a = test[rng.int(test.length)]!;
    const d = rng.int(2 * maxDelta + 1) - maxDelta;
    const others = at.get(frame[a]! + d);
    if (!others) continue;
    const b = others[rng.int(others.length)]!;
    dist.push(cosineDistance(f.features, f.dim, a, b));
    delta.push(Math.abs(d));
  }
  return { name: f.name, rho: spearman(dist, delta), n_pairs: dist.length };
}

/** Raw activity `[T, N]` projected on its top `k` principal components, as float32 `[T, k]`. */
export function rawPca(neural: Float32Array, T: number, N: number, k: number, seed = 1): Float32Array {
  const pca = randomizedPca(Float64Array.from(neural), T, N, Math.min(k, N), new Rng(seed));
  return Float32Array.from(pca.scores);
}

export interface BeyondInput {
  rec: Recording;
  embedding: FeatureSet;
  shuffled?: FeatureSet;
  receptive_field: { left: number; right: number };
  decoding: FrameDecodeResult;
}

export interface Beyond {
  geometry: GeometryScore[];
  lags: LagCurve[];
  /** PNG of the lag curves. */
  lag_figure: Buffer;
}

/** Geometry scores and lag curves of the embedding and its controls (see the module doc). */
export async function beyondAccuracy(b: BeyondInput): Promise<Beyond> {
  const { rec, decoding } = b;
  const T = rec.n_samples, N = rec.n_neurons;
  const frame = rec.frame!, repeat = rec.repeat!;
  const { left, right } = b.receptive_field;
  const averaged = windowAverage(rec.neural, T, N, left, right);
  const k = b.embedding.dim;
  const raw: FeatureSet = { name: "Raw activity, per sample", features: rec.neural, dim: N };
  const rawAvg: FeatureSet = { name: "Raw activity, receptive-field mean", features: averaged, dim: N };
  const geometrySets: FeatureSet[] = [
    b.embedding,
    ...(b.shuffled ? [b.shuffled] : []),
    { name: `Raw activity, per sample, top ${k} PCs`, features: rawPca(rec.neural, T, N, k), dim: k },
    { name: `Raw activity, receptive-field mean, top ${k} PCs`, features: rawPca(averaged, T, N, k), dim: k },
  ];
  const geometry = geometrySets.map((f) => movieGeometry(f, frame, repeat, decoding.test_repeat));
  const protocol = {
    n_samples: T, frame, repeat, timestamps: rec.timestamps, n_frames: rec.movie?.n_frames,
    train_repeats: decoding.train_repeats, test_repeat: decoding.test_repeat, window: decoding.window,
  };
  const lags = [b.embedding, raw, rawAvg].map((f) => ({ ...lagCurve({ ...protocol, features: f.features, dim: f.dim }), features_source: f.name }));
  const colours = ["#1f77b4", "#ff7f0e", "#2ca02c"];
  const series = lags.flatMap((c, i) => [
    { label: c.features_source, colour: colours[i]!, points: c.points.map((p) => ({ x: p.lag, y: p.accuracy * 100 })) },
    ...(i === 0 ? [{ label: "CEBRA at lag 0, shifted by k", colour: colours[0]!, dashed: true, points: c.shifted.map((p) => ({ x: p.lag, y: p.accuracy * 100 })) }] : []),
  ]);
  series.push({ label: "chance", colour: "#7f7f7f", dashed: true, points: lags[0]!.points.map((p) => ({ x: p.lag, y: lags[0]!.chance * 100 })) });
  const lag_figure = await renderCurve({
    title: `Decoding the frame shown k frames after the sample's frame (repeat ${decoding.test_repeat} held out)`,
    x_label: "lag k (frames; 30 frames = 1 s; negative = earlier frame)",
    y_label: `accuracy within ${decoding.window} frames (%)`,
    series,
    y_domain: [0, 100],
  });
  return { geometry, lags, lag_figure };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The largest |lagged − shifted| accuracy difference over the lags, in points. */
export function largestShiftGap(c: LagCurve): { lag: number; points: number } {
  let best = { lag: 0, points: 0 };
  c.points.forEach((p, i) => {
    const d = (p.accuracy - c.shifted[i]!.accuracy) * 100;
    if (Math.abs(d) > Math.abs(best.points)) best = { lag: p.lag, points: d };
  });
  return best;
}

/** The Markdown of the section; `consistency` is the paragraph on consistency across seeds. */
export function beyondMarkdown(b: Beyond, consistency: string, lagFile: string): string {
  const g = b.geometry;
  const cebra = g[0]!;
  const controls = g.slice(1);
  const best = controls.reduce((m, c) => (c.rho > m.rho ? c : m), controls[0] ?? cebra);
  const geometryVerdict = controls.length === 0 ? ""
    : cebra.rho > best.rho
      ? `The CEBRA embedding's distances follow the movie more closely than every control's (ρ ${cebra.rho.toFixed(3)} vs at best ${best.rho.toFixed(3)}, ${best.name}).`
      : `The CEBRA embedding's distances do not follow the movie more closely than the controls' (ρ ${cebra.rho.toFixed(3)} vs ${best.rho.toFixed(3)}, ${best.name}).`;
  const lagHeader = `| lag k (frames) | ${b.lags.map((c) => `${c.features_source} | shifted lag 0`).join(" | ")} |`;
  const lagRule = `|---:|${b.lags.map(() => "---:|---:").join("|")}|`;
  const lagRows = b.lags[0]!.points.map((p, i) => `| ${p.lag > 0 ? "+" : ""}${p.lag} | ${b.lags.map((c) => `${pct(c.points[i]!.accuracy)} | ${pct(c.shifted[i]!.accuracy)}`).join(" | ")} |`);
  const gaps = b.lags.map((c) => ({ name: c.features_source, ...largestShiftGap(c) }));
  const worst = gaps.reduce((m, x) => (Math.abs(x.points) > Math.abs(m.points) ? x : m), gaps[0]!);
  const c0 = b.lags[0]!;
  return `## Beyond accuracy

### The embedding's geometry follows the movie

For 20,000 pairs of samples — one from the held-out repeat, one from another repeat, their frames at most 30
frames (1 s) apart — Spearman's ρ between the cosine distance of the two samples' features and how many frames
apart they are. Pairs span repeats, so only the movie (not noise shared by neighbouring samples) can relate them.

| Features | ρ (distance vs \\|Δframe\\|) | pairs |
|---|---:|---:|
${g.map((x) => `| ${x.name} | ${x.rho.toFixed(3)} | ${x.n_pairs} |`).join("\n")}

${geometryVerdict} (One recording and one training seed; no interval is computed for ρ.)

### Consistency across seeds

${consistency}

### Lag analysis: "predicting the next frame"

The frame shown k frames later (k > 0) or earlier (k < 0) than the sample's frame, decoded from the features at
the sample with the same kNN protocol (settings chosen at lag 0 and kept), next to the lag-0 decoder's output
shifted by k on the same samples. The movie plays in the same order in every repeat, so the frame k later is
simply the current frame plus k: a lagged decoder is only "predicting" if it beats the shifted one. Accuracy within
${c0.window} frames:

${lagHeader}
${lagRule}
${lagRows.join("\n")}

Largest gap between a lagged decoder and its shifted lag-0 decoder: ${worst.points >= 0 ? "+" : "−"}${Math.abs(worst.points).toFixed(1)} points (${worst.name}, k = ${worst.lag}).
${Math.abs(worst.points) < 3
    ? "So on this data decoding a later (or earlier) frame is locating the current one and counting on: the lag curve measures how well each decoder places the sample in the movie, not a prediction of what comes next."
    : "The lagged decoders differ from the shifted ones by more than 3 points somewhere; where they do, the lagged target's neighbours at the movie's edges (dropped from training when k moves them out of the movie) or the vote changed."}

![${lagFile}](${lagFile})
`;
}
