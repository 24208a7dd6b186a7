#!/usr/bin/env node
/**
 * The `cebra-mcp` command. Subcommands: `serve` (default) runs the MCP server; `demo` runs the
 * end-to-end demo (src/cli/demo.ts); `gpu-check` probes GPU execution providers
 * (src/cli/gpu-check.ts); `eval` runs MCP eval scenarios (src/cli/eval.ts); `worker` runs jobs queued on
 * Redis (src/cli/worker.ts). All but `serve` are
 * imported only when used, so `serve` never loads them.
 */
import { fileURLToPath } from "node:url";
import { UserError } from "../util/errors.js";
import { VERSION } from "../version.js";
import { SERVE_USAGE, parseServeArgs } from "./args.js";

const USAGE = `cebra-mcp ${VERSION} — MCP server for CEBRA neural decoding

Usage:
  cebra-mcp [serve] [options]   run the MCP server (stdio by default)
  cebra-mcp demo [options]      run the end-to-end demo (see cebra-mcp demo --help)
  cebra-mcp gpu-check           check which GPU execution providers work here
  cebra-mcp eval SCENARIO...    run MCP eval scenarios (see cebra-mcp eval --help)
  cebra-mcp inspect PATH|URL    what a recording file holds and how to load it (see --help)
  cebra-mcp worker --queue URL  run queued jobs for a server started with --queue (see cebra-mcp worker --help)
  cebra-mcp --help | --version

${SERVE_USAGE}`;

/** A subcommand implemented in a module loaded on demand. */
interface LazyCommand {
  module: string;
  exportName: string;
}

const LAZY_COMMANDS: Record<string, LazyCommand> = {
  demo: { module: "./demo.js", exportName: "runDemo" },
  "gpu-check": { module: "./gpu-check.js", exportName: "runGpuCheck" },
  eval: { module: "./eval.js", exportName: "runEval" },
  inspect: { module: "./inspect.js", exportName: "runInspect" },
  worker: { module: "./worker.js", exportName: "runWorker" },
};

/** Runs the command line; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "--help" || first === "-h" || first === "help") return print(USAGE);
  if (first === "--version" || first === "-v") return print(VERSION);
  if (first !== undefined && LAZY_COMMANDS[first]) return runLazy(first, LAZY_COMMANDS[first]!, rest);
  if (first === undefined || first === "serve" || first.startsWith("-")) {
    const serveArgs = first === "serve" ? rest : argv;
    if (serveArgs.includes("--help") || serveArgs.includes("-h")) return print(SERVE_USAGE);
    const [{ serve }, { CATALOG }] = await Promise.all([import("../server/serve.js"), import("./catalog.js")]);
    await serve(parseServeArgs(serveArgs), CATALOG);
    return 0;
  }
  throw new UserError(`Unknown command "${first}".`, `Run one of: serve, ${Object.keys(LAZY_COMMANDS).join(", ")} (cebra-mcp --help lists the options).`, "bad_command");
}

async function runLazy(name: string, cmd: LazyCommand, argv: string[]): Promise<number> {
  const url = new URL(cmd.module, import.meta.url);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url.href)) as Record<string, unknown>;
  } catch (e) {
    const missingItself = (e as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" && String((e as Error).message).includes(fileURLToPath(url));
    if (!missingItself) throw e;
    throw new UserError(`The ${name} command is not available in this build (${cmd.module} is missing).`, "Rebuild with `npm run build`, or use `cebra-mcp serve`.", "missing_command");
  }
  const run = mod[cmd.exportName];
  if (typeof run !== "function") throw new Error(`${cmd.module} does not export ${cmd.exportName}()`);
  const code: unknown = await run(argv);
  return typeof code === "number" ? code : 0;
}

function print(text: string): number {
  process.stdout.write(text + "\n");
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UserError) {
      process.stderr.write(`cebra-mcp: ${e.problem}\n${e.fix ? `Fix: ${e.fix}\n` : ""}`);
      process.exit(2);
    }
    process.stderr.write(`cebra-mcp: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  },
);
