import test from "node:test";
import assert from "node:assert/strict";
import { LruCache } from "../../src/store/lru.js";

test("the LRU cache evicts least recently used entries beyond its weight and count bounds", () => {
  const cache = new LruCache<string, number[]>(10, 3, (v) => v.length);
  cache.set("a", [1, 2, 3, 4]);
  cache.set("b", [1, 2, 3, 4]);
  assert.ok(cache.get("a"), "touch a: b is now least recently used");
  cache.set("c", [1, 2, 3]);
  assert.equal(cache.get("b"), undefined);
  assert.deepEqual([cache.size, cache.weight], [2, 7]);
  cache.set("d", [1]);
  cache.set("e", [1]);
  assert.equal(cache.size, 3, "count bound");
  assert.equal(cache.get("a"), undefined);
  cache.set("huge", new Array(11).fill(0));
  assert.equal(cache.get("huge"), undefined, "a value heavier than the bound is not kept");
  cache.set("c", [9]);
  assert.deepEqual([cache.get("c"), cache.weight], [[9], 3]);
  cache.delete("c");
  assert.deepEqual([cache.size, cache.weight], [2, 2]);
});
