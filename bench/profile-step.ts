/**
 * Where a training step's session.run time goes, by ONNX node type (ORT's own profiler): the standard
 * configuration's step graph (or its K-step Loop) run `--steps` times on one thread, ORT profiling on,
 * the profile's node events summed per op type and divided by the steps. Usage:
 * `node dist/bench/profile-step.js [--N 100] [--conditional time] [--steps 40] [--k 1] [--input touched|positions|recording|windows]`.
 * Prints ms/step per op type (top 15) and the total of node time against the wall time of the runs.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { benchmarkData, fmt, standardConfig, textTable } from "../src/cli/benchmark.js";
import { chooseStepInput } from "../src/engine/cebra/cost.js";
import { buildStepGraph, type StepInput } from "../src/engine/cebra/step.js";
import { buildStepLoopGraph } from "../src/engine/cebra/step-loop.js";
import { sessionOptionsFor } from "../src/engine/runtime/sessions.js";
import { singleSessionProblem, stepGraphOptions } from "../src/engine/train/batches.js";
import { LoopStepRunner } from "../src/engine/train/k-steps.js";
import { AdamStepRunner, type OptimState } from "../src/engine/train/trainer.js";
import { getArchitecture } from "../src/engine/cebra/lookup.js";
import type { Conditional } from "../src/engine/types.js";

const { values } = parseArgs({ strict: false, options: { N: { type: "string", default: "100" }, conditional: { type: "string", default: "time" }, steps: { type: "string", default: "40" }, k: { type: "string", default: "1" }, input: { type: "string" } } });
const N = Number(values.N);
const K = Number(values.k);
const steps = Number(values.steps);
const cfg = standardConfig({ conditional: values.conditional as Conditional });
const data = benchmarkData(N, cfg.conditional);
const form = (values.input as StepInput | undefined) ?? chooseStepInput(stepGraphOptions(cfg, N, "step"), data.n_samples);
const problem = singleSessionProblem(data, cfg, getArchitecture(cfg.model_architecture), "step", cfg.seed, form);
const gopts = { ...stepGraphOptions(cfg, N, "step"), input: form, recording_samples: data.n_samples };
const graph = K === 1 ? buildStepGraph(gopts) : buildStepLoopGraph(gopts);
const prefix = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ort-prof-")), "step");
const session = await ort.InferenceSession.create(graph.onnx, { ...sessionOptionsFor("cpu", 1), enableProfiling: true, profileFilePrefix: prefix });
const params = problem.initParams();
const state: OptimState = { params, m: new Float32Array(params.length), v: new Float32Array(params.length), step: 0 };
const one = new AdamStepRunner(session, cfg);
const loop = new LoopStepRunner(session, cfg);
const advance = async () => (K === 1 ? one.step(problem.nextBatch(), state) : loop.steps(() => problem.nextBatch(), K, state));
for (let i = 0; i < 2; i++) await advance(); // warm-up runs, profiled too but subtracted below by counting
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const runs = Math.ceil(steps / K);
for (let i = 0; i < runs; i++) await advance();
const wall = (performance.now() - t0) / (runs * K);
const cpu = process.cpuUsage(cpu0);
session.endProfiling();
await session.release();
const dir = path.dirname(prefix);
const file = path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith(".json")) ?? "missing-profile.json");
const events = JSON.parse(fs.readFileSync(path.resolve(file), "utf8")) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[];
const nodes = events.filter((e) => e.cat === "Node" && e.name.endsWith("_kernel_time"));
const byOp = new Map<string, number>();
for (const e of nodes) byOp.set(e.args?.op_name ?? "?", (byOp.get(e.args?.op_name ?? "?") ?? 0) + e.dur);
const totalRuns = runs + 2;
const perStep = (us: number) => us / 1000 / (totalRuns * K);
const rows = [...byOp.entries()].sort((a, b) => b[1] - a[1]);
const nodeTotal = rows.reduce((s, [, d]) => s + d, 0);
process.stdout.write(`N = ${N}, ${cfg.conditional}, input ${form}, K = ${K}: wall ${fmt(wall, 2)} ms/step, CPU ${fmt((cpu.user + cpu.system) / 1000 / (runs * K), 2)} ms/step; node kernel time ${fmt(perStep(nodeTotal), 2)} ms/step\n`);
process.stdout.write(textTable(["op", "ms/step", "share"], rows.slice(0, 15).map(([op, d]) => [op, fmt(perStep(d), 3), `${fmt((100 * d) / nodeTotal, 1)}%`])) + "\n");
if (process.argv.includes("--nodes")) {
  const byNode = new Map<string, { d: number; shape: string }>();
  for (const e of nodes as ({ name: string; dur: number; args?: { op_name?: string; input_type_shape?: unknown } })[]) {
    const n = e.name.replace(/_kernel_time$/, "");
    const x = byNode.get(n) ?? { d: 0, shape: JSON.stringify(e.args?.input_type_shape ?? "").replace(/"float"|"int64"|[{}"]/g, "").slice(0, 70) };
    x.d += e.dur;
    byNode.set(n, x);
  }
  const top = [...byNode.entries()].sort((a, b) => b[1].d - a[1].d).slice(0, 25);
  process.stdout.write(textTable(["node", "ms/step", "inputs"], top.map(([n, x]) => [n, fmt(perStep(x.d), 3), x.shape])) + "\n");
}
fs.rmSync(dir, { recursive: true, force: true });
