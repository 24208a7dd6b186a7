/**
 * loadRecordingInWorker: a worker load gives the same Recording as an in-process `loadRecording`
 * (builtin and .npz), path-policy errors arrive as the same UserErrors, cancellation terminates the
 * load, and the calling thread's event loop keeps running during a load.
 */
import test, { after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { watchNativeCalls, wrapNativeCalls } from "../../src/data/formats/hdf5-watch.js";
import { loadRecording, type LoadOptions } from "../../src/data/load.js";
import { writeNpz } from "../../src/data/formats/npz.js";
import type { Recording } from "../../src/data/recording.js";
import { allocationFailure, recordingBuffers } from "../../src/app/load-worker.js";
import { loadRecordingInWorker, type LoadLimits } from "../../src/app/load.js";
import { AllowedRoots } from "../../src/store/roots.js";
import { DEFAULT_INTAKE_LIMITS } from "../../src/data/load.js";
import { CancelledError, UserError } from "../../src/util/errors.js";
import { SMALL_BUILTIN } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";

const tmp = tempDir();
const outside = tempDir("cebra-mcp-outside-");
after(() => {
  tmp.cleanup();
  outside.cleanup();
});

const limits: LoadLimits = { roots: [tmp.dir], cwd: tmp.dir, cacheDir: tmp.dir, ...DEFAULT_INTAKE_LIMITS };

/** The same load on this thread, with the same roots and limits. */
function loadInProcess(source: string, opts: LoadOptions): Promise<Recording> {
  return loadRecording(source, opts, AllowedRoots.create(limits.roots, limits.cwd).loadContext(limits.cacheDir, limits));
}

/** The recording without its load time (the only field that differs between two loads). */
function withoutLoadTime(rec: Recording): Recording {
  return { ...rec, provenance: { ...rec.provenance, loaded_at: "" } };
}

function writeFixtureNpz(file: string): void {
  const T = 30;
  const N = 4;
  writeFileSync(
    file,
    writeNpz({
      neural: { dtype: "<f4", shape: [T, N], data: Float32Array.from({ length: T * N }, (_, i) => Math.sin(i) * 2) },
      frame: { dtype: "<i4", shape: [T], data: Int32Array.from({ length: T }, (_, t) => t % 10) },
      repeat: { dtype: "<i4", shape: [T], data: Int32Array.from({ length: T }, (_, t) => Math.floor(t / 10)) },
      timestamps: { dtype: "<f8", shape: [T], data: Float64Array.from({ length: T }, (_, t) => t / 15) },
      continuous: { dtype: "<f4", shape: [T, 2], data: Float32Array.from({ length: T * 2 }, (_, i) => i / 3) },
    }),
  );
}

test("a builtin recording loaded in a worker equals the in-process load", async () => {
  const opts: LoadOptions = { builtin: SMALL_BUILTIN, zscore: true };
  const viaWorker = await loadRecordingInWorker("builtin:allen-like", opts, limits);
  const inProcess = await loadInProcess("builtin:allen-like", opts);
  assert.ok(viaWorker.neural instanceof Float32Array);
  assert.ok(viaWorker.movie && viaWorker.movie.frames.length > 0);
  assert.deepEqual(withoutLoadTime(viaWorker), withoutLoadTime(inProcess));
});

test("an .npz recording loaded in a worker equals the in-process load", async () => {
  const file = path.join(tmp.dir, "session.npz");
  writeFixtureNpz(file);
  const opts: LoadOptions = { sampling_rate_hz: 15, repeats: [1, 2], continuous_columns: ["x", "y"] };
  const viaWorker = await loadRecordingInWorker(file, opts, limits);
  const inProcess = await loadInProcess(file, opts);
  assert.equal(viaWorker.n_samples, 20);
  assert.deepEqual(viaWorker.continuous?.columns, ["x", "y"]);
  assert.deepEqual(withoutLoadTime(viaWorker), withoutLoadTime(inProcess));
});

test("a path outside the roots is the same UserError as in-process", async () => {
  const file = path.join(outside.dir, "secret.npz");
  writeFixtureNpz(file);
  const expected = await loadInProcess(file, {}).then(
    () => assert.fail("the in-process load should refuse the path"),
    (e: unknown) => e as UserError,
  );
  await assert.rejects(loadRecordingInWorker(file, {}, limits), (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.equal(e.message, expected.message);
    assert.equal(e.problem, expected.problem);
    assert.equal(e.fix, expected.fix);
    assert.equal(e.code, "outside_roots");
    return true;
  });
});

test("other loader UserErrors keep their problem, fix and code", async () => {
  await assert.rejects(loadRecordingInWorker("builtin:nope", {}, limits), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.match(e.problem, /builtin:nope/);
    assert.match(e.fix, /builtin:allen-like/);
    assert.equal(e.code, "bad_input");
    return true;
  });
});

test("a worker that runs out of its heap budget rejects with a UserError naming the budget; the next load works", async () => {
  await assert.rejects(loadRecordingInWorker("builtin:allen-like", { builtin: SMALL_BUILTIN }, { ...limits, loadWorkerHeapMb: 4 }), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.equal(e.code, "limit_exceeded");
    assert.match(e.problem, /ran out of its memory budget \(a 4 MB heap/);
    assert.match(e.fix, /CEBRA_MCP_LOAD_HEAP_MB/);
    return true;
  });
  const rec = await loadRecordingInWorker("builtin:allen-like", { builtin: SMALL_BUILTIN }, limits);
  assert.ok(rec.n_samples > 0);
});

test("an array too large to allocate becomes a UserError; other errors pass through", () => {
  let failure: unknown;
  try {
    new Float64Array(2 ** 40);
  } catch (e) {
    failure = e;
  }
  const err = allocationFailure(failure, "big.npz");
  assert.ok(err instanceof UserError && /big\.npz needs a larger array/.test(err.problem) && /--max-load-bytes/.test(err.fix));
  assert.equal(allocationFailure(new RangeError("Array buffer allocation failed"), "x")?.code, "limit_exceeded");
  assert.equal(allocationFailure(new TypeError("x is not a function"), "x"), undefined);
  assert.equal(allocationFailure(new RangeError("Maximum call stack size exceeded"), "x"), undefined);
});

test("a load that runs past loadTimeoutMs is stopped with a UserError naming the limit; the next load works", async () => {
  // The default-size builtin takes seconds to simulate: with a 200 ms limit the worker is stopped mid-load.
  const started = performance.now();
  await assert.rejects(loadRecordingInWorker("builtin:allen-like", {}, { ...limits, loadTimeoutMs: 200 }), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.equal(e.code, "limit_exceeded");
    assert.match(e.problem, /took longer than 200 ms and was stopped/);
    assert.match(e.fix, /CEBRA_MCP_LOAD_TIMEOUT_S/);
    return true;
  });
  assert.ok(performance.now() - started < 5000, "stopped at the limit, not after the load");
  const rec = await loadRecordingInWorker("builtin:allen-like", { builtin: SMALL_BUILTIN }, limits);
  assert.ok(rec.n_samples > 0);
});

test("an HDF5 file that makes the library loop is stopped by the stall watchdog with a clear error", async () => {
  const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../test/fixtures/hdf5-loop/vlen-heap-loop.nwb");
  const file = path.join(tmp.dir, "loop.nwb");
  copyFileSync(fixture, file);
  const started = performance.now();
  await assert.rejects(loadRecordingInWorker(file, {}, { ...limits, nativeStallMs: 2000 }), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.equal(e.code, "limit_exceeded");
    assert.match(e.problem, /loop\.nwb was stopped: the HDF5 library spent more than 2 s in one call/);
    assert.match(e.fix, /CEBRA_MCP_HDF5_STALL_S/);
    return true;
  });
  const seconds = (performance.now() - started) / 1000;
  assert.ok(seconds < 10, `stopped ${seconds.toFixed(1)} s after the start (limit 2 s, checked every 0.5 s)`);
});

test("the native-call clock sees the outermost call start and end, nested calls once", () => {
  const seen: number[] = [];
  const fake: Record<string, unknown> = {
    get_type: () => 1,
    get_keys: function (this: Record<string, unknown>) {
      return (this.get_type as () => number)() + 1;
    },
    ccall: () => 0,
  };
  wrapNativeCalls(fake);
  watchNativeCalls((ms) => seen.push(ms));
  try {
    assert.equal((fake.get_keys as () => number).call(fake), 2);
    (fake.ccall as () => number)();
  } finally {
    watchNativeCalls(null);
  }
  assert.equal(seen.length, 2, "one start and one end for the nested call; ccall is not wrapped");
  assert.ok(seen[0]! > 0);
  assert.equal(seen[1], 0);
});

test("aborting the signal terminates the load with CancelledError", async () => {
  const ac = new AbortController();
  const load = loadRecordingInWorker("builtin:allen-like", {}, limits, ac.signal);
  setImmediate(() => ac.abort());
  await assert.rejects(load, CancelledError);

  const aborted = AbortSignal.abort();
  await assert.rejects(loadRecordingInWorker("builtin:allen-like", {}, limits, aborted), CancelledError);
});

test("the calling thread's event loop keeps running during a default-size builtin load", async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  try {
    const rec = await loadRecordingInWorker("builtin:allen-like", {}, limits);
    assert.ok(rec.n_samples > 0);
  } finally {
    clearInterval(timer);
  }
  assert.ok(ticks >= 5, `the interval ticked only ${ticks} times during the load`);
});

test("recordingBuffers lists each buffer once, even when arrays are views into one buffer", () => {
  const shared = new ArrayBuffer(64);
  const rec = {
    neural: new Float32Array(shared, 0, 8),
    timestamps: new Float64Array(4),
    frame: new Int32Array(shared, 32, 4),
    repeat: new Int32Array(shared, 48, 4),
  } as unknown as Recording;
  const buffers = recordingBuffers(rec);
  assert.equal(buffers.length, 2);
  assert.ok(buffers.includes(shared));
  assert.ok(buffers.includes(rec.timestamps.buffer as ArrayBuffer));
});
