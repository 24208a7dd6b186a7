/**
 * The format registry: every recording format the loader knows, in detection order.
 *
 * `loadRecording` (src/data/load.ts) loads a file with the format the `format` option names, or else
 * with the detected one: the first format whose signature matches the file's first bytes, or failing
 * that the first whose extensions include the file's. Adding a format: write its module (the reader
 * and a FileFormat entry, see ./format.ts), append the entry to FORMATS, and add its name to
 * LoadFormat / LOAD_FORMATS (src/data/options.ts).
 */
import { open } from "node:fs/promises";
import { extname } from "node:path";
import type { LoadFormat } from "../options.js";
import { BUILTIN_FORMAT } from "./builtin.js";
import { PROBE_BYTES, type FileFormat, type FileProbe, type SourceFile } from "./format.js";
import { NPY_FORMAT } from "./npy.js";
import { NPZ_FORMAT } from "./npz.js";
import { HDF5_FORMATS } from "./nwb.js";

export type { FileFormat, FileProbe, SourceFile } from "./format.js";

/** Every format, in detection order (the same order as LOAD_FORMATS). */
export const FORMATS: readonly FileFormat[] = [NPY_FORMAT, NPZ_FORMAT, ...HDF5_FORMATS, BUILTIN_FORMAT];

/** The format called `name`. */
export function formatNamed(name: LoadFormat): FileFormat | undefined {
  return FORMATS.find((f) => f.name === name);
}

/** The first bytes (read from `file.path`) and the extension (of its real path, not of a /proc/self/fd alias) of a local file. */
export async function probeFile(file: SourceFile): Promise<FileProbe> {
  const head = new Uint8Array(PROBE_BYTES);
  const fh = await open(file.path, "r");
  try {
    await fh.read(head, 0, head.length, 0);
  } finally {
    await fh.close();
  }
  return { head, ext: extname(file.realPath ?? file.path).toLowerCase() };
}

/** The format of a probed file: signatures first (in registry order), then extensions; undefined if none fits. */
export function detectFormat(probe: FileProbe): FileFormat | undefined {
  return FORMATS.find((f) => f.signature?.(probe.head)) ?? FORMATS.find((f) => f.extensions?.includes(probe.ext));
}
