/**
 * Wall and CPU time of generating `builtin:allen-like` with defaults (docs/BUILTIN.md, "Performance"): each run
 * in a fresh Node process, 3 runs per modality, medians. Prints Markdown table rows.
 *
 *   npm run build && node dist/bench/builtin-timing.js
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const builtin = fileURLToPath(new URL("../src/data/builtin/index.js", import.meta.url));
const child = `import { generateAllenLike } from ${JSON.stringify(builtin)};
const c0 = process.cpuUsage(), t0 = performance.now();
const rec = generateAllenLike({ modality: process.argv[1] });
const c = process.cpuUsage(c0);
console.log(JSON.stringify({ wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6, T: rec.n_samples, N: rec.n_neurons }));`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const f = (x: number) => x.toFixed(2);
console.log("| modality | T × N | wall time, median (runs) | CPU time, median (runs) |\n|---|---|---|---|");
for (const modality of ["calcium", "neuropixels"]) {
  const runs = [0, 1, 2].map(() => JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", child, modality], { encoding: "utf8" })) as { wall: number; cpu: number; T: number; N: number });
  const w = runs.map((r) => r.wall), c = runs.map((r) => r.cpu);
  console.log(`| ${modality} | ${runs[0]!.T.toLocaleString("en")} × ${runs[0]!.N} | ${f(median(w))} s (${w.map(f).join(", ")}) | ${f(median(c))} s (${c.map(f).join(", ")}) |`);
}
