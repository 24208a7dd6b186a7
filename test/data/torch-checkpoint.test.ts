/**
 * The data-only torch checkpoint reader (src/data/torch-checkpoint.ts, pickle.ts) on CEBRA 0.6.1's own
 * files and on hostile variants: nothing is executed, every refusal is a UserError that names the problem.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { unpickle } from "../../src/data/pickle.js";
import { CHECKPOINT_GLOBALS, isTensor, openTorchCheckpointBytes } from "../../src/data/torch-checkpoint.js";
import { UserError } from "../../src/util/errors.js";
import { Rng } from "../../src/util/rng.js";
import { importCebraCheckpoint } from "../../src/app/cebra-import.js";
import { ZipArchive, bytesSource } from "../../src/data/formats/zip.js";
import { tempDir } from "../helpers/tmp.js";
import { CEBRA_PT, READ_LIMITS, osSystemPickle, writeHostile, type Hostile } from "./torch-hostile.js";

const open = (file: string) => openTorchCheckpointBytes(new Uint8Array(readFileSync(file)), path.basename(file), READ_LIMITS);

for (const name of ["offset10-time", "offset5-behavior-auto", "mse-v2-2layers", "multi-offset10"]) {
  test(`${name}.pt reads as CEBRA's dict: args, state, state_dict (tensors), metadata`, () => {
    const ck = open(path.join(CEBRA_PT, `${name}.pt`));
    try {
      const root = ck.object as Map<string, unknown>;
      assert.deepEqual([...root.keys()], ["args", "state", "state_dict", "metadata"]);
      const meta = root.get("metadata") as Map<string, unknown>;
      assert.equal(meta.get("cebra_version"), "0.6.1");
      assert.equal(meta.get("backend"), "sklearn");
      const model = (root.get("state_dict") as Map<string, unknown>).get("model") as Map<string, unknown>;
      const first = [...model.values()][0];
      assert.ok(isTensor(first));
      const data = ck.tensorData(first, "first weight");
      assert.equal(data.length, first.shape.reduce((a, b) => a * b, 1));
      assert.ok(data.every(Number.isFinite) && data.some((v) => v !== 0));
    } finally {
      ck.close();
    }
  });
}

test("the pickle interpreter refuses os.system by name and runs nothing", () => {
  assert.throws(
    () => unpickle(osSystemPickle(), { name: "evil.pkl", globals: CHECKPOINT_GLOBALS, persistentLoad: () => null }),
    (e: unknown) => e instanceof UserError && /os\.system/.test(e.message) && /not a CEBRA checkpoint/.test(e.message),
  );
});

test("the pickle interpreter bounds opcodes and nesting", () => {
  // 200 nested empty lists: EMPTY_LIST then (EMPTY_LIST APPEND) is flat, so nest with MARK … LIST.
  const deep = Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.alloc(200, 0x28), Buffer.alloc(200, 0x6c), Buffer.from([0x2e])]);
  const opts = { name: "deep.pkl", globals: CHECKPOINT_GLOBALS, persistentLoad: () => null };
  assert.throws(() => unpickle(deep, opts), /nested more than 100 levels/);
  assert.throws(() => unpickle(deep, { ...opts, maxOps: 50 }), /past 50 opcodes/);
  assert.throws(() => unpickle(Buffer.from([0x80, 0x02, 0x58, 0xff, 0xff, 0, 0]), opts), /truncated/);
  assert.throws(() => unpickle(Buffer.from([0x80, 0x02, 0x69]), opts), /opcode 0x69/); // INST (protocol 0)
});

test("the pickle interpreter bounds the containers it builds and refuses nested or cyclic dict keys", () => {
  const opts = { name: "many.pkl", globals: CHECKPOINT_GLOBALS, persistentLoad: () => null };
  // EMPTY_LIST, then 5,000 × (EMPTY_DICT APPEND): 10 kB of pickle for 5,001 containers.
  const many = Buffer.concat([Buffer.from([0x80, 0x02, 0x5d]), Buffer.from("}a".repeat(5000), "latin1"), Buffer.from([0x2e])]);
  assert.equal((unpickle(many, opts) as unknown[]).length, 5000);
  assert.throws(() => unpickle(many, { ...opts, maxObjects: 1000 }), (e: unknown) => e instanceof UserError && /more than 1000 lists, dicts or objects/.test(e.message));
  // {((),): 1}: a tuple holding a tuple as a key.
  const nestedKey = Buffer.from([0x80, 0x02, 0x7d, 0x29, 0x85, 0x4b, 0x01, 0x73, 0x2e]);
  assert.throws(() => unpickle(nestedKey, opts), (e: unknown) => e instanceof UserError && /short tuple/.test(e.message));
  // A list appended to itself, then used as a key: refused, not walked.
  const cyclic = Buffer.from([0x80, 0x02, 0x7d, 0x5d, 0x32, 0x61, 0x4b, 0x01, 0x73, 0x2e]);
  assert.throws(() => unpickle(cyclic, opts), (e: unknown) => e instanceof UserError && /short tuple/.test(e.message));
  // A flat tuple of numbers and strings is a key, as torch's optimizer state uses.
  const tupleKey = Buffer.from([0x80, 0x02, 0x7d, 0x4b, 0x01, 0x4b, 0x02, 0x86, 0x4b, 0x03, 0x73, 0x2e]);
  assert.deepEqual([...(unpickle(tupleKey, opts) as Map<unknown, unknown>).entries()], [["[1,2]", 3]]);
});

const EXPECT: Record<Hostile, RegExp> = {
  os_system: /os\.system/,
  truncated_zip: /zip|archive|end of central directory/i,
  truncated_pickle: /truncated/,
  short_storage: /holds 8 bytes, but \d+ FloatStorage elements need \d+/,
  huge_entry: /\d+ bytes/,
};

for (const kind of Object.keys(EXPECT) as Hostile[]) {
  test(`hostile checkpoint (${kind}) → a UserError naming the problem`, () => {
    const tmp = tempDir();
    try {
      const file = path.join(tmp.dir, `${kind}.pt`);
      writeHostile(kind, file);
      assert.throws(
        () => {
          const ck = open(file);
          try {
            const model = (((ck.object as Map<string, unknown>).get("state_dict") as Map<string, unknown>).get("model")) as Map<string, unknown>;
            for (const [k, t] of model) if (isTensor(t)) ck.tensorData(t, k);
          } finally {
            ck.close();
          }
        },
        (e: unknown) => e instanceof UserError && EXPECT[kind].test(e.message),
      );
    } finally {
      tmp.cleanup();
    }
  });
}

test("mutated pickles (400 seeded cases: flipped, deleted, inserted bytes) end in a value or a UserError, never a crash", () => {
  const name = "offset5-behavior-auto";
  const bytes = new Uint8Array(readFileSync(path.join(CEBRA_PT, `${name}.pt`)));
  const zip = ZipArchive.open(bytesSource(bytes), name, READ_LIMITS);
  const pkl = zip.read(zip.get(`${name}/data.pkl`)!);
  zip.close();
  const storage = () => ({ key: "0", type: "FloatStorage", numel: 0 });
  const rng = new Rng(7);
  let refused = 0;
  for (let c = 0; c < 400; c++) {
    const m = Array.from(pkl);
    for (let k = 1 + rng.int(4); k > 0; k--) {
      const at = rng.int(m.length);
      const op = rng.int(3);
      if (op === 0) m[at] = rng.int(256);
      else if (op === 1) m.splice(at, 1 + rng.int(8));
      else m.splice(at, 0, rng.int(256));
    }
    try {
      const object = unpickle(Uint8Array.from(m), { name: `case ${c}`, globals: CHECKPOINT_GLOBALS, persistentLoad: storage, maxOps: 100_000 });
      // What parses goes on to the mapping, whose tensor reads fail cleanly on the empty storages.
      importCebraCheckpoint({ object, tensorData: () => { throw new UserError("no storage in this test", ""); }, close: () => {} }, `case ${c}`, { path: "", sha256: "" });
    } catch (e) {
      assert.ok(e instanceof UserError, `case ${c}: ${(e as Error).stack}`);
      refused++;
    }
  }
  assert.ok(refused > 300, `${refused} of 400 refused`);
});
