/** The cebra-mcp command line: flags → config, help/version, and refusals with exit code 2. */
import test from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { parseServeArgs } from "../../src/cli/args.js";
import { UserError } from "../../src/util/errors.js";
import { DEFAULT_INTAKE_LIMITS } from "../../src/data/load.js";
import { VERSION } from "../../src/version.js";
import { MAIN_JS } from "../helpers/mcp.js";

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN_JS, ...args], { encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("flags build the config; environment variables fill the gaps", () => {
  const env = { CEBRA_MCP_WORKSPACE: "/env/ws", CEBRA_MCP_ROOTS: `/r1${path.delimiter}/r2`, CEBRA_MCP_TOKEN: "envtok", HOME: "/home/u" };
  const fromEnv = parseServeArgs(["--http", "3100"], env, "/cwd");
  assert.equal(fromEnv.workspaceDir, "/env/ws");
  assert.deepEqual(fromEnv.allowRoots, ["/r1", "/r2"]);
  assert.deepEqual(fromEnv.http, { port: 3100, host: "127.0.0.1", token: "envtok", allowedHosts: [], maxBodyBytes: 4 * 1024 * 1024 });
  const fromFlags = parseServeArgs(["--workspace", "ws", "--allow-root", "data", "--allow-root", "/abs", "--http", "0", "--host", "0.0.0.0", "--token", "t", "--allowed-host", "box.lan"], env, "/cwd");
  assert.equal(fromFlags.workspaceDir, "/cwd/ws");
  assert.deepEqual(fromFlags.allowRoots, ["/r1", "/r2", "/cwd/data", "/abs"]);
  assert.equal(fromFlags.http?.token, "t");
  assert.deepEqual(fromFlags.http?.allowedHosts, ["box.lan"]);
  const stdio = parseServeArgs([], { XDG_CACHE_HOME: "/xdg" }, "/cwd");
  assert.equal(stdio.http, undefined);
  assert.equal(stdio.workspaceDir, "/xdg/cebra-mcp");
});

test("bad flags are UserErrors", () => {
  assert.throws(() => parseServeArgs(["--http", "99999"], {}), (e: unknown) => e instanceof UserError && /port/.test(e.problem));
  assert.throws(() => parseServeArgs(["--host", "0.0.0.0"], {}), (e: unknown) => e instanceof UserError && /--http/.test(e.fix));
  assert.throws(() => parseServeArgs(["--bogus"], {}), (e: unknown) => e instanceof UserError && /--allow-root/.test(e.fix));
});

test("--help and --version print to stdout", () => {
  const help = run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /cebra-mcp \[serve\]/);
  assert.match(help.stdout, /--allow-root/);
  const version = run(["--version"]);
  assert.equal(version.stdout.trim(), VERSION);
});

test("unknown commands and bad flags exit with code 2 and a fix on stderr", () => {
  const unknown = run(["frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown command "frobnicate"/);
  const badPort = run(["serve", "--http", "x"]);
  assert.equal(badPort.code, 2);
  assert.match(badPort.stderr, /not a valid port/);
  assert.equal(badPort.stdout, "", "nothing on stdout");
});

test("intake limits: defaults, flags and environment variables, with sizes in units", () => {
  const defaults = parseServeArgs([], {}, "/cwd").intake;
  assert.deepEqual(defaults, DEFAULT_INTAKE_LIMITS);
  assert.equal(defaults.allowPrivateUrls, false);
  const fromEnv = parseServeArgs([], {
    CEBRA_MCP_ALLOW_PRIVATE_URLS: "1",
    CEBRA_MCP_MAX_LOAD_BYTES: "512MiB",
    CEBRA_MCP_MAX_INFLATE_RATIO: "50",
    CEBRA_MCP_LOAD_HEAP_MB: "256",
    CEBRA_MCP_MAX_DOWNLOAD_BYTES: "1GB",
    CEBRA_MCP_DOWNLOAD_TIMEOUT_S: "30",
  }, "/cwd").intake;
  assert.deepEqual(fromEnv, { ...DEFAULT_INTAKE_LIMITS, allowPrivateUrls: true, maxLoadBytes: 512 * 1024 ** 2, maxInflateRatio: 50, loadWorkerHeapMb: 256, maxDownloadBytes: 1e9, downloadTimeoutMs: 30_000 });
  const fromFlags = parseServeArgs(["--allow-private-urls", "--max-load-bytes", "2GiB"], { CEBRA_MCP_MAX_LOAD_BYTES: "1GiB" }, "/cwd").intake;
  assert.equal(fromFlags.allowPrivateUrls, true);
  assert.equal(fromFlags.maxLoadBytes, 2 * 1024 ** 3);
  assert.equal(parseServeArgs([], { CEBRA_MCP_ALLOW_PRIVATE_URLS: "0" }, "/cwd").intake.allowPrivateUrls, false);
  for (const bad of ["-1", "lots", "8XB", "0"]) {
    assert.throws(() => parseServeArgs(["--max-load-bytes", bad], {}), (e: unknown) => e instanceof UserError && /8GiB/.test(e.fix), bad);
  }
  assert.throws(() => parseServeArgs([], { CEBRA_MCP_LOAD_HEAP_MB: "many" }), (e: unknown) => e instanceof UserError && /CEBRA_MCP_LOAD_HEAP_MB/.test(e.problem));
});
