/**
 * Remote HDF5/NWB files read lazily over HTTP range requests.
 *
 * `probeRemote` asks the server for the file's first bytes with a Range header (through the SSRF
 * guard, fetch.ts): a 206 with a Content-Range tells the file's size and that ranges work, and the
 * ETag / Last-Modified identify this version of the file. `RemoteFile` then serves synchronous reads
 * (what h5wasm needs; vfs.ts makes it a file HDF5 can open) from the block cache on disk
 * (block-cache.ts): a read whose blocks are missing posts them to a helper thread (fetch-thread.ts)
 * and blocks on Atomics.wait until that thread has fetched and stored them. Only the blocks the
 * reads touch are transferred: the file's metadata and the datasets actually loaded.
 *
 * Limits: the bytes transferred for one file are held to maxDownloadBytes (the file itself may be
 * larger), each request to downloadTimeoutMs; the cache to remoteCacheBytes. Cancellation: a load
 * runs in its own worker (src/app/load.ts), which the server terminates, helper thread included; a
 * read waits in slices of WAIT_SLICE_MS, and tells the HDF5 stall watchdog that it is waiting on the
 * network, not looping, while it waits.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { UserError, rebuildError, type SerializedError } from "../../util/errors.js";
import { nativeCallAlive } from "../formats/hdf5-watch.js";
import { DEFAULT_NET_POLICY, type NetPolicy } from "../net-guard.js";
import { discardBody, guardedRequest, openGuarded, type RequestLimits } from "../fetch.js";
import { PROBE_BYTES } from "../formats/format.js";
import { DEFAULT_BLOCK_BYTES, blockDir, blockPath, type RemoteIdentity } from "./block-cache.js";
import { STATE, type BlockRequest, type FetchThreadData } from "./protocol.js";

/** What a remote read needs of the load context. */
export type RemoteContext = RequestLimits & { allowPrivateUrls: boolean; cacheDir: string; remoteCacheBytes: number; signal?: AbortSignal; fetchedBytes?: Float64Array };

/** What the probe learnt about a remote file. */
export interface RemoteProbe extends RemoteIdentity {
  /** The first PROBE_BYTES bytes (zero-padded), for format detection. */
  head: Uint8Array;
  /** URL after redirects (without credentials). */
  finalUrl: string;
  /** True when the server answered the Range request with 206 (false: it sent the whole file). */
  ranges: boolean;
}

/** A read waits on the helper thread in slices this long (between them: liveness for the watchdog). */
const WAIT_SLICE_MS = 200;
/** Blocks kept in memory by the reading thread (metadata reads hit the same few blocks again and again). */
const MEMORY_BLOCKS = 8;
const ERROR_BYTES = 16 * 1024;

/**
 * Ask `url` for its first bytes with a Range request. Returns the probe (size, validators, head,
 * whether ranges work). Redirects are followed hop by hop through the SSRF guard; `policy` is the
 * guard's (tests inject their own).
 */
export async function probeRemote(url: string, ctx: RemoteContext, policy: NetPolicy = DEFAULT_NET_POLICY, blockSize = DEFAULT_BLOCK_BYTES): Promise<RemoteProbe> {
  const { shown, agent, guard } = guardedRequest(url, ctx, policy);
  try {
    // No size limit on this request: a server without ranges answers with the whole file, whose body is
    // dropped unread (the whole download that follows holds it to maxDownloadBytes).
    const res = await openGuarded(new URL(url), shown, { ...ctx, maxDownloadBytes: Number.MAX_SAFE_INTEGER }, guard, { headers: { range: `bytes=0-${PROBE_BYTES - 1}` }, accept: (s) => s === 206 || s === 200 });
    const etag = res.headers["etag"] === undefined ? undefined : String(res.headers["etag"]);
    const lastModified = res.headers["last-modified"] === undefined ? undefined : String(res.headers["last-modified"]);
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(res.headers["content-range"] ?? ""));
    const head = new Uint8Array(PROBE_BYTES);
    let got = 0;
    res.body.on?.("error", () => {});
    if (res.status === 206 && range && Number(range[1]) === 0) {
      for await (const chunk of res.body) {
        const n = Math.min(chunk.length, PROBE_BYTES - got);
        head.set(chunk.subarray(0, n), got);
        got += n;
        if (got >= PROBE_BYTES) break;
      }
      discardBody(res.body);
      if (ctx.fetchedBytes) ctx.fetchedBytes[0] = ctx.fetchedBytes[0]! + got;
      return { url: shown, finalUrl: res.finalUrl, size: Number(range[3]), etag, lastModified, blockSize, head, ranges: true };
    }
    // No range support: the body is the whole file; stop it (the caller downloads it through the cache).
    discardBody(res.body);
    const size = Number(res.headers["content-length"]);
    return { url: shown, finalUrl: res.finalUrl, size: Number.isFinite(size) ? size : -1, etag, lastModified, blockSize, head, ranges: false };
  } finally {
    void agent.destroy().catch(() => {});
  }
}

/** A remote file readable synchronously, block by block. Close it to stop its helper thread. */
export class RemoteFile {
  /** The block folder in the cache. */
  readonly dir: string;
  /** The failure that made the last read fail (UserError), for the HDF5 reader to report instead of HDF5's own error. */
  failure: Error | null = null;
  private readonly worker: Worker;
  private readonly control = new Int32Array(new SharedArrayBuffer(8));
  private readonly errorText = new Uint8Array(new SharedArrayBuffer(ERROR_BYTES));
  private readonly transferredCounter = new Float64Array(new SharedArrayBuffer(8));
  private readonly memory = new Map<number, Buffer>();
  private readonly present = new Set<number>();
  private readonly reusable: boolean;
  private closed = false;
  /** Longest a read waits for its blocks (the helper's own request timeout, plus slack). */
  private readonly waitLimitMs: number;

  constructor(
    readonly probe: RemoteProbe,
    /** The URL to read, with credentials (kept in memory only). */
    url: string,
    ctx: RemoteContext,
  ) {
    const { dir, reusable } = blockDir(ctx.cacheDir, probe);
    this.dir = dir;
    this.reusable = reusable;
    const data: FetchThreadData = {
      url: probe.finalUrl === probe.url ? url : probe.finalUrl,
      size: probe.size,
      ...(probe.etag ? { etag: probe.etag } : {}),
      blockSize: probe.blockSize,
      dir,
      root: join(ctx.cacheDir, "remote"),
      capBytes: Math.max(ctx.remoteCacheBytes, 4 * probe.blockSize),
      limits: { downloadTimeoutMs: ctx.downloadTimeoutMs, maxRedirects: ctx.maxRedirects, maxDownloadBytes: ctx.maxDownloadBytes, allowPrivateUrls: ctx.allowPrivateUrls },
      control: this.control.buffer as SharedArrayBuffer,
      error: this.errorText.buffer as SharedArrayBuffer,
      transferred: this.transferredCounter.buffer as SharedArrayBuffer,
      ...(ctx.fetchedBytes && ctx.fetchedBytes.buffer instanceof SharedArrayBuffer ? { loadCounter: ctx.fetchedBytes.buffer } : {}),
    };
    this.worker = new Worker(new URL("./fetch-thread.js", import.meta.url), { workerData: data, stdout: true });
    this.worker.stdout.on("data", (chunk: Buffer) => process.stderr.write(chunk));
    // The reading thread is blocked while it waits, so a crash of the helper is noticed by the wait's deadline, not here.
    this.worker.on("error", () => {});
    this.worker.unref();
    this.waitLimitMs = ctx.downloadTimeoutMs + 10_000;
  }

  get size(): number {
    return this.probe.size;
  }

  /** Bytes this file has transferred so far (probe not included). */
  get transferred(): number {
    return this.transferredCounter[0]!;
  }

  /**
   * Copy up to `length` bytes at `position` into `dst[offset…]`; returns the bytes copied (fewer at the
   * end of the file). Throws the UserError of a failed fetch (also kept in `failure`).
   */
  read(dst: Uint8Array, offset: number, length: number, position: number): number {
    if (this.closed) throw new Error("remote file closed");
    if (position >= this.size || length <= 0) return 0;
    const n = Math.min(length, this.size - position);
    const bs = this.probe.blockSize;
    const b0 = Math.floor(position / bs);
    const b1 = Math.floor((position + n - 1) / bs) + 1;
    this.ensure(b0, b1);
    let done = 0;
    for (let b = b0; b < b1; b++) {
      const from = Math.max(position, b * bs);
      const to = Math.min(position + n, (b + 1) * bs);
      this.copyFromBlock(b, from - b * bs, to - from, dst, offset + done, b1 - b0 <= 2);
      done += to - from;
    }
    return done;
  }

  /** Stop the helper thread; blocks of a file without validators are deleted (they cannot be reused). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.memory.clear();
    void this.worker.terminate();
    if (!this.reusable) rmSync(this.dir, { recursive: true, force: true });
  }

  private copyFromBlock(b: number, at: number, len: number, dst: Uint8Array, dstAt: number, keep: boolean): void {
    for (let attempt = 0; ; attempt++) {
      try {
        const mem = this.memory.get(b);
        if (mem) {
          dst.set(mem.subarray(at, at + len), dstAt);
        } else if (keep) {
          const whole = readFileSync(blockPath(this.dir, b));
          this.remember(b, whole);
          dst.set(whole.subarray(at, at + len), dstAt);
        } else {
          const fd = openSync(blockPath(this.dir, b), "r");
          try {
            let got = 0;
            while (got < len) {
              const k = readSync(fd, dst, dstAt + got, len - got, at + got);
              if (k <= 0) throw new UserError(`A cached block of ${this.probe.url} is shorter than expected.`, "Load it again.");
              got += k;
            }
          } finally {
            closeSync(fd);
          }
        }
        return;
      } catch (e) {
        // Evicted by another load since it was fetched: fetch it again (once).
        if ((e as NodeJS.ErrnoException).code !== "ENOENT" || attempt > 0) throw e;
        this.present.delete(b);
        this.ensure(b, b + 1);
      }
    }
  }

  private remember(b: number, bytes: Buffer): void {
    this.memory.delete(b);
    this.memory.set(b, bytes);
    while (this.memory.size > MEMORY_BLOCKS) this.memory.delete(this.memory.keys().next().value!);
  }

  /** Make blocks [b0, b1) present on disk, fetching the missing ones through the helper thread. */
  private ensure(b0: number, b1: number): void {
    let first = -1;
    let last = -1;
    for (let b = b0; b < b1; b++) {
      if (this.present.has(b) || this.memory.has(b)) continue;
      if (existsSync(blockPath(this.dir, b))) {
        this.present.add(b);
        continue;
      }
      if (first < 0) first = b;
      last = b;
    }
    if (first < 0) return;
    this.request({ first, count: last - first + 1 });
    for (let b = first; b <= last; b++) this.present.add(b);
  }

  private request(req: BlockRequest): void {
    Atomics.store(this.control, 0, STATE.busy);
    this.worker.postMessage(req);
    let seen = this.transferred;
    let lastProgress = Date.now();
    while (Atomics.load(this.control, 0) === STATE.busy) {
      Atomics.wait(this.control, 0, STATE.busy, WAIT_SLICE_MS);
      // Waiting on the network inside an HDF5 call is not a loop in the library: the request's own
      // timeout (downloadTimeoutMs) bounds it, not the stall watchdog.
      nativeCallAlive();
      if (this.transferred !== seen) {
        seen = this.transferred;
        lastProgress = Date.now();
      } else if (Date.now() - lastProgress > this.waitLimitMs) {
        this.failure = new UserError(`Reading ${this.probe.url} stalled: no bytes arrived for ${Math.round(this.waitLimitMs / 1000)} s.`, 'Retry later, or load with download: "whole".');
        throw this.failure;
      }
    }
    nativeCallAlive();
    if (Atomics.load(this.control, 0) === STATE.failed) {
      const len = Atomics.load(this.control, 1);
      const text = Buffer.from(this.errorText.slice(0, len)).toString("utf8");
      let err: Error;
      try {
        err = rebuildError(JSON.parse(text) as SerializedError);
      } catch {
        err = new UserError(`Reading ${this.probe.url} failed.`, "Retry, or load with download: \"whole\".");
      }
      this.failure = err;
      throw err;
    }
  }
}
