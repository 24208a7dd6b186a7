/**
 * Server configuration: one plain object built from command-line flags and environment variables
 * (src/cli/args.ts) and handed to everything that needs a setting.
 */
import { DEFAULT_INTAKE_LIMITS, type IntakeLimits } from "../data/load.js";
import { defaultWorkspaceDir } from "../store/workspace.js";

/** Streamable HTTP transport settings. */
export interface HttpConfig {
  /** TCP port (0 = pick a free one). */
  port: number;
  /** Interface to bind; loopback (127.0.0.1) by default. Anything else requires `token`. */
  host: string;
  /** Bearer token clients must send (`Authorization: Bearer <token>`); required off loopback. */
  token?: string;
  /** Host/Origin hostnames accepted besides localhost, 127.0.0.1 and [::1] (DNS-rebinding guard). */
  allowedHosts: string[];
  /** Largest accepted request body in bytes (larger → 413). */
  maxBodyBytes: number;
}

export interface ServerConfig {
  /** Workspace directory (artifacts, downloads). */
  workspaceDir: string;
  /** Extra directories local files may be read from (besides `cwd` and the workspace). */
  allowRoots: string[];
  /** Working directory: an allowed root, and the base for relative paths. */
  cwd: string;
  /** What a load may download, decompress and allocate (docs/SECURITY.md). */
  intake: IntakeLimits;
  /** Set for `--http PORT`; stdio otherwise. */
  http?: HttpConfig;
  /** Jobs (training runs) executed at the same time; the rest wait in a queue. */
  jobConcurrency: number;
  /** How long shutdown waits for cancelled jobs to save their partial results. */
  shutdownGraceMs: number;
  /** `--queue redis://HOST:PORT[/DB]` (env CEBRA_MCP_QUEUE): jobs go to BullMQ on that Redis and run in `cebra-mcp worker` processes; absent: in this process. */
  queue?: string;
  /** Hidden `--conformance`: register the MCP conformance suite's reference fixtures (scripts/conformance.sh). */
  conformance?: boolean;
}

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
export const LOOPBACK_HOST = "127.0.0.1";

/** A complete config with defaults for everything not given (workspace from env / XDG cache). */
export function defaultConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): ServerConfig {
  return {
    workspaceDir: env.CEBRA_MCP_WORKSPACE || defaultWorkspaceDir(env),
    allowRoots: [],
    cwd,
    intake: { ...DEFAULT_INTAKE_LIMITS },
    jobConcurrency: 1,
    shutdownGraceMs: 10_000,
    ...(env.CEBRA_MCP_QUEUE ? { queue: env.CEBRA_MCP_QUEUE } : {}),
  };
}

/** True for addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}
