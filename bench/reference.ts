/**
 * The reference CEBRA 0.6.1 (PyTorch, CPU, one thread) side of `npm run bench -- --reference`: finds the
 * reference environment (a folder with env.sh, as ../shared/reference/speed/setup.sh builds it) and the
 * reference's step script (ref_step.py), and runs one measurement as a child process. Nothing is
 * estimated: when the environment or the script is missing, `findReference` says which and the bench
 * prints no reference figures.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Conditional } from "../src/engine/types.js";

export interface Reference {
  /** Folder holding env.sh (exports PY, PYTHONPATH, OMP_NUM_THREADS). */
  env_dir: string;
  /** The reference's step timing script (ref_step.py). */
  step_script: string;
}

const HERE = path.dirname(new URL(import.meta.url).pathname);
/** The repository root: dist/bench/ → two levels up. */
const ROOT = path.resolve(HERE, "..", "..");
const BENCH_SRC = path.join(ROOT, "bench");

/**
 * The reference named by `--reference DIR` (or CEBRA_REFERENCE_ENV), with ref_step.py from
 * `--reference-step` (or CEBRA_REFERENCE_STEP, default ../shared/reference/speed/ref_step.py beside the
 * repository). Returns the reason in words when either is missing.
 */
export function findReference(dir: string | undefined, stepScript: string | undefined): Reference | string {
  const env = findReferenceEnv(dir);
  if (typeof env === "string") return env;
  const script = path.resolve(stepScript ?? process.env.CEBRA_REFERENCE_STEP ?? path.join(ROOT, "..", "shared", "reference", "speed", "ref_step.py"));
  if (!fs.existsSync(script)) return `reference step script ${script} not found (--reference-step PATH or CEBRA_REFERENCE_STEP)`;
  return { env_dir: env.env_dir, step_script: script };
}

/** The reference environment alone (`--reference DIR` or CEBRA_REFERENCE_ENV, a folder with env.sh), or why there is none. */
export function findReferenceEnv(dir: string | undefined): { env_dir: string } | string {
  const envDir = dir ?? process.env.CEBRA_REFERENCE_ENV;
  if (!envDir) return "no reference named (--reference DIR or CEBRA_REFERENCE_ENV)";
  if (!fs.existsSync(path.join(envDir, "env.sh"))) return `${envDir}/env.sh not found (build it with ../shared/reference/speed/setup.sh)`;
  return { env_dir: path.resolve(envDir) };
}

function runPython(ref: Reference, args: string[]): string {
  const quoted = args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const r = spawnSync("bash", ["-c", `. '${ref.env_dir}/env.sh' && exec "$PY" ${quoted}`], { encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) throw new Error(`reference run failed (${args.join(" ")}): exit ${r.status}; ${(r.stderr ?? "").trim().split("\n").slice(-3).join(" | ")}`);
  return r.stdout.trim().split("\n").pop() ?? "";
}

/** The reference's ms/step (wall, mean over its steps 100..300) and CPU ms/step, for one case. */
export function referenceStep(ref: Reference, conditional: Conditional, N: number): { wall_ms: number; cpu_ms: number } {
  const [wall, cpu] = runPython(ref, [path.join(BENCH_SRC, "ref_cpu.py"), ref.step_script, conditional, String(N)]).split(/\s+/).map(Number);
  if (!Number.isFinite(wall) || !Number.isFinite(cpu)) throw new Error(`reference step printed no figures for ${conditional}, N = ${N}`);
  return { wall_ms: wall, cpu_ms: cpu };
}

/** The reference's transform throughput (samples/s, median of its repeats) over a T × N recording. */
export function referenceTransform(ref: Reference, N: number, T: number): number {
  const rates = runPython(ref, [path.join(BENCH_SRC, "ref_transform.py"), String(N), String(T)]).split(/\s+/).map(Number).sort((a, b) => a - b);
  if (!rates.length || !rates.every(Number.isFinite)) throw new Error(`reference transform printed no figures for N = ${N}`);
  return rates[Math.floor(rates.length / 2)];
}
