/**
 * The on-disk block cache of remote files read lazily (range-file.ts): `<cacheDir>/remote/<key>/<i>.blk`
 * holds bytes [i·B, (i+1)·B) of one remote file (B = the block size, the last block shorter). The key is
 * the SHA-256 of the URL (without credentials), the block size and the validators the server sent
 * (ETag, Last-Modified) with the file's size, so a file that changed on the server is never mixed with
 * blocks of its old version. A file without validators gets a one-off key (no reuse across loads).
 *
 * The whole cache is held to a size cap (IntakeLimits.remoteCacheBytes): after each fetch the least
 * recently fetched blocks (file mtime) of any remote file are deleted until it fits again.
 */
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

/** Default block size: large enough that a range request's latency is small beside its transfer, small enough that metadata reads fetch little. */
export const DEFAULT_BLOCK_BYTES = 4 * 1024 * 1024;

/** The validators that identify one version of a remote file. */
export interface RemoteIdentity {
  /** URL without credentials. */
  url: string;
  size: number;
  etag?: string;
  lastModified?: string;
  blockSize: number;
}

/** The folder of the blocks of `id` under `cacheDir` (and whether it may be reused by a later load). */
export function blockDir(cacheDir: string, id: RemoteIdentity): { dir: string; reusable: boolean } {
  const reusable = Boolean(id.etag || id.lastModified);
  const parts = [id.url, String(id.size), String(id.blockSize), id.etag ?? "", id.lastModified ?? "", reusable ? "" : randomBytes(8).toString("hex")];
  const key = createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 40);
  return { dir: join(cacheDir, "remote", key), reusable };
}

/** Path of block `i` in `dir`. */
export function blockPath(dir: string, i: number): string {
  return join(dir, `${i}.blk`);
}

/** One cached block as the eviction sees it. */
interface Entry {
  path: string;
  bytes: number;
  usedMs: number;
}

/** The blocks of every remote file under `root` (`<cacheDir>/remote`), least recently fetched first. */
function scan(root: string): Entry[] {
  const out: Entry[] = [];
  let dirs: string[] = [];
  try {
    dirs = readdirSync(root);
  } catch {
    return out;
  }
  for (const d of dirs) {
    let names: string[] = [];
    try {
      names = readdirSync(join(root, d));
    } catch {
      continue;
    }
    for (const n of names) {
      if (!n.endsWith(".blk")) continue;
      try {
        const st = statSync(join(root, d, n));
        out.push({ path: join(root, d, n), bytes: st.size, usedMs: st.mtimeMs });
      } catch {
        // removed meanwhile
      }
    }
  }
  return out.sort((a, b) => a.usedMs - b.usedMs);
}

/**
 * Deletes the least recently fetched blocks under `root` until at most `capBytes` remain, never one of
 * `keep` (the blocks the current read needs). Returns the bytes deleted.
 */
export function evict(root: string, capBytes: number, keep: ReadonlySet<string> = new Set()): number {
  const entries = scan(root);
  let total = entries.reduce((a, e) => a + e.bytes, 0);
  let freed = 0;
  for (const e of entries) {
    if (total <= capBytes) break;
    if (keep.has(e.path)) continue;
    rmSync(e.path, { force: true });
    total -= e.bytes;
    freed += e.bytes;
  }
  return freed;
}
