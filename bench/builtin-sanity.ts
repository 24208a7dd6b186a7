/**
 * docs/BUILTIN.md, "Sanity check": raw-population kNN frame decoding on `builtin:allen-like` with defaults,
 * seeds 0–4, both modalities. Cosine kNN (uniform votes, ties to the smallest frame) on the raw population
 * vectors of repeats 0–8, tested on repeat 9; accuracy = fraction of test frames with |predicted − true| < 30.
 * "1 frame": one vector per frame (calcium: its sample; Neuropixels: the sum of its 4 bins); "10 frames": the
 * mean of the frame vectors f − 5 … f + 4 of the same repeat (clipped at the repeat's ends). k = 1, and the best
 * of k ∈ {1, 9, 25, 49, 100} chosen on the test repeat (optimistic). Prints Markdown table rows.
 *
 *   npm run build && node dist/bench/builtin-sanity.js [SEEDS=0,1,2,3,4]
 */
import { generateAllenLike } from "../src/data/builtin/index.js";
import { knn } from "../src/decode/knn.js";

const KS = [1, 9, 25, 49, 100];
const seeds = (process.argv[2] ?? "0,1,2,3,4").split(",").map(Number);
const pct = (x: number) => `${Math.round(100 * x)} %`;

/** Frame vectors `[R·F, N]` (row r·F + f) from a recording's samples. */
function frameVectors(rec: ReturnType<typeof generateAllenLike>): { data: Float32Array; R: number; F: number; N: number } {
  const N = rec.n_neurons;
  let F = 0, R = 0;
  for (let t = 0; t < rec.n_samples; t++) { F = Math.max(F, rec.frame![t]! + 1); R = Math.max(R, rec.repeat![t]! + 1); }
  const data = new Float32Array(R * F * N);
  for (let t = 0; t < rec.n_samples; t++) {
    const f = rec.frame![t]!, r = rec.repeat![t]!;
    if (f < 0 || r < 0) continue;
    const row = (r * F + f) * N;
    for (let n = 0; n < N; n++) data[row + n]! += rec.neural[t * N + n]!;
  }
  return { data, R, F, N };
}

function windowed(v: { data: Float32Array; R: number; F: number; N: number }): Float32Array {
  const { R, F, N } = v;
  const out = new Float32Array(v.data.length);
  for (let r = 0; r < R; r++) for (let f = 0; f < F; f++) {
    const lo = Math.max(0, f - 5), hi = Math.min(F - 1, f + 4);
    for (let g = lo; g <= hi; g++) for (let n = 0; n < N; n++) out[(r * F + f) * N + n]! += v.data[(r * F + g) * N + n]! / (hi - lo + 1);
  }
  return out;
}

/** Accuracy for each k in KS (votes over the first k neighbours). */
function accuracies(data: Float32Array, R: number, F: number, N: number): number[] {
  const train = Int32Array.from({ length: (R - 1) * F }, (_, i) => i);
  const test = Int32Array.from({ length: F }, (_, i) => (R - 1) * F + i);
  const res = knn({ queries: data, references: data, dim: N, k: KS[KS.length - 1]!, metric: "cosine", query_rows: test, reference_rows: train });
  return KS.map((k) => {
    let correct = 0;
    for (let q = 0; q < F; q++) {
      const votes = new Map<number, number>();
      for (let j = 0; j < k; j++) { const fr = res.indices[q * res.k + j]! % F; votes.set(fr, (votes.get(fr) ?? 0) + 1); }
      let best = Infinity, most = -1;
      for (const [fr, c] of votes) if (c > most || (c === most && fr < best)) [best, most] = [fr, c];
      if (Math.abs(best - q) < 30) correct++;
    }
    return correct / F;
  });
}

const rows: Record<string, number[][]> = {};
for (const modality of ["calcium", "neuropixels"] as const) {
  for (const seed of seeds) {
    const v = frameVectors(generateAllenLike({ seed, modality }));
    for (const [window, data] of [["1 frame", v.data], ["10 frames", windowed(v)]] as const) (rows[`${modality} | ${window}`] ??= []).push(accuracies(data, v.R, v.F, v.N));
  }
}
console.log(`| modality | window | k = 1: per seed ${seeds.join("/")} | k = 1 mean | best k mean (of ${KS.join(", ")}, chosen on the test repeat) |\n|---|---|---|---|---|`);
for (const [name, perSeed] of Object.entries(rows)) {
  const k1 = perSeed.map((a) => a[0]!);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const bestK = KS.map((_, i) => mean(perSeed.map((a) => a[i]!))).reduce((a, b) => Math.max(a, b));
  console.log(`| ${name} | ${k1.map(pct).join(" / ")} | ${pct(mean(k1))} | ${pct(bestK)} |`);
}
