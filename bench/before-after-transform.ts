/**
 * The transform before and after a change, interleaved in one process: `node
 * dist/bench/before-after-transform.js OLD_DIST [--rounds 5] [--calls 5] [--N 100,1000] [--T 10000]`
 * imports `transformRecording` from OLD_DIST (the dist/ folder of an older commit, built as
 * bench/before-after.ts says) and from this build, and times the standard configuration's encoder
 * (offset10-model, untrained: the cost does not depend on the weights) over a T-sample recording, one
 * ORT thread, alternating round by round. Per round: the median ms of `--calls` calls after one warm-up
 * call each (both builds' later calls reuse their session if they cache it). Also prints the largest
 * difference between the two builds' embeddings.
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { benchmarkData, fmt, percentile, standardConfig, textTable } from "../src/cli/benchmark.js";
import { runTrainingLoop } from "../src/engine/train/trainer.js";
import { transformRecording } from "../src/engine/train/transform.js";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: "string", default: "5" }, calls: { type: "string", default: "5" }, N: { type: "string", default: "100,1000" }, T: { type: "string", default: "10000" } } });
if (!positionals[0]) throw new Error("usage: before-after-transform.js OLD_DIST [--rounds 5] [--calls 5] [--N 100,1000] [--T 10000]");
const old = (await import(path.resolve(positionals[0], "src/engine/train/transform.js"))) as { transformRecording: typeof transformRecording };
const [rounds, calls, T] = [values.rounds, values.calls, values.T].map(Number);
const med = (xs: number[]) => percentile(xs, 0.5);
const rows: string[][] = [];
for (const N of values.N.split(",").map(Number)) {
  const data = benchmarkData(N, "time", T);
  const model = await runTrainingLoop([data], standardConfig({ max_iterations: 0 }));
  const run = (f: typeof transformRecording) => f(model, data.neural, T, N, { device: "cpu", threads: 1 });
  const [zb, za] = [await run(old.transformRecording), await run(transformRecording)];
  const maxDiff = za.reduce((m, x, i) => Math.max(m, Math.abs(x - zb[i])), 0);
  const acc = { before: [] as number[], after: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    for (const [name, f] of [["before", old.transformRecording], ["after", transformRecording]] as const) {
      const ms: number[] = [];
      for (let i = 0; i < calls; i++) {
        const t0 = performance.now();
        await run(f);
        ms.push(performance.now() - t0);
      }
      acc[name].push(med(ms));
    }
  }
  for (const name of ["before", "after"] as const) rows.push([`N=${N} ${name}`, acc[name].map((x) => fmt(x, 2)).join(" "), fmt(med(acc[name]), 2), fmt(T / (med(acc[name]) / 1000), 0), name === "after" ? maxDiff.toExponential(1) : ""]);
}
process.stdout.write(textTable(["case", "ms per transform, per round", "median", "samples/s", "max |Δz|"], rows) + "\n");
