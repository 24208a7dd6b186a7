/**
 * HDF5 confinement: HDF5 may open only the files that {@link Hdf5Reader} was asked to open.
 *
 * An HDF5 file can keep a dataset's bytes in another file: external raw storage (H5Pset_external),
 * an external link, or a virtual dataset (VDS). h5wasm's Node build (emscripten NODERAWFS) follows
 * them on the real filesystem, so a file inside an allowed root could read a file outside every root.
 * HDF5 opens every file through emscripten's `FS.open`; we wrap it once so that, while any reader is
 * open, only the exact paths given to `Hdf5Reader.open` (ref-counted: a recording and its movie may be
 * open together) can be opened. Every other attempt fails with EACCES and is recorded, so the reader
 * can turn the resulting HDF5 failure into an error that names the dataset and the other file.
 *
 * While no reader is open the guard lets everything through: h5wasm is then used only by code that
 * writes files of its own (test fixtures), never on a file a client named.
 *
 * One exception: h5wasm's error handler writes HDF5's error stack to a `tmpfile()` (a new file
 * /tmp/tmpfile_XXXXXX, created with O_CREAT|O_EXCL, so it cannot be an existing file) and then throws
 * without closing it, which would leak one descriptor of this process per HDF5 error. Those opens are
 * allowed, recorded, and closed by {@link clearBlocked}, which runs before and after every h5wasm call.
 */
import { resolve } from "node:path";
import { FS } from "h5wasm/node";

/** The part of emscripten's FS object we touch. */
interface EmscriptenFs {
  open(path: string, flags: unknown, mode?: unknown): unknown;
  close(stream: unknown): void;
  isClosed(stream: unknown): boolean;
  ErrnoError: new (errno: number) => Error;
}

/** Emscripten's errno for EACCES. */
const EMSCRIPTEN_EACCES = 2;
/** O_CREAT | O_EXCL (musl/Linux values, as emscripten uses). */
const CREATE_NEW = 0o100 | 0o200;
/** Where musl's tmpfile() creates its file. */
const TMPFILE = /^\/tmp\/tmpfile_[A-Za-z0-9]{6}$/;

const allowed = new Map<string, number>();
const blocked: string[] = [];
/** Streams of h5wasm's error-stack tmpfiles, to be closed. */
const scratch: unknown[] = [];
let fsRef: EmscriptenFs | null = null;
let installed = false;

/** Wrap `FS.open` (once; call after h5wasm is ready). */
export function installConfinement(): void {
  if (installed) return;
  const fs = FS as unknown as EmscriptenFs | null;
  if (!fs) throw new Error("h5wasm is not initialised");
  const open = fs.open;
  fs.open = function (path: string, flags: unknown, mode?: unknown) {
    if (typeof flags === "number" && (flags & CREATE_NEW) === CREATE_NEW && TMPFILE.test(String(path))) {
      const stream = open.call(this, path, flags, mode);
      scratch.push(stream);
      return stream;
    }
    if (allowed.size > 0 && !allowed.has(resolve(String(path)))) {
      if (blocked.length < 16) blocked.push(String(path));
      throw new fs.ErrnoError(EMSCRIPTEN_EACCES);
    }
    return open.call(this, path, flags, mode);
  };
  fsRef = fs;
  installed = true;
}

/** Let HDF5 open `path` until the returned function is called (calls nest: the path stays open until every release). */
export function allowOpen(path: string): () => void {
  const key = resolve(path);
  allowed.set(key, (allowed.get(key) ?? 0) + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const n = (allowed.get(key) ?? 1) - 1;
    if (n > 0) allowed.set(key, n);
    else allowed.delete(key);
  };
}

/** Forget the open attempts refused so far, and close h5wasm's leftover error-stack tmpfiles. */
export function clearBlocked(): void {
  blocked.length = 0;
  while (scratch.length) {
    const stream = scratch.pop();
    try {
      if (fsRef && !fsRef.isClosed(stream)) fsRef.close(stream);
    } catch {
      // already closed
    }
  }
}

/** The paths HDF5 tried to open and was refused since the last {@link clearBlocked}, deduplicated. */
export function blockedOpens(): string[] {
  return [...new Set(blocked)];
}
