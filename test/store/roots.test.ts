import test, { after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { AllowedRoots, splitRootList } from "../../src/store/roots.js";
import { DEFAULT_INTAKE_LIMITS } from "../../src/data/load.js";
import { UserError } from "../../src/util/errors.js";
import { tempDir } from "../helpers/tmp.js";

const tmp = tempDir();
after(tmp.cleanup);
const inside = path.join(tmp.dir, "data");
const outside = path.join(tmp.dir, "private");
mkdirSync(path.join(inside, "sub"), { recursive: true });
mkdirSync(outside);
mkdirSync(path.join(tmp.dir, "data-evil"));
writeFileSync(path.join(inside, "sub", "rec.npz"), "x");
writeFileSync(path.join(outside, "secret.npz"), "x");
symlinkSync(path.join(outside, "secret.npz"), path.join(inside, "link-out.npz"));
symlinkSync(outside, path.join(inside, "dir-link"));
symlinkSync(path.join(inside, "sub", "rec.npz"), path.join(outside, "link-in.npz"));
const roots = AllowedRoots.create([inside]);

function refused(p: string): boolean {
  try {
    roots.check(p);
    return false;
  } catch (e) {
    assert.ok(e instanceof UserError, "refusals are UserErrors");
    assert.match(e.fix, /--allow-root/);
    assert.match(e.fix, /CEBRA_MCP_ROOTS/);
    return true;
  }
}

test("paths inside a root are allowed, including not-yet-existing ones", () => {
  assert.equal(refused(path.join(inside, "sub", "rec.npz")), false);
  assert.equal(refused(inside), false);
  assert.equal(refused(path.join(inside, "missing", "file.npz")), false);
});

test("paths outside every root are refused with a fix naming --allow-root", () => {
  assert.equal(refused(path.join(outside, "secret.npz")), true);
  assert.equal(refused("/etc/passwd"), true);
  assert.equal(refused(path.join(inside, "..", "private", "secret.npz")), true);
  assert.equal(refused(path.join(tmp.dir, "data-evil", "x.npz")), true, "a sibling sharing the root's name prefix is outside");
});

test("symlinks are resolved before checking", () => {
  assert.equal(refused(path.join(inside, "link-out.npz")), true, "link inside a root to a file outside");
  assert.equal(refused(path.join(inside, "dir-link", "secret.npz")), true, "path through a symlinked directory");
  assert.equal(refused(path.join(inside, "dir-link", "missing.npz")), true, "missing file under a symlinked directory");
  assert.equal(refused(path.join(outside, "link-in.npz")), false, "link outside to a file inside resolves inside");
});

test("the refusal names the path, the roots and the directory to allow", () => {
  const target = path.join(outside, "secret.npz");
  assert.throws(() => roots.check(target), (e: unknown) => e instanceof UserError && e.problem.includes(target) && e.problem.includes(roots.dirs[0]!) && e.fix.includes(`--allow-root ${outside}`));
});

test("a missing or non-directory root is a startup error", () => {
  assert.throws(() => AllowedRoots.create([path.join(tmp.dir, "nope")]), (e: unknown) => e instanceof UserError && /does not exist/.test(e.problem));
  assert.throws(() => AllowedRoots.create([path.join(inside, "sub", "rec.npz")]), (e: unknown) => e instanceof UserError && /not a directory/.test(e.problem));
});

test("root lists split on the platform delimiter and roots are deduplicated", () => {
  assert.deepEqual(splitRootList(`/a${path.delimiter}${path.delimiter} /b `), ["/a", "/b"]);
  assert.deepEqual(AllowedRoots.create([inside, `${inside}/`, path.join(inside, "sub", "..")]).dirs.length, 1);
});

test("the LoadContext checks paths through the roots and carries the limits", () => {
  const ac = new AbortController();
  const ctx = roots.loadContext("/ws", DEFAULT_INTAKE_LIMITS, ac.signal);
  assert.equal(ctx.cacheDir, "/ws");
  assert.equal(ctx.maxDownloadBytes, 2 * 1024 ** 3);
  assert.equal(ctx.signal, ac.signal);
  assert.throws(() => ctx.checkPath(path.join(outside, "secret.npz")), UserError);
  ctx.checkPath(path.join(inside, "sub", "rec.npz"));
});
