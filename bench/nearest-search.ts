/**
 * Queries per second of the exact label search (`NearestIndex.nearestUnique` with the reference's row as
 * hint), this build's index against OLD_DIST's (the dist/ folder built from an older commit, as for
 * bench/before-after.ts: `git archive <commit> | tar -x -C /tmp/old && cd /tmp/old && npx tsc -p
 * tsconfig.json`), interleaved in rounds on the same query streams (process CPU time, median of rounds);
 * every answer is also checked to be the same. Cases: the benchmark's `time_delta` stream (benchmarkData(100, "time_delta"): T = 10,000,
 * a 3-d label, TimeDeltaQuery with time_offsets 1 as in the benchmark), frame indices (1-d, 900 frames
 * repeated 10×), smooth random walks in 5, 8 and 16 dimensions (the k-d tree's limit and the ball tree just
 * above it) and 768-d movie-like features (a smooth random trajectory of 900 frames repeated 10×).
 * Usage: `node dist/bench/nearest-search.js OLD_DIST [--rounds 5] [--only <part of a case name>]`.
 */
import { parseArgs } from "node:util";
import { benchmarkData, fmt, textTable } from "../src/cli/benchmark.js";
import { TimeDeltaQuery, type LabelMatrix } from "../src/engine/cebra/sampling/common.js";
import { NearestIndex } from "../src/engine/cebra/sampling/nearest.js";
import { Rng } from "../src/util/rng.js";
import * as path from "node:path";

const { values, positionals } = parseArgs({ strict: false, allowPositionals: true, options: { rounds: { type: "string", default: "5" }, only: { type: "string", default: "" } } });
if (!positionals[0]) throw new Error("usage: nearest-search.js OLD_DIST [--rounds 5] [--only <part of a case name>]");
const old = (await import(path.resolve(positionals[0], "src/engine/cebra/sampling/nearest.js"))) as { NearestIndex: typeof NearestIndex };
const rounds = Number(values.rounds);

interface Case {
  name: string;
  labels: LabelMatrix;
  delta: number;
  queries: number;
}

/** `unique` frames of a smooth random walk in `dim` dimensions, repeated `repeats` times. */
function movieFeatures(unique: number, repeats: number, dim: number, seed: number): LabelMatrix {
  const rng = new Rng(seed);
  const base = new Float32Array(unique * dim);
  for (let k = 0; k < dim; k++) base[k] = rng.normal();
  for (let t = 1; t < unique; t++) for (let k = 0; k < dim; k++) base[t * dim + k] = base[(t - 1) * dim + k] + 0.2 * rng.normal();
  const data = new Float32Array(unique * repeats * dim);
  for (let r = 0; r < repeats; r++) data.set(base, r * unique * dim);
  return { data, dim };
}

function frameIndices(unique: number, repeats: number): LabelMatrix {
  const data = new Float32Array(unique * repeats);
  for (let t = 0; t < data.length; t++) data[t] = t % unique;
  return { data, dim: 1 };
}

const cases: Case[] = [
  { name: "time_delta 3-d (T 10,000)", labels: benchmarkData(100, "time_delta").continuous as LabelMatrix, delta: 1, queries: 512 * 200 },
  { name: "frame index 1-d (900 × 10)", labels: frameIndices(900, 10), delta: 1, queries: 512 * 200 },
  { name: "smooth walk 5-d (T 10,000)", labels: movieFeatures(10_000, 1, 5, 6), delta: 1, queries: 512 * 50 },
  { name: "smooth walk 6-d (T 10,000)", labels: movieFeatures(10_000, 1, 6, 6), delta: 1, queries: 512 * 50 },
  { name: "smooth walk 7-d (T 10,000)", labels: movieFeatures(10_000, 1, 7, 6), delta: 1, queries: 512 * 50 },
  { name: "smooth walk 8-d (T 10,000)", labels: movieFeatures(10_000, 1, 8, 6), delta: 1, queries: 512 * 50 },
  { name: "smooth walk 16-d (T 10,000)", labels: movieFeatures(10_000, 1, 16, 6), delta: 1, queries: 512 * 20 },
  { name: "movie features 768-d (900 × 10)", labels: movieFeatures(900, 10, 768, 5), delta: 1, queries: 512 * 4 },
];

const rows: string[][] = [];
for (const c of cases.filter((x) => x.name.includes(String(values.only)))) {
  const T = c.labels.data.length / c.labels.dim;
  const rule = new TimeDeltaQuery(c.labels, T, c.delta);
  const rng = new Rng(1);
  const qs = new Float64Array(c.queries * c.labels.dim);
  const refs = new Int32Array(c.queries);
  for (let i = 0; i < c.queries; i++) {
    refs[i] = rng.int(T);
    rule.make(refs[i], qs.subarray(i * c.labels.dim, (i + 1) * c.labels.dim), rng);
  }
  const indexes = [
    { name: "before (OLD_DIST)", index: old.NearestIndex.build(c.labels.data, c.labels.dim) },
    { name: "current", index: NearestIndex.build(c.labels.data, c.labels.dim) },
  ];
  const answers = indexes.map(() => new Int32Array(c.queries));
  const rates: number[][] = indexes.map(() => []);
  for (let r = 0; r < rounds; r++) {
    indexes.forEach(({ index }, j) => {
      const dim = c.labels.dim;
      const q = new Float64Array(dim); // one query buffer, reused, as the samplers do
      const t0 = process.cpuUsage();
      for (let i = 0; i < c.queries; i++) {
        for (let k = 0; k < dim; k++) q[k] = qs[i * dim + k];
        answers[j][i] = index.nearestUnique(q, index.uniqueOfRow[refs[i]]);
      }
      const cpu = process.cpuUsage(t0);
      rates[j].push(c.queries / ((cpu.user + cpu.system) / 1e6));
    });
  }
  // Unique ids number rows by first occurrence in both indexes, so the answers compare directly.
  const same = answers[0].every((a, i) => a === answers[1][i]);
  if (!same) throw new Error(`${c.name}: the two indexes disagree`);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const [before, after] = rates.map(median);
  rows.push([c.name, String(c.queries), fmt(before / 1e3, 1), fmt(after / 1e3, 1), `${fmt(after / before, 2)}×`, fmt((512 / after) * 1e3, 3), "identical"]);
}
console.log(
  textTable(["Case", "Queries", "Before kq/s", "Current kq/s", "Speed-up", "Current ms / 512", "Answers"], rows),
);
console.log(`Process CPU time, median of ${rounds} interleaved rounds.`);
