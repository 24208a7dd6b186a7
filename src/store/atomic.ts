/**
 * Crash-safe file primitives: every write goes to a temp file in the same directory and is then
 * renamed over the target, so a reader (or a restarted server) sees the old or the new content, never half.
 */
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import path from "node:path";

/** Prefix of every temporary file or directory the store creates; listings skip these names. */
export const TEMP_PREFIX = ".tmp-";

/** A unique temp name for `target` in the same directory (so the final rename stays on one filesystem). */
export function tempSibling(target: string): string {
  const dir = path.dirname(target);
  return path.join(dir, `${TEMP_PREFIX}${path.basename(target)}-${randomBytes(4).toString("hex")}`);
}

/** Writes `data` to `target` atomically (temp file + rename). Creates the parent directory if needed. */
export async function writeFileAtomic(target: string, data: Uint8Array | string): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const tmp = tempSibling(target);
  try {
    await writeFile(tmp, data);
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Writes `value` as pretty JSON to `target` atomically. */
export async function writeJsonAtomic(target: string, value: unknown): Promise<void> {
  await writeFileAtomic(target, JSON.stringify(value, null, 2) + "\n");
}

/** True for names the store uses for in-progress or discarded data (never shown as artifacts or files). */
export function isHiddenName(name: string): boolean {
  return name.startsWith(".");
}
