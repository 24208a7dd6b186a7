/**
 * Download http(s) sources into the workspace cache: `<cacheDir>/downloads/<sha256(url)><ext>` plus a
 * `.json` sidecar (url, final url, bytes, sha256, time). The body is streamed to a temp file and renamed
 * into place, with a size limit (Content-Length checked first, bytes counted while streaming), an overall
 * timeout, a redirect limit, and SHA-256 computed on the fly. A later fetch of the same URL reuses the
 * cached file after re-hashing it.
 *
 * Every connection goes through the SSRF guard of net-guard.ts (unless `allowPrivateUrls`): loopback,
 * private, link-local and other special-purpose addresses are refused, for each redirect hop, on the
 * address actually connected to. Credentials in the URL (`https://user:pw@host/...`) never leave this
 * module: they are removed from the URL before it is hashed, stored, returned or put in a message, and
 * sent only as `Authorization: Basic ...` to the URL's own origin (not to a redirect's other origin).
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { request, type Dispatcher } from "undici";
import { CancelledError, UserError } from "../util/errors.js";
import { BlockedAddressError, DEFAULT_NET_POLICY, checkLiteralHost, guardedAgent, permissive, type NetPolicy } from "./net-guard.js";
import type { LoadContext } from "./options.js";

/** Result of {@link fetchToCache}. */
export interface FetchResult {
  /** Absolute path of the cached file. */
  path: string;
  sha256: string;
  bytes: number;
  /** True if the file came from the cache (no download this time). */
  from_cache: boolean;
  /** The URL without credentials. */
  url: string;
  /** URL after redirects (without credentials). */
  final_url: string;
  /** ISO time the file was downloaded. */
  fetched_at: string;
}

/** True for http:// and https:// sources. */
export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/**
 * `source` without the user name and password of an http(s) URL (other strings are returned as they
 * are). Use it on any source string before it is stored, returned or shown.
 */
export function redactUrl(source: string): string {
  if (!isUrl(source) || !/^[a-z]+:\/\/[^/?#]*@/i.test(source)) return source;
  try {
    const u = new URL(source);
    u.username = "";
    u.password = "";
    return u.href;
  } catch {
    return source.replace(/^([a-z]+:\/\/)[^/?#]*@/i, "$1");
  }
}

/** The credentials of a URL as a Basic Authorization header value, or undefined if it has none. */
function basicAuthorization(url: URL): string | undefined {
  if (!url.username && !url.password) return undefined;
  const pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return `Basic ${Buffer.from(pair, "utf8").toString("base64")}`;
}

/** SHA-256 (hex) of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Cache paths for a URL: data file (keeps a short extension from the URL) and JSON sidecar, both named
 * by the SHA-256 of the URL without its credentials.
 */
export function cachePaths(url: string, cacheDir: string): { file: string; meta: string } {
  const key = createHash("sha256").update(redactUrl(url)).digest("hex");
  const ext = extname(new URL(url).pathname).toLowerCase();
  const safeExt = /^\.[a-z0-9]{1,8}$/.test(ext) ? ext : "";
  const dir = join(cacheDir, "downloads");
  return { file: join(dir, key + safeExt), meta: join(dir, `${key}.json`) };
}

/**
 * Fetch `url` into the cache (or reuse the cached copy) under the limits of `ctx`. `policy` decides
 * which addresses may be connected to when `ctx.allowPrivateUrls` is off (tests inject their own).
 */
export async function fetchToCache(url: string, ctx: LoadContext, policy: NetPolicy = DEFAULT_NET_POLICY): Promise<FetchResult> {
  const shown = redactUrl(url);
  if (!isUrl(url)) throw new UserError(`${shown} is not an http(s) URL.`, "Pass an http:// or https:// URL or a local path.");
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new UserError(`${shown} is not a valid URL.`, "Check the URL (host name, port and escaping).");
  }
  const paths = cachePaths(url, ctx.cacheDir);
  const cached = await readCached(paths);
  if (cached) return cached;
  await mkdir(join(ctx.cacheDir, "downloads"), { recursive: true });
  const result = await download(target, shown, paths.file, ctx, ctx.allowPrivateUrls ? permissive(policy) : policy);
  await writeFile(paths.meta, JSON.stringify({ ...result, from_cache: undefined }, null, 2));
  return result;
}

/** The cached download of `url` (verified by its SHA-256), or null when there is none: no request is made. */
export async function cachedDownload(url: string, ctx: Pick<LoadContext, "cacheDir">): Promise<FetchResult | null> {
  try {
    return await readCached(cachePaths(url, ctx.cacheDir));
  } catch {
    return null;
  }
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

/** Download `target` (shown as `url`, its form without credentials) to `dest`. */
async function download(target: URL, url: string, dest: string, ctx: LoadContext, policy: NetPolicy): Promise<FetchResult> {
  const timeout = AbortSignal.timeout(ctx.downloadTimeoutMs);
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
  const tmp = `${dest}.${randomBytes(6).toString("hex")}.part`;
  const agent = guardedAgent(policy, ctx.downloadTimeoutMs);
  try {
    const { body, finalUrl } = await openFollowingRedirects(target, url, ctx, signal, { agent, policy });
    const { bytes, sha256 } = await streamToFile(body, tmp, url, ctx.maxDownloadBytes, ctx.fetchedBytes);
    await rename(tmp, dest);
    return { path: dest, sha256, bytes, from_cache: false, url, final_url: finalUrl, fetched_at: new Date().toISOString() };
  } catch (e) {
    await rm(tmp, { force: true });
    throw translateError(e, url, ctx, timeout);
  } finally {
    void agent.destroy().catch(() => {});
  }
}

type Body = AsyncIterable<Buffer | Uint8Array> & { destroy?: (err?: Error) => void; dump?: () => Promise<void>; on?: (event: "error", fn: () => void) => unknown };

/** Stop reading a response body (undici then reports "Request aborted" to the body's listeners: one is set, so it is not an uncaught error). */
export function discardBody(body: Body): void {
  body.on?.("error", () => {});
  body.destroy?.();
}

/**
 * GET `target`, following up to ctx.maxRedirects redirects (each hop checked by the SSRF guard);
 * checks status and Content-Length. The URL's credentials go only to its own origin, as a header.
 */
async function openFollowingRedirects(target: URL, url: string, ctx: RequestLimits, signal: AbortSignal, net: { agent: Dispatcher; policy: NetPolicy }, extra: { headers?: Record<string, string>; accept?: (status: number) => boolean } = {}): Promise<GuardedResponse> {
  const authorization = basicAuthorization(target);
  const accept = extra.accept ?? ((status: number) => status === 200);
  let current = new URL(redactUrl(target.href));
  for (let hops = 0; ; hops++) {
    const headers = { ...extra.headers, ...(authorization && current.origin === target.origin ? { authorization } : {}) };
    let res: Dispatcher.ResponseData;
    try {
      checkLiteralHost(current, net.policy);
      res = await request(current, { method: "GET", headers, signal, dispatcher: net.agent, headersTimeout: ctx.downloadTimeoutMs, bodyTimeout: ctx.downloadTimeoutMs });
    } catch (e) {
      const blocked = findBlocked(e);
      if (blocked && hops > 0) blocked.redirectedTo = current.href;
      throw e;
    }
    const location = res.headers["location"];
    if (res.statusCode >= 300 && res.statusCode < 400 && location) {
      await res.body.dump();
      if (hops >= ctx.maxRedirects) throw new UserError(`${url} redirected more than ${ctx.maxRedirects} times.`, "Check the URL (it may redirect in a loop) or download the file manually.");
      let next: URL;
      try {
        next = new URL(String(location), current);
      } catch {
        throw new UserError(`${url} redirected to an invalid location.`, "Download the file manually.");
      }
      if (!isUrl(next.href)) throw new UserError(`${url} redirected to a non-http(s) location (${redactUrl(next.href)}).`, "Download the file manually.");
      // Credentials written into a redirect's Location are not used (nor kept).
      current = new URL(redactUrl(next.href));
      continue;
    }
    if (!accept(res.statusCode)) {
      await res.body.dump();
      const auth = res.statusCode === 401 || res.statusCode === 403 ? " For a protected file, put the credentials in the URL (https://user:password@host/...): they are sent to that host only and never stored." : "";
      throw new UserError(`Downloading ${url} failed with HTTP ${res.statusCode}.`, `Check the URL and that the file is accessible.${auth}`);
    }
    const declared = Number(res.headers["content-length"]);
    if (Number.isFinite(declared) && declared > ctx.maxDownloadBytes) {
      res.body.destroy();
      throw tooLarge(url, declared, ctx.maxDownloadBytes);
    }
    return { status: res.statusCode, headers: res.headers, body: res.body, finalUrl: hops === 0 ? url : current.href };
  }
}

/** What a guarded request needs of the intake limits. */
export type RequestLimits = Pick<LoadContext, "downloadTimeoutMs" | "maxRedirects" | "maxDownloadBytes">;

/** An accepted response of {@link openGuarded}: consume or destroy its body. */
export interface GuardedResponse {
  status: number;
  headers: Dispatcher.ResponseData["headers"];
  body: Body;
  /** URL after redirects (without credentials). */
  finalUrl: string;
}

/**
 * One GET through the SSRF guard (every redirect hop checked, credentials only to the URL's own
 * origin, Content-Length held to maxDownloadBytes), with extra `headers` (e.g. Range) and the statuses
 * `accept` takes (default 200). Failures are UserErrors as for downloads (`shown` names the URL).
 */
export async function openGuarded(target: URL, shown: string, ctx: RequestLimits & { signal?: AbortSignal }, net: { agent: Dispatcher; policy: NetPolicy; signal: AbortSignal; timeout: AbortSignal }, extra: { headers?: Record<string, string>; accept?: (status: number) => boolean } = {}): Promise<GuardedResponse> {
  try {
    return await openFollowingRedirects(target, shown, ctx, net.signal, net, extra);
  } catch (e) {
    throw translateError(e, shown, ctx, net.timeout);
  }
}

/**
 * The setup of one guarded request to `url`: its form without credentials (for messages), its timeout
 * combined with the caller's signal, the policy in force (permissive with the private-URL opt-in) and an
 * agent that checks every connection against it. Destroy `agent` when the request is done.
 */
export function guardedRequest(url: string, ctx: { downloadTimeoutMs: number; signal?: AbortSignal; allowPrivateUrls: boolean }, policy: NetPolicy) {
  const timeout = AbortSignal.timeout(ctx.downloadTimeoutMs);
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
  const effective = ctx.allowPrivateUrls ? permissive(policy) : policy;
  const agent = guardedAgent(effective, ctx.downloadTimeoutMs);
  return { shown: redactUrl(url), timeout, agent, guard: { agent, policy: effective, signal, timeout } };
}

/** GET a small JSON document (at most `maxBytes`) through the SSRF guard; used for the DANDI API. */
export async function fetchJson(url: string, ctx: RequestLimits & { signal?: AbortSignal; allowPrivateUrls: boolean }, policy: NetPolicy = DEFAULT_NET_POLICY, maxBytes = 4 * 1024 * 1024): Promise<{ json: unknown; status: number }> {
  const { shown, timeout, agent, guard } = guardedRequest(url, ctx, policy);
  try {
    const res = await openGuarded(new URL(url), shown, { ...ctx, maxDownloadBytes: maxBytes }, guard, { headers: { accept: "application/json" }, accept: (s) => s === 200 || s === 404 });
    const chunks: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of res.body) {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        res.body.destroy?.();
        throw tooLarge(shown, bytes, maxBytes);
      }
      chunks.push(Buffer.from(chunk));
    }
    if (res.status === 404) return { json: null, status: 404 };
    try {
      return { json: JSON.parse(Buffer.concat(chunks).toString("utf8")), status: res.status };
    } catch {
      throw new UserError(`${shown} did not answer with JSON.`, "Check the URL (and CEBRA_MCP_DANDI_API for DANDI sources).");
    }
  } catch (e) {
    throw translateError(e, shown, ctx, timeout);
  } finally {
    void agent.destroy().catch(() => {});
  }
}

/** Stream the body to `path`, counting bytes (refusing beyond `limit`) and hashing. */
async function streamToFile(body: Body, path: string, url: string, limit: number, counter?: Float64Array): Promise<{ bytes: number; sha256: string }> {
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
      if (counter) counter[0] = counter[0]! + chunk.length;
    }
  } finally {
    await fh.close();
  }
  return { bytes, sha256: hash.digest("hex") };
}

function tooLarge(url: string, bytes: number, limit: number): UserError {
  return new UserError(`${url} is larger than the download limit (${bytes} > ${limit} bytes).`, "Raise the server's download limit or download the file manually and load it from a local path.");
}

/** A failure while fetching `url` as the UserError a download reports (refused address, timeout, cancel, network). */
export function translateError(e: unknown, url: string, ctx: { downloadTimeoutMs: number; signal?: AbortSignal }, timeout: AbortSignal): Error {
  if (e instanceof UserError) return e;
  if (ctx.signal?.aborted) return new CancelledError("download cancelled");
  const blocked = findBlocked(e);
  if (blocked) {
    return new UserError(
      `Refused to download ${url}${blocked.redirectedTo ? ` (redirected to ${blocked.redirectedTo})` : ""}: ${blocked.message}. By default the server only fetches public internet addresses, so that a client cannot make it read this machine's or its network's internal services.`,
      "Download the file yourself and load it by its local path, or, if you trust every client of this server, start it with --allow-private-urls (env CEBRA_MCP_ALLOW_PRIVATE_URLS=1): any client can then make the server read this machine's and its network's internal services.",
      "url_not_allowed",
    );
  }
  const name = (e as Error)?.name ?? "";
  const code = (e as { code?: string })?.code ?? "";
  if (timeout.aborted || /Timeout/i.test(name) || /TIMEOUT/.test(code)) {
    return new UserError(`Downloading ${url} timed out after ${ctx.downloadTimeoutMs} ms.`, "Retry later, raise the download timeout, or download the file manually.");
  }
  return new UserError(`Downloading ${url} failed: ${(e as Error)?.message ?? String(e)}.`, "Check the URL and the network connection, or download the file manually.");
}

/** The BlockedAddressError behind `e` (undici may wrap connection errors in `cause`). */
function findBlocked(e: unknown): BlockedAddressError | null {
  for (let cur = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    if (cur instanceof BlockedAddressError) return cur;
  }
  return null;
}
