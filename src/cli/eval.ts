/**
 * `cebra-mcp eval [options] SCENARIO...` (and `npm run eval`): runs scenario files (docs/EVALS.md)
 * through a real MCP client against freshly spawned servers, over stdio and Streamable HTTP, writes
 * report.json and summary.md, and exits non-zero if any check failed. Each scenario run gets its own
 * temp working directory and workspace, so runs never see each other's artifacts.
 */
import { mkdir, readdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { UserError } from "../util/errors.js";
import { spawnConnector, type ClientEra } from "../eval/connect.js";
import { buildReport, writeReport } from "../eval/report.js";
import { judgeBroken, type BrokenVerdict } from "../eval/broken.js";
import { runScenario, type ScenarioRun, type StepResult } from "../eval/runner.js";
import { applyBrokenVariant, loadScenario, ScenarioFileError, TRANSPORTS, type Scenario, type TransportName } from "../eval/scenario.js";

const EVAL_USAGE = `cebra-mcp eval [options] SCENARIO...   run eval scenarios (JSON files or directories of them)

  --out DIR              where report.json and summary.md go (default eval-results)
  --transport T          stdio, http or both (default both)
  --era E                client protocol negotiation: legacy (default) or auto (2026-07-28 when offered)
  --keep                 keep each run's temp directory (workspace, fixtures) and print where
  --broken               run the scenarios' broken variants instead: each must FAIL at a value check of
                         the steps it names (caught_by); exit 0 only if every one was caught (broken.json)
  --help                 this text

Exit code: 0 all checks passed (--broken: every broken variant was caught), 1 a check failed (--broken: a variant passed), 2 bad usage or scenario file.
Scenario format: docs/EVALS.md.`;

interface EvalArgs {
  files: string[];
  out: string;
  transports: TransportName[];
  era: ClientEra;
  keep: boolean;
  broken: boolean;
}

/** Where progress lines go (stdout for the command; tests pass their own). */
type Output = Pick<NodeJS.WritableStream, "write">;

/** Runs the eval command; resolves to the exit code. */
export async function runEval(argv: string[], out: Output = process.stdout): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    out.write(EVAL_USAGE + "\n");
    return 0;
  }
  const args = parseEvalArgs(argv);
  const scenarios = await loadScenarios(args.files);
  if (args.broken) return runBroken(scenarios, args, out);
  const started = new Date();
  const runs: ScenarioRun[] = [];
  for (const scenario of scenarios) {
    for (const transport of args.transports.filter((t) => !scenario.transports || scenario.transports.includes(t))) {
      out.write(`▶ ${scenario.name} [${transport}]\n`);
      const run = await runScenario(scenario, spawnConnector(transport, { era: args.era }), { transport, keep: args.keep, onStep: (step) => out.write(stepLine(step)) });
      out.write(runLines(run));
      runs.push(run);
    }
  }
  const report = buildReport(runs, started, new Date(), { era: args.era, transports: args.transports });
  const files = await writeReport(report, args.out);
  const t = report.totals;
  out.write(`\n${report.passed ? "PASS" : "FAIL"}: ${t.passed_runs}/${t.runs} runs passed (${t.failed_steps} failed, ${t.skipped_steps} skipped steps) in ${report.duration_s} s\nReport: ${files.json}\nSummary: ${files.markdown}\n`);
  return report.passed ? 0 : 1;
}

function parseEvalArgs(argv: string[]): EvalArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { out: { type: "string" }, transport: { type: "string" }, era: { type: "string" }, keep: { type: "boolean" }, broken: { type: "boolean" } },
    });
  } catch (e) {
    throw new UserError(`${(e as Error).message}.`, EVAL_USAGE, "bad_flag");
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0) throw new UserError("No scenario files given.", `Pass scenario files or directories, e.g. cebra-mcp eval evals/*.json.\n${EVAL_USAGE}`, "bad_flag");
  const transport = values.transport ?? "both";
  if (transport !== "both" && !(TRANSPORTS as readonly string[]).includes(transport)) {
    throw new UserError(`--transport ${transport} is not stdio, http or both.`, "Pass --transport stdio, http or both.", "bad_flag");
  }
  const era = values.era ?? "legacy";
  if (era !== "legacy" && era !== "auto") throw new UserError(`--era ${era} is not legacy or auto.`, "Pass --era legacy or --era auto.", "bad_flag");
  return {
    files: positionals,
    out: path.resolve(values.out ?? "eval-results"),
    transports: transport === "both" ? [...TRANSPORTS] : [transport as TransportName],
    era,
    keep: values.keep ?? false,
    broken: values.broken ?? false,
  };
}

/** Loads scenario files; directories contribute their *.json files (sorted). Names must be unique. */
async function loadScenarios(inputs: string[]): Promise<Scenario[]> {
  const files: string[] = [];
  for (const input of inputs) {
    const st = await stat(input).catch(() => undefined);
    if (!st) throw new UserError(`Scenario ${input} does not exist.`, "Pass existing scenario files or directories (e.g. evals/).", "bad_flag");
    if (st.isDirectory()) files.push(...(await readdir(input)).filter((f) => f.endsWith(".json")).sort().map((f) => path.join(input, f)));
    else files.push(input);
  }
  const scenarios: Scenario[] = [];
  for (const file of files) {
    try {
      scenarios.push(await loadScenario(file));
    } catch (e) {
      if (e instanceof ScenarioFileError) throw new UserError(e.message, "Fix the scenario file (format: docs/EVALS.md).", "bad_scenario");
      throw e;
    }
  }
  const names = scenarios.map((s) => s.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UserError(`Two scenario files are named "${dup}".`, "Give every scenario a unique name.", "bad_scenario");
  return scenarios;
}

function stepLine(step: StepResult): string {
  const mark = step.status === "passed" ? "✓" : step.status === "skipped" ? "-" : "✗";
  const calls = step.attempts > 1 ? `, ${step.attempts} calls` : "";
  return `  ${mark} ${step.id} ${step.action} ${step.target} (${step.latency_ms} ms${calls})${step.reason ? `\n      ${step.reason}` : ""}\n`;
}

function runLines(run: ScenarioRun): string {
  return [
    ...(run.error ? [`  ✗ run error: ${run.error}`] : []),
    ...(run.kept_dir ? [`  files kept in ${run.kept_dir}`] : []),
    `  ${run.passed ? "PASS" : "FAIL"} ${run.scenario} [${run.transport}] in ${run.duration_s} s`,
  ].join("\n") + "\n";
}

/** `--broken`: every broken variant must fail at a value check of its caught_by steps. */
async function runBroken(scenarios: Scenario[], args: EvalArgs, out: Output): Promise<number> {
  const verdicts: BrokenVerdict[] = [];
  const started = Date.now();
  for (const scenario of scenarios) {
    for (const variant of scenario.broken) {
      const broken = applyBrokenVariant(scenario, variant);
      const serverArgs = variant.fault ? ["--fault", variant.fault] : [];
      const env = variant.fault ? { CEBRA_MCP_ENABLE_FAULTS: "1" } : undefined;
      for (const transport of args.transports.filter((t) => !scenario.transports || scenario.transports.includes(t))) {
        out.write(`▶ ${broken.name} [${transport}] (must fail at ${variant.caught_by.join(", ")})\n`);
        const run = await runScenario(broken, spawnConnector(transport, { era: args.era, serverArgs, ...(env ? { env } : {}) }), { transport, keep: args.keep });
        const v = judgeBroken(scenario.name, variant, run);
        verdicts.push(v);
        out.write(v.caught ? `  CAUGHT in ${v.duration_s} s by:\n${v.caught_by.map((c) => `    ✓ ${c}`).join("\n")}\n` : `  NOT CAUGHT (${run.passed ? "the broken run passed every check" : "it failed only elsewhere"})${v.other_failures.length ? `:\n${v.other_failures.map((c) => `    ✗ ${c}`).join("\n")}` : ""}\n`);
      }
    }
  }
  const missed = verdicts.filter((v) => !v.caught);
  await mkdir(args.out, { recursive: true });
  const file = path.join(args.out, "broken.json");
  await writeFile(file, JSON.stringify({ caught: missed.length === 0, duration_s: Math.round((Date.now() - started) / 100) / 10, verdicts }, null, 2) + "\n");
  if (verdicts.length === 0) {
    out.write("\nFAIL: no scenario defines a broken variant.\n");
    return 1;
  }
  out.write(`\n${missed.length === 0 ? "PASS" : "FAIL"}: ${verdicts.length - missed.length}/${verdicts.length} broken variants caught${missed.length ? ` (not caught: ${missed.map((v) => `${v.scenario}~${v.variant} [${v.transport}]`).join(", ")})` : ""}\nReport: ${file}\n`);
  return missed.length === 0 ? 0 : 1;
}
