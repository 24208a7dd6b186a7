/**
 * Allowed roots for file reads. A tool may only read local files that lie (after resolving symlinks)
 * under one of these directories: by default the server's working directory and the workspace, plus
 * any `--allow-root DIR` / `CEBRA_MCP_ROOTS` entries. Everything else is refused with a UserError that
 * says how to allow it. Also builds the `LoadContext` that `loadRecording` reads files through.
 */
import { realpathSync, statSync } from "node:fs";
import path from "node:path";
import { UserError } from "../util/errors.js";
import type { IntakeLimits, LoadContext } from "../data/load.js";

/** Splits a `CEBRA_MCP_ROOTS`-style list (path-delimiter separated; empty entries ignored). */
export function splitRootList(value: string | undefined): string[] {
  return (value ?? "").split(path.delimiter).map((s) => s.trim()).filter((s) => s.length > 0);
}

/** The set of directories local reads are confined to. */
export class AllowedRoots {
  private constructor(
    /** Symlink-resolved absolute root directories, without duplicates. */
    readonly dirs: readonly string[],
  ) {}

  /**
   * Resolves each root (relative to `cwd`, symlinks followed). A root that does not exist or is not a
   * directory is a UserError, so a typo in `--allow-root` fails at startup rather than silently.
   */
  static create(roots: string[], cwd: string = process.cwd()): AllowedRoots {
    const dirs: string[] = [];
    for (const root of roots) {
      const abs = path.resolve(cwd, root);
      let real: string;
      try {
        real = realpathSync(abs);
      } catch {
        throw new UserError(`Allowed root ${abs} does not exist.`, "Create the directory or fix the --allow-root / CEBRA_MCP_ROOTS value.", "bad_root");
      }
      if (!statSync(real).isDirectory()) {
        throw new UserError(`Allowed root ${abs} is not a directory.`, "Pass a directory to --allow-root / CEBRA_MCP_ROOTS.", "bad_root");
      }
      if (!dirs.includes(real)) dirs.push(real);
    }
    return new AllowedRoots(dirs);
  }

  /** True if `absPath` (symlinks resolved) lies inside one of the roots. */
  allows(absPath: string): boolean {
    const real = resolveExisting(absPath);
    return this.dirs.some((root) => isInside(root, real));
  }

  /**
   * Throws a UserError unless `absPath` (symlinks resolved) lies inside one of the roots. The path need
   * not exist yet: the nearest existing ancestor is resolved, so symlinked parents are still caught.
   */
  check(absPath: string): void {
    if (!path.isAbsolute(absPath)) throw new Error(`checkPath expects an absolute path, got ${absPath}`);
    if (this.allows(absPath)) return;
    throw new UserError(
      `Reading ${absPath} is not allowed: it is outside the allowed roots (${this.dirs.join(", ")}).`,
      `Restart the server with --allow-root ${suggestRoot(absPath)} (or add the directory to CEBRA_MCP_ROOTS, separated by "${path.delimiter}"), or copy the file into one of the allowed roots.`,
      "outside_roots",
    );
  }

  /**
   * The `LoadContext` for `loadRecording`: reads confined to these roots; downloads are cached under
   * `<cacheDir>/downloads/` (pass the workspace root); `limits` bound what the load may download and decompress.
   */
  loadContext(cacheDir: string, limits: IntakeLimits, signal?: AbortSignal): LoadContext {
    return {
      ...limits,
      checkPath: (absPath: string) => this.check(absPath),
      cacheDir,
      ...(signal ? { signal } : {}),
    };
  }
}

/** realpath of `p`, or of its nearest existing ancestor joined with the remaining (missing) components. */
function resolveExisting(p: string): string {
  const abs = path.resolve(p);
  const missing: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return path.join(realpathSync(cur), ...missing.reverse());
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return abs;
      missing.push(path.basename(cur));
      cur = parent;
    }
  }
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** The directory to suggest allowing: the file's parent (or the path itself if it is a directory). */
function suggestRoot(absPath: string): string {
  try {
    if (statSync(absPath).isDirectory()) return absPath;
  } catch {
    /* missing: suggest its parent */
  }
  return path.dirname(absPath);
}
