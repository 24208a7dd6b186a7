/**
 * How many time positions each layer of the standard step computes in the "positions" input form
 * against the per-window forms, and the step's GEMM GFLOP in both (offset10-model, batch 512, 32 hidden
 * units, output 8, T = 10,000; mean over `--batches` batches of the benchmark data), against the
 * "touched" form (the first layer on the same touched rows, every later layer per window position). Usage:
 * `node dist/bench/positions-counts.js [--N 100] [--batches 20]`.
 */
import { parseArgs } from "node:util";
import { benchmarkData, fmt, standardConfig, textTable } from "../src/cli/benchmark.js";
import { getArchitecture } from "../src/engine/cebra/lookup.js";
import { singleSessionProblem } from "../src/engine/train/batches.js";
import type { Conditional } from "../src/engine/types.js";

const { values } = parseArgs({ strict: false, options: { N: { type: "string", default: "100" }, batches: { type: "string", default: "20" } } });
const N = Number(values.N);
const batches = Number(values.batches);
const rows: string[][] = [];
for (const [conditional, hybrid] of [["time", false], ["time_delta", false], ["time_delta", true]] as Array<[Conditional, boolean]>) {
  const cfg = standardConfig({ conditional, hybrid });
  const [H, D] = [cfg.num_hidden_units, cfg.output_dimension];
  const problem = singleSessionProblem(benchmarkData(N, conditional), cfg, getArchitecture(cfg.model_architecture), "step", cfg.seed, "positions");
  const names = ["touched", "taps_1", "taps_2", "taps_3", "taps_4", "taps_5", "out_index"];
  const mean = names.map(() => 0);
  for (let b = 0; b < batches; b++) {
    const feeds = problem.nextBatch();
    names.forEach((n, i) => (mean[i] += feeds[n].dims[0] / batches));
  }
  const [U, , P2, P3, P4, P5, M] = mean;
  // Forward plus the two backward GEMMs per layer; the first layer has no input gradient (the data is no parameter).
  const first = 2 * 2 * U * N * 2 * H;
  const residual = (positions: number[]) => positions.reduce((s, p) => s + 3 * 2 * p * 3 * H * H, 0);
  const last = (p: number) => 3 * 2 * p * 3 * H * D;
  const gflop = (x: number) => fmt(x / 1e9, 3);
  // The touched form: the first layer on the same U rows; per window (offset10-model, 10 samples): the first layer outputs 9 positions, the residual layers 7, 5, 3, the last 1.
  rows.push([
    `${conditional}${hybrid ? " hybrid" : ""}`,
    String(Math.round(M)),
    String(Math.round(U)),
    mean.slice(1, 6).map((x, i) => `${Math.round(x)} / ${Math.round(M * [9, 7, 5, 3, 1][i])}`).join(", "),
    `${gflop(first + residual([P2, P3, P4]) + last(P5))} (residual ${gflop(residual([P2, P3, P4]))})`,
    `${gflop(first + residual([7, 5, 3].map((l) => l * M)) + last(M))} (residual ${gflop(residual([7, 5, 3].map((l) => l * M)))})`,
  ]);
}
console.log(`N = ${N}, mean of ${batches} batches`);
console.log(textTable(["case", "windows", "touched rows", "positions per layer: distinct / per window", "GEMM GFLOP, positions", "GEMM GFLOP, touched form"], rows));
