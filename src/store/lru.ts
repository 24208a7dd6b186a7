/**
 * A small least-recently-used cache bounded by total weight (e.g. bytes) and entry count.
 * Used to keep recently used recordings in memory so tools don't re-read .npy files on every call.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, { value: V; weight: number }>();
  private totalWeight = 0;

  constructor(
    private readonly maxWeight: number,
    private readonly maxEntries: number,
    private readonly weigh: (value: V) => number,
  ) {}

  /** The cached value (marking it most recently used), or undefined. */
  get(key: K): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  /** Stores a value, evicting least recently used entries beyond the bounds. A value heavier than the bound is not kept. */
  set(key: K, value: V): void {
    this.delete(key);
    const weight = this.weigh(value);
    if (weight > this.maxWeight) return;
    this.entries.set(key, { value, weight });
    this.totalWeight += weight;
    for (const [k, e] of this.entries) {
      if (this.totalWeight <= this.maxWeight && this.entries.size <= this.maxEntries) break;
      this.entries.delete(k);
      this.totalWeight -= e.weight;
    }
  }

  delete(key: K): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.totalWeight -= e.weight;
  }

  get size(): number {
    return this.entries.size;
  }

  get weight(): number {
    return this.totalWeight;
  }
}
