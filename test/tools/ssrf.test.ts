/**
 * The SSRF guard and URL credentials through a real MCP client talking to a spawned `cebra-mcp serve`
 * over stdio: a URL on loopback is refused by default with an error naming --allow-private-urls, and
 * loaded when the server runs with the flag (or its environment variable). Credentials in the URL reach
 * the HTTP server as an Authorization header and nothing else: no file under the workspace, no tool
 * result, no progress message, no resource and no stderr line holds the password.
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/client";
import { writeNpz } from "../../src/data/formats/npz.js";
import { callError, callOk, connectStdio, textOf } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";

const PASSWORD = "s3cr3tpw";
const NPZ = writeNpz({
  neural: { dtype: "<f4", shape: [30, 3], data: Float32Array.from({ length: 90 }, (_, i) => (i * 7) % 11) },
  sampling_rate_hz: { dtype: "<f8", shape: [], data: [10] },
});

const tmp = tempDir("cebra-mcp-ssrf-");
const authorizations: (string | undefined)[] = [];
let http: Server;
let base = "";

before(async () => {
  http = createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    res.writeHead(200, { "content-length": NPZ.length });
    res.end(NPZ);
  });
  await new Promise<void>((ok) => http.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

after(() => {
  http.closeAllConnections();
  http.close();
  tmp.cleanup();
});

/** Every file under `dir` (recursively) with its bytes as text. */
function filesUnder(dir: string): { file: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile())
    .map((d) => ({ file: path.join(d.parentPath, d.name), text: readFileSync(path.join(d.parentPath, d.name)).toString("latin1") }));
}

test("load_recording of a loopback URL is refused by default, naming --allow-private-urls; the server keeps serving", async () => {
  const workspace = path.join(tmp.dir, "ws-default");
  const conn = await connectStdio({ workspace });
  try {
    const hits = authorizations.length;
    const text = await callError(conn.client, "load_recording", { source: `${base}/x.npz` });
    assert.match(text, /127\.0\.0\.1/);
    assert.match(text, /loopback/);
    assert.match(text, /--allow-private-urls/);
    assert.match(text, /internal services/);
    assert.doesNotMatch(text, /Internal error|\n\s+at /, "a clear UserError, no stack");
    assert.equal(authorizations.length, hits, "the HTTP server was never contacted");
    const localhost = await callError(conn.client, "load_recording", { source: base.replace("127.0.0.1", "localhost") + "/x.npz" });
    assert.match(localhost, /localhost resolves to .*loopback/);
    const metadata = await callError(conn.client, "load_recording", { source: "http://169.254.169.254/latest/meta-data/" });
    assert.match(metadata, /link-local/);
    await callOk(conn.client, "list_artifacts", {});
  } finally {
    await conn.close();
  }
});

test("with --allow-private-urls (or CEBRA_MCP_ALLOW_PRIVATE_URLS=1) the loopback URL loads", async () => {
  const flag = await connectStdio({ workspace: path.join(tmp.dir, "ws-flag"), args: ["--allow-private-urls"] });
  try {
    const { data } = await callOk<{ n_neurons: number; provenance: { source: string } }>(flag.client, "load_recording", { source: `${base}/x.npz` });
    assert.equal(data.n_neurons, 3);
    assert.equal(data.provenance.source, `${base}/x.npz`);
  } finally {
    await flag.close();
  }
  const env = await connectStdio({ workspace: path.join(tmp.dir, "ws-env"), env: { CEBRA_MCP_ALLOW_PRIVATE_URLS: "1" } });
  try {
    await callOk(env.client, "load_recording", { source: `${base}/x.npz` });
  } finally {
    await env.close();
  }
});

test("credentials in a URL are sent as Authorization and appear in no stored file, result, progress message, resource or log line", async () => {
  const workspace = path.join(tmp.dir, "ws-creds");
  const conn = await connectStdio({ workspace, args: ["--allow-private-urls"] });
  const seen: string[] = [];
  try {
    const url = `http://alice:${PASSWORD}@${base.slice("http://".length)}/x.npz`;
    const progress: string[] = [];
    const { data, result } = await callOk<{ recording_id: string; uri: string; provenance: { source: string } }>(
      conn.client,
      "load_recording",
      { source: url },
      { onprogress: (p) => void progress.push(p.message ?? "") },
    );
    assert.equal(authorizations.at(-1), `Basic ${Buffer.from(`alice:${PASSWORD}`).toString("base64")}`);
    assert.equal(data.provenance.source, `${base}/x.npz`);
    assert.ok(progress.some((m) => m.includes(`${base}/x.npz`)), `progress names the clean URL: ${progress.join(" | ")}`);
    seen.push(JSON.stringify(result), ...progress);
    // The same URL again (from the cache), a failing one, and what the server shows about the recording.
    seen.push(JSON.stringify(await conn.client.callTool({ name: "load_recording", arguments: { source: url } })));
    seen.push(await callError(conn.client, "load_recording", { source: `http://alice:${PASSWORD}@127.0.0.1:1/missing.npz` }));
    seen.push(textOf((await conn.client.callTool({ name: "list_artifacts", arguments: {} })) as CallToolResult));
    seen.push(JSON.stringify(await conn.client.readResource({ uri: data.uri })));
  } finally {
    await conn.close();
  }
  seen.push(conn.stderr());
  for (const s of seen) assert.ok(!s.includes(PASSWORD) && !s.includes("alice"), `credentials shown: ${s.slice(0, 300)}`);
  const files = filesUnder(workspace);
  assert.ok(files.some((f) => f.file.includes("downloads")), "the download was cached in the workspace");
  for (const f of files) assert.ok(!f.text.includes(PASSWORD) && !f.text.includes("alice"), `credentials stored in ${f.file}`);
});
