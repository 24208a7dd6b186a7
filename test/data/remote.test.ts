/**
 * Remote HDF5/NWB files read lazily over HTTP range requests (src/data/remote/), against a real
 * node:http server on 127.0.0.1 (test/data/remote-server.ts) that counts the bytes it sends.
 *
 * Loads run in the loading worker (loadRecordingInWorker), as in the server: the reads block their
 * thread while a helper thread fetches, so the test server must not share that thread.
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import h5wasm from "h5wasm/node";
import { loadRecordingInWorker, type LoadLimits } from "../../src/app/load.js";
import { DEFAULT_INTAKE_LIMITS } from "../../src/data/load.js";
import { h5Ready } from "../../src/data/formats/hdf5.js";
import { CancelledError, UserError } from "../../src/util/errors.js";
import { SMALL_2P, dffValue, writeAllen2pV2 } from "./nwb-fixtures.js";
import { put, tmpDir, writeH5 } from "./helpers.js";
import { startRangeServer, type RangeServer } from "./remote-server.js";
import { blockPath, evict } from "../../src/data/remote/block-cache.js";

let srv: RangeServer;
let dir: string;
/** An Allen 2P NWB 2.x file plus a 128 MiB raw TwoPhotonSeries that no load reads. */
let bigPath: string;
let smallPath: string;
/** 40 MB of generic-HDF5 activity (for the cancellation test). */
let slowPath: string;

function limits(over: Partial<LoadLimits> = {}): LoadLimits {
  return { ...DEFAULT_INTAKE_LIMITS, lazyMinBytes: 0, allowPrivateUrls: true, roots: [dir], cwd: dir, cacheDir: join(dir, `.cache-${Math.random().toString(36).slice(2)}`), ...over };
}

before(async () => {
  dir = tmpDir("cebra-remote-");
  smallPath = join(dir, "small.nwb");
  await writeAllen2pV2(smallPath);
  bigPath = join(dir, "big.nwb");
  await writeAllen2pV2(bigPath);
  await h5Ready();
  const f = new h5wasm.File(bigPath, "a");
  try {
    put(f, "/acquisition/TwoPhotonSeries/data", new Uint16Array(1024 * 256 * 256), { shape: [1024, 256, 256] });
  } finally {
    f.close();
  }
  slowPath = join(dir, "slow.h5");
  await writeH5(slowPath, (g) => put(g, "/neural", new Float32Array(20_000 * 500), { shape: [20_000, 500] }));
  srv = await startRangeServer();
  srv.files.set("/big.nwb", { path: bigPath, etag: '"big-1"' });
  srv.files.set("/small.nwb", { path: smallPath, etag: '"small-1"' });
  srv.files.set("/slow.h5", { path: slowPath, etag: '"slow-1"' });
});

after(async () => {
  await srv?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a large NWB file with a big unused dataset loads over range requests, transferring a small fraction of it", async () => {
  const size = statSync(bigPath).size;
  assert.ok(size > 128 * 1024 * 1024);
  const before = srv.sent.bytes;
  const rec = await loadRecordingInWorker(`${srv.base}/big.nwb`, {}, limits({ lazyMinBytes: DEFAULT_INTAKE_LIMITS.lazyMinBytes }));
  const sent = srv.sent.bytes - before;
  assert.equal(rec.neural.length / rec.timestamps.length, SMALL_2P.n_cells);
  assert.equal(rec.neural[0], dffValue(0, SMALL_2P.onset), "first movie sample of cell 0");
  assert.ok(rec.movie && rec.movie.n_frames === SMALL_2P.n_frames, "the template came over range requests too");
  const remote = rec.provenance.source_metadata?.remote as { bytes_transferred: number; size: number; etag: string };
  assert.equal(remote.size, size);
  assert.equal(remote.etag, '"big-1"');
  assert.ok(sent < size / 8, `sent ${sent} of ${size} bytes`);
  assert.ok(Math.abs(remote.bytes_transferred - sent) < 64 * 1024, `provenance says ${remote.bytes_transferred}, the server sent ${sent}`);
});

test("download 'whole', a small file, and a server without range support: the file is downloaded whole", async () => {
  const size = statSync(smallPath).size;
  let before = srv.sent.bytes;
  const lim = limits({ lazyMinBytes: DEFAULT_INTAKE_LIMITS.lazyMinBytes });
  const whole = await loadRecordingInWorker(`${srv.base}/big.nwb`, { download: "whole" }, lim);
  assert.equal(srv.sent.bytes - before, statSync(bigPath).size);
  assert.ok(whole.provenance.source_metadata?.download);
  const requests = srv.sent.requests.length;
  const again = await loadRecordingInWorker(`${srv.base}/big.nwb`, {}, lim);
  assert.equal(srv.sent.requests.length, requests, "a file in the download cache is used without any request, not probed");
  assert.equal((again.provenance.source_metadata?.download as { from_cache: boolean }).from_cache, true);
  before = srv.sent.bytes;
  const small = await loadRecordingInWorker(`${srv.base}/small.nwb`, {}, limits({ lazyMinBytes: DEFAULT_INTAKE_LIMITS.lazyMinBytes }));
  assert.ok(small.provenance.source_metadata?.download, "a file below lazyMinBytes is downloaded whole");
  assert.ok(srv.sent.bytes - before >= size);
  srv.ranges = false;
  try {
    before = srv.sent.bytes;
    const fallback = await loadRecordingInWorker(`${srv.base}/big.nwb`, {}, limits());
    assert.ok(fallback.provenance.source_metadata?.download, "auto downloads whole when ranges are not supported");
  } finally {
    srv.ranges = true;
  }
});

test("the block cache is reused while the ETag stays, and refetched when it changes; a change during the read is refused", async () => {
  const lim = limits();
  const size = statSync(smallPath).size;
  let before = srv.sent.bytes;
  await loadRecordingInWorker(`${srv.base}/small.nwb`, {}, lim);
  assert.ok(srv.sent.bytes - before >= size, "first load fetches the file's block");
  before = srv.sent.bytes;
  await loadRecordingInWorker(`${srv.base}/small.nwb`, {}, lim);
  assert.ok(srv.sent.bytes - before <= 4096, `second load only probes (${srv.sent.bytes - before} bytes)`);
  srv.files.get("/small.nwb")!.etag = '"small-2"';
  before = srv.sent.bytes;
  await loadRecordingInWorker(`${srv.base}/small.nwb`, {}, lim);
  assert.ok(srv.sent.bytes - before >= size, "a new ETag is a new file: its blocks are fetched again");
  srv.files.set("/changing.nwb", { path: smallPath, etag: '"c-1"', etagLater: '"c-2"' });
  const err = await loadRecordingInWorker(`${srv.base}/changing.nwb`, {}, lim).catch((e: unknown) => e);
  assert.ok(err instanceof UserError && err.code === "file_changed" && /new ETag/.test(err.problem), String(err));
});

test("cancelling a lazy load mid-transfer stops it within seconds, and the transfer stops", async () => {
  srv.bytesPerSecond = 4 * 1024 * 1024;
  try {
    const ac = new AbortController();
    const before = srv.sent.bytes;
    const started = Date.now();
    const load = loadRecordingInWorker(`${srv.base}/slow.h5`, { format: "hdf5", keys: { neural: "/neural" } }, limits(), ac.signal).catch((e: unknown) => e);
    await new Promise((ok) => setTimeout(ok, 2000));
    assert.ok(srv.sent.bytes > before, "the transfer had begun");
    ac.abort();
    const aborted = Date.now();
    const err = await load;
    assert.ok(err instanceof CancelledError, String(err));
    assert.ok(Date.now() - aborted < 2000, `stopped ${Date.now() - aborted} ms after the cancel`);
    await new Promise((ok) => setTimeout(ok, 300));
    const atStop = srv.sent.bytes;
    await new Promise((ok) => setTimeout(ok, 1500));
    assert.ok(srv.sent.bytes - atStop <= 256 * 1024, `the server kept sending ${srv.sent.bytes - atStop} bytes after the cancel`);
    assert.ok(srv.sent.bytes - before < 40e6, "the whole dataset was not transferred");
    assert.ok(Date.now() - started < 10_000);
  } finally {
    srv.bytesPerSecond = 0;
  }
});

test("the block cache evicts the least recently used blocks of any file down to its cap, never the blocks in use", () => {
  const root = join(dir, "evict", "remote");
  const paths: string[] = [];
  for (const key of ["a", "b"]) {
    mkdirSync(join(root, key), { recursive: true });
    for (let i = 0; i < 3; i++) {
      const p = blockPath(join(root, key), i);
      writeFileSync(p, new Uint8Array(1000));
      paths.push(p);
    }
  }
  // Ages: a/0 oldest … b/2 newest.
  paths.forEach((p, k) => utimesSync(p, new Date(1e12 + k * 1000), new Date(1e12 + k * 1000)));
  const freed = evict(root, 3500, new Set([paths[1]!]));
  assert.equal(freed, 3000);
  assert.deepEqual(paths.map((p) => existsSync(p)), [false, true, false, false, true, true], "a/1 is in use; a/0, a/2, b/0 were the oldest others");
});

test("the HDF5 confinement holds for a remote file: an external link to a local file is refused by name, its data never read", async () => {
  const secret = join(dir, "secret.h5");
  await writeH5(secret, (g) => put(g, "/neural", new Float32Array(60).fill(777.25), { shape: [20, 3] }));
  const linked = join(dir, "linked.h5");
  await writeH5(linked, (g) => {
    put(g, "/timestamps", Float64Array.from({ length: 20 }, (_, i) => i / 10));
    g.create_external_link(secret, "/neural", "neural");
  });
  srv.files.set("/linked.h5", { path: linked, etag: '"l"' });
  const err = await loadRecordingInWorker(`${srv.base}/linked.h5`, { format: "hdf5", keys: { neural: "/neural" } }, limits()).catch((e: unknown) => e);
  assert.ok(err instanceof UserError && /external link/.test(err.problem) && err.problem.includes("secret.h5"), String(err));
  // The server's URL is taken out first: its random port may itself contain 777 (CI saw port 39777).
  assert.doesNotMatch(`${err.problem} ${err.fix}`.replaceAll(srv.base, "<server>"), /777/);
});

test("the download size and time limits hold for lazy reads: bytes to transfer beyond maxDownloadBytes are refused, a slow range request times out", async () => {
  const opts = { format: "hdf5" as const, keys: { neural: "/neural" } };
  const before = srv.sent.bytes;
  const big = await loadRecordingInWorker(`${srv.base}/slow.h5`, opts, limits({ maxDownloadBytes: 8 * 1024 * 1024 })).catch((e: unknown) => e);
  assert.ok(big instanceof UserError && big.code === "limit_exceeded" && /more than the download limit/.test(big.problem), String(big));
  assert.ok(srv.sent.bytes - before < 9 * 1024 * 1024, "refused before the dataset was fetched");
  srv.bytesPerSecond = 1024 * 1024;
  try {
    const started = Date.now();
    const slow = await loadRecordingInWorker(`${srv.base}/slow.h5`, opts, limits({ downloadTimeoutMs: 1500 })).catch((e: unknown) => e);
    assert.ok(slow instanceof UserError && /timed out after 1500 ms/.test(slow.problem), String(slow));
    assert.ok(Date.now() - started < 10_000);
  } finally {
    srv.bytesPerSecond = 0;
  }
});
