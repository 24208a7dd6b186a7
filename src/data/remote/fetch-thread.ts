/**
 * worker_threads entry: the network side of a lazily read remote file (range-file.ts).
 *
 * HDF5 reads synchronously (h5wasm), so the reading thread cannot await a download. It posts
 * `{ first, count }` (a run of blocks it needs), then blocks on Atomics.wait; this thread fetches the
 * blocks that are not on disk yet with HTTP range requests (one request per run of missing blocks),
 * writes each block to the block cache (block-cache.ts), and wakes the reader through the shared
 * control word. Errors go back as a serialized UserError in shared memory.
 *
 * Every request goes through the SSRF guard (fetch.ts `openGuarded`: each redirect hop and the
 * connected address checked), credentials only to the URL's own origin; each response must be a 206
 * for exactly the bytes asked, of a file of the probed size with the probed ETag (a file changed on
 * the server is refused, not mixed); the bytes this file transfers are held to maxDownloadBytes.
 */
import { mkdirSync, renameSync, writeFileSync, existsSync, utimesSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { UserError, serializeError } from "../../util/errors.js";
import { discardBody, openGuarded, redactUrl, translateError } from "../fetch.js";
import { DEFAULT_NET_POLICY, guardedAgent, permissive } from "../net-guard.js";
import { blockPath, evict } from "./block-cache.js";
import { STATE, type BlockRequest, type FetchThreadData } from "./protocol.js";

function main(data: FetchThreadData): void {
  const control = new Int32Array(data.control);
  const errorBytes = new Uint8Array(data.error);
  const transferred = new Float64Array(data.transferred);
  const loadCounter = data.loadCounter ? new Float64Array(data.loadCounter) : null;
  const policy = data.limits.allowPrivateUrls ? permissive(DEFAULT_NET_POLICY) : DEFAULT_NET_POLICY;
  const agent = guardedAgent(policy, data.limits.downloadTimeoutMs);
  const shown = redactUrl(data.url);
  const target = new URL(data.url);
  mkdirSync(data.dir, { recursive: true });

  const count = (n: number) => {
    transferred[0] = transferred[0]! + n;
    if (loadCounter) loadCounter[0] = loadCounter[0]! + n;
  };

  /** Fetch blocks [a, b) in one range request and store them. */
  async function fetchRun(a: number, b: number): Promise<void> {
    const start = a * data.blockSize;
    const end = Math.min(data.size, b * data.blockSize) - 1;
    if (transferred[0]! + (end - start + 1) > data.limits.maxDownloadBytes) {
      throw new UserError(
        `Reading ${shown} lazily would transfer more than the download limit (${data.limits.maxDownloadBytes} bytes).`,
        "Load a part of the recording (time_range, keys naming smaller datasets), or raise the download limit (CEBRA_MCP_MAX_DOWNLOAD_BYTES).",
        "limit_exceeded",
      );
    }
    const timeout = AbortSignal.timeout(data.limits.downloadTimeoutMs);
    const res = await openGuarded(target, shown, data.limits, { agent, policy, signal: timeout, timeout }, { headers: { range: `bytes=${start}-${end}` }, accept: (s) => s === 206 || s === 200 });
    if (res.status !== 206) {
      discardBody(res.body);
      throw changed(shown, "no longer answers range requests");
    }
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers["content-range"] ?? ""));
    const etag = res.headers["etag"];
    if (!range || Number(range[1]) !== start || Number(range[2]) !== end || (range[3] !== "*" && Number(range[3]) !== data.size)) {
      discardBody(res.body);
      throw changed(shown, `answered bytes ${String(res.headers["content-range"] ?? "(no Content-Range)")} for ${start}-${end} of ${data.size}`);
    }
    if (data.etag && etag !== undefined && String(etag) !== data.etag) {
      discardBody(res.body);
      throw changed(shown, `has a new ETag (${String(etag)}, was ${data.etag})`);
    }
    try {
      await storeBody(res.body, a, b);
    } catch (e) {
      discardBody(res.body);
      throw translateError(e, shown, data.limits, timeout);
    }
  }

  /** Split the body of a range response for blocks [a, b) into block files. */
  async function storeBody(body: AsyncIterable<Buffer | Uint8Array>, a: number, b: number): Promise<void> {
    let block = a;
    let buf = Buffer.allocUnsafe(blockLength(block));
    let filled = 0;
    for await (const raw of body) {
      let chunk = raw instanceof Buffer ? raw : Buffer.from(raw);
      count(chunk.length);
      while (chunk.length > 0) {
        if (block >= b) throw changed(shown, "sent more bytes than asked");
        const n = Math.min(chunk.length, buf.length - filled);
        chunk.copy(buf, filled, 0, n);
        filled += n;
        chunk = chunk.subarray(n);
        if (filled === buf.length) {
          store(block, buf);
          block++;
          if (block < b) {
            buf = Buffer.allocUnsafe(blockLength(block));
            filled = 0;
          }
        }
      }
    }
    if (block < b) throw changed(shown, "ended early");
  }

  function blockLength(i: number): number {
    return Math.min(data.blockSize, data.size - i * data.blockSize);
  }

  function store(i: number, bytes: Buffer): void {
    const path = blockPath(data.dir, i);
    const tmp = `${path}.${randomBytes(4).toString("hex")}.part`;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  }

  async function handle(req: BlockRequest): Promise<void> {
    const wanted: number[] = [];
    for (let i = req.first; i < req.first + req.count; i++) wanted.push(i);
    const missing = wanted.filter((i) => !existsSync(blockPath(data.dir, i)));
    // Touch the cached ones: eviction removes the least recently used first.
    const now = new Date();
    for (const i of wanted) if (!missing.includes(i)) touch(blockPath(data.dir, i), now);
    for (let k = 0; k < missing.length; ) {
      let j = k + 1;
      while (j < missing.length && missing[j] === missing[j - 1]! + 1) j++;
      await fetchRun(missing[k]!, missing[j - 1]! + 1);
      k = j;
    }
    if (missing.length) evict(data.root, data.capBytes, new Set(wanted.map((i) => blockPath(data.dir, i))));
  }

  parentPort!.on("message", (req: BlockRequest) => {
    handle(req).then(
      () => finish(STATE.done),
      (e: unknown) => {
        const err = e instanceof UserError ? e : new UserError(`Reading ${shown} failed: ${(e as Error)?.message ?? String(e)}.`, "Check the network connection and retry, or load with download: \"whole\".");
        const text = Buffer.from(JSON.stringify({ ...serializeError(err), stack: undefined }), "utf8").subarray(0, errorBytes.length);
        errorBytes.set(text);
        Atomics.store(control, 1, text.length);
        finish(STATE.failed);
      },
    );
  });

  function finish(state: number): void {
    Atomics.store(control, 0, state);
    Atomics.notify(control, 0);
  }
}

function touch(path: string, when: Date): void {
  try {
    utimesSync(path, when, when);
  } catch {
    // evicted meanwhile: fetched again on the next miss
  }
}

function changed(url: string, what: string): UserError {
  return new UserError(`${url} changed while it was being read: the server ${what}.`, "Load it again (the block cache keeps versions apart), or load with download: \"whole\".", "file_changed");
}

if (parentPort) main(workerData as FetchThreadData);
