/**
 * HDF5 failures as UserErrors: what h5wasm throws (an HDF5 error stack of C source paths, a wasm
 * trap, a JS RangeError) becomes one line that names the file, the dataset and the likely cause
 * (corrupted, truncated, unsupported filter), never a stack. Also the error for a dataset that keeps
 * its data in another file (see hdf5-confine.ts).
 */
import { basename } from "node:path";
import { UserError } from "../../util/errors.js";

export type EscapeKind = "external storage" | "an external link" | "a virtual dataset";

const COPY_FIX =
  "Copy the data into the file itself, e.g. `h5repack -l CONTI <in> <out>` for external storage, or in h5py `f2.create_dataset(name, data=f1[name][()])`; for a virtual dataset, write the source data into a plain dataset.";

/** `what` (file:dataset) keeps its data in another file: refused. */
export function escapeError(what: string, kind: EscapeKind, others: string[]): UserError {
  const names = others.length ? ` (${others.slice(0, 4).map(shortName).join(", ")}${others.length > 4 ? ", ..." : ""})` : "";
  return new UserError(
    `${what} keeps its data in another file${names} via ${kind}; cebra-mcp reads only the file you named, because the other file could lie outside the allowed roots.`,
    COPY_FIX,
  );
}

/** A path as HDF5 asked for it, shortened for messages. */
function shortName(p: string): string {
  const s = p.length > 160 ? `.../${basename(p)}` : p;
  return s.replace(/[\r\n]+/g, " ");
}

/** The likely cause of an h5wasm failure, in words, with its fix: from HDF5's most specific message, else its whole stack. */
function cause(reason: string, e: unknown): { cause: string; fix: string } {
  const specific = classify(reason.toLowerCase());
  return specific ?? classify((e instanceof Error ? e.message : String(e)).toLowerCase()) ?? CORRUPTED;
}

const CORRUPTED = { cause: "the file looks corrupted (HDF5 could not parse its structures)", fix: "Re-download or re-export the file; `h5dump -H <file>` shows where it breaks." };

function classify(t: string): { cause: string; fix: string } | undefined {
  if (/filter|h5z|decompress|plugin/.test(t)) {
    return {
      cause: "the dataset uses a compression filter cebra-mcp cannot decode, or its compressed data is corrupted",
      fix: "Re-save the dataset with gzip (h5py: compression='gzip') or without compression; if it already uses gzip, the file is corrupted: re-download or re-export it.",
    };
  }
  if (/signature not found/.test(t)) return { cause: "it is not an HDF5 file (no HDF5 signature)", fix: "Point the source at an HDF5/NWB file, or set format to the file's real format." };
  if (/eoa|eof|end of file|truncat|addr overflow|address overflow|file is smaller|short read|beyond the end/.test(t)) {
    return { cause: "the file looks truncated (it ends before the data it describes)", fix: "Re-download or re-copy the complete file." };
  }
  if (/memory|alloc|invalid (typed )?array length|array buffer allocation/.test(t)) {
    return { cause: "the dataset's declared layout is too large to read (the file is likely corrupted)", fix: "Check the file with h5dump -H; re-export it if the shapes are wrong." };
  }
  if (/version|signature|checksum|corrupt|bad |invalid|unknown|unable to load|can't decode/.test(t)) return CORRUPTED;
  return undefined;
}

/** One readable line from an h5wasm/HDF5 error: the most specific HDF5 message, without source paths. */
export function hdf5Reason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/^Aborted\(/.test(msg.trim())) return "the HDF5 library aborted while parsing the file";
  const lines = msg.split("\n").map((l) => l.trim()).filter(Boolean);
  // HDF5 error stacks: the most specific message is the last "#NNN: <file> line N in fn(): message" line.
  const diag = lines.filter((l) => /^#\d+:/.test(l));
  let last = diag.length ? diag[diag.length - 1].replace(/^#\d+:.*?\bin\s+[\w$]+\(\):\s*/, "") : (lines.find((l) => !/^HDF5-DIAG/.test(l)) ?? "unknown error");
  // Whatever is left must not carry C source paths or stack markers.
  last = last.replace(/\/__w\/\S*/g, "").replace(/#\d+:/g, "").replace(/\s+/g, " ").trim();
  return (last || "unknown error").slice(0, 200);
}

/** `name` could not be opened as HDF5, as a UserError with the likely cause. */
export function hdf5OpenFailure(name: string, e: unknown): UserError {
  const c = cause(hdf5Reason(e), e);
  return new UserError(`${name} could not be opened as HDF5: ${c.cause} (HDF5: ${hdf5Reason(e)}).`, `Check that the file is a complete HDF5/NWB file. ${c.fix}`);
}

/** An h5wasm failure while doing `action` on `what` ("file" or "file:/dataset") as a UserError. */
export function hdf5Failure(what: string, action: string, e: unknown): UserError {
  if (e instanceof UserError) return e;
  const reason = hdf5Reason(e);
  const c = cause(reason, e);
  return new UserError(`Could not ${action} ${what}: ${c.cause} (HDF5: ${reason}).`, c.fix);
}
