/**
 * The contract of a recording file format: one entry of the registry in ./index.ts.
 *
 * A format says how to recognise its files (a signature in the first bytes, then file extensions) and
 * how to load one into a Recording. Detection tries every format's signature, in registry order,
 * before any extension, so a zip archive named `.npy` is still read as `.npz`.
 */
import type { LoadContext, LoadFormat, LoadOptions } from "../options.js";
import type { Recording } from "../recording.js";

/** How many leading bytes detection reads (an HDF5 signature may follow a userblock of up to 2048 bytes). */
export const PROBE_BYTES = 2056;

/** What detection looks at. */
export interface FileProbe {
  /** The first PROBE_BYTES bytes of the file, zero-padded when it is shorter. */
  head: Uint8Array;
  /** The file's extension in lower case, with its dot (".npz"), or "". */
  ext: string;
}

/** A local file ready to read. */
export interface SourceFile {
  /** Where to read it: for a verified local file `/proc/self/fd/N` of its open handle (src/data/source-file.ts). */
  path: string;
  /** Name for messages: the path or the URL it was downloaded from. */
  name: string;
  /** The file's verified real path (symlinks resolved), when `path` is an alias of it: extensions come from here. */
  realPath?: string;
}

/** One recording format: a value of the `format` option, how it is detected and how it loads. */
export interface FileFormat {
  name: LoadFormat;
  /** True if `head` starts with (or carries) this format's signature. */
  signature?(head: Uint8Array): boolean;
  /** Extensions (lower case, with the dot) that mean this format when no signature matched. */
  extensions?: readonly string[];
  /** Loads `file` as this format: when the `format` option names it, or when it was detected and has no `loadDetected`. */
  load(file: SourceFile, opts: LoadOptions, ctx: LoadContext): Promise<Recording>;
  /** Loads a file that was detected as this format, when that differs from forcing it (HDF5 first tries the NWB layouts). */
  loadDetected?(file: SourceFile, opts: LoadOptions, ctx: LoadContext): Promise<Recording>;
}
