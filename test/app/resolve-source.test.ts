/** resolveSource (src/app/load.ts): how load_recording's `source` becomes what the loader reads. */
import test from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import path from "node:path";
import { resolveSource } from "../../src/app/load.js";

test("URLs and builtin: sources pass through; ~ and relative paths are resolved", () => {
  const cwd = path.resolve("/srv/data");
  assert.equal(resolveSource("builtin:allen-like", cwd), "builtin:allen-like");
  assert.equal(resolveSource("https://example.org/a.npz", cwd), "https://example.org/a.npz");
  assert.equal(resolveSource("HTTP://example.org/a.npz", cwd), "HTTP://example.org/a.npz");
  assert.equal(resolveSource("~", cwd), os.homedir());
  assert.equal(resolveSource("~/a.npz", cwd), path.join(os.homedir(), "a.npz"));
  assert.equal(resolveSource("sub/a.npz", cwd), path.join(cwd, "sub/a.npz"));
  assert.equal(resolveSource("/abs/a.npz", cwd), path.resolve("/abs/a.npz"));
  assert.equal(resolveSource("~user/a.npz", cwd), path.join(cwd, "~user/a.npz"));
});
