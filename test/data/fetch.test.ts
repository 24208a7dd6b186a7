import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { cachePaths, fetchToCache } from "../../src/data/fetch.js";
import { loadRecording } from "../../src/data/load.js";
import { writeNpz } from "../../src/data/formats/npz.js";
import { UserError } from "../../src/util/errors.js";
import { ctxFor as baseCtxFor, tmpDir } from "./helpers.js";

/** The test server is on loopback, which the SSRF guard refuses by default (test/data/ssrf.test.ts): opt in. */
const ctxFor: typeof baseCtxFor = (root, over = {}) => baseCtxFor(root, { allowPrivateUrls: true, ...over });

const fixture = writeNpz({ neural: { dtype: "<f4", shape: [4, 2], data: [1, 2, 3, 4, 5, 6, 7, 8] }, sampling_rate_hz: { dtype: "<f8", shape: [], data: [10] } });
const fixtureSha = createHash("sha256").update(fixture).digest("hex");
const hits: Record<string, number> = {};
let server: Server;
let base = "";

before(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? "/";
    hits[url] = (hits[url] ?? 0) + 1;
    if (url === "/data.npz" || url === "/other/data.npz") {
      res.writeHead(200, { "content-length": fixture.length });
      res.end(fixture);
    } else if (url === "/moved") {
      res.writeHead(302, { location: "/data.npz" });
      res.end();
    } else if (url === "/loop") {
      res.writeHead(301, { location: "/loop" });
      res.end();
    } else if (url === "/declared-big") {
      res.writeHead(200, { "content-length": 50_000 });
      res.write(Buffer.alloc(100));
    } else if (url === "/chunked-big") {
      res.writeHead(200); // no content-length: chunked
      let sent = 0;
      const push = () => {
        if (sent >= 20 || res.destroyed) return res.end();
        sent++;
        res.write(Buffer.alloc(1000), push);
      };
      push();
    } else if (url === "/slow") {
      res.writeHead(200, { "content-length": 1000 });
      res.write(Buffer.alloc(10)); // then nothing: the client must time out
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

/** Files in the download cache folder (no leftover .part files allowed). */
function cacheFiles(root: string): string[] {
  try {
    return readdirSync(join(root, ".cache", "downloads")).sort();
  } catch {
    return [];
  }
}

test("a URL is streamed into the cache with its SHA-256, then served from the cache", async () => {
  const root = tmpDir("cebra-fetch-");
  const ctx = ctxFor(root);
  const first = await fetchToCache(`${base}/data.npz`, ctx);
  assert.equal(first.from_cache, false);
  assert.equal(first.sha256, fixtureSha);
  assert.equal(first.bytes, fixture.length);
  assert.equal(first.path, cachePaths(`${base}/data.npz`, ctx.cacheDir).file);
  assert.ok(first.path.endsWith(".npz"));
  assert.deepEqual(readFileSync(first.path), Buffer.from(fixture));
  const before = hits["/data.npz"];
  const second = await fetchToCache(`${base}/data.npz`, ctx);
  assert.equal(second.from_cache, true);
  assert.equal(hits["/data.npz"], before, "no second request");
  assert.equal(second.sha256, fixtureSha);
  assert.ok(cacheFiles(root).every((f) => !f.endsWith(".part")));
});

test("loadRecording from a URL records the source, sha256, cache path and cache use in provenance", async () => {
  const root = tmpDir("cebra-fetch-");
  const ctx = ctxFor(root);
  const url = `${base}/other/data.npz`;
  const rec = await loadRecording(url, {}, ctx);
  assert.equal(rec.provenance.source, url);
  assert.equal(rec.provenance.sha256, fixtureSha);
  assert.equal(rec.provenance.format, "npz");
  assert.ok(rec.provenance.cached_path?.startsWith(join(root, ".cache", "downloads")));
  assert.equal((rec.provenance.source_metadata?.download as { from_cache: boolean }).from_cache, false);
  assert.deepEqual(Array.from(rec.neural), [1, 2, 3, 4, 5, 6, 7, 8]);
  const again = await loadRecording(url, {}, ctx);
  assert.equal((again.provenance.source_metadata?.download as { from_cache: boolean }).from_cache, true);
});

test("redirects are followed up to the limit; loops are refused", async () => {
  const root = tmpDir("cebra-fetch-");
  const r = await fetchToCache(`${base}/moved`, ctxFor(root));
  assert.equal(r.final_url, `${base}/data.npz`);
  assert.equal(r.sha256, fixtureSha);
  await assert.rejects(fetchToCache(`${base}/loop`, ctxFor(root)), (e) => e instanceof UserError && /redirected more than 3 times/.test(e.message));
  await assert.rejects(fetchToCache(`${base}/moved`, ctxFor(tmpDir("cebra-fetch-"), { maxRedirects: 0 })), UserError);
});

test("bodies over the size limit are refused from Content-Length and while streaming, leaving no file", async () => {
  const root = tmpDir("cebra-fetch-");
  const ctx = ctxFor(root, { maxDownloadBytes: 5000 });
  await assert.rejects(fetchToCache(`${base}/declared-big`, ctx), (e) => e instanceof UserError && /50000 > 5000/.test(e.message));
  await assert.rejects(fetchToCache(`${base}/chunked-big`, ctx), (e) => e instanceof UserError && /larger than the download limit/.test(e.message));
  assert.deepEqual(cacheFiles(root), []);
});

test("a stalled body times out with a UserError; HTTP errors are UserErrors", async () => {
  const root = tmpDir("cebra-fetch-");
  await assert.rejects(fetchToCache(`${base}/slow`, ctxFor(root, { downloadTimeoutMs: 300 })), (e) => e instanceof UserError && /timed out after 300 ms/.test(e.message));
  assert.deepEqual(cacheFiles(root), []);
  await assert.rejects(fetchToCache(`${base}/missing`, ctxFor(root)), (e) => e instanceof UserError && /HTTP 404/.test(e.message));
});

test("a pre-aborted signal cancels the download", async () => {
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(fetchToCache(`${base}/data.npz`, ctxFor(tmpDir("cebra-fetch-"), { signal: ac.signal })), (e) => (e as Error).name === "CancelledError");
});
