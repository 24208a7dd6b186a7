/** Temporary directories for tests (under os.tmpdir(), removed by the returned cleanup). */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Creates a fresh temp directory; call `cleanup` (e.g. in `after`) to delete it. */
export function tempDir(prefix = "cebra-mcp-test-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
