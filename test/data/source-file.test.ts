/**
 * Opening a local file once (src/data/source-file.ts): the handle is verified against the roots and
 * every read goes through it; special files, folders and files outside the roots are refused before
 * they are read; loadRecording's messages and provenance still name the path the user gave.
 */
import test, { after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { loadRecording } from "../../src/data/load.js";
import { readFrameFolder } from "../../src/data/movie.js";
import { writeNpz } from "../../src/data/formats/npz.js";
import { openVerified, withVerifiedFile } from "../../src/data/source-file.js";
import { AllowedRoots } from "../../src/store/roots.js";
import { DEFAULT_INTAKE_LIMITS } from "../../src/data/options.js";
import { UserError } from "../../src/util/errors.js";
import { withHdf5 } from "../../src/data/formats/hdf5.js";
import { put, tmpDir, writeH5 } from "./helpers.js";

const root = realpathSync(tmpDir("cebra-source-root-"));
const outside = realpathSync(tmpDir("cebra-source-outside-"));
const roots = AllowedRoots.create([root]);
const check = (p: string) => roots.check(p);
const ctx = roots.loadContext(join(root, ".cache"), DEFAULT_INTAKE_LIMITS);
after(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});
const linux = process.platform === "linux" && existsSync("/proc/self/fd");

function npz(file: string, n: number, value: number): void {
  const T = 8;
  writeFileSync(file, writeNpz({ neural: { dtype: "<f4", shape: [T, n], data: new Float32Array(T * n).fill(value) } }));
}
const isUserError = (code: string, re: RegExp) => (e: unknown) => e instanceof UserError && e.code === code && re.test(e.message);

test("a verified file is read through its handle: swapping the symlink afterwards changes nothing", async () => {
  writeFileSync(join(root, "a.bin"), "inside");
  writeFileSync(join(outside, "b.bin"), "OUTSIDE");
  const link = join(root, "link.bin");
  symlinkSync(join(root, "a.bin"), link);
  const file = await openVerified(link, check);
  try {
    assert.equal(file.realPath, join(root, "a.bin"));
    assert.equal(file.name, link);
    assert.equal(file.isFolder, false);
    assert.equal(file.size, 6);
    if (linux) assert.equal(file.path, `/proc/self/fd/${file.handle.fd}`);
    symlinkSync(join(outside, "b.bin"), join(root, "next.bin"));
    renameSync(join(root, "next.bin"), link); // the link now points outside the root
    assert.equal(readFileSync(file.path, "utf8"), linux ? "inside" : readFileSync(file.realPath, "utf8"));
    assert.equal((await file.handle.readFile()).toString(), "inside");
  } finally {
    await file.close();
  }
  assert.equal(file.handle.fd, -1, "closed");
});

test("h5wasm reads the verified file even when the symlink is swapped before it opens it", async () => {
  await writeH5(join(root, "in.h5"), (f) => put(f, "/neural", Float32Array.from([1, 2, 3, 4]), { shape: [2, 2] }));
  await writeH5(join(outside, "out.h5"), (f) => put(f, "/neural", Float32Array.from([777, 777, 777, 777]), { shape: [2, 2] }));
  const link = join(root, "flip.h5");
  symlinkSync(join(root, "in.h5"), link);
  const file = await openVerified(link, check);
  try {
    symlinkSync(join(outside, "out.h5"), join(root, "flip-next.h5"));
    renameSync(join(root, "flip-next.h5"), link);
    const values = await withHdf5(file, ctx, (reader) => Array.from(reader.readNumeric("/neural", "f32").data));
    assert.deepEqual(values, linux ? [1, 2, 3, 4] : values);
  } finally {
    await file.close();
  }
});

test("a symlink whose target is outside the roots is refused after opening, naming the real file", async () => {
  writeFileSync(join(outside, "secret.bin"), "secret");
  symlinkSync(join(outside, "secret.bin"), join(root, "escape.bin"));
  await assert.rejects(openVerified(join(root, "escape.bin"), check), isUserError("outside_roots", /secret\.bin is not allowed: it is outside the allowed roots/));
  mkdirSync(join(outside, "frames"));
  symlinkSync(join(outside, "frames"), join(root, "frames-link"));
  await assert.rejects(openVerified(join(root, "frames-link"), check, { allowFolder: true }), isUserError("outside_roots", /outside the allowed roots/));
});

test("without /proc/self/fd the fallback checks the real path and compares device and inode", async () => {
  writeFileSync(join(root, "plain.bin"), "plain");
  symlinkSync(join(root, "plain.bin"), join(root, "plain-link.bin"));
  const file = await openVerified(join(root, "plain-link.bin"), check, { procFd: false });
  try {
    assert.deepEqual([file.path, file.realPath, (await file.handle.readFile()).toString()], [join(root, "plain.bin"), join(root, "plain.bin"), "plain"]);
  } finally {
    await file.close();
  }
  writeFileSync(join(outside, "far.bin"), "far");
  symlinkSync(join(outside, "far.bin"), join(root, "far-link.bin"));
  await assert.rejects(openVerified(join(root, "far-link.bin"), check, { procFd: false }), isUserError("outside_roots", /far\.bin is not allowed/));
});

test("named pipes and devices are refused before they are read, without blocking", { timeout: 10_000 }, async () => {
  const fifo = join(root, "pipe.npz");
  execFileSync("mkfifo", [fifo]);
  await assert.rejects(openVerified(fifo, check), isUserError("not_regular_file", /pipe\.npz is a named pipe, not a regular file/));
  await assert.rejects(loadRecording(fifo, { sampling_rate_hz: 1 }, ctx), isUserError("not_regular_file", /named pipe/));
  symlinkSync("/dev/zero", join(root, "zero.npy"));
  // /dev is outside the roots too; a device is refused for what it is, before anything is opened.
  await assert.rejects(openVerified(join(root, "zero.npy"), () => {}), isUserError("not_regular_file", /zero\.npy is a device/));
  await assert.rejects(loadRecording(join(root, "zero.npy"), { sampling_rate_hz: 1 }, ctx), (e) => e instanceof UserError && /device|outside the allowed roots/.test(e.message));
});

test("a folder is refused as a recording and accepted where a folder of frames is wanted", async () => {
  const dir = join(root, "folder");
  mkdirSync(dir);
  await assert.rejects(openVerified(dir, check), (e) => e instanceof UserError && e.message.startsWith(`${dir} is a folder, not a recording file.`));
  const opened = await withVerifiedFile(dir, check, { allowFolder: true }, async (f) => ({ isFolder: f.isFolder, realPath: f.realPath }));
  assert.deepEqual(opened, { isFolder: true, realPath: dir });
});

test("loadRecording's messages and provenance name the path given, not /proc/self/fd", async () => {
  const missing = join(root, "missing.npz");
  await assert.rejects(loadRecording(missing, { sampling_rate_hz: 1 }, ctx), (e) => e instanceof UserError && e.message.startsWith(`File not found: ${missing}.`));
  const folder = join(root, "rec-folder");
  mkdirSync(folder);
  await assert.rejects(loadRecording(folder, { sampling_rate_hz: 1 }, ctx), (e) => e instanceof UserError && e.message.startsWith(`${folder} is a folder, not a recording file.`));
  const garbage = join(root, "notes.txt");
  writeFileSync(garbage, "not an array");
  await assert.rejects(loadRecording(garbage, { sampling_rate_hz: 1 }, ctx), (e) => e instanceof UserError && e.message.startsWith(`Cannot tell the format of ${garbage} `));
  // The extension comes from the real name (the link's is .txt), and the message names the link.
  writeFileSync(join(root, "blob.npy"), "not an array either");
  symlinkSync(join(root, "blob.npy"), join(root, "blob-link.txt"));
  await assert.rejects(loadRecording(join(root, "blob-link.txt"), { sampling_rate_hz: 1 }, ctx), (e) => {
    assert.ok(e instanceof UserError && e.message.includes(join(root, "blob-link.txt")) && !/Cannot tell the format|\/proc\//.test(e.message), String(e));
    return true;
  });
  npz(join(root, "real.npz"), 3, 1);
  symlinkSync(join(root, "real.npz"), join(root, "alias.npz"));
  const rec = await loadRecording(join(root, "alias.npz"), { sampling_rate_hz: 1 }, ctx);
  assert.equal(rec.provenance.source, join(root, "alias.npz"));
  assert.equal(rec.provenance.format, "npz");
  assert.equal(rec.n_neurons, 3);
});

test("a frame of a movie folder that points outside the roots is refused; a folder swapped after opening is listed as opened", async () => {
  const dir = join(root, "movie");
  mkdirSync(dir);
  const png = await sharp(Buffer.alloc(4 * 3, 50), { raw: { width: 4, height: 3, channels: 1 } }).png().toBuffer();
  writeFileSync(join(dir, "f1.png"), png);
  writeFileSync(join(outside, "f2.png"), png);
  symlinkSync(join(outside, "f2.png"), join(dir, "f2.png"));
  await assert.rejects(readFrameFolder(dir, 30, check), isUserError("outside_roots", /f2\.png is not allowed: it is outside the allowed roots/));
  if (!linux) return;
  const link = join(root, "movie-link");
  symlinkSync(join(root, "movie"), link);
  mkdirSync(join(outside, "other"));
  writeFileSync(join(outside, "other", "secret.png"), png);
  const names = await withVerifiedFile(link, check, { allowFolder: true }, async (f) => {
    symlinkSync(join(outside, "other"), join(root, "movie-next"));
    renameSync(join(root, "movie-next"), link);
    return readdirSync(f.path).sort();
  });
  assert.deepEqual(names, ["f1.png", "f2.png"]);
});
