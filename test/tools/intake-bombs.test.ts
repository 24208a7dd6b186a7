/**
 * Decompression bombs and the loading worker's memory budget through a real MCP client: a stdio
 * server subprocess is sent a single-member bomb (~2 MB whose member inflates to 2 GiB of zeros), a
 * multi-member bomb (4 members of 1 GiB each, ~4 MB) and a bomb whose directory lies about its size.
 * Each must be refused with a clear error within 30 s while the server's peak RSS (VmHWM) stays under
 * 2 GB, and the server must then still load a good file. The bombs are built by repeating one
 * deflated segment (test/data/zip-builder.ts), never materialising their contents here.
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { writeNpz } from "../../src/data/formats/npz.js";
import { npyHeader, writeZip, zeroNeural } from "../data/zip-builder.js";
import { callError, callOk, connectStdio, type StdioConnection } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const tmp = tempDir();
const data = path.join(tmp.dir, "data");
const files = {
  single: path.join(data, "single.npz"),
  multi: path.join(data, "multi.npz"),
  lying: path.join(data, "lying.npz"),
  good: path.join(data, "good.npz"),
};
const servers: StdioConnection[] = [];

before(() => {
  mkdirSync(data, { recursive: true });
  writeZip(files.single, [zeroNeural("neural.npy", 2 * GiB)]);
  const roles = ["neural", "continuous", "frame_features", "discrete"];
  writeZip(files.multi, roles.map((role) => zeroNeural(`${role}.npy`, GiB)));
  // Header and directory both declare 48 MiB (under the ratio grace size, a plausible 24:1); the stream inflates to 2 GiB.
  const header = npyHeader("<f4", [(48 * MiB) / 4096, 1024]);
  writeZip(files.lying, [{ name: "neural.npy", data: header, zeros: 2 * GiB, declaredSize: header.length + 48 * MiB }]);
  writeFileSync(files.good, writeNpz({ neural: { dtype: "<f4", shape: [40, 3], data: Array.from({ length: 120 }, (_, i) => Math.sin(i)) } }, { compress: true }));
});

after(async () => {
  for (const s of servers) await s.close();
  tmp.cleanup();
});

/** A stdio server reading from `data`, in its own workspace. */
async function serve(name: string, args: string[] = [], env: Record<string, string> = {}): Promise<StdioConnection & { workspace: string }> {
  const workspace = path.join(tmp.dir, `ws-${name}`);
  const conn = await connectStdio({ workspace, args: ["--allow-root", data, ...args], env });
  servers.push(conn);
  return Object.assign(conn, { workspace });
}

/** The pid of the server process serving `workspace` (its command line names it). */
function serverPid(workspace: string): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (cmd.includes("serve") && cmd.includes(workspace)) return Number(entry);
    } catch {
      // the process ended meanwhile
    }
  }
  throw new Error(`no server process for ${workspace}`);
}

/** Peak resident set size (VmHWM) of a process, in bytes. */
function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  assert.ok(m, "VmHWM in /proc/<pid>/status");
  return Number(m[1]) * 1024;
}

/** Loads `file`, expecting a clear refusal within 30 s; returns how long it took, in seconds. */
async function refused(conn: StdioConnection, file: string, pattern: RegExp): Promise<number> {
  const t0 = Date.now();
  const text = await callError(conn.client, "load_recording", { source: file });
  const seconds = (Date.now() - t0) / 1000;
  assert.ok(seconds < 30, `refused after ${seconds} s`);
  assert.doesNotMatch(text, /Internal error|\n\s+at /, "a clear error, not an internal one");
  assert.match(text, pattern);
  return seconds;
}

/** The server still answers a tools/call: a good file loads. */
async function stillServes(conn: StdioConnection): Promise<void> {
  const { data: rec } = await callOk<{ n_samples: number; n_neurons: number }>(conn.client, "load_recording", { source: files.good });
  assert.deepEqual([rec.n_samples, rec.n_neurons], [40, 3]);
}

test("the bombs are small files", () => {
  for (const [name, file] of Object.entries(files)) assert.ok(statSync(file).size < 6 * MiB, `${name}: ${statSync(file).size} bytes`);
});

test("default limits: single, multi-member and lying bombs are refused; peak RSS stays under 2 GB; the server keeps serving", async (t) => {
  const conn = await serve("default");
  const pid = serverPid(conn.workspace);
  const times = [];
  times.push(await refused(conn, files.single, /single\.npz: member neural\.npy would inflate \d+ bytes to 2147483\d+ bytes .* limit of 900:1.*CEBRA_MCP_MAX_INFLATE_RATIO/s));
  await stillServes(conn);
  times.push(await refused(conn, files.multi, /multi\.npz: member \w+\.npy would inflate \d+ bytes to 107374\d+ bytes.*decompression bomb/s));
  await stillServes(conn);
  times.push(await refused(conn, files.lying, /lying\.npz: member neural\.npy inflates to more than the 503317\d\d bytes its directory entry declares; inflation was stopped there/));
  await stillServes(conn);
  const peak = peakRss(pid);
  t.diagnostic(`refused in ${times.map((x) => x.toFixed(2)).join(", ")} s; server peak RSS (VmHWM) ${(peak / MiB).toFixed(0)} MiB`);
  assert.ok(peak < 2e9, `server peak RSS ${(peak / MiB).toFixed(0)} MiB`);
});

test("with the ratio limit raised, the multi-member bomb is refused by its declared total before inflating", async () => {
  const conn = await serve("raised", ["--max-load-bytes", "2GiB"], { CEBRA_MCP_MAX_INFLATE_RATIO: "5000" });
  const pid = serverPid(conn.workspace);
  await refused(conn, files.multi, /multi\.npz: the members to read \(.*\) declare 4294\d+ bytes uncompressed, more than the load budget.*nothing was inflated.*--max-load-bytes/s);
  await stillServes(conn);
  const peak = peakRss(pid);
  assert.ok(peak < 2e9, `server peak RSS ${(peak / MiB).toFixed(0)} MiB`);
});

test("a loading worker that runs out of its heap budget is a clear error and the server keeps serving", async () => {
  const conn = await serve("tiny-heap", [], { CEBRA_MCP_LOAD_HEAP_MB: "8" });
  await refused(conn, files.good, /ran out of its memory budget \(a 8 MB heap.*CEBRA_MCP_LOAD_HEAP_MB/s);
  const listed = await conn.client.callTool({ name: "list_artifacts", arguments: {} });
  assert.notEqual(listed.isError, true);
});

test("a .npy whose header declares 1e12 elements is refused through MCP without allocating", async () => {
  const file = path.join(data, "lie.npy");
  writeFileSync(file, Buffer.concat([npyHeader("<f4", [1e6, 1e6]), Buffer.alloc(64)]));
  const conn = servers[0] ?? (await serve("npy"));
  await refused(conn, file, /lie\.npy is truncated: its header declares shape \(1000000, 1000000\) of <f4 = 4000000000000 bytes/);
  await stillServes(conn);
});
