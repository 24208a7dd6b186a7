/**
 * CI sample of the fuzz harness (docs/FUZZING.md): a fixed seed and a few hundred cases through the
 * three routes (loadRecording in the runner, loadRecordingInWorker, MCP load_recording), with the
 * per-case limits of `npm run fuzz`. No case may crash, hang, exceed the memory limit, read outside
 * the root or end in an internal error; a failure names each case and the command that replays it.
 */
import assert from "node:assert/strict";
import test from "node:test";
import { DEFAULT_OPTIONS, runFuzz } from "./harness.js";
import { buildZip, bombMember, crcZerosAfter, memberOf } from "./zip.js";
import { makeCase } from "./mutators.js";
import { buildSeeds, SECRET } from "./seeds.js";
import { classifyError, classifyToolResult } from "./classify.js";
import { CancelledError, UserError } from "../../src/util/errors.js";
import { crc32, inflateRawSync } from "node:zlib";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** The CI sample's seed (not the default seed of `npm run fuzz`, so the two cover different cases). */
const CI_SEED = 7;
const CI_CASES = 240;

test("bomb members inflate to what they declare, with the right CRC, from ~1 KiB per MiB", () => {
  const head = new TextEncoder().encode("header");
  const m = bombMember("x.npy", head, 3);
  const inflated = inflateRawSync(m.data);
  assert.equal(inflated.length, m.size);
  assert.equal(crc32(inflated), m.crc);
  assert.ok(m.data.length < 4 * 1100, `${m.data.length} bytes for 3 MiB`);
  assert.equal(crcZerosAfter(crc32(head), 12345), crc32(Buffer.concat([head, Buffer.alloc(12345)])));
  const zip = buildZip([m, memberOf("y.npy", head, false)]);
  assert.equal(Buffer.from(zip.subarray(0, 4)).readUInt32LE(0), 0x04034b50);
});

test("outcomes: clear UserErrors pass; raw internals, dead workers, timeouts and outside values fail", () => {
  const clear = new UserError("/r/x.npz: member neural.npy declares 4 GiB, over the 2 GiB budget.", "Load a smaller file.");
  assert.equal(classifyError(clear, false, false).outcome, "user_error");
  assert.equal(classifyError(new UserError("x.h5: HDF5-DIAG: Error detected in HDF5 (1.14.2)", "?"), false, false).outcome, "internal_error");
  assert.equal(classifyError(new UserError("x.npz is not a readable .npz/zip archive (offset is out of bounds).", "Re-save it."), false, false).outcome, "internal_error");
  assert.equal(classifyError(new TypeError("Cannot read properties of undefined (reading 'shape')"), false, false).outcome, "internal_error");
  assert.equal(classifyError(new Error("The loading worker crashed while loading x: out of memory"), false, false).outcome, "crash");
  assert.equal(classifyError(new CancelledError("load cancelled"), true, false).outcome, "hang");
  assert.equal(classifyError(new UserError(`frame index ${SECRET} at sample 0 is outside the movie`, "Check."), false, true).outcome, "escape");
  assert.equal(classifyToolResult(true, "Internal error in load_recording: boom. The server is still running", false).outcome, "internal_error");
  assert.equal(classifyToolResult(true, "x.npy has dtype '<c16' (complex numbers), which is not numeric.\nFix: Convert it.", false).outcome, "user_error");
  assert.equal(classifyToolResult(false, "Loaded rec_1: 120 samples", false).outcome, "ok");
});

test("a case is a pure function of (seed, index): seeds are byte-identical from run to run", async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), "cebra-fuzz-test-"));
  try {
    const seeds = await buildSeeds(path.join(base, "a", "root"), path.join(base, "a", "outside"));
    const again = await buildSeeds(path.join(base, "b", "root"), path.join(base, "b", "outside"));
    assert.deepEqual(again.map((s) => s.name), seeds.map((s) => s.name));
    // Absolute external links name the run's temp folder; every other seed is identical.
    for (const [i, s] of seeds.entries()) if (!s.name.includes("extlink") || s.name.includes("relative")) assert.ok(readFileSync(s.file).equals(readFileSync(again[i].file)), `seed ${s.name} differs between runs`);
    for (const i of [0, 1, 17, 99]) {
      const a = makeCase(CI_SEED, i, seeds);
      const b = makeCase(CI_SEED, i, seeds);
      assert.deepEqual(a.mutations, b.mutations);
      assert.ok(Buffer.from(a.bytes).equals(Buffer.from(b.bytes)), `case ${a.id} differs between two builds`);
    }
    assert.ok(seeds.some((s) => s.hostile && s.loader === "hdf5"), "the HDF5 escape seeds are built");
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test(`fuzz sample: seed ${CI_SEED}, ${CI_CASES} cases, no crash/hang/memory/escape/internal error`, { timeout: 600_000 }, async () => {
  const r = await runFuzz({ ...DEFAULT_OPTIONS, seed: CI_SEED, cases: CI_CASES, mcpFraction: 0.04, workerFraction: 0.04 });
  console.log(`fuzz sample: ${r.cases} cases in ${r.wall_s} s: ${JSON.stringify(r.counts)}; peak RSS ${r.peak_rss_mb.max} MB`);
  assert.equal(r.cases, CI_CASES);
  assert.ok(r.counts.ok + r.counts.user_error > 0);
  const lines = r.failure_groups.map((g) => `[${g.loader}] ${g.outcome} ×${g.count} via ${g.via}: ${g.message.slice(0, 200)} (replay: ${g.replay})`);
  assert.equal(r.failures, 0, `${r.failures} fuzz failures:\n${lines.join("\n")}`);
});
