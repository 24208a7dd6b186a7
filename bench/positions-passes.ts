/**
 * Graph fragments of the positions step (src/engine/graph/positions.ts, nn.ts) in alternative forms,
 * each timed alone on the shapes of the standard step's first residual layer (`time`, batch 512,
 * T = 10,000; the positions of bench/positions-layer.ts): one ORT thread, CPU time, median
 * of 7 rounds of 200 runs, the variants interleaved, twice; with the largest difference from the first
 * variant of each fragment. Usage: `node dist/bench/positions-passes.js`.
 * - residual input gradient: two ScatterNDs onto 0·h (the shortcut's, then the taps'), the shortcut
 *   padded into the Gemm's C input (one ScatterND), and the zero base as ConstantOfShape(Shape(h));
 * - GELU backward g·(c + u·√(2/π)·e^(−u²)): as built (Mul, Sub, Exp, Mul, Add, Mul) and with u/e^(u²) (Div);
 * - the first layer's tap sum: k strided Slices, Sum and the Gather of the window starts, against k
 *   Gathers of the tap products at flat row offsets k·s + j·(k + 1) and a Sum.
 */
import * as ort from "onnxruntime-node";
import { Graph, type Value } from "../src/engine/graph/ir.js";
import { writeOnnx } from "../src/engine/graph/onnx.js";
import { add, div, exp, gather, gemm, mul, pad, reshape, scatterAddRows, slice, sub, sum, zerosLike } from "../src/engine/graph/ops/index.js";
import { C, P, R, k, rng, taps } from "./positions-layer.js";
const randn = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
const f32 = (n: number, dims: number[]) => new ort.Tensor("float32", randn(n), dims);

type Variant = { name: string; build: (g: Graph) => Value };
interface Fragment {
  title: string;
  variants: Variant[];
  feeds: Record<string, ort.Tensor>;
}

// Residual block input gradient, crop_left 1.
const resFeeds = { h: f32(R * C, [R, C]), taps: new ort.Tensor("int64", taps, [P, k]), g: f32(P * C, [P, C]), dy: f32(P * C, [P, C]), wt: f32(C * k * C, [C, k * C]) };
const resInputs = (g: Graph) => ({ h: g.input("h", "float", [null, C]), t: g.input("taps", "int64", [null, k]), ga: g.input("g", "float", [null, C]), dy: g.input("dy", "float", [null, C]), wt: g.input("wt", "float", [C, k * C]) });
const twoScatters = (zero: (h: Value) => Value) => (g: Graph) => {
  const x = resInputs(g);
  const b = scatterAddRows(zero(x.h), reshape(slice(x.t, [1], [1], [2]), [-1]), x.dy);
  return scatterAddRows(b, x.t, reshape(gemm(x.ga, x.wt), [-1, k, C]));
};
const residual: Fragment = {
  title: `residual input gradient (R = ${R}, P = ${P})`,
  feeds: resFeeds,
  variants: [
    { name: "2 ScatterND on 0·h", build: twoScatters((h) => mul(h, 0)) },
    { name: "Pad into Gemm C, 1 ScatterND", build: (g) => {
      const x = resInputs(g);
      return scatterAddRows(mul(x.h, 0), x.t, reshape(gemm(x.ga, x.wt, { c: pad(x.dy, [0, C, 0, C]) }), [-1, k, C]));
    } },
    { name: "2 ScatterND on ConstantOfShape", build: twoScatters(zerosLike) },
  ],
};

// GELU backward on the first GELU's rows.
const U = 6299;
const geluInputs = (g: Graph) => ({ u: g.input("u", "float", [null, C]), c: g.input("c", "float", [null, C]), g: g.input("g", "float", [null, C]) });
const geluBack: Fragment = {
  title: `GELU backward [${U}, ${C}]`,
  feeds: { u: f32(U * C, [U, C]), c: new ort.Tensor("float32", Float32Array.from(randn(U * C), (v) => 0.5 + 0.2 * v), [U, C]), g: f32(U * C, [U, C]) },
  variants: [
    { name: "Mul Sub Exp Mul Add Mul", build: (g) => {
      const x = geluInputs(g);
      return mul(x.g, add(x.c, mul(x.u, exp(sub(0.5 * Math.log(2 / Math.PI), mul(x.u, x.u))))));
    } },
    { name: "Mul Exp Div Mul Add Mul", build: (g) => {
      const x = geluInputs(g);
      return mul(x.g, add(x.c, mul(div(x.u, exp(mul(x.u, x.u))), Math.sqrt(2 / Math.PI))));
    } },
  ],
};

// First layer (k1 = 2, Co = 32): tap products [Rq, 64] → outputs at the window starts.
const k1 = 2;
const Rq = 6674;
const M1 = 6299;
const st = Array.from({ length: Rq - 1 }, (_, i) => i).filter(() => rng.random() < M1 / (Rq - 1)).slice(0, M1);
const firstInputs = (g: Graph) => ({ p: g.input("p", "float", [null, k1 * C]), s: g.input("s", "int64", [null]), bias: g.input("bias", "float", [C]) });
const first: Fragment = {
  title: `first layer tap sum (tap products [${Rq}, ${k1 * C}], ${st.length} starts)`,
  feeds: { p: f32(Rq * k1 * C, [Rq, k1 * C]), s: new ort.Tensor("int64", BigInt64Array.from(st, BigInt), [st.length]), bias: f32(C, [C]) },
  variants: [
    { name: "Slices + Sum + Gather", build: (g) => {
      const x = firstInputs(g);
      const parts = Array.from({ length: k1 }, (_, j) => slice(x.p, [0, 1], [j, j * C], [j - k1 + 1 === 0 ? 2 ** 53 : j - k1 + 1, (j + 1) * C]));
      return gather(sum([...parts, x.bias]), x.s, 0);
    } },
    { name: "Gathers at k·s + j·(k+1) + Sum", build: (g) => {
      const x = firstInputs(g);
      const v = reshape(x.p, [-1, C]);
      const ks = mul(x.s, g.constant([k1], [], "int64"));
      const parts = Array.from({ length: k1 }, (_, j) => gather(v, j === 0 ? ks : add(ks, g.constant([j * (k1 + 1)], [], "int64")), 0));
      return sum([...parts, x.bias]);
    } },
  ],
};

const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, graphOptimizationLevel: "all" };
for (const frag of [residual, geluBack, first]) {
  const sessions = await Promise.all(
    frag.variants.map((v) => {
      const g = new Graph(v.name.replace(/\W+/g, "_"));
      g.output("y", v.build(g));
      return ort.InferenceSession.create(writeOnnx(g), opts);
    }),
  );
  const feedsFor = (s: ort.InferenceSession) => Object.fromEntries(s.inputNames.map((n) => [n, frag.feeds[n]]));
  const outs = await Promise.all(sessions.map(async (s) => (await s.run(feedsFor(s))).y.data as Float32Array));
  const diffs = outs.map((o) => o.reduce((m, x, i) => Math.max(m, Math.abs(x - outs[0][i])), 0));
  const times = sessions.map(() => [] as number[]);
  for (let round = 0; round < 14; round++)
    for (let i = 0; i < sessions.length; i++) {
      const feeds = feedsFor(sessions[i]);
      const c0 = process.cpuUsage();
      for (let n = 0; n < 200; n++) await sessions[i].run(feeds);
      const c = process.cpuUsage(c0);
      times[i].push((c.user + c.system) / 1000 / 200);
    }
  console.log(frag.title);
  frag.variants.forEach((v, i) => console.log(`  ${v.name}: ${times[i].sort((a, b) => a - b)[7].toFixed(3)} ms (largest difference ${diffs[i].toExponential(1)})`));
}
