/**
 * Download http(s) sources into the workspace cache: `<cacheDir>/downloads/<sha256(url)><ext>` plus a
 * `.json` sidecar (url, final url, bytes, sha256, time). The body is streamed to a temp file and renamed
 * into place, with a size limit (Content-Length checked first, bytes counted while streaming), an overall
 * timeout, a redirect limit, and SHA-256 computed on the fly. A later fetch of the same URL reuses the
 * cached file after re-hashing it.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { request } from "undici";
import { CancelledError, UserError } from "../util/errors.js";
import type { LoadContext } from "./options.js";

/** Result of {@link fetchToCache}. */
export interface FetchResult {
  /** Absolute path of the cached file. */
  path: string;
  sha256: string;
  bytes: number;
  /** True if the file came from the cache (no download this time). */
  from_cache: boolean;
  url: string;
  /** URL after redirects. */
  final_url: string;
  /** ISO time the file was downloaded. */
  fetched_at: string;
}

/** True for http:// and https:// sources. */
export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** SHA-256 (hex) of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Cache paths for a URL: data file (keeps a short extension from the URL) and JSON sidecar. */
export function cachePaths(url: string, cacheDir: string): { file: string; meta: string } {
  const key = createHash("sha256").update(url).digest("hex");
  const ext = extname(new URL(url).pathname).toLowerCase();
  const safeExt = /^\.[a-z0-9]{1,8}$/.test(ext) ? ext : "";
  const dir = join(cacheDir, "downloads");
  return { file: join(dir, key + safeExt), meta: join(dir, `${key}.json`) };
}

/** Fetch `url` into the cache (or reuse the cached copy) under the limits of `ctx`. */
export async function fetchToCache(url: string, ctx: LoadContext): Promise<FetchResult> {
  if (!isUrl(url)) throw new UserError(`${url} is not an http(s) URL.`, "Pass an http:// or https:// URL or a local path.");
  const paths = cachePaths(url, ctx.cacheDir);
  const cached = await readCached(paths);
  if (cached) return cached;
  await mkdir(join(ctx.cacheDir, "downloads"), { recursive: true });
  const result = await download(url, paths.file, ctx);
  await writeFile(paths.meta, JSON.stringify({ ...result, from_cache: undefined }, null, 2));
  return result;
}

/** The cached entry if its file still hashes to the recorded SHA-256. */
async function readCached(paths: { file: string; meta: string }): Promise<FetchResult | null> {
  try {
    const meta = JSON.parse(await readFile(paths.meta, "utf8")) as FetchResult;
    const st = await stat(paths.file);
    if (st.size !== meta.bytes || (await sha256File(paths.file)) !== meta.sha256) return null;
    return { ...meta, path: paths.file, from_cache: true };
  } catch {
    return null;
  }
}

async function download(url: string, dest: string, ctx: LoadContext): Promise<FetchResult> {
  const timeout = AbortSignal.timeout(ctx.downloadTimeoutMs);
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
  const tmp = `${dest}.${randomBytes(6).toString("hex")}.part`;
  try {
    const { body, finalUrl } = await openFollowingRedirects(url, ctx, signal);
    const { bytes, sha256 } = await streamToFile(body, tmp, url, ctx.maxDownloadBytes);
    await rename(tmp, dest);
    return { path: dest, sha256, bytes, from_cache: false, url, final_url: finalUrl, fetched_at: new Date().toISOString() };
  } catch (e) {
    await rm(tmp, { force: true });
    throw translateError(e, url, ctx, timeout);
  }
}

type Body = AsyncIterable<Buffer | Uint8Array> & { destroy?: (err?: Error) => void; dump?: () => Promise<void> };

/** GET `url`, following up to ctx.maxRedirects redirects; checks status and Content-Length. */
async function openFollowingRedirects(url: string, ctx: LoadContext, signal: AbortSignal): Promise<{ body: Body; finalUrl: string }> {
  let current = url;
  for (let hops = 0; ; hops++) {
    const res = await request(current, { method: "GET", signal, headersTimeout: ctx.downloadTimeoutMs, bodyTimeout: ctx.downloadTimeoutMs });
    const location = res.headers["location"];
    if (res.statusCode >= 300 && res.statusCode < 400 && location) {
      await res.body.dump();
      if (hops >= ctx.maxRedirects) throw new UserError(`${url} redirected more than ${ctx.maxRedirects} times.`, "Check the URL (it may redirect in a loop) or download the file manually.");
      current = new URL(String(location), current).toString();
      if (!isUrl(current)) throw new UserError(`${url} redirected to a non-http(s) location (${current}).`, "Download the file manually.");
      continue;
    }
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new UserError(`Downloading ${url} failed with HTTP ${res.statusCode}.`, "Check the URL and that the file is publicly accessible.");
    }
    const declared = Number(res.headers["content-length"]);
    if (Number.isFinite(declared) && declared > ctx.maxDownloadBytes) {
      res.body.destroy();
      throw tooLarge(url, declared, ctx.maxDownloadBytes);
    }
    return { body: res.body, finalUrl: current };
  }
}

/** Stream the body to `path`, counting bytes (refusing beyond `limit`) and hashing. */
async function streamToFile(body: Body, path: string, url: string, limit: number): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash("sha256");
  const fh = await open(path, "w");
  let bytes = 0;
  try {
    for await (const chunk of body) {
      bytes += chunk.length;
      if (bytes > limit) {
        body.destroy?.();
        throw tooLarge(url, bytes, limit);
      }
      hash.update(chunk);
      await fh.write(chunk);
    }
  } finally {
    await fh.close();
  }
  return { bytes, sha256: hash.digest("hex") };
}

function tooLarge(url: string, bytes: number, limit: number): UserError {
  return new UserError(`${url} is larger than the download limit (${bytes} > ${limit} bytes).`, "Raise the server's download limit or download the file manually and load it from a local path.");
}

function translateError(e: unknown, url: string, ctx: LoadContext, timeout: AbortSignal): Error {
  if (e instanceof UserError) return e;
  if (ctx.signal?.aborted) return new CancelledError("download cancelled");
  const name = (e as Error)?.name ?? "";
  const code = (e as { code?: string })?.code ?? "";
  if (timeout.aborted || /Timeout/i.test(name) || /TIMEOUT/.test(code)) {
    return new UserError(`Downloading ${url} timed out after ${ctx.downloadTimeoutMs} ms.`, "Retry later, raise the download timeout, or download the file manually.");
  }
  return new UserError(`Downloading ${url} failed: ${(e as Error)?.message ?? String(e)}.`, "Check the URL and the network connection, or download the file manually.");
}
