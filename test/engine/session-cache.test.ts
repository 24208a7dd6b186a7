import test from "node:test";
import assert from "node:assert/strict";
import type * as ort from "onnxruntime-node";
import { SessionCache, valuesHash } from "../../src/engine/runtime/session-cache.js";

/** A stand-in session that records its release (the cache only calls `release`). */
function fakeSession(log: string[], name: string): ort.InferenceSession {
  return { release: async () => { log.push(`release ${name}`); } } as unknown as ort.InferenceSession;
}

test("least recently used entries are evicted and released; a hit creates nothing", async () => {
  const log: string[] = [];
  const cache = new SessionCache(2);
  const p = Float32Array.of(1, 2, 3);
  const use = (k: string) => cache.use(k, p, async () => { log.push(`create ${k}`); return fakeSession(log, k); }, async () => k);
  await use("a");
  await use("b");
  await use("a"); // a is now the most recent
  await use("c"); // evicts b
  assert.deepEqual(log, ["create a", "create b", "create c", "release b"]);
  assert.deepEqual(cache.stats(), { size: 2, capacity: 2, created: 3, hits: 1, released: 1 });
});

test("a session evicted while a call runs it is released only when that call ends", async () => {
  const log: string[] = [];
  const cache = new SessionCache(1);
  const p = Float32Array.of(0);
  let finish!: () => void;
  const running = cache.use("a", p, async () => fakeSession(log, "a"), () => new Promise<void>((r) => { finish = r; }));
  await new Promise((r) => setImmediate(r));
  await cache.use("b", p, async () => fakeSession(log, "b"), async () => undefined);
  assert.deepEqual(log, []);
  finish();
  await running;
  assert.deepEqual(log, ["release a"]);
});

test("an entry whose parameters differ from the key's copy is replaced, and a failed creation leaves no entry", async () => {
  const log: string[] = [];
  const cache = new SessionCache(4);
  await cache.use("k", Float32Array.of(1), async () => fakeSession(log, "first"), async () => undefined);
  await cache.use("k", Float32Array.of(2), async () => fakeSession(log, "second"), async () => undefined);
  assert.deepEqual(log, ["release first"]);
  await assert.rejects(cache.use("bad", Float32Array.of(1), async () => { throw new Error("no"); }, async () => undefined), /no/);
  assert.equal(cache.stats().size, 1);
  assert.notEqual(valuesHash(Float32Array.of(1, 2)), valuesHash(Float32Array.of(2, 1)));
  assert.throws(() => new SessionCache(0));
});
