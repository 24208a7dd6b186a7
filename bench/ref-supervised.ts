/**
 * Faithfulness of the supervised models' training against the reference CEBRA 0.6.1 (PyTorch, CPU):
 * the same initial parameters and the same batches (drawn by our trainer's supervised problem, seeded),
 * `steps` steps of our step graph on ONNX Runtime (float32) and of CEBRA's SupervisedNNSolver.step
 * (bench/ref_supervised.py: torch.optim.Adam, nn.MSELoss / nn.CrossEntropyLoss). Prints, per case, the
 * largest |Δloss| over the steps and the largest |Δparameter| after them (with the largest parameter
 * change, for scale). docs/FAITHFULNESS.md "Supervised models".
 *
 * Usage: node dist/bench/ref-supervised.js [steps]   (needs the reference environment: CEBRA_REFERENCE_ENV,
 * a folder with env.sh exporting PY and PYTHONPATH; default /work/.cebra-reference)
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { getArchitecture, paramLayout } from "../src/engine/cebra/lookup.js";
import { createSession } from "../src/engine/runtime/sessions.js";
import { supervisedProblem } from "../src/engine/train/supervised.js";
import { AdamStepRunner, type OptimState } from "../src/engine/train/trainer.js";
import { DEFAULT_TRAIN_CONFIG, type SessionData, type TrainConfig } from "../src/engine/types.js";
import { Rng } from "../src/util/rng.js";

const HERE = path.dirname(new URL(import.meta.url).pathname);
const SCRIPT = path.resolve(HERE, "..", "..", "bench", "ref_supervised.py");
const ENV = process.env.CEBRA_REFERENCE_ENV ?? "/work/.cebra-reference";
const steps = Number(process.argv[2] ?? 50);
const [T, N, H, D, C] = [600, 12, 16, 6, 3];

/** Seeded data whose labels depend on the neural activity (so the steps learn something). */
function session(kind: "continuous" | "discrete"): SessionData {
  const rng = new Rng(5);
  const neural = Float32Array.from({ length: T * N }, () => rng.normal());
  const mix = Float64Array.from({ length: N * C }, () => rng.normal());
  const y = new Float32Array(T * C);
  for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) for (let n = 0; n < N; n++) y[t * C + c] += (mix[n * C + c] * neural[t * N + n]) / Math.sqrt(N);
  if (kind === "continuous") return { neural, n_samples: T, n_neurons: N, continuous: { data: y, dim: C } };
  const discrete = Int32Array.from({ length: T }, (_, t) => { const r = Array.from(y.subarray(t * C, t * C + C)); return r.indexOf(Math.max(...r)); });
  return { neural, n_samples: T, n_neurons: N, discrete };
}

async function compare(architecture: string, kind: "continuous" | "discrete"): Promise<string> {
  const data = session(kind);
  const cfg: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, model_architecture: architecture, num_hidden_units: H, output_dimension: D, batch_size: 64, learning_rate: 1e-3, seed: 3, device: "cpu", threads: 1 };
  const arch = getArchitecture(architecture);
  const problem = supervisedProblem([data], cfg, arch);
  const { session: ortSession } = await createSession(problem.onnx, { device: "cpu", threads: 1 });
  const runner = new AdamStepRunner(ortSession, cfg);
  const start = problem.initParams();
  const state: OptimState = { params: start.slice(), m: new Float32Array(start.length), v: new Float32Array(start.length), step: 0 };
  const batches: { X: number[]; y: number[] }[] = [];
  const ours: number[] = [];
  for (let s = 0; s < steps; s++) {
    const feeds = problem.nextBatch();
    batches.push({ X: Array.from(feeds.X.data as Float32Array), y: Array.from(feeds.targets.data as Float32Array) });
    ours.push((await runner.step(feeds, state)).loss);
  }
  await ortSession.release();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ref-supervised-"));
  const input = path.join(dir, "in.json");
  const output = path.join(dir, "out.json");
  fs.writeFileSync(input, JSON.stringify({ architecture, N, H, D, C, L: arch.receptive_field, lr: cfg.learning_rate, loss: kind === "continuous" ? "mse" : "cross_entropy", params: Array.from(start), batches }));
  const r = spawnSync("bash", ["-c", `. '${ENV}/env.sh' && exec "$PY" '${SCRIPT}' '${input}' '${output}'`], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`reference failed: ${r.stderr}`);
  const ref = JSON.parse(fs.readFileSync(output, "utf8")) as { losses: number[]; params: number[]; names: string[] };
  fs.rmSync(dir, { recursive: true });
  const ourNames = paramLayout({ architecture, n_neurons: N, num_hidden_units: H, output_dimension: D, label_num: C }).map((p) => p.torch_name);
  if (ourNames.join() !== ref.names.join()) throw new Error(`state-dict names differ: ours ${ourNames.join()} vs CEBRA ${ref.names.join()}`);
  const dLoss = Math.max(...ours.map((l, i) => Math.abs(l - ref.losses[i])));
  const dParam = Math.max(...ref.params.map((p, i) => Math.abs(p - state.params[i])));
  const moved = Math.max(...ref.params.map((p, i) => Math.abs(p - start[i])));
  return `${architecture} ${kind === "continuous" ? "MSE" : "cross-entropy"}: ${steps} steps, loss ${ref.losses[0].toFixed(4)} → ${ref.losses.at(-1)!.toFixed(4)}; max |Δloss| ${dLoss.toExponential(1)}; max |Δparam| ${dParam.toExponential(1)} (largest parameter change ${moved.toExponential(1)}); state-dict names equal`;
}

for (const a of ["supervised10-model", "supervised1-model"]) for (const k of ["continuous", "discrete"] as const) console.log(await compare(a, k));

