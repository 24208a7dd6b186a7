/**
 * Two ways to add a positions layer's input-row gradients back (the backward of its taps Gather,
 * src/engine/graph/positions.ts), on the shapes of the standard step's first residual layer (`time`,
 * batch 512, T = 10,000): ScatterND with reduction "add" onto 0·h (what the graph does), against an
 * inverse gather (a zero row appended, each input row's k users gathered, then ReduceSum over the taps,
 * or k Gathers and a Sum). One ORT thread, CPU time, median of 7 rounds of 200 runs each; also the
 * largest difference between the results. Usage: `node dist/bench/positions-backward.js`.
 */
import * as ort from "onnxruntime-node";
import { Graph } from "../src/engine/graph/ir.js";
import { writeOnnx } from "../src/engine/graph/onnx.js";
import { concat, gather, mul, reduceSum, reshape, scatterAddRows, slice, sum } from "../src/engine/graph/ops/index.js";
import { C, P, R, base, k, rng, taps } from "./positions-layer.js";

// The inverse of the taps: for each input row and tap j, the row of dcols (as [P·k, C]) that adds into it there, or the zero row P·k.
const inv = new BigInt64Array(R * k).fill(BigInt(P * k));
base.forEach((b, i) => {
  for (let j = 0; j < k; j++) inv[(b + j) * k + j] = BigInt(i * k + j);
});

const scatter = new Graph("scatter");
{
  const h = scatter.input("h", "float", [null, C]);
  const t = scatter.input("taps", "int64", [null, k]);
  const d = scatter.input("dcols", "float", [null, k * C]);
  scatter.output("dh", scatterAddRows(mul(h, 0), t, reshape(d, [-1, k, C])));
}
const inverse = (perTap: boolean) => {
  const g = new Graph("inverse");
  const d = g.input("dcols", "float", [null, k * C]);
  const iv = g.input("inv", "int64", [null, k]);
  const z = concat([reshape(d, [-1, C]), g.constant(new Array(C).fill(0), [1, C])], 0);
  const dh = perTap ? sum(Array.from({ length: k }, (_, j) => gather(z, reshape(slice(iv, [1], [j], [j + 1]), [-1]), 0))) : reduceSum(gather(z, iv, 0), [1]);
  g.output("dh", dh);
  return g;
};
const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, graphOptimizationLevel: "all" };
const sessions = await Promise.all([scatter, inverse(false), inverse(true)].map((g) => ort.InferenceSession.create(writeOnnx(g), opts)));
const dcols = new ort.Tensor("float32", Float32Array.from({ length: P * k * C }, () => rng.normal()), [P, k * C]);
const feeds: Record<string, ort.Tensor>[] = [
  { h: new ort.Tensor("float32", new Float32Array(R * C), [R, C]), taps: new ort.Tensor("int64", taps, [P, k]), dcols },
  { dcols, inv: new ort.Tensor("int64", inv, [R, k]) },
  { dcols, inv: new ort.Tensor("int64", inv, [R, k]) },
];
const results = await Promise.all(sessions.map(async (s, i) => (await s.run(feeds[i])).dh.data as Float32Array));
const diff = Math.max(...results.slice(1).map((r) => r.reduce((m, x, i) => Math.max(m, Math.abs(x - results[0][i])), 0)));
const time = async (i: number) => {
  const rounds: number[] = [];
  for (let r = 0; r < 7; r++) {
    const c0 = process.cpuUsage();
    for (let n = 0; n < 200; n++) await sessions[i].run(feeds[i]);
    const c = process.cpuUsage(c0);
    rounds.push((c.user + c.system) / 1000 / 200);
  }
  return rounds.sort((a, b) => a - b)[3].toFixed(3);
};
for (let round = 0; round < 2; round++)
  console.log(`R = ${R}, P = ${P}: ScatterND add ${await time(0)} ms, inverse Gather + ReduceSum ${await time(1)} ms, ${k} Gathers + Sum ${await time(2)} ms (largest difference ${diff.toExponential(1)})`);
