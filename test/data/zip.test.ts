/**
 * The budgeted zip reader (src/data/formats/zip.ts) and the `.npz` loader on top of it, on real
 * archive files: declared-size bombs refused before inflation, a lying directory stopped during
 * inflation with bounded memory, ZIP64 archives, nested archives, CRC mismatches, hostile
 * directories, only the needed members inflated, and honest numpy-style archives still loading
 * (including one written by numpy itself when python3 with numpy is installed).
 */
import test, { after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ZipArchive, type ZipLimits } from "../../src/data/formats/zip.js";
import { npzArrays, writeNpz, zipLimits } from "../../src/data/formats/npz.js";
import { writeNpy } from "../../src/data/formats/npy.js";
import { DEFAULT_INTAKE_LIMITS, loadRecording } from "../../src/data/load.js";
import { INFLATE_RATIO_GRACE_BYTES } from "../../src/data/options.js";
import { AllowedRoots } from "../../src/store/roots.js";
import { UserError } from "../../src/util/errors.js";
import { tempDir } from "../helpers/tmp.js";
import { npyHeader, writeZip, zeroNeural, type BuildMember } from "./zip-builder.js";

const tmp = tempDir();
after(() => tmp.cleanup());

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const LIMITS: ZipLimits = { budgetBytes: 8 * GiB, maxInflateRatio: 200, ratioGraceBytes: INFLATE_RATIO_GRACE_BYTES };
let counter = 0;

function archive(members: BuildMember[], zip64: "none" | "local" | "full" = "local"): string {
  const file = path.join(tmp.dir, `a${counter++}.npz`);
  writeZip(file, members, zip64);
  return file;
}

function open(file: string, limits: ZipLimits = LIMITS): ZipArchive {
  return ZipArchive.openFile(file, path.basename(file), limits);
}

/** Peak resident memory of this test process so far, in bytes. */
const peakRss = () => process.resourceUsage().maxRSS * 1024;

function throwsUser(f: () => unknown, pattern: RegExp): void {
  assert.throws(f, (e) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.doesNotMatch(e.message, /\n\s+at /, "no stack in the message");
    return true;
  });
}

const neural = writeNpy({ dtype: "<f4", shape: [3, 2], data: [1, 2, 3, 4, 5, 6] });
const frame = writeNpy({ dtype: "<i8", shape: [3], data: [0, 1, 2] });

test("a single-member bomb (2 GiB of zeros in ~2 MB) is refused from its directory before inflating", () => {
  const file = archive([zeroNeural("neural.npy", 2 * GiB)]);
  const before = peakRss();
  const t0 = Date.now();
  const zip = open(file);
  try {
    throwsUser(() => zip.read(zip.get("neural.npy")!), /neural\.npy.*2147483\d+ bytes.*limit of 200:1.*nothing was inflated.*CEBRA_MCP_MAX_INFLATE_RATIO/s);
  } finally {
    zip.close();
  }
  assert.ok(Date.now() - t0 < 1000, "refused without inflating");
  assert.ok(peakRss() - before < 64 * MiB, `memory grew by ${(peakRss() - before) / MiB} MiB`);
});

test("members whose declared total exceeds the budget are refused together before any is inflated", () => {
  const file = archive([0, 1, 2, 3].map((i) => zeroNeural(`m${i}.npy`, 256 * MiB)));
  const zip = open(file, { ...LIMITS, budgetBytes: 600 * MiB, maxInflateRatio: 5000 });
  try {
    zip.checkDeclared([zip.get("m0.npy")!, zip.get("m1.npy")!]);
    throwsUser(() => zip.checkDeclared(zip.entries), /m0\.npy, m1\.npy, m2\.npy, m3\.npy\) declare 1073742\d+ bytes.*load budget.*629145600 bytes.*--max-load-bytes/s);
  } finally {
    zip.close();
  }
});

test("the running total is enforced: members read one by one stop at the budget", () => {
  const file = archive([0, 1, 2].map((i) => zeroNeural(`m${i}.npy`, 8 * MiB)));
  const zip = open(file, { ...LIMITS, budgetBytes: 20 * MiB });
  try {
    assert.equal(zip.read(zip.get("m0.npy")!).length, 8 * MiB + 128);
    assert.equal(zip.read(zip.get("m1.npy")!).length, 8 * MiB + 128);
    throwsUser(() => zip.read(zip.get("m2.npy")!), /load budget/);
  } finally {
    zip.close();
  }
});

test("a lying directory (declares 16 MiB, inflates to 1 GiB) is stopped at the declared size with bounded memory", () => {
  const file = archive([zeroNeural("neural.npy", GiB, { declaredSize: 16 * MiB })]);
  const before = peakRss();
  const t0 = Date.now();
  const zip = open(file);
  try {
    throwsUser(() => zip.read(zip.get("neural.npy")!), /neural\.npy inflates to more than the 16777216 bytes.*stopped/s);
  } finally {
    zip.close();
  }
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
  assert.ok(peakRss() - before < 256 * MiB, `memory grew by ${(peakRss() - before) / MiB} MiB`);
});

test("a directory declaring more than deflate can produce is refused when the archive is opened", () => {
  const file = archive([{ name: "neural.npy", data: neural, declaredSize: 2 ** 31 }]);
  throwsUser(() => open(file), /declares 2147483648 bytes uncompressed.*impossible/s);
});

test("ZIP64 archives (central extras, end record and locator) are read, also with a 5 GiB member declared", () => {
  for (const zip64 of ["none", "local", "full"] as const) {
    for (const method of [0, 8]) {
      const zip = open(archive([{ name: "neural.npy", data: neural, method }, { name: "frame.npy", data: frame, method }], zip64));
      try {
        assert.deepEqual(Array.from(zip.read(zip.get("neural.npy")!)), Array.from(neural), `${zip64} ${method}`);
        assert.deepEqual(Array.from(zip.read(zip.get("frame.npy")!)), Array.from(frame));
      } finally {
        zip.close();
      }
    }
  }
  const zip = open(archive([{ name: "small.npy", data: neural }, zeroNeural("neural.npy", 5 * GiB)], "full"));
  try {
    const big = zip.get("neural.npy")!;
    assert.ok(big.size > 5 * GiB - MiB, "the 64-bit size comes from the ZIP64 extra field");
    assert.equal(zip.get("small.npy")!.size, neural.length);
    throwsUser(() => zip.read(big), /decompression bomb/);
  } finally {
    zip.close();
  }
  // With the ratio limit lifted, 5 GiB is still more than one array can hold: refused, not a RangeError.
  const lifted = open(archive([zeroNeural("neural.npy", 5 * GiB)], "full"), { ...LIMITS, maxInflateRatio: 5000 });
  try {
    throwsUser(() => lifted.read(lifted.get("neural.npy")!), /more than one array can hold/);
  } finally {
    lifted.close();
  }
});

test("a member that is itself a zip archive is refused as a nested archive", () => {
  const inner = writeNpz({ neural: { dtype: "<f4", shape: [2], data: [1, 2] } });
  for (const method of [0, 8]) {
    const zip = open(archive([{ name: "neural.npy", data: inner, method }]));
    try {
      throwsUser(() => zip.read(zip.get("neural.npy")!), /nested archive/);
    } finally {
      zip.close();
    }
  }
});

test("a CRC-32 mismatch, a truncated stream and invalid deflate data are corrupt members", () => {
  const bad = (m: BuildMember, pattern: RegExp) => {
    const zip = open(archive([m]));
    try {
      throwsUser(() => zip.read(zip.entries[0]), pattern);
    } finally {
      zip.close();
    }
  };
  bad({ name: "neural.npy", data: neural, crc: 0x12345678 }, /neural\.npy is corrupt.*CRC-32/);
  bad({ name: "neural.npy", data: neural, method: 0, crc: 1 }, /CRC-32/);
  const whole = new Uint8Array(readFileSync(archive([{ name: "neural.npy", data: neural }])));
  const deflated = whole.subarray(30 + 10 + 20, 30 + 10 + 20 + 20); // part of the deflate stream
  bad({ name: "neural.npy", data: neural, rawBody: deflated, central: { compressedSize: deflated.length } }, /corrupt/);
  bad({ name: "neural.npy", data: neural, rawBody: Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 255) }, /corrupt/);
});

test("hostile directories are refused when the archive is opened", () => {
  const cases: [BuildMember[], RegExp][] = [
    [[{ name: "neural.npy", data: neural }, { name: "neural.npy", data: frame }], /appears twice/],
    [[{ name: "neural.npy", data: neural }, { name: "frame.npy", data: frame, central: { localOffset: 0 } }], /local header of member frame\.npy names another file|overlap/],
    [[{ name: "neural.npy", data: neural, method: 0, central: { compressedSize: 10_000 } }], /stored member|outside|past the start/],
    [[{ name: "neural.npy", data: neural, central: { compressedSize: 10 ** 9 } }], /past the start of the central directory/],
    [[{ name: "neural.npy", data: neural, central: { localOffset: 10 ** 9 } }], /outside the file/],
    [[{ name: "neural.npy", data: neural, flags: 1 }], /encrypted/],
    [[{ name: "neural.npy", data: neural, method: 12 }], /compression method 12/],
  ];
  for (const [members, pattern] of cases) throwsUser(() => open(archive(members)), pattern);
  // Two members that share their data: the second header points into the first member.
  const twin = archive([{ name: "a.npy", data: neural, method: 0 }, { name: "b.npy", data: neural, method: 0 }]);
  const bytes = new Uint8Array(readFileSync(twin));
  const cd = bytes.length - 22 - 2 * (46 + 5);
  new DataView(bytes.buffer).setUint32(cd + 46 + 5 + 42, 2, true); // b.npy's local header offset → inside a.npy
  writeFileSync(twin, bytes);
  throwsUser(() => open(twin), /local header of member b\.npy|overlap/);
  // Not a zip, or cut short.
  const junk = path.join(tmp.dir, "junk.npz");
  writeFileSync(junk, new Uint8Array(100));
  throwsUser(() => open(junk), /junk\.npz is not a readable .npz\/zip archive \(no end-of-central-directory record\)/);
  const cut = path.join(tmp.dir, "cut.npz");
  writeFileSync(cut, readFileSync(archive([{ name: "neural.npy", data: neural }])).subarray(0, 60));
  throwsUser(() => open(cut), /cut\.npz is not a readable/);
});

test("an .npz load inflates only the members for the roles read (a broken extra member is never touched)", async () => {
  const file = archive([
    { name: "neural.npy", data: neural },
    { name: "frame.npy", data: frame },
    zeroNeural("unrelated.npy", GiB, { declaredSize: MiB }),
    { name: "broken.npy", data: neural, crc: 7 },
  ]);
  const ctx = AllowedRoots.create([tmp.dir], tmp.dir).loadContext(tmp.dir, DEFAULT_INTAKE_LIMITS);
  const rec = await loadRecording(file, {}, ctx);
  assert.equal(rec.n_neurons, 2);
  assert.deepEqual(Array.from(rec.neural), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(rec.frame ?? []), [0, 1, 2]);
  // Naming the broken member for a role reads it, and then it is refused.
  await assert.rejects(loadRecording(file, { keys: { frame: "broken" } }, ctx), /broken\.npy is corrupt.*CRC-32/s);
});

test("an .npz load refuses a multi-member bomb from the directory, and the budget comes from the limits", async () => {
  const file = archive([{ name: "neural.npy", data: neural }, ...[0, 1, 2, 3].map((i) => zeroNeural(`movie${i}.npy`, 256 * MiB))]);
  const ctx = AllowedRoots.create([tmp.dir], tmp.dir).loadContext(tmp.dir, { ...DEFAULT_INTAKE_LIMITS, maxLoadBytes: 512 * MiB, maxInflateRatio: 5000 });
  const keys = { movie: "movie0", frame_features: "movie1", continuous: "movie2", discrete: "movie3" };
  const t0 = Date.now();
  await assert.rejects(loadRecording(file, { keys }, ctx), (e) => e instanceof UserError && /declare 1073742\d+ bytes.*load budget/s.test(e.message));
  assert.ok(Date.now() - t0 < 2000);
  assert.equal(zipLimits(ctx).budgetBytes, 512 * MiB);
});

test("info() reads only a member's header; header lies inside an archive are clear errors", () => {
  // A 256 MiB member against a 128 MiB allowance: inflating it would show whatever else the process allocates
  // meanwhile (a 64 MiB member against 32 MiB was too close on a loaded CI machine).
  const file = archive([zeroNeural("neural.npy", 256 * MiB), { name: "lie.npy", data: npyHeader("<f4", [10 ** 12]) }]);
  const arrays = npzArrays(new Uint8Array(readFileSync(file)), "bytes.npz");
  const before = peakRss();
  assert.deepEqual(arrays.info("neural"), { shape: [65536, 1024], dtype: "<f4" });
  assert.ok(peakRss() - before < 128 * MiB, `the 256 MiB member was not inflated for info() (peak RSS grew by ${((peakRss() - before) / MiB).toFixed(0)} MiB)`);
  assert.throws(() => arrays.info("lie"), (e) => e instanceof UserError && /lie.*declares 4000000000000 bytes of data but the member holds 0/.test(e.message));
  assert.throws(() => arrays.read("lie", "f32"), (e) => e instanceof UserError && /truncated/.test(e.message));
});

test("an archive written by numpy (savez and savez_compressed) loads", { skip: spawnSync("python3", ["-c", "import numpy"]).status !== 0 && "python3 with numpy is not installed" }, async () => {
  const script = `import numpy as np, sys
n = np.arange(12, dtype=np.float32).reshape(4, 3)
np.savez(sys.argv[1], neural=n, frame=np.arange(4))
np.savez_compressed(sys.argv[2], neural=n, frame=np.arange(4))`;
  const files = [path.join(tmp.dir, "np-stored.npz"), path.join(tmp.dir, "np-deflated.npz")];
  const run = spawnSync("python3", ["-c", script, ...files]);
  assert.equal(run.status, 0, run.stderr.toString());
  const ctx = AllowedRoots.create([tmp.dir], tmp.dir).loadContext(tmp.dir, DEFAULT_INTAKE_LIMITS);
  for (const file of files) {
    const rec = await loadRecording(file, {}, ctx);
    assert.deepEqual(Array.from(rec.neural), Array.from({ length: 12 }, (_, i) => i));
    assert.deepEqual(Array.from(rec.frame ?? []), [0, 1, 2, 3]);
  }
});
