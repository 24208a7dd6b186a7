/**
 * `cebra-mcp inspect PATH|URL [--json] [serve options]`: what a recording file holds before loading it
 * (the inspect_source tool's answer, src/data/inspect.ts), printed as text or, with --json, as JSON.
 * Local paths are read under the same allowed roots as the server (the working directory, the
 * workspace, --allow-root / CEBRA_MCP_ROOTS); URLs go through the same download guard and limits
 * (--allow-private-urls, --max-load-bytes, the CEBRA_MCP_* variables).
 */
import { inspectSourceFile } from "../app/inspect.js";
import { UserError } from "../util/errors.js";
import { inspectionText } from "../../tools/inspect_source.js";
import { parseServeArgs } from "./args.js";

export const INSPECT_USAGE = `Usage: cebra-mcp inspect PATH|URL [--json] [--allow-root DIR] [--allow-private-urls] [--max-load-bytes SIZE] [--workspace DIR]

Lists the neural series, labels, movies and unusable parts of a recording file (metadata only) and
the load_recording arguments that load each candidate. --json prints the whole answer as JSON.`;

export async function runInspect(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(INSPECT_USAGE + "\n");
    return 0;
  }
  const json = argv.includes("--json");
  const sources = argv.filter((a, i) => !a.startsWith("-") && !(i > 0 && /^--(allow-root|max-load-bytes|workspace)$/.test(argv[i - 1])));
  if (sources.length !== 1) throw new UserError(`cebra-mcp inspect takes one PATH or URL (got ${sources.length}).`, INSPECT_USAGE, "bad_command");
  const config = parseServeArgs(argv.filter((a) => a !== "--json" && a !== sources[0]));
  const roots = [config.cwd, config.workspaceDir, ...config.allowRoots];
  const r = await inspectSourceFile({ config, loadLimits: () => ({ roots, cwd: config.cwd, cacheDir: config.workspaceDir, ...config.intake }) }, sources[0]);
  process.stdout.write((json ? JSON.stringify(r, null, 2) : inspectionText(r)) + "\n");
  return 0;
}
