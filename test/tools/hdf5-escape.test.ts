/**
 * HDF5 files that keep a dataset's bytes in another file (external storage, external link, virtual
 * dataset) through a real MCP client: load_recording refuses each, by dataset and reason, both for a
 * local file inside an allowed root and for the same file fetched by URL into the workspace cache (an
 * allowed root itself). The outside file's value (777.25) appears in no result, error or log.
 *
 * Layout (fixtures from scripts/make-hdf5-escape-fixtures.py, references relative):
 *   tmp/root/*.h5          the files named (server cwd and --allow-root)
 *   tmp/outside/secret.*   the data they point at (not a root)
 *   tmp/ws                 the workspace; tmp/ws/outside -> tmp/outside, so "../outside/secret.h5"
 *                          from a download in tmp/ws/downloads/ resolves to the real secret too.
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Client } from "@modelcontextprotocol/client";
import { callError, callOk, connectStdio, SMALL_BUILTIN, type StdioConnection } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../test/fixtures/hdf5-escape");

const tmp = tempDir();
const root = path.join(tmp.dir, "root");
const outside = path.join(tmp.dir, "outside");
const ws = path.join(tmp.dir, "ws");
let conn: StdioConnection;
let client: Client;
let http: Server;
let baseUrl = "";
const seen: string[] = [];

const CASES = [
  { file: "external-storage.h5", key: "/neural", kind: /via external storage/ },
  { file: "external-link.h5", key: "/neural", kind: /via an external link/ },
  { file: "external-link-group.h5", key: "/data/neural", kind: /via an external link/ },
  { file: "vds.h5", key: "/neural", kind: /via a virtual dataset/ },
  { file: "vds-missing.h5", key: "/neural", kind: /via a virtual dataset/ },
];

before(async () => {
  cpSync(FIXTURES, tmp.dir, { recursive: true });
  mkdirSync(ws, { recursive: true });
  symlinkSync(outside, path.join(ws, "outside"));
  http = createServer((req, res) => {
    const name = path.basename(new URL(req.url ?? "/", "http://x").pathname);
    try {
      const body = readFileSync(path.join(root, name));
      res.writeHead(200, { "content-type": "application/x-hdf5", "content-length": body.length }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  // --allow-private-urls: the test's data server is on loopback, which the SSRF guard refuses by default.
  conn = await connectStdio({ workspace: ws, cwd: root, args: ["--allow-root", root, "--allow-private-urls"] });
  client = conn.client;
});

after(async () => {
  await conn?.close();
  await new Promise((resolve) => http?.close(resolve));
  assert.doesNotMatch(conn?.stderr() ?? "", /777|HDF5-DIAG|\/__w\//, "the server's log shows outside data or an HDF5 stack");
  tmp.cleanup();
});

function assertClean(text: string): void {
  seen.push(text);
  assert.doesNotMatch(text, /777/, `outside data in: ${text}`);
  assert.doesNotMatch(text, /HDF5-DIAG|\/__w\/|#0\d\d:|Internal error/, `raw HDF5 error in: ${text}`);
}

test("the outside data really is outside the roots: loading it directly is refused", async () => {
  const err = await callError(client, "load_recording", { source: path.join(ws, "outside", "secret.h5"), format: "hdf5" });
  assert.match(err, /outside|not allowed/i);
  assertClean(err);
});

test("local files inside a root: each escape is refused, naming the dataset and the reason", async () => {
  for (const c of CASES) {
    const err = await callError(client, "load_recording", { source: path.join(root, c.file), format: "hdf5", keys: { neural: c.key } });
    assert.match(err, new RegExp(`${c.file.replace(".", "\\.")}:${c.key} keeps its data in another file`), err);
    assert.match(err, c.kind, err);
    assert.match(err, /reads only the file you named/, err);
    assertClean(err);
  }
});

test("the same files by URL (downloaded into the workspace cache, an allowed root) are refused too", async () => {
  for (const c of CASES) {
    const url = `${baseUrl}/${c.file}`;
    const err = await callError(client, "load_recording", { source: url, keys: { neural: c.key } });
    assert.match(err, new RegExp(`${c.file.replace(".", "\\.")}:${c.key} keeps its data in another file`), err);
    assert.match(err, c.kind, err);
    assertClean(err);
  }
});

test("a movie from an escaping file is refused as well, and the server keeps serving", async () => {
  const err = await callError(client, "load_recording", {
    source: "builtin:allen-like",
    builtin: SMALL_BUILTIN,
    movie: { path: path.join(root, "vds-movie.h5"), dataset: "/movie" },
  });
  assert.match(err, /vds-movie\.h5:\/movie keeps its data in another file .* via a virtual dataset/);
  assert.doesNotMatch(err, /115/, "a byte of the outside movie appears");
  assertClean(err);
  const ok = await callOk<{ recording_id: string }>(client, "load_recording", { source: "builtin:allen-like", builtin: SMALL_BUILTIN });
  assert.ok(ok.data.recording_id);
  assertClean(ok.text);
});

test("corrupted HDF5 files through the server: one clear error each, never an HDF5 stack or an internal error", async () => {
  const good = readFileSync(path.join(outside, "secret.h5"));
  const damaged: [string, Buffer][] = [
    ["truncated.h5", good.subarray(0, Math.floor(good.length / 2))],
    ["superblock.h5", Buffer.from(good.map((b, i) => (i >= 8 && i < 24 ? b ^ 0x5a : b)))],
    ["heap.h5", Buffer.from(good.map((b, i) => (i > good.indexOf("HEAP") && i < good.indexOf("HEAP") + 40 ? b ^ 0xff : b)))],
  ];
  for (const [name, bytes] of damaged) {
    writeFileSync(path.join(root, name), bytes);
    const err = await callError(client, "load_recording", { source: path.join(root, name), format: "hdf5" });
    assert.match(err, new RegExp(name.replace(".", "\\.")), err);
    assert.match(err, /corrupted|truncated|not an HDF5|has no dataset/, err);
    assert.ok(!err.split("\n")[0].includes("#0"), err);
    assertClean(err);
  }
});

test("an HDF5 chunk bomb (128 MiB in one gzip chunk of a 130 KB file) is refused at once; the server keeps answering", async () => {
  const bomb = path.join(root, "chunk-bomb.h5");
  cpSync(path.join(FIXTURES, "..", "hdf5-bomb", "chunk-bomb.h5"), bomb);
  const t0 = Date.now();
  const err = await callError(client, "load_recording", { source: bomb, format: "hdf5" });
  assert.match(err, /chunk-bomb\.h5:neural is stored in chunks of 128\.0 MiB each.*decompression bomb/, err);
  assert.ok(Date.now() - t0 < 30_000);
  assertClean(err);
  await callOk(client, "load_recording", { source: "builtin:allen-like", builtin: SMALL_BUILTIN });
});
