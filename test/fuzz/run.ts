/**
 * `npm run fuzz`: mutation fuzzing of the .npy, .npz and HDF5/NWB loaders (docs/FUZZING.md).
 *
 *   npm run fuzz -- [--seed N] [--cases N] [--case SEED:INDEX[,…]] [--mcp-fraction F] [--worker-fraction F] [--via direct|worker|mcp]
 *                   [--jobs N] [--hang-ms MS] [--mem-limit-mb MB] [--recycle N] [--report FILE] [--keep]
 *
 * Prints a summary and every failure with the command that replays it; exits 1 if any case crashed,
 * hung, went over the memory limit, escaped the root or ended in an internal error.
 */
import { writeFileSync } from "node:fs";
import { DEFAULT_OPTIONS, runFuzz, type FuzzOptions, type FuzzReport } from "./harness.js";

const USAGE = `usage: npm run fuzz -- [--seed N] [--cases N] [--case SEED:INDEX[,...]] [--mcp-fraction F] [--worker-fraction F] [--via direct|worker|mcp]
                     [--jobs N] [--hang-ms MS] [--mem-limit-mb MB] [--recycle N] [--report FILE] [--keep]`;

function parse(argv: string[]): { opts: FuzzOptions; report?: string } {
  const opts: FuzzOptions = { ...DEFAULT_OPTIONS };
  let report: string | undefined;
  let cases: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value.\n${USAGE}`);
      return v;
    };
    const num = (min: number, max: number) => {
      const v = Number(value());
      if (!Number.isFinite(v) || v < min || v > max) throw new Error(`${flag} must be a number in [${min}, ${max}].`);
      return v;
    };
    switch (flag) {
      case "--seed": opts.seed = Math.floor(num(0, 2 ** 32 - 1)); break;
      case "--cases": opts.cases = Math.floor(num(1, 10_000_000)); break;
      case "--case": cases = value(); break;
      case "--mcp-fraction": opts.mcpFraction = num(0, 1); break;
      case "--worker-fraction": opts.workerFraction = num(0, 1); break;
      case "--via": {
        const v = value();
        if (v !== "direct" && v !== "worker" && v !== "mcp") throw new Error("--via must be direct, worker or mcp.");
        opts.via = v;
        break;
      }
      case "--jobs": opts.jobs = Math.floor(num(1, 64)); break;
      case "--hang-ms": opts.hangMs = Math.floor(num(100, 600_000)); break;
      case "--mem-limit-mb": opts.memLimitMb = num(64, 1_000_000); break;
      case "--recycle": opts.recycle = Math.floor(num(1, 1_000_000)); break;
      case "--report": report = value(); break;
      case "--keep": opts.keep = true; break;
      case "-h": case "--help": console.log(USAGE); process.exit(0);
      default: throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  if (cases) {
    const ids = cases.split(",").map((id) => {
      const m = /^(?:(\d+):)?(\d+)$/.exec(id.trim());
      if (!m) throw new Error(`--case takes SEED:INDEX (as printed for a failure), not ${id}.`);
      if (m[1] !== undefined) opts.seed = Number(m[1]);
      return Number(m[2]);
    });
    opts.only = ids;
    opts.keep = true;
  }
  return { opts, report };
}

function table(title: string, rows: Record<string, Record<string, number>>): string {
  const cols = Object.keys(Object.values(rows)[0] ?? {});
  const lines = [`${title.padEnd(12)}${cols.map((c) => c.padStart(15)).join("")}`];
  for (const [k, v] of Object.entries(rows)) lines.push(`${k.padEnd(12)}${cols.map((c) => String(v[c]).padStart(15)).join("")}`);
  return lines.join("\n");
}

function summary(r: FuzzReport): string {
  const lines = [
    `fuzz: seed ${r.seed}, ${r.cases} cases in ${r.wall_s} s (${r.mean_case_ms} ms/case mean, ${r.runner_starts} runner starts of ${r.runner_start_ms} ms) on ${r.machine.cpus}× ${r.machine.cpu_model}, node ${r.machine.node}`,
    table("outcome", { all: r.counts }),
    table("loader", r.per_loader),
    table("route", r.per_route),
    `peak RSS: ${r.peak_rss_mb.max} MB (case ${r.peak_rss_mb.id}); runner max ${r.peak_rss_mb.runner_max} MB, MCP server max ${r.peak_rss_mb.mcp_server_max} MB`,
    `slowest: ${r.slowest.slice(0, 5).map((s) => `${s.id} ${s.ms} ms (${s.loader}/${s.seed} ${s.outcome})`).join("; ")}`,
  ];
  if (r.failure_groups.length) {
    lines.push(`${r.failures} failures in ${r.failure_groups.length} groups:`);
    for (const g of r.failure_groups) lines.push(`  [${g.loader}] ${g.outcome} ×${g.count}: ${g.message.slice(0, 240)}\n      replay: ${g.replay}`);
  } else lines.push("0 failures (no crash, hang, memory peak, escape or internal error).");
  if (r.options.keep) lines.push(`files kept in ${r.base} (failing cases under failures/)`);
  return lines.join("\n");
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  const { opts, report } = parsed;
  const replay = opts.only !== undefined;
  const r = await runFuzz({ ...opts, log: (line) => console.error(line) });
  if (report) writeFileSync(report, JSON.stringify(r, null, 2) + "\n");
  console.log(summary(r));
  if (replay) for (const c of r.failing_cases.length ? r.failing_cases : []) console.log(`\n${c.id} ${c.outcome} via ${c.via} (${c.ms} ms, ${c.peak_rss_mb} MB): ${c.loader}/${c.seed} ${c.mutations.join(" ")}\n${c.message}\nfile: ${c.kept ?? "?"}`);
  process.exit(r.failures ? 1 : 0);
}

void main();
