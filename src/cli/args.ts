/**
 * Command-line flags of `cebra-mcp serve` → ServerConfig. Environment variables fill in what flags
 * leave out: CEBRA_MCP_WORKSPACE, CEBRA_MCP_ROOTS (path-delimiter separated), CEBRA_MCP_TOKEN,
 * CEBRA_MCP_ALLOW_PRIVATE_URLS, CEBRA_MCP_MAX_LOAD_BYTES, CEBRA_MCP_MAX_INFLATE_RATIO, CEBRA_MCP_LOAD_HEAP_MB,
 * CEBRA_MCP_MAX_DOWNLOAD_BYTES, CEBRA_MCP_DOWNLOAD_TIMEOUT_S, CEBRA_MCP_LOAD_TIMEOUT_S, CEBRA_MCP_HDF5_STALL_S (the intake limits,
 * docs/SECURITY.md), CEBRA_MCP_LAZY_MIN_BYTES, CEBRA_MCP_REMOTE_CACHE_BYTES and CEBRA_MCP_DANDI_API (remote files, docs/DATA.md),
 * CEBRA_MCP_QUEUE (the job queue).
 */
import { enableFaults } from "../util/faults.js";
import path from "node:path";
import { parseArgs } from "node:util";
import { UserError } from "../util/errors.js";
import { DEFAULT_MAX_BODY_BYTES, LOOPBACK_HOST, defaultConfig, type ServerConfig } from "../app/config.js";
import { splitRootList } from "../store/roots.js";
import { parseQueueUrl } from "../store/queue-url.js";

export const SERVE_USAGE = `cebra-mcp serve [options]      (serve is the default command)

  --http PORT            serve Streamable HTTP at http://HOST:PORT/mcp instead of stdio (0 = any free port)
  --host ADDR            interface for --http (default ${LOOPBACK_HOST}); non-loopback needs --token
  --token SECRET         bearer token HTTP clients must send (env CEBRA_MCP_TOKEN)
  --allowed-host NAME    extra hostname accepted in Host/Origin headers (repeatable)
  --workspace DIR        artifact directory (env CEBRA_MCP_WORKSPACE; default $XDG_CACHE_HOME/cebra-mcp or ~/.cache/cebra-mcp)
  --allow-root DIR       extra directory local files may be read from (repeatable; env CEBRA_MCP_ROOTS)
                         (the working directory and the workspace are always allowed)
  --allow-private-urls   also fetch URLs on loopback, private and link-local addresses (a local data
                         server); off by default because a remote client could reach this machine's
                         internal services (env CEBRA_MCP_ALLOW_PRIVATE_URLS=1)
  --max-load-bytes SIZE  most array data one load may decompress or read, e.g. 8GiB, 512MiB
                         (default 8GiB, and never more than half the free memory; env CEBRA_MCP_MAX_LOAD_BYTES)
  --queue URL            queue jobs on BullMQ at redis://HOST:PORT[/DB] for \`cebra-mcp worker\` processes
                         sharing the workspace (env CEBRA_MCP_QUEUE; default: run jobs in this process)`;

/** Parses `serve` flags (argv without the command name). */
export function parseServeArgs(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): ServerConfig {
  const { values } = parseFlags(argv);
  const config = defaultConfig(env, cwd);
  if (values.workspace) config.workspaceDir = path.resolve(cwd, values.workspace);
  config.allowRoots = [...splitRootList(env.CEBRA_MCP_ROOTS), ...(values["allow-root"] ?? [])].map((r) => path.resolve(cwd, r));
  if (values.conformance) config.conformance = true;
  enableFaults(values.fault ?? [], env); // hidden; negative evals only (src/util/faults.ts)
  if (values.queue !== undefined) config.queue = values.queue;
  if (config.queue !== undefined) parseQueueUrl(config.queue);
  config.intake = {
    ...config.intake,
    allowPrivateUrls: values["allow-private-urls"] === true || isTruthy(env.CEBRA_MCP_ALLOW_PRIVATE_URLS),
    ...optional("maxLoadBytes", values["max-load-bytes"] ?? env.CEBRA_MCP_MAX_LOAD_BYTES, (v) => parseByteSize(v, "--max-load-bytes")),
    ...optional("maxInflateRatio", env.CEBRA_MCP_MAX_INFLATE_RATIO, (v) => parsePositive(v, "CEBRA_MCP_MAX_INFLATE_RATIO")),
    ...optional("loadWorkerHeapMb", env.CEBRA_MCP_LOAD_HEAP_MB, (v) => parsePositive(v, "CEBRA_MCP_LOAD_HEAP_MB")),
    ...optional("maxDownloadBytes", env.CEBRA_MCP_MAX_DOWNLOAD_BYTES, (v) => parseByteSize(v, "CEBRA_MCP_MAX_DOWNLOAD_BYTES")),
    ...optional("downloadTimeoutMs", env.CEBRA_MCP_DOWNLOAD_TIMEOUT_S, (v) => parsePositive(v, "CEBRA_MCP_DOWNLOAD_TIMEOUT_S") * 1000),
    ...optional("loadTimeoutMs", env.CEBRA_MCP_LOAD_TIMEOUT_S, (v) => parsePositive(v, "CEBRA_MCP_LOAD_TIMEOUT_S") * 1000),
    ...optional("nativeStallMs", env.CEBRA_MCP_HDF5_STALL_S, (v) => parsePositive(v, "CEBRA_MCP_HDF5_STALL_S") * 1000),
    ...optional("lazyMinBytes", env.CEBRA_MCP_LAZY_MIN_BYTES, (v) => parseByteSize(v, "CEBRA_MCP_LAZY_MIN_BYTES")),
    ...optional("remoteCacheBytes", env.CEBRA_MCP_REMOTE_CACHE_BYTES, (v) => parseByteSize(v, "CEBRA_MCP_REMOTE_CACHE_BYTES")),
    ...(env.CEBRA_MCP_DANDI_API?.trim() ? { dandiApi: parseHttpUrl(env.CEBRA_MCP_DANDI_API.trim(), "CEBRA_MCP_DANDI_API") } : {}),
  };
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
        "allow-private-urls": { type: "boolean" },
        "max-load-bytes": { type: "string" },
        conformance: { type: "boolean" },
        fault: { type: "string", multiple: true },
        queue: { type: "string" },
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

/** "1", "true", "yes" (any case) → true. */
function isTruthy(v: string | undefined): boolean {
  return v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());
}

/** `{ [key]: parse(value) }` when a value is given, `{}` otherwise. */
function optional<K extends string>(key: K, value: string | undefined, parse: (v: string) => number): Partial<Record<K, number>> {
  return value === undefined || value.trim() === "" ? {} : ({ [key]: parse(value) } as Record<K, number>);
}

const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1e3, kb: 1e3, kib: 1024, m: 1e6, mb: 1e6, mib: 1024 ** 2, g: 1e9, gb: 1e9, gib: 1024 ** 3, t: 1e12, tb: 1e12, tib: 1024 ** 4 };

/** "8GiB", "512MiB", "2e9" → bytes. */
export function parseByteSize(value: string, what: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?(?:e[0-9]+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  const bytes = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!(bytes > 0) || !Number.isSafeInteger(bytes)) {
    throw new UserError(`${what} ${value} is not a size.`, "Pass a positive size in bytes or with a unit, e.g. 8GiB, 512MiB, 2000000000.", "bad_flag");
  }
  return bytes;
}

function parsePositive(value: string, what: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new UserError(`${what}=${value} is not a positive number.`, `Set ${what} to a positive number or unset it.`, "bad_flag");
  return n;
}

/** An http(s) URL without a trailing slash (the DANDI API base). */
function parseHttpUrl(value: string, what: string): string {
  let u: URL | null = null;
  try {
    u = new URL(value);
  } catch {
    u = null;
  }
  if (!u || !/^https?:$/.test(u.protocol)) throw new UserError(`${what}=${value} is not an http(s) URL.`, `Set ${what} to the API's base URL, e.g. https://api.dandiarchive.org/api.`, "bad_flag");
  return u.href.replace(/\/+$/, "");
}
