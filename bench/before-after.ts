/**
 * The engine's training step before and after a change, interleaved in one process: `node
 * dist/bench/before-after.js OLD_DIST [--rounds 3] [--steps 100] [--warmup 10] [--N 100,1000]` imports
 * `profileSteps` from OLD_DIST (the dist/ folder built from an older commit, e.g. by `git archive
 * <commit> | tar -x -C /tmp/old && cd /tmp/old && npx tsc -p tsconfig.json`) and from this build, and
 * times the standard configuration (`time` conditional) with each, alternating round by round. Prints
 * per-round medians of wall and CPU ms/step and the medians over rounds.
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { benchmarkData, fmt, percentile, standardConfig, textTable } from "../src/cli/benchmark.js";
import { profileSteps } from "../src/engine/train/trainer.js";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: "string", default: "3" }, steps: { type: "string", default: "100" }, warmup: { type: "string", default: "10" }, N: { type: "string", default: "100,1000" } } });
if (!positionals[0]) throw new Error("usage: before-after.js OLD_DIST [--rounds 3] [--steps 100] [--warmup 10] [--N 100,1000]");
const old = (await import(path.resolve(positionals[0], "src/engine/train/trainer.js"))) as { profileSteps: typeof profileSteps };
const [rounds, steps, warmup] = [values.rounds, values.steps, values.warmup].map(Number);
const Ns = values.N.split(",").map(Number);
const med = (xs: number[]) => percentile(xs, 0.5);
const acc = new Map<string, { wall: number[]; cpu: number[] }>();
for (let r = 0; r < rounds; r++) {
  for (const N of Ns) {
    const data = benchmarkData(N, "time");
    for (const [name, fn] of [["before", old.profileSteps], ["after", profileSteps]] as const) {
      const p = await fn([data], standardConfig(), warmup + steps);
      const wall = p.run_ms.slice(warmup).map((x, i) => x + p.assemble_ms[warmup + i]);
      const key = `N=${N} ${name}`;
      const a = acc.get(key) ?? { wall: [], cpu: [] };
      a.wall.push(med(wall));
      a.cpu.push(med(p.cpu_ms.slice(warmup)));
      acc.set(key, a);
      process.stderr.write(`round ${r + 1}: ${key}: ${fmt(med(wall), 2)} ms/step wall, ${fmt(med(p.cpu_ms.slice(warmup)), 2)} CPU\n`);
    }
  }
}
process.stdout.write(textTable(["case", "wall ms/step per round", "median", "CPU ms/step per round", "median"], [...acc.entries()].map(([k, a]) => [k, a.wall.map((x) => fmt(x, 1)).join(" "), fmt(med(a.wall), 2), a.cpu.map((x) => fmt(x, 1)).join(" "), fmt(med(a.cpu), 2)])) + "\n");
