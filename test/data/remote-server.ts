/**
 * A real HTTP server on 127.0.0.1 for the remote-reading tests and the streaming benchmark: serves
 * files from memory or disk, honouring `Range: bytes=a-b` with 206 + Content-Range (unless `ranges`
 * is off: then every GET gets the whole file with 200), with an ETag per file (changeable), an
 * optional bandwidth limit, and counters of the requests and body bytes it sent. It can also act as
 * a fake DANDI API (routes under /api/) and answer redirects.
 */
import { createReadStream, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ServedFile {
  /** On disk (path) or in memory (bytes). */
  path?: string;
  bytes?: Uint8Array;
  etag?: string;
  /** ETag sent from the second request on (a file that changes on the server while it is read). */
  etagLater?: string;
  /** Requests this file has had. */
  hits?: number;
}

export interface RangeServer {
  server: Server;
  port: number;
  base: string;
  files: Map<string, ServedFile>;
  /** JSON answers by exact request path + query (the fake DANDI API). */
  json: Map<string, unknown>;
  /** Redirects: request path → Location. */
  redirects: Map<string, string>;
  /** Body bytes sent so far, and requests seen (method, url, range). */
  sent: { bytes: number; requests: { url: string; range: string | undefined }[] };
  /** Honour Range headers (default true). */
  ranges: boolean;
  /** Bandwidth limit in bytes per second (0 = none). */
  bytesPerSecond: number;
  close(): Promise<void>;
}

function sizeOf(f: ServedFile): number {
  return f.bytes ? f.bytes.length : statSync(f.path!).size;
}

/** Starts the server on 127.0.0.1 (any free port). */
export async function startRangeServer(host = "127.0.0.1"): Promise<RangeServer> {
  const state = {
    files: new Map<string, ServedFile>(),
    json: new Map<string, unknown>(),
    redirects: new Map<string, string>(),
    sent: { bytes: 0, requests: [] as { url: string; range: string | undefined }[] },
    ranges: true,
    bytesPerSecond: 0,
  };
  const server = createServer((req, res) => handle(state, req, res));
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(0, host, ok);
  });
  const port = (server.address() as AddressInfo).port;
  const out: RangeServer = Object.assign(state, {
    server,
    port,
    base: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  });
  return out;
}

function handle(state: Omit<RangeServer, "server" | "port" | "base" | "close">, req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? "/";
  state.sent.requests.push({ url, range: req.headers.range });
  const location = state.redirects.get(url);
  if (location) {
    res.writeHead(302, { location });
    res.end();
    return;
  }
  if (state.json.has(url)) {
    const body = Buffer.from(JSON.stringify(state.json.get(url)));
    res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    res.end(body);
    return;
  }
  const file = state.files.get(url.split("?")[0]!);
  if (!file) {
    res.writeHead(404, { "content-type": "application/json" });
    res.end('{"detail":"Not found."}');
    return;
  }
  const size = sizeOf(file);
  const headers: Record<string, string | number> = { "content-type": "application/octet-stream", "last-modified": "Mon, 07 Dec 2026 12:00:00 GMT" };
  file.hits = (file.hits ?? 0) + 1;
  const etag = file.hits > 1 && file.etagLater ? file.etagLater : file.etag;
  if (etag) headers.etag = etag;
  if (state.ranges) headers["accept-ranges"] = "bytes";
  const m = state.ranges ? /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "") : null;
  let start = 0;
  let end = size - 1;
  if (m) {
    start = Number(m[1]);
    end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
    if (start >= size || end < start) {
      res.writeHead(416, { "content-range": `bytes */${size}` });
      res.end();
      return;
    }
    res.writeHead(206, { ...headers, "content-range": `bytes ${start}-${end}/${size}`, "content-length": end - start + 1 });
  } else {
    res.writeHead(200, { ...headers, "content-length": size });
  }
  const source = file.bytes ? [Buffer.from(file.bytes.buffer, file.bytes.byteOffset + start, end - start + 1)] : createReadStream(file.path!, { start, end, highWaterMark: 256 * 1024 });
  void pipeThrottled(source, res, state);
}

/** Writes `source` to `res`, counting bytes and holding to the bandwidth limit; stops when the client goes away. */
async function pipeThrottled(source: AsyncIterable<Buffer> | Buffer[], res: ServerResponse, state: { sent: { bytes: number }; bytesPerSecond: number }): Promise<void> {
  const t0 = Date.now();
  let sent = 0;
  try {
    for await (const whole of source) {
      for (let off = 0; off < whole.length; off += 64 * 1024) {
        if (res.destroyed) return;
        const piece = whole.subarray(off, off + 64 * 1024);
        if (state.bytesPerSecond > 0) {
          const due = t0 + ((sent + piece.length) / state.bytesPerSecond) * 1000;
          const wait = due - Date.now();
          if (wait > 0) await new Promise((ok) => setTimeout(ok, wait));
        }
        if (res.destroyed) return;
        sent += piece.length;
        state.sent.bytes += piece.length;
        if (!res.write(piece)) await drained(res);
      }
    }
    res.end();
  } catch {
    res.destroy();
  } finally {
    if ("destroy" in source && typeof (source as { destroy?: () => void }).destroy === "function") (source as { destroy: () => void }).destroy();
  }
}

/** Resolves when `res` can take more data or was closed (listeners removed again). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((ok) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      ok();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** One asset of a fake DANDI archive served by `srv` under `/api/` (the shapes of the DANDI REST API, src/data/remote/dandi.ts). */
export interface FakeAsset {
  dandiset: string;
  version: string;
  path: string;
  assetId: string;
  /** Where the bytes are: a path on `srv` ("/blobs/…") or a full URL. */
  blob: string;
  size: number;
  sha256?: string;
}

/** Registers the API answers for `a` on `srv` (dandiset info, asset list by path, asset metadata both ways). */
export function serveDandiAsset(srv: RangeServer, a: FakeAsset, base = srv.base): void {
  const api = `/api`;
  const contentUrl = [`${base}${api}/assets/${a.assetId}/download/`, a.blob.startsWith("/") ? `${base}${a.blob}` : a.blob];
  srv.json.set(`${api}/dandisets/${a.dandiset}/`, { identifier: a.dandiset, most_recent_published_version: { version: a.version }, draft_version: { version: "draft" } });
  srv.json.set(`${api}/dandisets/${a.dandiset}/versions/${a.version}/assets/?path=${encodeURIComponent(a.path)}&page_size=100`, {
    count: 2,
    next: null,
    previous: null,
    results: [
      { asset_id: "00000000-0000-0000-0000-000000000000", path: `${a.path}.bak`, size: 1 },
      { asset_id: a.assetId, path: a.path, size: a.size },
    ],
  });
  const meta = {
    identifier: a.assetId,
    path: a.path,
    contentSize: a.size,
    encodingFormat: "application/x-nwb",
    digest: a.sha256 ? { "dandi:sha2-256": a.sha256 } : {},
    contentUrl,
  };
  srv.json.set(`${api}/dandisets/${a.dandiset}/versions/${a.version}/assets/${a.assetId}/`, meta);
  srv.json.set(`${api}/assets/${a.assetId}/`, meta);
  srv.redirects.set(`${api}/assets/${a.assetId}/download/`, contentUrl[1]!);
}
