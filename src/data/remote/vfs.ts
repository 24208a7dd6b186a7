/**
 * Remote files as files HDF5 can open: h5wasm's Node build reads through emscripten's NODERAWFS
 * (real paths, positioned reads). A RemoteFile registered here gets a virtual path
 * (`/cebra-remote/<id>`, nothing on disk); `FS.open` of that path returns an emscripten stream whose
 * reads go to the RemoteFile (synchronous: range-file.ts), and `FS.fstat` / `FS.stat` report its
 * size, which is all the HDF5 sec2 driver needs. Opened read-only; a write is refused.
 *
 * Installed once, before the HDF5 confinement (hdf5-confine.ts) wraps `FS.open` on top of it, so the
 * confinement still decides which paths may be opened: only the virtual path of the reader's own file.
 * A failed fetch makes the read fail with EIO (HDF5 then fails its call); the reader reports the
 * RemoteFile's UserError instead (`takeRemoteFailure`).
 */
import { randomBytes } from "node:crypto";
import { FS } from "h5wasm/node";
import type { RemoteFile } from "./range-file.js";

export const REMOTE_PREFIX = "/cebra-remote/";

interface Stream {
  fd: number;
  path: string;
  position: number;
  remote?: RemoteFile;
}

interface EmscriptenFs {
  open(path: string, flags: unknown, mode?: unknown): unknown;
  fstat(fd: number): unknown;
  stat(path: string, dontFollow?: boolean): unknown;
  createStream(stream: Record<string, unknown>, fd?: number): Stream;
  getStreamChecked(fd: number): Stream;
  ErrnoError: new (errno: number) => Error;
}

/** Emscripten errno values. */
const EIO = 29;
const ENOENT = 44;
const EACCES = 2;
const EINVAL = 28;
/** O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND. */
const WRITE_FLAGS = 0o1 | 0o2 | 0o100 | 0o1000 | 0o2000;
/** S_IFREG | 0444. */
const FILE_MODE = 0o100444;

/** Registered files by virtual path, each with its own inode number (HDF5 tells open files apart by device and inode). */
const files = new Map<string, RemoteFile>();
const inodes = new Map<string, number>();
let nextInode = 1;
let installed = false;
let lastFailure: Error | null = null;

/** Make `file` openable by HDF5; returns its virtual path. Unregister it when the reader is closed. */
export function registerRemote(file: RemoteFile): string {
  const path = `${REMOTE_PREFIX}${randomBytes(8).toString("hex")}`;
  files.set(path, file);
  inodes.set(path, nextInode++);
  return path;
}

export function unregisterRemote(path: string): void {
  files.delete(path);
  inodes.delete(path);
}

/** Size of the remote file at virtual `path`, or undefined if `path` is not one. */
export function remoteFileSize(path: string): number | undefined {
  return files.get(path)?.size;
}

/** The failure of the last remote read that failed (cleared by taking it). */
export function takeRemoteFailure(): Error | null {
  const f = lastFailure;
  lastFailure = null;
  return f;
}

function statOf(path: string, file: RemoteFile): Record<string, unknown> {
  const when = new Date(0);
  return { dev: 0x5245, ino: inodes.get(path) ?? 0, mode: FILE_MODE, nlink: 1, uid: 0, gid: 0, rdev: 0, size: file.size, blksize: 4096, blocks: Math.ceil(file.size / 512), atime: when, mtime: when, ctime: when };
}

/** Wrap `FS.open`, `FS.fstat` and `FS.stat` (once; call after h5wasm is ready and before installConfinement). */
export function installRemoteFs(): void {
  if (installed) return;
  const fs = FS as unknown as EmscriptenFs | null;
  if (!fs) throw new Error("h5wasm is not initialised");
  const { open, fstat, stat } = fs;
  fs.open = function (path: string, flags: unknown, mode?: unknown) {
    if (typeof path !== "string" || !path.startsWith(REMOTE_PREFIX)) return open.call(this, path, flags, mode);
    const file = files.get(path);
    if (!file) throw new fs.ErrnoError(ENOENT);
    if (typeof flags !== "number" || (flags & WRITE_FLAGS) !== 0) throw new fs.ErrnoError(EACCES);
    const node = { id: inodes.get(path) ?? 0, mode: FILE_MODE, node_ops: {}, path };
    return fs.createStream({ path, flags, node, seekable: true, position: 0, remote: file, stream_ops: STREAM_OPS });
  };
  fs.fstat = function (fd: number) {
    const stream = fs.getStreamChecked(fd);
    return stream.remote ? statOf(stream.path, stream.remote) : fstat.call(this, fd);
  };
  fs.stat = function (path: string, dontFollow?: boolean) {
    const file = typeof path === "string" ? files.get(path) : undefined;
    return file ? statOf(path, file) : stat.call(this, path, dontFollow);
  };
  const STREAM_OPS = {
    read(stream: Stream, buffer: Uint8Array, offset: number, length: number, position: number): number {
      try {
        return stream.remote!.read(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength), offset, length, position);
      } catch (e) {
        lastFailure = e as Error;
        throw new fs.ErrnoError(EIO);
      }
    },
    llseek(stream: Stream, offset: number, whence: number): number {
      const base = whence === 0 ? 0 : whence === 1 ? stream.position : whence === 2 ? stream.remote!.size : NaN;
      const position = base + offset;
      if (!(position >= 0)) throw new fs.ErrnoError(EINVAL);
      return position;
    },
  };
  installed = true;
}
