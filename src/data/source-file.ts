/**
 * Open a local file once, verify the opened handle, and read only through it.
 *
 * Checking a path and opening it later leaves a window: a symlink inside an allowed root can be
 * flipped to a file outside it between the check and the open. So the file is opened first, and the
 * *handle* is verified: on Linux the kernel's name for it (`readlink /proc/self/fd/N`) must pass the
 * root check and must be its own real path, and fstat must say regular file (or directory where a
 * folder is wanted). The loaders then get `/proc/self/fd/N` as the path to read: every later open of
 * that magic link (readFile, the .npy reader, SHA-256, h5wasm's NODERAWFS) reaches the same inode,
 * whatever happens to the symlink afterwards.
 *
 * Named pipes, devices and sockets are refused before they are read (a FIFO would block a thread,
 * /dev/zero would fill memory); the open itself is non-blocking so a FIFO cannot hang it either.
 *
 * Without /proc/self/fd (macOS, Windows) the fallback opens the path, then resolves its real path,
 * checks that against the roots and compares device and inode of the handle with a stat of that real
 * path. The loaders then read the verified real path. Residual gap there: a loader reopens the path
 * by name, so a swap of a component of the real path after the verification and before that reopen
 * is not caught (it needs a directory inside a root that the attacker can rename within microseconds).
 */
import { constants, existsSync, readlinkSync, realpathSync, type Stats } from "node:fs";
import { open, realpath, stat, type FileHandle } from "node:fs/promises";
import { UserError } from "../util/errors.js";
import type { SourceFile } from "./formats/format.js";

/** Where the kernel names open file descriptors, when it does. */
const PROC_FD = "/proc/self/fd";
const HAS_PROC_FD = process.platform === "linux" && existsSync(PROC_FD);

/** A local file (or folder) opened once and verified; read it through `path`, close it when done. */
export interface OpenedFile extends SourceFile {
  /** Where to read: `/proc/self/fd/N` of the verified handle on Linux, else the verified real path. */
  path: string;
  /** The verified real path of the file (symlinks resolved); for extensions and provenance. */
  realPath: string;
  isFolder: boolean;
  /** Size in bytes from fstat of the handle. */
  size: number;
  /** The handle itself (to read through directly). */
  handle: FileHandle;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Accept a directory (a folder of movie frames); otherwise a directory is refused. */
  allowFolder?: boolean;
  /** Name for messages (default: the path). */
  name?: string;
  /** Verify through /proc/self/fd (default: where it exists); false takes the fallback (for tests). */
  procFd?: boolean;
}

/**
 * Opens `path` once and verifies the handle with `check` (ctx.checkPath: throws a UserError when the
 * real path is outside the roots). Throws a UserError, with the handle closed, when the file is missing,
 * not a regular file (or folder, with allowFolder), or not the file that was checked.
 */
export async function openVerified(path: string, check: (realPath: string) => void, opts: OpenOptions = {}): Promise<OpenedFile> {
  const name = opts.name ?? path;
  const procFd = opts.procFd ?? HAS_PROC_FD;
  // Refuse special files before opening them: opening a device can have effects of its own.
  refuseKind(await stat(path).catch((e: NodeJS.ErrnoException) => fail(e, path, name)), name, opts.allowFolder);
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY).catch((e: NodeJS.ErrnoException) => fail(e, path, name));
  try {
    const st = await handle.stat();
    refuseKind(st, name, opts.allowFolder);
    // Unlinked after the open: its path no longer names it, so it cannot be checked.
    if (st.nlink === 0) throw changed(name);
    const realPath = procFd ? await verifyProcFd(handle.fd, check, name) : await verifyByInode(path, st, check, name);
    return {
      path: procFd ? `${PROC_FD}/${handle.fd}` : realPath,
      name,
      realPath,
      isFolder: st.isDirectory(),
      size: st.size,
      handle,
      close: () => handle.close().catch(() => undefined),
    };
  } catch (e) {
    await handle.close().catch(() => undefined);
    throw e;
  }
}

/** Runs `fn` on the verified file and closes the handle afterwards, whether `fn` succeeds or throws. */
export async function withVerifiedFile<T>(path: string, check: (realPath: string) => void, opts: OpenOptions, fn: (file: OpenedFile) => Promise<T>): Promise<T> {
  const file = await openVerified(path, check, opts);
  try {
    return await fn(file);
  } finally {
    await file.close();
  }
}

/** Linux: the kernel's path of the open file must be inside the roots and be its own real path. */
async function verifyProcFd(fd: number, check: (p: string) => void, name: string): Promise<string> {
  const real = readlinkSync(`${PROC_FD}/${fd}`);
  // Not a path ("pipe:[…]", or outside this process's root): nothing to check it against.
  if (!real.startsWith("/")) throw changed(name);
  check(real);
  // A symlink put in place of one of its folders after the open (or the file unlinked: the kernel then
  // appends " (deleted)") would make the check resolve elsewhere than the handle.
  if (realOrNull(real) !== real) throw changed(name);
  return real;
}

/** Elsewhere: the real path must pass the check and stat to the same device and inode as the handle. */
async function verifyByInode(path: string, opened: Stats, check: (p: string) => void, name: string): Promise<string> {
  const real = await realpath(path).catch(() => {
    throw changed(name);
  });
  check(real);
  const now = await stat(real).catch(() => null);
  if (!now || now.dev !== opened.dev || now.ino !== opened.ino) throw changed(name);
  return real;
}

function realOrNull(p: string): string | null {
  try {
    return realpathSync.native(p);
  } catch {
    return null;
  }
}

function refuseKind(st: Stats, name: string, allowFolder = false): void {
  if (st.isFile() || (allowFolder && st.isDirectory())) return;
  if (st.isDirectory()) {
    throw new UserError(`${name} is a folder, not a recording file.`, "Pass a .npz, .npy, .nwb or .h5 file (a folder of movie frames goes in the movie option).");
  }
  const kind = st.isFIFO() ? "a named pipe" : st.isSocket() ? "a socket" : st.isCharacterDevice() || st.isBlockDevice() ? "a device" : "not a regular file";
  throw new UserError(`${name} is ${kind}, not a regular file; it is not read.`, "Pass a regular .npz, .npy, .nwb or .h5 file (copy the data into a file first).", "not_regular_file");
}

function changed(name: string): UserError {
  return new UserError(`${name} changed while it was being opened (a symlink or folder was replaced); it was not read.`, "Load it again once the file is in place; do not replace files under the allowed roots while they load.", "file_changed");
}

function fail(e: NodeJS.ErrnoException, path: string, name: string): never {
  if (e.code === "ENOENT" || e.code === "ENOTDIR") {
    throw new UserError(`File not found: ${name}.`, "Check the path (relative paths are resolved against the server's working directory).");
  }
  if (e.code === "ENXIO") throw new UserError(`${name} is a socket or device, not a regular file; it is not read.`, "Pass a regular .npz, .npy, .nwb or .h5 file.", "not_regular_file");
  if (e.code === "ELOOP") throw new UserError(`${name} is a symlink loop.`, "Point the symlink at a real file.");
  throw new UserError(`Could not open ${name} (${e.code ?? e.message}).`, `Check that the file exists and is readable (${path}).`);
}
