/**
 * Command-line flags of `cebra-mcp serve` → ServerConfig. Environment variables fill in what flags
 * leave out: CEBRA_MCP_WORKSPACE, CEBRA_MCP_ROOTS (path-delimiter separated), CEBRA_MCP_TOKEN.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { UserError } from "../util/errors.js";
import { DEFAULT_MAX_BODY_BYTES, LOOPBACK_HOST, defaultConfig, type ServerConfig } from "../app/config.js";
import { splitRootList } from "../store/roots.js";

export const SERVE_USAGE = `cebra-mcp serve [options]      (serve is the default command)

  --http PORT            serve Streamable HTTP at http://HOST:PORT/mcp instead of stdio (0 = any free port)
  --host ADDR            interface for --http (default ${LOOPBACK_HOST}); non-loopback needs --token
  --token SECRET         bearer token HTTP clients must send (env CEBRA_MCP_TOKEN)
  --allowed-host NAME    extra hostname accepted in Host/Origin headers (repeatable)
  --workspace DIR        artifact directory (env CEBRA_MCP_WORKSPACE; default $XDG_CACHE_HOME/cebra-mcp or ~/.cache/cebra-mcp)
  --allow-root DIR       extra directory local files may be read from (repeatable; env CEBRA_MCP_ROOTS)
                         (the working directory and the workspace are always allowed)`;

/** Parses `serve` flags (argv without the command name). */
export function parseServeArgs(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): ServerConfig {
  const { values } = parseFlags(argv);
  const config = defaultConfig(env, cwd);
  if (values.workspace) config.workspaceDir = path.resolve(cwd, values.workspace);
  config.allowRoots = [...splitRootList(env.CEBRA_MCP_ROOTS), ...(values["allow-root"] ?? [])].map((r) => path.resolve(cwd, r));
  if (values.conformance) config.conformance = true;
  const token = values.token ?? env.CEBRA_MCP_TOKEN;
  if (values.http !== undefined) {
    config.http = {
      port: parsePort(values.http),
      host: values.host ?? LOOPBACK_HOST,
      ...(token ? { token } : {}),
      allowedHosts: values["allowed-host"] ?? [],
      maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    };
  } else if (values.host || values["allowed-host"]) {
    throw new UserError("--host and --allowed-host only apply to the HTTP transport.", "Add --http PORT, or drop them to serve on stdio.", "bad_flag");
  }
  return config;
}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        http: { type: "string" },
        host: { type: "string" },
        token: { type: "string" },
        workspace: { type: "string" },
        "allow-root": { type: "string", multiple: true },
        "allowed-host": { type: "string", multiple: true },
        conformance: { type: "boolean" },
      },
    });
  } catch (e) {
    throw new UserError(`${(e as Error).message}.`, `Valid options:\n${SERVE_USAGE}`, "bad_flag");
  }
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UserError(`--http ${value} is not a valid port.`, "Pass an integer 0–65535 (0 picks a free port).", "bad_flag");
  }
  return port;
}
