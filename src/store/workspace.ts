/**
 * The workspace: one directory holding every artifact the server creates (recordings, models,
 * embeddings, decodings, renders, jobs) plus the download cache. Layout:
 *
 *   <root>/<kind dir>/<id>/manifest.json   one JSON manifest per artifact (written last = committed)
 *   <root>/<kind dir>/<id>/<file>          the artifact's data files (.npy, .json, .png, .onnx ...)
 *   <root>/downloads/                      cache for files fetched from URLs
 *
 * A new artifact is assembled in a hidden temp directory, its manifest written last, and the directory
 * renamed into place, so a crash leaves either nothing or a complete artifact. Listing scans manifests
 * and skips hidden names, so a restarted server sees exactly what a previous one finished.
 */
import { mkdir, readdir, readFile, realpath, rename, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { UserError } from "../util/errors.js";
import { ALL_KINDS, ARTIFACT_KINDS, type ArtifactKind, newId, parseId } from "./ids.js";
import { TEMP_PREFIX, isHiddenName, tempSibling, writeFileAtomic, writeJsonAtomic } from "./atomic.js";

const MANIFEST = "manifest.json";
const MANIFEST_FORMAT = "cebra-mcp-artifact/1";
/** Temp directories older than this are left over from a crash and are deleted when a workspace opens. */
const STALE_TEMP_MS = 24 * 3600 * 1000;
const FILE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** JSON stored for every artifact. `meta` is kind-specific (e.g. a recording's shapes and provenance). */
export interface ArtifactManifest<M = Record<string, unknown>> {
  format: typeof MANIFEST_FORMAT;
  id: string;
  kind: ArtifactKind;
  created_at: string;
  updated_at: string;
  /** One line for listings, e.g. "allen-like calcium, 120 neurons × 3600 samples (30 Hz), 10 repeats". */
  summary: string;
  /** Ids of the artifacts this one was derived from (model → recording, decoding → model ...). */
  parents: string[];
  meta: M;
  /** Data files of the artifact with their sizes in bytes. */
  files: Record<string, { bytes: number }>;
  /** When set, `<kind>://<id>` resources return this file instead of the manifest. */
  resource?: { file: string; mime_type: string };
}

/** What a listing shows about one artifact: its manifest without meta and files, plus its total size. */
type ArtifactInfo = Pick<ArtifactManifest, "id" | "kind" | "created_at" | "updated_at" | "summary" | "parents"> & {
  /** Total size of the data files plus the manifest. */
  bytes: number;
};

/** Initial content of an artifact. */
interface ArtifactInit<M> {
  summary: string;
  meta: M;
  parents?: string[];
  /** Data files to store, by name (letters, digits, `.`, `_`, `-`). */
  files?: Record<string, Uint8Array | string>;
  resource?: { file: string; mime_type: string };
}

/** Fields of an existing manifest that may be replaced. */
interface ArtifactPatch<M> {
  summary?: string;
  meta?: M;
  resource?: { file: string; mime_type: string };
}

/** The default workspace directory: `$XDG_CACHE_HOME/cebra-mcp` or `~/.cache/cebra-mcp`. */
export function defaultWorkspaceDir(env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), ".cache");
  return path.join(cacheHome, "cebra-mcp");
}

/**
 * An artifact being assembled (for artifacts whose files are produced one by one). Nothing is visible
 * until `commit`; `abort` (or a crash) leaves only a hidden temp directory.
 */
class ArtifactDraft {
  private readonly files: Record<string, { bytes: number }> = {};
  private done = false;

  constructor(
    private readonly workspace: Workspace,
    readonly id: string,
    readonly kind: ArtifactKind,
    /** The temp directory the files are written into. */
    readonly dir: string,
  ) {}

  /** Adds (or replaces) a data file. */
  async writeFile(name: string, data: Uint8Array | string): Promise<void> {
    this.assertOpen();
    checkFileName(name);
    await writeFileAtomic(path.join(this.dir, name), data);
    this.files[name] = { bytes: byteLength(data) };
  }

  /** Writes the manifest and renames the directory into place; returns the committed manifest. */
  async commit<M>(init: Omit<ArtifactInit<M>, "files">): Promise<ArtifactManifest<M>> {
    this.assertOpen();
    if (init.resource && !this.files[init.resource.file]) {
      throw new Error(`resource file ${init.resource.file} was not written to draft ${this.id}`);
    }
    const now = new Date().toISOString();
    const manifest: ArtifactManifest<M> = {
      format: MANIFEST_FORMAT,
      id: this.id,
      kind: this.kind,
      created_at: now,
      updated_at: now,
      summary: oneLine(init.summary),
      parents: init.parents ?? [],
      meta: init.meta,
      files: this.files,
      ...(init.resource ? { resource: init.resource } : {}),
    };
    await writeJsonAtomic(path.join(this.dir, MANIFEST), manifest);
    await rename(this.dir, this.workspace.artifactDir(this.id));
    this.done = true;
    return manifest;
  }

  /** Discards everything written so far. */
  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await rm(this.dir, { recursive: true, force: true });
  }

  private assertOpen(): void {
    if (this.done) throw new Error(`artifact draft ${this.id} is already committed or aborted`);
  }
}

/** Creates, reads, lists and removes artifacts under one root directory. */
export class Workspace {
  /** Serialises read-modify-write updates per artifact id (within this process). */
  private readonly locks = new Map<string, Promise<unknown>>();

  private constructor(
    /** Absolute, symlink-resolved root directory. */
    readonly root: string,
  ) {}

  /** Opens (creating if needed) the workspace at `dir` and removes day-old temp leftovers. */
  static async open(dir: string): Promise<Workspace> {
    await mkdir(dir, { recursive: true });
    const ws = new Workspace(await realpath(dir));
    await mkdir(ws.downloadsDir, { recursive: true });
    await mkdir(ws.importsDir, { recursive: true });
    for (const kind of ALL_KINDS) await mkdir(ws.kindDir(kind), { recursive: true });
    await ws.removeStaleTemps(STALE_TEMP_MS);
    return ws;
  }

  /**
   * CEBRA checkpoints imported by train_embedding (`resume_from: <path>`), copied here by sha256 when the
   * request is checked, so a job (or a queue worker on another machine) reads them from the shared workspace.
   */
  get importsDir(): string {
    return path.join(this.root, "imports");
  }

  /** Download cache; `loadRecording` puts downloads here when given the workspace root as `cacheDir`. */
  get downloadsDir(): string {
    return path.join(this.root, "downloads");
  }

  /** Directory holding all artifacts of `kind`. */
  kindDir(kind: ArtifactKind): string {
    return path.join(this.root, ARTIFACT_KINDS[kind].dir);
  }

  /** Directory of artifact `id` (validated; it may not exist). */
  artifactDir(id: string): string {
    return path.join(this.kindDir(parseId(id)), id);
  }

  /** Absolute path of a data file of artifact `id` (for readers that want a path, e.g. sharp). */
  filePath(id: string, name: string): string {
    checkFileName(name);
    return path.join(this.artifactDir(id), name);
  }

  /** Starts a new artifact of `kind` whose files are written one by one; call `commit` when complete. */
  async begin(kind: ArtifactKind, id: string = newId(kind)): Promise<ArtifactDraft> {
    if (parseId(id) !== kind) throw new Error(`id ${id} does not belong to kind ${kind}`);
    const dir = tempSibling(path.join(this.kindDir(kind), id));
    await mkdir(dir, { recursive: true });
    return new ArtifactDraft(this, id, kind, dir);
  }

  /** Creates a complete artifact in one call (files, then manifest, then the atomic rename). */
  async create<M>(kind: ArtifactKind, init: ArtifactInit<M>, id?: string): Promise<ArtifactManifest<M>> {
    const draft = await this.begin(kind, id);
    try {
      for (const [name, data] of Object.entries(init.files ?? {})) await draft.writeFile(name, data);
      return await draft.commit(init);
    } catch (e) {
      await draft.abort();
      throw e;
    }
  }

  /** The manifest of `id`; a UserError naming what exists if there is no such artifact. */
  async get<M = Record<string, unknown>>(id: string, expected?: ArtifactKind): Promise<ArtifactManifest<M>> {
    const kind = parseId(id, expected);
    const manifest = await this.tryReadManifest<M>(path.join(this.artifactDir(id), MANIFEST));
    if (!manifest) throw await this.unknownIdError(id, kind);
    return manifest;
  }

  /** True if a committed artifact `id` exists. */
  async has(id: string): Promise<boolean> {
    try {
      await this.get(id);
      return true;
    } catch (e) {
      if (e instanceof UserError) return false;
      throw e;
    }
  }

  /** All committed artifacts (of one kind, or all kinds), oldest first. */
  async list(kind?: ArtifactKind): Promise<ArtifactInfo[]> {
    const kinds = kind ? [kind] : ALL_KINDS;
    const out: ArtifactInfo[] = [];
    for (const k of kinds) {
      for (const name of await this.committedNames(k)) {
        const manifest = await this.tryReadManifest(path.join(this.kindDir(k), name, MANIFEST));
        if (manifest) out.push(infoOf(manifest));
      }
    }
    return out.sort(byCreation);
  }

  /** Full manifests of all committed artifacts of `kind`, oldest first. */
  async manifests<M = Record<string, unknown>>(kind: ArtifactKind): Promise<ArtifactManifest<M>[]> {
    const out: ArtifactManifest<M>[] = [];
    // One kind shares one prefix, so name order is creation order.
    for (const name of (await this.committedNames(kind)).sort()) {
      const manifest = await this.tryReadManifest<M>(path.join(this.kindDir(kind), name, MANIFEST));
      if (manifest) out.push(manifest);
    }
    return out;
  }

  /** Total bytes of an artifact (data files plus manifest). */
  async size(id: string): Promise<number> {
    return infoOf(await this.get(id)).bytes;
  }

  /** Replaces summary / meta / resource of an existing artifact (atomic manifest rewrite). */
  async update<M>(id: string, patch: ArtifactPatch<M>): Promise<ArtifactManifest<M>> {
    return this.withLock(id, async () => {
      const manifest = await this.get<M>(id);
      const next: ArtifactManifest<M> = {
        ...manifest,
        ...(patch.summary !== undefined ? { summary: oneLine(patch.summary) } : {}),
        ...(patch.meta !== undefined ? { meta: patch.meta } : {}),
        ...(patch.resource !== undefined ? { resource: patch.resource } : {}),
        updated_at: new Date().toISOString(),
      };
      await writeJsonAtomic(path.join(this.artifactDir(id), MANIFEST), next);
      return next;
    });
  }

  /** Adds or replaces one data file of an existing artifact (atomic), recording it in the manifest. */
  async writeFile(id: string, name: string, data: Uint8Array | string): Promise<void> {
    checkFileName(name);
    await this.withLock(id, async () => {
      const manifest = await this.get(id);
      await writeFileAtomic(path.join(this.artifactDir(id), name), data);
      const next = { ...manifest, files: { ...manifest.files, [name]: { bytes: byteLength(data) } }, updated_at: new Date().toISOString() };
      await writeJsonAtomic(path.join(this.artifactDir(id), MANIFEST), next);
    });
  }

  /** Reads a data file of artifact `id`. */
  async readFile(id: string, name: string): Promise<Uint8Array> {
    const manifest = await this.get(id);
    if (!manifest.files[name]) {
      const names = Object.keys(manifest.files).join(", ") || "none";
      throw new UserError(`Artifact ${id} has no file "${name}" (files: ${names}).`, "Use one of the listed file names.", "unknown_file");
    }
    const buf = await readFile(path.join(this.artifactDir(id), name));
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Reads a data file as UTF-8 text. */
  async readText(id: string, name: string): Promise<string> {
    return new TextDecoder().decode(await this.readFile(id, name));
  }

  /** Reads a data file as JSON. */
  async readJson<T = unknown>(id: string, name: string): Promise<T> {
    return JSON.parse(await this.readText(id, name)) as T;
  }

  /** Deletes artifact `id` (renamed out of sight first, so a crash mid-delete leaves no half artifact). */
  async remove(id: string): Promise<void> {
    await this.withLock(id, async () => {
      await this.get(id);
      const dir = this.artifactDir(id);
      const trash = tempSibling(path.join(path.dirname(dir), `deleted-${id}`));
      await rename(dir, trash);
      await rm(trash, { recursive: true, force: true });
    });
  }

  /**
   * Deletes what crashed or cancelled writers left, once older than `maxAgeMs`: hidden temp directories
   * of artifacts, and partial downloads (`*.part` in the download cache, e.g. from a cancelled load).
   */
  async removeStaleTemps(maxAgeMs: number): Promise<number> {
    const stale: string[] = [];
    for (const kind of ALL_KINDS) {
      for (const name of await readdir(this.kindDir(kind))) if (name.startsWith(TEMP_PREFIX)) stale.push(path.join(this.kindDir(kind), name));
    }
    const downloads = await readdir(this.downloadsDir).catch(() => [] as string[]);
    for (const name of downloads) if (name.endsWith(".part")) stale.push(path.join(this.downloadsDir, name));
    let removed = 0;
    const now = Date.now();
    for (const full of stale) {
      const st = await stat(full).catch(() => undefined);
      if (st && now - st.mtimeMs > maxAgeMs) {
        await rm(full, { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }

  private async committedNames(kind: ArtifactKind): Promise<string[]> {
    const names = await readdir(this.kindDir(kind)).catch(() => [] as string[]);
    return names.filter((n) => !isHiddenName(n) && parseIdSafe(n) === kind);
  }

  private async tryReadManifest<M>(file: string): Promise<ArtifactManifest<M> | undefined> {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
      throw e;
    }
    try {
      const m = JSON.parse(text) as ArtifactManifest<M>;
      return m.format === MANIFEST_FORMAT ? m : undefined;
    } catch {
      process.stderr.write(`cebra-mcp: ignoring unreadable manifest ${file}\n`);
      return undefined;
    }
  }

  private async unknownIdError(id: string, kind: ArtifactKind): Promise<UserError> {
    const existing = (await this.list(kind)).map((a) => a.id);
    const shown = existing.slice(-10).reverse();
    const what = existing.length === 0
      ? `There are no ${kind} artifacts in the workspace yet.`
      : `Existing ${kind} ids (newest first): ${shown.join(", ")}${existing.length > shown.length ? `, … (${existing.length} in all)` : ""}.`;
    return new UserError(`No ${kind} with id ${id}. ${what}`, "Use an id from a previous result, or call list_artifacts to see what exists.", "unknown_id");
  }

  private async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }
}

function infoOf(m: ArtifactManifest<unknown>): ArtifactInfo {
  const manifestBytes = Buffer.byteLength(JSON.stringify(m, null, 2)) + 1;
  const bytes = Object.values(m.files).reduce((s, f) => s + f.bytes, manifestBytes);
  return { id: m.id, kind: m.kind, created_at: m.created_at, updated_at: m.updated_at, summary: m.summary, parents: m.parents, bytes };
}

/** Oldest first: the id suffix (after `<prefix>_`) is time-ordered across kinds. */
function byCreation(a: { id: string }, b: { id: string }): number {
  const x = a.id.slice(a.id.indexOf("_") + 1);
  const y = b.id.slice(b.id.indexOf("_") + 1);
  return x < y ? -1 : x > y ? 1 : 0;
}

function parseIdSafe(name: string): ArtifactKind | undefined {
  try {
    return parseId(name);
  } catch {
    return undefined;
  }
}

function checkFileName(name: string): void {
  if (!FILE_NAME_PATTERN.test(name) || name === MANIFEST) {
    throw new Error(`invalid artifact file name "${name}" (letters, digits, . _ -; not ${MANIFEST})`);
  }
}

function byteLength(data: Uint8Array | string): number {
  return typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}
