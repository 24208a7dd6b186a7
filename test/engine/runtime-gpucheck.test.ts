import test from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Writable } from "node:stream";
import { compareTrajectories, parseGpuCheckArgs, runGpuCheck, verdictLines, type GpuCheckReport, type RunResult } from "../../src/cli/gpu-check.js";

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({ write: (c, _e, cb) => (chunks.push(String(c)), cb()) });
  return { stream, text: () => chunks.join("") };
}

test("gpu-check probes every device, trains on those that start, writes the JSON report and prints tables", async () => {
  const json = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gpucheck-")), "report.json");
  const out = capture();
  const code = await runGpuCheck(["--steps", "12", "--T", "600", "--N", "20", "--batch", "32", "--json", json], out.stream);
  assert.equal(code, 0);
  const report = JSON.parse(fs.readFileSync(json, "utf8")) as GpuCheckReport;
  assert.deepEqual(report.probes.map((p) => p.device), ["cuda", "webgpu", "cpu"]);
  for (const p of report.probes.filter((p) => !p.started)) assert.ok(p.reason && p.fix, `${p.device} says why and how to fix`);
  const started = report.probes.filter((p) => p.started).map((p) => p.device);
  assert.deepEqual(report.runs.map((r) => r.device), started);
  const cpu = report.runs.find((r) => r.device === "cpu")!;
  assert.equal(cpu.error, null);
  assert.equal(cpu.losses.length, 12);
  assert.ok(cpu.step_ms!.median > 0);
  assert.equal(report.comparisons.length, started.length - 1);
  assert.match(out.text(), /cpu\s+starts/);
  assert.match(out.text(), /session\.run ms/);
  // The transform on every device that starts, the CPU first as the reference.
  assert.deepEqual(report.transforms.map((t) => t.device).sort(), [...started].sort());
  const cpuT = report.transforms[0];
  assert.equal(cpuT.device, "cpu");
  assert.equal(cpuT.error, null);
  assert.equal(cpuT.max_abs_diff_vs_cpu, 0);
  assert.ok(cpuT.samples_per_s! > 0);
  assert.match(out.text(), /transform \(encoder\) on\s+samples\/s/);
});

test("gpu-check verdict: a device's transform agrees, differs beyond TF32 rounding, or failed", () => {
  const lines = verdictLines([], [], [
    { device: "cpu", samples_per_s: 1e6, max_abs_diff_vs_cpu: 0, error: null },
    { device: "cuda", samples_per_s: 1e7, max_abs_diff_vs_cpu: 3e-4, error: null },
    { device: "webgpu", samples_per_s: 1e6, max_abs_diff_vs_cpu: 0.4, error: null },
  ]);
  assert.ok(lines.includes("cuda transform: agrees with cpu (max |Δz| 3.0e-4)"), lines.join("\n"));
  assert.ok(lines.some((l) => /^webgpu transform: DIFFERS from cpu \(max \|Δz\| 4\.0e-1/.test(l)), lines.join("\n"));
  assert.ok(!lines.some((l) => l.startsWith("cpu transform")), "the CPU is the reference, not judged");
  const failed = verdictLines([], [], [{ device: "cuda", samples_per_s: null, max_abs_diff_vs_cpu: null, error: "no cuDNN" }]);
  assert.ok(failed.includes("cuda transform: failed: no cuDNN"));
});

function result(device: "cpu" | "cuda", losses: number[], params: number[], median: number): RunResult {
  const ms = { median, p10: median, p90: median };
  return { run: { device, steps: losses.length, step_ms: ms, assemble_ms: ms, run_ms: ms, losses, error: null }, params: Float32Array.from(params) };
}

test("trajectory comparison: per-step absolute and relative loss differences, parameter difference, speed-up", () => {
  const cpu = result("cpu", [4, 3, 2], [1, 2, 3], 30);
  const same = compareTrajectories(result("cuda", [4, 3, 2], [1, 2, 3], 10), cpu);
  assert.equal(same.max_abs_diff, 0);
  assert.equal(same.agrees, true);
  assert.equal(same.speedup_vs_cpu, 3);
  const off = compareTrajectories(result("cuda", [4.05, 3, 2.5], [1, 2.25, 3], 60), cpu);
  assert.ok(Math.abs(off.first_step_abs_diff - 0.05) < 1e-12);
  assert.equal(off.max_abs_diff, 0.5);
  assert.equal(off.max_rel_diff, 0.25);
  assert.equal(off.final_abs_diff, 0.5);
  assert.equal(off.param_max_abs_diff, 0.25);
  assert.equal(off.agrees, false);
  assert.equal(off.speedup_vs_cpu, 0.5);
});

test("gpu-check options: defaults, cpu always included as the reference, bad values rejected", () => {
  const d = parseGpuCheckArgs([]);
  assert.deepEqual([d.steps, d.T, d.N, d.batch_size, d.devices], [200, 10000, 100, 512, ["cuda", "webgpu", "cpu"]]);
  assert.deepEqual(parseGpuCheckArgs(["--devices", "cuda"]).devices, ["cuda", "cpu"]);
  assert.throws(() => parseGpuCheckArgs(["--devices", "tpu"]), /unknown device/);
  assert.throws(() => parseGpuCheckArgs(["--steps", "0"]), /positive integer/);
});

test("gpu-check --quick: 300 steps with K = 1 and 10 steps per run unless told otherwise", () => {
  const q = parseGpuCheckArgs(["--quick"]);
  assert.deepEqual([q.steps, q.k, q.quick], [300, [1, 10], true]);
  assert.deepEqual(parseGpuCheckArgs(["--quick", "--steps", "40", "--k", "1,4"]).k, [1, 4]);
  assert.deepEqual(parseGpuCheckArgs([]).k, [1]);
  assert.throws(() => parseGpuCheckArgs(["--k", "1,0"]), /positive integer/);
});

test("gpu-check with K > 1: the K-step run is compared with the CPU's K = 1 run and agrees to float rounding", async () => {
  const json = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gpucheck-k-")), "report.json");
  const out = capture();
  const code = await runGpuCheck(["--devices", "cpu", "--steps", "9", "--k", "1,4", "--T", "600", "--N", "20", "--batch", "32", "--json", json], out.stream);
  assert.equal(code, 0);
  const report = JSON.parse(fs.readFileSync(json, "utf8")) as GpuCheckReport;
  assert.deepEqual(report.runs.map((r) => [r.device, r.k, r.losses.length]), [["cpu", 1, 9], ["cpu", 4, 9]]);
  assert.equal(report.comparisons.length, 1);
  const c = report.comparisons[0];
  assert.equal(c.k, 4);
  assert.ok(c.max_abs_diff < 1e-5 && c.param_max_abs_diff < 1e-6, `K = 4 vs K = 1: ${c.max_abs_diff}, ${c.param_max_abs_diff}`);
  assert.ok(report.runs.every((r) => r.steps_per_s! > 0));
  assert.match(out.text(), /cpu K=4: agrees with cpu K=1/);
});
