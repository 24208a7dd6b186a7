/**
 * `node dist/bench/streaming.js`: reading a large remote HDF5 file lazily over HTTP range requests
 * (src/data/remote/) against downloading it whole, for docs/DATA.md ("Remote files and DANDI").
 *
 * Writes a ~1 GiB HDF5 file in the system temp folder: a raw imaging series (8,192 frames of 256×256
 * uint16, chunked 16 frames per chunk, 1 GiB, never loaded: like a TwoPhotonSeries in /acquisition)
 * followed by a small activity matrix (/processing/neural, 3,000 samples × 200 units float32, 2.4 MB) and its
 * timestamps. Serves it from a node:http server on 127.0.0.1 that honours Range requests and holds
 * its sending to a bandwidth limit (default 100 MB/s, env STREAMING_BENCH_MBPS), standing in for S3.
 * Then loads the activity (generic HDF5, keys naming the datasets) three times through the loading
 * worker, as the server does: lazily (cold cache), lazily again (warm block cache), and with
 * download: "whole". Prints bytes sent by the server and wall time for each, and deletes the file and
 * the caches. Run it once: it writes 1 GiB (plus 1 GiB for the whole download's cache copy).
 */
import { createReadStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import h5wasm from "h5wasm/node";
import { loadRecordingInWorker } from "../src/app/load.js";
import { h5Ready } from "../src/data/formats/hdf5.js";
import { DEFAULT_INTAKE_LIMITS } from "../src/data/load.js";

const FRAMES = 8192;
const SIDE = 256;
const T = 3000;
const N = 200;
const MBPS = Number(process.env.STREAMING_BENCH_MBPS ?? 100);

async function writeFile(file: string): Promise<void> {
  await h5Ready();
  const f = new h5wasm.File(file, "w");
  try {
    f.create_group("acquisition");
    f.create_group("acquisition/TwoPhotonSeries");
    const raw = f.get("acquisition/TwoPhotonSeries") as InstanceType<typeof h5wasm.Group>;
    const block = 512;
    raw.create_dataset({ name: "data", data: new Uint16Array(block * SIDE * SIDE), shape: [block, SIDE, SIDE], maxshape: [null, SIDE, SIDE], chunks: [16, SIDE, SIDE] });
    const ds = f.get("acquisition/TwoPhotonSeries/data") as InstanceType<typeof h5wasm.Dataset>;
    ds.resize([FRAMES, SIDE, SIDE]);
    const piece = new Uint16Array(block * SIDE * SIDE);
    for (let i = 0; i < piece.length; i++) piece[i] = (i * 2654435761) >>> 20;
    for (let f0 = 0; f0 < FRAMES; f0 += block) ds.write_slice([[f0, f0 + block], [], []], piece);
    f.create_group("processing");
    const g = f.get("processing") as InstanceType<typeof h5wasm.Group>;
    g.create_dataset({ name: "neural", data: Float32Array.from({ length: T * N }, (_, i) => Math.sin(i / 97)), shape: [T, N] });
    g.create_dataset({ name: "timestamps", data: Float64Array.from({ length: T }, (_, i) => i / 30) });
  } finally {
    f.close();
  }
}

interface Served {
  bytes: number;
  requests: number;
}

function serve(file: string, counter: Served): Promise<{ url: string; close: () => void }> {
  const size = statSync(file).size;
  const server = createServer((req, res) => {
    counter.requests++;
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    const start = m ? Number(m[1]) : 0;
    const end = m && m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
    const headers = { etag: '"bench-1"', "accept-ranges": "bytes", "content-length": end - start + 1 };
    if (m) res.writeHead(206, { ...headers, "content-range": `bytes ${start}-${end}/${size}` });
    else res.writeHead(200, headers);
    void send(createReadStream(file, { start, end, highWaterMark: 1 << 20 }), res, counter);
  });
  return new Promise((ok) =>
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port;
      ok({ url: `http://127.0.0.1:${port}/session.nwb`, close: () => (server.closeAllConnections(), server.close()) });
    }),
  );
}

/** Sends the stream at most MBPS megabytes per second. */
async function send(stream: AsyncIterable<Buffer> & { destroy(): void }, res: ServerResponse, counter: Served): Promise<void> {
  const t0 = Date.now();
  let sent = 0;
  try {
    for await (const chunk of stream) {
      const due = t0 + ((sent + chunk.length) / (MBPS * 1e6)) * 1000;
      if (due > Date.now()) await new Promise((ok) => setTimeout(ok, due - Date.now()));
      if (res.destroyed) break;
      sent += chunk.length;
      counter.bytes += chunk.length;
      if (!res.write(chunk)) await new Promise((ok) => res.once("drain", ok));
    }
    res.end();
  } finally {
    stream.destroy();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cebra-streaming-"));
  try {
    const file = path.join(dir, "session.nwb");
    let t = Date.now();
    await writeFile(file);
    const size = statSync(file).size;
    console.error(`wrote ${(size / 2 ** 30).toFixed(2)} GiB in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const counter: Served = { bytes: 0, requests: 0 };
    const server = await serve(file, counter);
    const limits = { ...DEFAULT_INTAKE_LIMITS, allowPrivateUrls: true, roots: [dir], cwd: dir, cacheDir: path.join(dir, "ws") };
    const opts = { format: "hdf5" as const, keys: { neural: "/processing/neural", timestamps: "/processing/timestamps" } };
    console.log(`File: ${(size / 1e6).toFixed(0)} MB (${(size / 2 ** 30).toFixed(2)} GiB) HDF5; loaded: /processing/neural ${T}×${N} float32 (${((T * N * 4) / 1e6).toFixed(1)} MB) and its timestamps; server limited to ${MBPS} MB/s.\n`);
    console.log("| load | bytes sent by the server | requests | wall time |\n|---|---:|---:|---:|");
    for (const [name, extra] of [
      ["lazy (range requests), cold cache", {}],
      ["lazy again, warm block cache", {}],
      ['download: "whole"', { download: "whole" as const }],
    ] as const) {
      const before = { ...counter };
      t = Date.now();
      const rec = await loadRecordingInWorker(server.url, { ...opts, ...extra }, limits);
      const ms = Date.now() - t;
      if (rec.neural.length !== T * N) throw new Error("wrong shape");
      const bytes = counter.bytes - before.bytes;
      console.log(`| ${name} | ${bytes.toLocaleString("en-US")} (${((100 * bytes) / size).toFixed(2)} % of the file) | ${counter.requests - before.requests} | ${(ms / 1000).toFixed(2)} s |`);
    }
    server.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
