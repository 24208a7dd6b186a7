/**
 * A small bounded cache of ONNX Runtime sessions, least recently used evicted first.
 *
 * Building a graph and creating its session costs more than running it on a short recording (the
 * transform of 10,000 samples runs in about 20 ms; building and creating its encoder took about 25 ms),
 * so a process keeps the last few sessions it made. An entry is found by a key (what the graph is made
 * of: architecture, sizes, device) and checked against an exact copy of the parameters it embeds, so a
 * model whose parameters changed never gets a stale session. Evicted sessions are released as soon as
 * no call is still running them; at most `capacity` sessions are held, whatever the number of models.
 */
import type * as ort from "onnxruntime-node";

interface Entry {
  /** The session, being created or ready. */
  session: Promise<ort.InferenceSession>;
  /** Exact copy of the values the session's graph embeds. */
  params: Float32Array;
  /** Calls currently running the session. */
  users: number;
  evicted: boolean;
}

/** What the cache did since it was made (for tests and benchmarks). */
export interface SessionCacheStats {
  size: number;
  capacity: number;
  created: number;
  hits: number;
  released: number;
}

export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  private created = 0;
  private hits = 0;
  private released = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`SessionCache capacity must be a positive integer, got ${capacity}`);
  }

  /**
   * Run `fn` with the session for (`key`, `params`), creating it with `create` on a miss. The session
   * stays valid until `fn` settles, even if the entry is evicted meanwhile.
   */
  async use<T>(key: string, params: Float32Array, create: () => Promise<ort.InferenceSession>, fn: (s: ort.InferenceSession) => Promise<T>): Promise<T> {
    let entry = this.entries.get(key);
    if (entry && !sameValues(entry.params, params)) {
      this.evict(key, entry);
      entry = undefined;
    }
    if (entry) {
      this.hits++;
      this.entries.delete(key); // re-insert: Map order is the recency order
    } else {
      this.created++;
      entry = { session: create(), params: params.slice(), users: 0, evicted: false };
      // A failed creation leaves no entry behind.
      const made = entry;
      made.session.catch(() => { if (this.entries.get(key) === made) this.entries.delete(key); });
    }
    this.entries.set(key, entry);
    this.trim();
    entry.users++;
    try {
      return await fn(await entry.session);
    } finally {
      entry.users--;
      if (entry.evicted && entry.users === 0) await this.release(entry);
    }
  }

  stats(): SessionCacheStats {
    return { size: this.entries.size, capacity: this.capacity, created: this.created, hits: this.hits, released: this.released };
  }

  /** Evict every entry (sessions in use are released when their calls finish). */
  async clear(): Promise<void> {
    const idle = [...this.entries].filter(([, e]) => e.users === 0).map(([, e]) => e);
    for (const [key, e] of [...this.entries]) this.evict(key, e, false);
    await Promise.all(idle.map((e) => this.release(e)));
  }

  private trim(): void {
    while (this.entries.size > this.capacity) {
      const [key, oldest] = this.entries.entries().next().value as [string, Entry];
      this.evict(key, oldest);
    }
  }

  private evict(key: string, e: Entry, releaseNow = true): void {
    this.entries.delete(key);
    e.evicted = true;
    if (releaseNow && e.users === 0) void this.release(e);
  }

  private async release(e: Entry): Promise<void> {
    try {
      await (await e.session).release();
      this.released++;
    } catch {
      // A session that failed to start holds nothing to release.
    }
  }
}

/** FNV-1a over the bit patterns of `a` (a key part; entries are still checked against an exact copy). */
export function valuesHash(a: Float32Array): string {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < x.length; i++) h = Math.imul(h ^ x[i], 0x01000193);
  return `${a.length}:${(h >>> 0).toString(16)}`;
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
