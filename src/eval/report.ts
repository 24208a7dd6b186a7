/**
 * Eval reports: `report.json` (everything: every step's checks, latencies, reasons, server log tails
 * of failed runs) and `summary.md` (one table per scenario run: step, request, latency, result,
 * reason) written to the output directory.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { VERSION } from "../version.js";
import type { ScenarioRun, StepResult } from "./runner.js";

interface EvalTotals {
  runs: number;
  passed_runs: number;
  failed_runs: number;
  steps: number;
  passed_steps: number;
  failed_steps: number;
  skipped_steps: number;
}

/** How the eval was run (recorded in the report). */
interface EvalSettings {
  /** Client protocol negotiation ("legacy" or "auto"). */
  era: string;
  transports: string[];
}

export interface EvalReport {
  tool: string;
  version: string;
  node: string;
  settings?: EvalSettings;
  started_at: string;
  finished_at: string;
  duration_s: number;
  passed: boolean;
  totals: EvalTotals;
  runs: ScenarioRun[];
}

/** Assembles the report of a finished eval. */
export function buildReport(runs: ScenarioRun[], startedAt: Date, finishedAt = new Date(), settings?: EvalSettings): EvalReport {
  const steps = runs.flatMap((r) => r.steps);
  const count = (s: StepResult["status"]) => steps.filter((x) => x.status === s).length;
  const passedRuns = runs.filter((r) => r.passed).length;
  return {
    tool: "cebra-mcp eval",
    version: VERSION,
    node: process.version,
    ...(settings ? { settings } : {}),
    started_at: startedAt.toISOString(),
    finished_at: finishedAt.toISOString(),
    duration_s: Math.round((finishedAt.getTime() - startedAt.getTime()) / 100) / 10,
    passed: runs.length > 0 && passedRuns === runs.length,
    totals: {
      runs: runs.length,
      passed_runs: passedRuns,
      failed_runs: runs.length - passedRuns,
      steps: steps.length,
      passed_steps: count("passed"),
      failed_steps: count("failed"),
      skipped_steps: count("skipped"),
    },
    runs,
  };
}

/** Writes report.json and summary.md into `outDir` (created if needed); returns their paths. */
export async function writeReport(report: EvalReport, outDir: string): Promise<{ json: string; markdown: string }> {
  await mkdir(outDir, { recursive: true });
  const json = path.join(outDir, "report.json");
  const markdown = path.join(outDir, "summary.md");
  await writeFile(json, JSON.stringify(report, null, 2) + "\n");
  await writeFile(markdown, renderMarkdown(report));
  return { json, markdown };
}

/** The Markdown summary: totals, then one table per scenario run. */
export function renderMarkdown(report: EvalReport): string {
  const t = report.totals;
  const lines = [
    `# cebra-mcp eval ${report.passed ? "passed" : "FAILED"}`,
    "",
    `${t.passed_runs}/${t.runs} scenario runs passed; steps: ${t.passed_steps} passed, ${t.failed_steps} failed, ${t.skipped_steps} skipped. ` +
      `Started ${report.started_at}, took ${report.duration_s} s (cebra-mcp ${report.version}, Node ${report.node}${report.settings ? `, client era ${report.settings.era}` : ""}).`,
    "",
    "| Scenario | Transport | Result | Steps passed | Time (s) |",
    "|---|---|---|---|---|",
    ...report.runs.map((r) => `| ${cell(r.scenario)} | ${r.transport} | ${r.passed ? "✅ pass" : "❌ FAIL"} | ${r.steps.filter((s) => s.status === "passed").length}/${r.steps.length} | ${r.duration_s} |`),
    "",
  ];
  for (const run of report.runs) lines.push(...runSection(run));
  return lines.join("\n") + "\n";
}

function runSection(run: ScenarioRun): string[] {
  const lines = [`## ${run.scenario} — ${run.transport} — ${run.passed ? "pass" : "FAIL"}`, ""];
  if (run.description) lines.push(run.description, "");
  if (run.file) lines.push(`Scenario file: \`${run.file}\``, "");
  if (run.error) lines.push(`**Run error:** ${cell(run.error)}`, "");
  if (run.steps.length) {
    lines.push("| Step | Request | Latency (ms) | Result | Reason |", "|---|---|---|---|---|");
    for (const s of run.steps) {
      const latency = s.attempts > 1 ? `${s.latency_ms} (${s.attempts} calls)` : String(s.latency_ms);
      lines.push(`| ${cell(s.title ? `${s.id}: ${s.title}` : s.id)} | ${s.action} \`${cell(s.target)}\` | ${latency} | ${STATUS[s.status]} | ${cell(s.reason ?? `${s.checks.length} check(s)`)} |`);
    }
    lines.push("");
  }
  if (run.server_log_tail) lines.push("<details><summary>Server log (tail)</summary>", "", "```", run.server_log_tail.trimEnd(), "```", "", "</details>", "");
  if (run.kept_dir) lines.push(`Files kept in \`${run.kept_dir}\`.`, "");
  return lines;
}

const STATUS: Record<StepResult["status"], string> = { passed: "✅", failed: "❌", skipped: "⏭ skipped" };

/** Text safe inside a Markdown table cell. */
function cell(s: string): string {
  const one = s.replace(/\s+/g, " ").replace(/\|/g, "\\|").trim();
  return one.length > 500 ? `${one.slice(0, 499)}…` : one;
}
