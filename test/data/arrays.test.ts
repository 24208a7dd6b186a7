import test from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { loadRecording } from "../../src/data/load.js";
import { writeNpz } from "../../src/data/formats/npz.js";
import { UserError } from "../../src/util/errors.js";
import { ctxFor, tmpDir } from "./helpers.js";

/** An .npz with 50 samples, 3 units, timestamps t/10 s and a 2-column continuous label. */
function trackNpz(): string {
  const dir = tmpDir();
  const file = path.join(dir, "track.npz");
  const T = 50;
  writeFileSync(file, writeNpz({
    neural: { dtype: "<f4", shape: [T, 3], data: Float32Array.from({ length: T * 3 }, (_, i) => Math.sin(i)) },
    timestamps: { dtype: "<f8", shape: [T], data: Float64Array.from({ length: T }, (_, t) => t / 10) },
    continuous: { dtype: "<f4", shape: [T, 2], data: Float32Array.from({ length: T * 2 }, (_, i) => i) },
  }, { compress: true }));
  return file;
}

test("continuous_columns names the continuous label columns; the default is c0, c1", async () => {
  const file = trackNpz();
  const ctx = ctxFor(path.dirname(file));
  assert.deepEqual((await loadRecording(file, {}, ctx)).continuous!.columns, ["c0", "c1"]);
  const named = await loadRecording(file, { continuous_columns: ["position", "speed"] }, ctx);
  assert.deepEqual(named.continuous!.columns, ["position", "speed"]);
});

test("continuous_columns must give one distinct name per column", async () => {
  const file = trackNpz();
  const ctx = ctxFor(path.dirname(file));
  await assert.rejects(loadRecording(file, { continuous_columns: ["position"] }, ctx), (e) => e instanceof UserError && /1 name\(s\).*2 column/.test(e.message) && /2 distinct names/.test(e.fix));
  await assert.rejects(loadRecording(file, { continuous_columns: ["x", "x"] }, ctx), (e) => e instanceof UserError && /duplicates/.test(e.message));
});

test("the sampling rate from timestamps is not polluted by floating-point noise", async () => {
  const file = trackNpz();
  const rec = await loadRecording(file, {}, ctxFor(path.dirname(file)));
  assert.equal(rec.sampling_rate_hz, 10);
});
