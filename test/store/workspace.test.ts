import test, { after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Workspace } from "../../src/store/workspace.js";
import { kindOfId, newId, parseId } from "../../src/store/ids.js";
import { UserError } from "../../src/util/errors.js";
import { tempDir } from "../helpers/tmp.js";

const tmp = tempDir();
after(tmp.cleanup);
let n = 0;
const fresh = () => Workspace.open(path.join(tmp.dir, `ws${n++}`));

test("ids carry their kind, sort by creation time and reject malformed input", async () => {
  const a = newId("model");
  await new Promise((r) => setTimeout(r, 3));
  const b = newId("model");
  assert.match(a, /^mdl_[0-9a-z]{12}$/);
  assert.ok(a < b, `${a} should sort before ${b}`);
  assert.equal(kindOfId(a), "model");
  assert.equal(kindOfId("xyz_0123456789ab"), undefined);
  assert.throws(() => parseId("../../etc"), (e: unknown) => e instanceof UserError && /list_artifacts/.test(e.fix));
  assert.throws(() => parseId(a, "recording"), (e: unknown) => e instanceof UserError && /model id/.test(e.problem));
});

test("create, get, read, list and size an artifact", async () => {
  const ws = await fresh();
  const m = await ws.create("embedding", { summary: "an\nembedding   of 3 rows", meta: { rows: 3 }, parents: ["mdl_0000000000aa"], files: { "z.bin": new Uint8Array([1, 2, 3]), "info.json": '{"a":1}' } });
  assert.equal(m.kind, "embedding");
  assert.equal(m.summary, "an embedding of 3 rows");
  const got = await ws.get<{ rows: number }>(m.id, "embedding");
  assert.equal(got.meta.rows, 3);
  assert.deepEqual(got.parents, ["mdl_0000000000aa"]);
  assert.deepEqual([...(await ws.readFile(m.id, "z.bin"))], [1, 2, 3]);
  assert.deepEqual(await ws.readJson(m.id, "info.json"), { a: 1 });
  const list = await ws.list();
  assert.deepEqual(list.map((a) => a.id), [m.id]);
  assert.ok(list[0]!.bytes > 3 + 7, "size includes files and manifest");
  assert.equal(await ws.size(m.id), list[0]!.bytes);
  await assert.rejects(ws.readFile(m.id, "nope.bin"), (e: unknown) => e instanceof UserError && /z\.bin/.test(e.problem));
});

test("unknown ids give a UserError naming existing ids and list_artifacts", async () => {
  const ws = await fresh();
  const r = await ws.create("recording", { summary: "r", meta: {} });
  await assert.rejects(ws.get("rec_000000000000"), (e: unknown) => e instanceof UserError && e.problem.includes(r.id) && /list_artifacts/.test(e.fix));
  await assert.rejects(ws.get("dec_000000000000"), (e: unknown) => e instanceof UserError && /no decoding artifacts/.test(e.problem));
});

test("file names cannot escape the artifact directory", async () => {
  const ws = await fresh();
  const r = await ws.create("render", { summary: "r", meta: {} });
  await assert.rejects(ws.writeFile(r.id, "../evil", "x"), /invalid artifact file name/);
  await assert.rejects(ws.writeFile(r.id, "manifest.json", "x"), /invalid artifact file name/);
});

test("half-written artifacts are invisible: temp dirs and directories without a manifest are ignored", async () => {
  const ws = await fresh();
  const done = await ws.create("model", { summary: "complete", meta: {} });
  const draft = await ws.begin("model");
  await draft.writeFile("params.bin", new Uint8Array(16));
  // A crashed writer: temp dir with data, and a stray non-temp dir with no manifest.
  const fakeId = newId("model");
  mkdirSync(path.join(ws.kindDir("model"), fakeId));
  writeFileSync(path.join(ws.kindDir("model"), fakeId, "params.bin"), "x");
  assert.deepEqual((await ws.list("model")).map((a) => a.id), [done.id]);
  assert.equal(await ws.has(draft.id), false);
  await draft.commit({ summary: "second", meta: {} });
  assert.deepEqual((await ws.list("model")).map((a) => a.id).sort(), [done.id, draft.id].sort());
});

test("an aborted draft leaves nothing behind; stale temp dirs are removed on request", async () => {
  const ws = await fresh();
  const draft = await ws.begin("decoding");
  await draft.writeFile("table.json", "[]");
  await draft.abort();
  assert.deepEqual(readdirSync(ws.kindDir("decoding")), []);
  const crashed = await ws.begin("decoding");
  await crashed.writeFile("table.json", "[]");
  const old = new Date(Date.now() - 3 * 24 * 3600 * 1000);
  utimesSync(crashed.dir, old, old);
  assert.equal(await ws.removeStaleTemps(24 * 3600 * 1000), 1);
  assert.deepEqual(readdirSync(ws.kindDir("decoding")), []);
});

test("partial downloads left by a cancelled load are removed once stale; finished downloads stay", async () => {
  const ws = await fresh();
  mkdirSync(ws.downloadsDir, { recursive: true });
  const part = path.join(ws.downloadsDir, "ab12.npz.3f2a1b.part");
  const done = path.join(ws.downloadsDir, "ab12.npz");
  writeFileSync(part, "partial");
  writeFileSync(done, "complete");
  const old = new Date(Date.now() - 3 * 24 * 3600 * 1000);
  utimesSync(part, old, old);
  utimesSync(done, old, old);
  assert.equal(await ws.removeStaleTemps(24 * 3600 * 1000), 1);
  assert.deepEqual(readdirSync(ws.downloadsDir), ["ab12.npz"]);
});

test("a reopened workspace sees everything a previous one committed", async () => {
  const dir = path.join(tmp.dir, "persist");
  const ws1 = await Workspace.open(dir);
  const a = await ws1.create("recording", { summary: "first", meta: { x: 1 }, files: { "a.npy": new Uint8Array(8) } });
  const b = await ws1.create("job", { summary: "second", meta: { status: "queued" } });
  await ws1.update(b.id, { summary: "updated", meta: { status: "succeeded" } });
  const ws2 = await Workspace.open(dir);
  const list = await ws2.list();
  assert.deepEqual(list.map((x) => x.id), [a.id, b.id]);
  assert.equal((await ws2.get(b.id)).summary, "updated");
  assert.deepEqual((await ws2.get(b.id)).meta, { status: "succeeded" });
});

test("concurrent file additions to one artifact are all recorded in its manifest", async () => {
  const ws = await fresh();
  const r = await ws.create("render", { summary: "frames", meta: {} });
  await Promise.all(Array.from({ length: 20 }, (_, i) => ws.writeFile(r.id, `frame-${i}.png`, new Uint8Array(i + 1))));
  const m = await ws.get(r.id);
  assert.equal(Object.keys(m.files).length, 20);
  assert.equal(m.files["frame-19.png"]!.bytes, 20);
});

test("remove deletes an artifact completely", async () => {
  const ws = await fresh();
  const r = await ws.create("embedding", { summary: "e", meta: {}, files: { "z.npy": new Uint8Array(4) } });
  await ws.remove(r.id);
  assert.equal(await ws.has(r.id), false);
  assert.deepEqual(readdirSync(ws.kindDir("embedding")), []);
  await assert.rejects(ws.remove(r.id), UserError);
});

test("a resource file must exist in the draft", async () => {
  const ws = await fresh();
  await assert.rejects(ws.create("decoding", { summary: "d", meta: {}, resource: { file: "table.json", mime_type: "application/json" } }), /resource file/);
  const ok = await ws.create("decoding", { summary: "d", meta: {}, files: { "table.json": "[]" }, resource: { file: "table.json", mime_type: "application/json" } });
  assert.deepEqual(ok.resource, { file: "table.json", mime_type: "application/json" });
});
