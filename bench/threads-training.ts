/**
 * Whole short training runs with 1 and with 2 ORT intra-op threads, as the server runs them: `trainModel`
 * (a worker thread; the calling thread idles), interleaved round by round in one process. `node
 * dist/bench/threads-training.js [--threads 1,2] [--N 100,1000] [--steps 300] [--rounds 3]`: the
 * standard configuration (`time`, cli/benchmark.ts) on its synthetic data, spinning off as the server
 * runs it (`npm run bench -- --threads 2s` times spinning per step). Prints per-round wall seconds and process CPU seconds per run (setup, every step, the
 * model's return), and the medians over rounds; `defaultThreadCount` (runtime/sessions.ts) rests on it.
 */
import { parseArgs } from "node:util";
import { benchmarkData, fmt, machineInfo, percentile, standardConfig, textTable } from "../src/cli/benchmark.js";
import { trainModel } from "../src/engine/train/run.js";

const { values } = parseArgs({ options: { threads: { type: "string", default: "1,2" }, N: { type: "string", default: "100,1000" }, steps: { type: "string", default: "300" }, rounds: { type: "string", default: "3" } } });
const variants = values.threads.split(",").map((x) => ({ label: x, threads: Number(x) }));
const Ns = values.N.split(",").map(Number);
const [steps, rounds] = [values.steps, values.rounds].map(Number);
const med = (xs: number[]) => percentile(xs, 0.5);
const acc = new Map<string, { wall: number[]; cpu: number[] }>();
process.stderr.write(`load before: ${machineInfo().loadavg.join(" ")}\n`);
for (let r = 0; r < rounds; r++) {
  for (const N of Ns) {
    const data = benchmarkData(N, "time");
    for (const v of variants) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const model = await trainModel([data], standardConfig({ threads: v.threads, max_iterations: steps }));
      const wall = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(cpu0);
      const cpu = (c.user + c.system) / 1e6;
      const key = `N=${N}, threads ${v.label}`;
      const a = acc.get(key) ?? { wall: [], cpu: [] };
      a.wall.push(wall);
      a.cpu.push(cpu);
      acc.set(key, a);
      process.stderr.write(`round ${r + 1}: ${key}: ${fmt(wall, 2)} s wall, ${fmt(cpu, 2)} s CPU, final loss ${fmt(model.log.total.at(-1), 4)}\n`);
    }
  }
}
process.stdout.write(textTable(["run", "wall s per round", "median", "CPU s per round", "median"], [...acc.entries()].map(([k, a]) => [k, a.wall.map((x) => fmt(x, 2)).join(" "), fmt(med(a.wall), 2), a.cpu.map((x) => fmt(x, 2)).join(" "), fmt(med(a.cpu), 2)])) + "\n");
process.stderr.write(`load after: ${machineInfo().loadavg.join(" ")}\n`);
