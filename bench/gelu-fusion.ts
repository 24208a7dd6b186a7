/**
 * Would a fused exact GELU speed up the step? `node dist/bench/gelu-fusion.js [--rows 10752] [--runs 200] [--rounds 3]`
 * times, on one ORT thread, GELU forward + backward on a [rows, 32] activation (rows: the first residual
 * layer's window rows at batch 512) in two formulations: (a) the engine's (nn.ts: c = (1 + erf(u))/√2,
 * y = u·c; backward g·(c + u·√(2/π)·e^(−u²)) reusing c) and (b) the forward written as the standard
 * pattern x·0.5·(1 + erf(x/√2)), which ORT's graph optimiser fuses into its exact `Gelu` kernel
 * (com.microsoft domain, CPU), the backward then recomputing erf (the fused op does not expose Φ).
 * Also both forward passes alone. Prints the median ms per run of each, interleaved round by round, and
 * the op types ORT kept after optimisation (to show the fusion happened).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { fmt, percentile, textTable } from "../src/cli/benchmark.js";
import { Graph, type Value } from "../src/engine/graph/ir.js";
import { writeOnnx } from "../src/engine/graph/onnx.js";
import { add, div, erf, exp, mul, sub } from "../src/engine/graph/ops/index.js";
import { f32, sessionOptionsFor } from "../src/engine/runtime/sessions.js";

const { values } = parseArgs({ options: { rows: { type: "string", default: "10752" }, runs: { type: "string", default: "200" }, rounds: { type: "string", default: "3" } } });
const [R, runs, rounds] = [values.rows, values.runs, values.rounds].map(Number);
const C = 32;

function build(fused: boolean, backward: boolean): Uint8Array {
  const g = new Graph("gelu");
  const x = g.input("X", "float", [R, C]);
  const gy = g.input("G", "float", [R, C]);
  const u = mul(x, Math.SQRT1_2);
  const cOf = (v: Value) => mul(add(erf(v), 1), Math.SQRT1_2);
  let c: Value | null = null;
  const y = fused ? mul(mul(x, 0.5), add(erf(div(x, Math.SQRT2)), 1)) : mul(u, (c = cOf(u)));
  g.output("Y", y);
  if (backward) {
    const cc = c ?? cOf(u);
    const tail = mul(u, exp(sub(0.5 * Math.log(2 / Math.PI), mul(u, u))));
    g.output("DX", mul(mul(gy, add(cc, tail)), Math.SQRT1_2));
  } else g.output("GY", gy);
  return writeOnnx(g);
}

const variants = [
  { name: "forward, engine's chain", fused: false, backward: false },
  { name: "forward, fused Gelu", fused: true, backward: false },
  { name: "forward + backward, engine's chain", fused: false, backward: true },
  { name: "forward + backward, fused Gelu, erf recomputed", fused: true, backward: true },
];
const X = Float32Array.from({ length: R * C }, (_, i) => Math.sin(i * 0.37) * 2);
const G = Float32Array.from({ length: R * C }, (_, i) => Math.cos(i * 0.11));
const ops: string[] = [];
const sessions = [];
for (const v of variants) {
  const optimized = path.join(os.tmpdir(), `gelu-${process.pid}-${sessions.length}.onnx`);
  sessions.push(await ort.InferenceSession.create(build(v.fused, v.backward), { ...sessionOptionsFor("cpu", 1), optimizedModelFilePath: optimized }));
  const kept = [...new Set(Array.from(fs.readFileSync(optimized).toString("latin1").matchAll(/\b(Gelu|Erf|Mul|Add|Div|Exp|Sub)\b/g), (m) => m[1]))];
  ops.push(kept.sort().join(" "));
  fs.rmSync(optimized, { force: true });
}
const acc = variants.map(() => [] as number[]);
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < variants.length; i++) {
    const ms: number[] = [];
    for (let k = 0; k < runs; k++) {
      const t0 = performance.now();
      await sessions[i].run({ X: f32(X, [R, C]), G: f32(G, [R, C]) });
      ms.push(performance.now() - t0);
    }
    acc[i].push(percentile(ms, 0.5));
  }
}
process.stdout.write(`rows ${R} × ${C}, ${runs} runs per round, ${rounds} rounds, one ORT thread\n`);
process.stdout.write(textTable(["formulation", "ms per run, per round", "median", "ops after ORT optimisation"], variants.map((v, i) => [v.name, acc[i].map((x) => fmt(x, 3)).join(" "), fmt(percentile(acc[i], 0.5), 3), ops[i]])) + "\n");
