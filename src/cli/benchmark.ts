/**
 * Shared pieces of the performance measurements (`npm run bench`, `npm run gpu-check`): the standard
 * configuration, its synthetic data, percentile summaries and a description of the machine.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import { VERSION } from "../version.js";
import { roundTo } from "../util/stats.js";
import { runtimeVersions } from "../engine/runtime/sessions.js";
import { ringRecording } from "../engine/synthetic.js";
import { DEFAULT_TRAIN_CONFIG, type Conditional, type SessionData, type TrainConfig } from "../engine/types.js";

/** The standard configuration: offset10-model, batch 512, 32 hidden units, output 8, one ORT thread. */
export function standardConfig(over: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ...DEFAULT_TRAIN_CONFIG,
    model_architecture: "offset10-model",
    batch_size: 512,
    num_hidden_units: 32,
    output_dimension: 8,
    conditional: "time",
    threads: 1,
    device: "cpu",
    ...over,
  };
}

/** Synthetic data for a benchmark case: T = 10,000 samples by default; a 3-d label for label-driven conditionals. */
export function benchmarkData(N: number, conditional: Conditional, T = 10_000): SessionData {
  return ringRecording({ T, N, label_dim: conditional === "time" ? 2 : 3, seed: 7 }).session;
}

export interface Percentiles {
  median: number;
  p10: number;
  p90: number;
}

/** Linear-interpolated percentile q ∈ [0, 1] of unsorted values. */
export function percentile(values: readonly number[], q: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export function percentiles(values: readonly number[]): Percentiles {
  return { median: percentile(values, 0.5), p10: percentile(values, 0.1), p90: percentile(values, 0.9) };
}

export interface MachineInfo {
  cpu_model: string;
  nproc: number;
  loadavg: number[];
  total_memory_gb: number;
  platform: string;
  gpus: string[];
  versions: { cebra_mcp: string; onnxruntime_node: string; node: string };
}

/** CPU model (from /proc/cpuinfo where available), core count, load, and GPUs `nvidia-smi` lists. */
export function machineInfo(): MachineInfo {
  return {
    cpu_model: cpuModel(),
    nproc: os.availableParallelism(),
    loadavg: os.loadavg().map((x) => roundTo(x, 2)),
    total_memory_gb: Math.round(os.totalmem() / 2 ** 30),
    platform: `${process.platform}-${process.arch}`,
    gpus: nvidiaGpus(),
    versions: { cebra_mcp: VERSION, ...runtimeVersions() },
  };
}

function cpuModel(): string {
  try {
    const line = fs.readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("model name"));
    if (line) return line.split(":")[1].trim();
  } catch {
    // not Linux: fall through to os.cpus()
  }
  return os.cpus()[0]?.model ?? "unknown";
}

function nvidiaGpus(): string[] {
  const r = spawnSync("nvidia-smi", ["--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"], { encoding: "utf8", timeout: 10_000 });
  return r.status === 0 ? r.stdout.trim().split("\n").filter(Boolean) : [];
}

/** Format a number with `digits` decimals, or "—" for missing values. */
export function fmt(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "—" : x.toFixed(digits);
}

/** A plain-text table with right-aligned columns (first column left-aligned). */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
