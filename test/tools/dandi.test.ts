/**
 * load_recording with DANDI sources, through a real MCP client talking to a spawned `cebra-mcp serve`:
 * a fake DANDI API and "S3" on 127.0.0.1 (test/data/remote-server.ts), configured with
 * CEBRA_MCP_DANDI_API, with the private-URL opt-in (the servers are on loopback) and
 * CEBRA_MCP_LAZY_MIN_BYTES=0 so that the small Allen fixture is read over range requests.
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { writeAllen2pV2, SMALL_2P } from "../data/nwb-fixtures.js";
import { put, writeH5 } from "../data/helpers.js";
import { serveDandiAsset, startRangeServer, type RangeServer } from "../data/remote-server.js";
import { callError, callOk, connectStdio, type StdioConnection } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";

const ASSET = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const tmp = tempDir("cebra-mcp-dandi-");
let srv: RangeServer;
let conn: StdioConnection;
let sha = "";

before(async () => {
  const file = path.join(tmp.dir, "ophys.nwb");
  await writeAllen2pV2(file);
  sha = createHash("sha256").update(readFileSync(file)).digest("hex");
  srv = await startRangeServer();
  srv.files.set("/blobs/ophys", { path: file, etag: '"1"' });
  const wide = path.join(tmp.dir, "wide.h5");
  await writeH5(wide, (g) => put(g, "/neural", Float32Array.from({ length: 1500 * 1000 }, (_, i) => i % 7), { shape: [1500, 1000] }));
  srv.files.set("/blobs/wide", { path: wide, etag: '"w"' });
  serveDandiAsset(srv, { dandiset: "000123", version: "0.230101.0000", path: "sub-1/sub-1_ophys.nwb", assetId: ASSET, blob: "/blobs/ophys", size: statSync(file).size, sha256: sha });
  conn = await connectStdio({
    workspace: path.join(tmp.dir, "ws"),
    env: { CEBRA_MCP_DANDI_API: `${srv.base}/api`, CEBRA_MCP_ALLOW_PRIVATE_URLS: "1", CEBRA_MCP_LAZY_MIN_BYTES: "1" },
  });
});

after(async () => {
  await conn?.close();
  await srv?.close();
  tmp.cleanup();
});

interface Loaded {
  n_neurons: number;
  has_movie: boolean;
  provenance: { source: string; sha256: string; source_metadata: Record<string, Record<string, unknown>> };
}

test("load_recording of dandi:<dandiset>/<path> resolves the asset, reads it over range requests and records where it came from", async () => {
  const { data, text } = await callOk<Loaded>(conn.client, "load_recording", { source: "dandi:000123/sub-1/sub-1_ophys.nwb" });
  assert.equal(data.n_neurons, SMALL_2P.n_cells);
  assert.ok(data.has_movie);
  assert.equal(data.provenance.source, "dandi:000123/sub-1/sub-1_ophys.nwb@0.230101.0000");
  assert.equal(data.provenance.sha256, sha, "the archive's SHA-256 of the asset");
  const { dandi, remote } = data.provenance.source_metadata;
  assert.deepEqual(dandi, { dandiset: "000123", version: "0.230101.0000", path: "sub-1/sub-1_ophys.nwb", asset_id: ASSET, api: `${srv.base}/api`, resolved_url: `${srv.base}/blobs/ophys`, size: statSync(path.join(tmp.dir, "ophys.nwb")).size });
  assert.match(String(remote?.read), /lazy/);
  assert.ok(srv.sent.requests.some((r) => r.url === "/blobs/ophys" && r.range?.startsWith("bytes=")), "the blob was read with range requests");
  assert.ok(text.length < 12_000);
});

test("an asset download URL loads too (download: whole fetches it whole); an unknown path is a UserError", async () => {
  const { data } = await callOk<Loaded>(conn.client, "load_recording", { source: `${srv.base}/api/assets/${ASSET}/download/`, download: "whole" });
  assert.equal(data.n_neurons, SMALL_2P.n_cells);
  assert.equal(data.provenance.source, `${srv.base}/api/assets/${ASSET}/`, "an asset URL names no dandiset: the source is the asset");
  assert.equal(data.provenance.source_metadata.download?.bytes, statSync(path.join(tmp.dir, "ophys.nwb")).size);
  const err = await callError(conn.client, "load_recording", { source: "dandi:000123/sub-1/sub-1_ophys@0.230101.0000" });
  assert.match(err, /Dandiset 000123 version 0\.230101\.0000 has no asset sub-1\/sub-1_ophys/);
});

test("bytes fetched over range requests are reported as increasing progress while the load runs", async () => {
  srv.bytesPerSecond = 2 * 1024 * 1024;
  try {
    const progress: { progress: number; total?: number; message?: string }[] = [];
    const { data } = await callOk<Loaded>(conn.client, "load_recording", { source: `${srv.base}/blobs/wide`, format: "hdf5", keys: { neural: "/neural" }, sampling_rate_hz: 10 }, { onprogress: (p) => progress.push(p) });
    assert.equal(data.n_neurons, 1000);
    const fetched = progress.filter((p) => /MiB fetched/.test(p.message ?? ""));
    assert.ok(fetched.length >= 1, `progress: ${progress.map((p) => p.message).join(" | ")}`);
    progress.forEach((p, i) => i === 0 || assert.ok(p.progress > progress[i - 1]!.progress, "progress increases"));
    assert.ok(fetched.every((p) => p.progress > 0 && p.progress < 1 && p.total === 2), "fetching stays inside the loading step (0 to 1 of 2)");
  } finally {
    srv.bytesPerSecond = 0;
  }
});

test("inspect_source on a large remote HDF5 reads its metadata over range requests, not the file", async () => {
  const big = path.join(tmp.dir, "big.h5");
  await writeH5(big, (g) => {
    put(g, "/neural", Float32Array.from({ length: 200 * 30 }, (_, i) => i % 11), { shape: [200, 30] });
    put(g, "/raw", new Float32Array(8 * 1024 * 1024), { shape: [128, 256, 256] });
  });
  srv.files.set("/blobs/big", { path: big, etag: '"b"' });
  const before = srv.sent.bytes;
  const { data } = await callOk<{ format: string; file_bytes: number; arrays: { path: string }[]; load_calls: unknown[] }>(conn.client, "inspect_source", { source: `${srv.base}/blobs/big` });
  const sent = srv.sent.bytes - before;
  assert.equal(data.file_bytes, statSync(big).size);
  assert.ok(sent < 0.5 * statSync(big).size, `inspection transferred ${sent} of ${statSync(big).size} bytes`);
  assert.ok(srv.sent.requests.some((r) => r.url === "/blobs/big" && r.range?.startsWith("bytes=")), "read with range requests");
});
