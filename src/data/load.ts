/**
 * `loadRecording`: the one entry point that turns a source (local path, http(s) URL or
 * "builtin:allen-like") into a validated Recording with full provenance.
 *
 * Steps: resolve the source (URL → download cache; local path → ctx.checkPath), open it once and
 * verify the handle (source-file.ts: every later read goes through it), pick the format (the
 * `format` option, else detected by the registry in formats/index.ts: magic bytes "\x93NUMPY", zip
 * "PK", HDF5 signature at 0 or after a 512+ byte userblock; then the extension), load, attach an
 * overriding movie, validate, apply the NaN policy, then the requested preprocessing
 * (time_range → repeats → select_units → zscore), all recorded in provenance.
 */
import { realpathSync } from "node:fs";
import { createHash } from "node:crypto";
import { basename, extname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../util/errors.js";
import { movieFromArray, DEFAULT_MOVIE_RATE_HZ } from "./arrays.js";
import { cachedDownload, fetchToCache, isUrl, redactUrl, sha256File, type FetchResult } from "./fetch.js";
import { loadBuiltin } from "./formats/builtin.js";
import { detectFormat, formatNamed, probeFile, type FileProbe, type SourceFile } from "./formats/index.js";
import { withHdf5 } from "./formats/hdf5.js";
import { readFrameFolder, readMovieDataset, movieFromNdArray, templatePaths } from "./movie.js";
import { readNpyFile } from "./formats/npy.js";
import { DEFAULT_STIMULUS } from "./formats/nwb/allen2p.js";
import { withNpzFile } from "./formats/npz.js";
import { PROBE_BYTES as PROBE_HEAD_BYTES } from "./formats/format.js";
import { ARRAY_ROLES, LOAD_FORMATS, NAN_POLICIES, loadBudgetBytes, throwIfCancelled, type LoadContext, type LoadOptions, type MovieSource } from "./options.js";
import { selectRepeats, selectUnits, sliceTime, zscore } from "./preprocess.js";
import type { Movie, Recording } from "./recording.js";
import { openVerified, type OpenedFile } from "./source-file.js";
import { isDandiSource, resolveDandi, type DandiAsset } from "./remote/dandi.js";
import { RemoteFile, probeRemote, type RemoteProbe } from "./remote/range-file.js";
import { registerRemote, unregisterRemote } from "./remote/vfs.js";
import { isHdf5 } from "./formats/hdf5.js";
import { applyNanPolicy, validateRecording, withDegenerateWarnings } from "./validate.js";

export { ARRAY_ROLES, DEFAULT_INTAKE_LIMITS, LOAD_FORMATS, LOAD_OPTIONS_SCHEMA, NAN_POLICIES } from "./options.js";
export type { ArrayRole, BuiltinParams, IntakeLimits, LoadContext, LoadFormat, LoadOptions, MovieSource, NanPolicy, NeuropixelsOptions, QualityThresholds } from "./options.js";

/** A local file ready to read, with what provenance needs to know about where it came from. */
interface ResolvedFile extends SourceFile {
  source: string;
  download?: FetchResult;
  /** A remote HDF5 file read lazily: `path` is its virtual path (src/data/remote/vfs.ts). */
  remote?: RemoteFile;
  /** The DANDI asset the source named. */
  dandi?: DandiAsset;
}

/** A resolved file opened once and verified (src/data/source-file.ts): read it through `path`, then close it. */
type OpenedSource = ResolvedFile & Pick<OpenedFile, "path" | "realPath" | "isFolder" | "close" | "size">;

/** Load a recording from a local path, an http(s) URL or "builtin:allen-like". */
export async function loadRecording(source: string, opts: LoadOptions, ctx: LoadContext): Promise<Recording> {
  checkOptions(opts);
  throwIfCancelled(ctx.signal);
  let rec = source.startsWith("builtin:") ? loadBuiltin(source, opts) : await loadSourceFile(source, opts, ctx);
  rec = { ...rec, provenance: { ...rec.provenance, loaded_at: new Date().toISOString() } };
  if (opts.movie === false) rec = { ...rec, movie: undefined };
  else if (opts.movie !== undefined) rec = await attachMovie(rec, opts.movie, opts, ctx);
  validateRecording(rec);
  rec = applyNanPolicy(rec, opts.nan_policy ?? "error");
  return withDegenerateWarnings(preprocess(rec, opts));
}

async function loadSourceFile(source: string, opts: LoadOptions, ctx: LoadContext): Promise<Recording> {
  const file = await openSource(source, ctx, false, opts.download ?? "auto");
  try {
    const rec = await loadFile(file, opts, ctx);
    const sha256 = file.download?.sha256 ?? file.dandi?.sha256 ?? (file.remote ? remoteIdentityHash(file.remote.probe) : await sha256File(file.path));
    const download = file.download && { from_cache: file.download.from_cache, bytes: file.download.bytes, final_url: file.download.final_url, fetched_at: file.download.fetched_at };
    const remote = file.remote && remoteProvenance(file.remote, Boolean(file.dandi?.sha256));
    const dandi = file.dandi && { dandiset: file.dandi.dandiset, version: file.dandi.version, path: file.dandi.path, asset_id: file.dandi.asset_id, api: file.dandi.api, resolved_url: redactUrl(file.dandi.url), size: file.dandi.size };
    const extra = { ...(download ? { download } : {}), ...(remote ? { remote } : {}), ...(dandi ? { dandi } : {}) };
    return {
      ...rec,
      provenance: {
        ...rec.provenance,
        source: file.source,
        sha256,
        ...(file.download ? { cached_path: file.download.path } : {}),
        ...(Object.keys(extra).length ? { source_metadata: { ...rec.provenance.source_metadata, ...extra } } : {}),
      },
    };
  } finally {
    await file.close();
  }
}

/**
 * Resolve `source` and open the file once (a folder too, with allowFolder): the handle is verified
 * against the roots (a download against its cache path) and every later read goes through it, so a
 * symlink swapped after the check cannot redirect the read.
 */
export async function openSource(source: string, ctx: LoadContext, allowFolder = false, mode: "auto" | "whole" = "whole"): Promise<OpenedSource> {
  const file = await resolveFile(source, ctx, mode);
  if (file.remote) {
    const remote = file.remote;
    return { ...file, realPath: file.name, isFolder: false, size: remote.size, close: async () => {
      unregisterRemote(file.path);
      remote.close();
    } };
  }
  const check = file.download ? sameFile(file.path, file.name) : (p: string) => ctx.checkPath(p);
  const opened = await openVerified(file.path, check, { allowFolder, name: file.name });
  return { ...opened, source: file.source, ...(file.download ? { download: file.download } : {}) };
}

/** The check for a download: the opened file must be the cache file itself. */
function sameFile(path: string, name: string): (realPath: string) => void {
  let expected = path;
  try {
    expected = realpathSync(path);
  } catch {
    /* gone already: openVerified reports it as not found */
  }
  return (realPath) => {
    if (realPath !== expected) throw new UserError(`The cached download of ${name} changed while it was being opened.`, "Load it again.", "file_changed");
  };
}

/**
 * URL → cached download; local path (or file:// URL) → absolute path checked with ctx.checkPath (an
 * early, readable refusal; openSource checks the opened handle again). Missing files and folders are
 * reported by openSource.
 */
async function resolveFile(source: string, ctx: LoadContext, mode: "auto" | "whole"): Promise<ResolvedFile & { isFolder?: boolean }> {
  const dandi = isDandiSource(source, ctx.dandiApi) ? await resolveDandi(source, ctx) : undefined;
  if (dandi || isUrl(source)) {
    const url = dandi?.url ?? source;
    const shown = dandi?.uri ?? redactUrl(source);
    // A file already in the download cache is used without any request (as before lazy reading).
    if (mode !== "whole" && !(await cachedDownload(url, ctx))) {
      const remote = await openRemote(url, ctx);
      if (remote) return { path: registerRemote(remote), name: shown, source: shown, remote, ...(dandi ? { dandi } : {}), isFolder: false };
    }
    const download = await fetchToCache(url, ctx);
    // download.url is the URL without credentials: the only form that is stored or shown.
    return { path: download.path, name: dandi ? shown : download.url, source: dandi ? shown : download.url, download, ...(dandi ? { dandi } : {}), isFolder: false };
  }
  const path = resolve(source.startsWith("file://") ? fileURLToPath(source) : source);
  ctx.checkPath(path);
  return { path, name: path, source: path };
}

/**
 * A remote file to read lazily, or null to download it whole: an HDF5 file of at least
 * ctx.lazyMinBytes from a server that answers range requests is read lazily, anything else downloaded.
 */
async function openRemote(url: string, ctx: LoadContext): Promise<RemoteFile | null> {
  const probe = await probeRemote(url, ctx);
  if (!probe.ranges || probe.size < ctx.lazyMinBytes || !isHdf5(probe.head)) return null;
  return new RemoteFile(probe, url, ctx);
}

/** Stand-in for the SHA-256 of a file read lazily (its bytes are never all read): a hash of URL, size and validators. */
function remoteIdentityHash(p: RemoteProbe): string {
  return createHash("sha256").update(["remote", p.url, p.size, p.etag ?? "", p.lastModified ?? ""].join("\n")).digest("hex");
}

/** What provenance records of a file read lazily. */
function remoteProvenance(remote: RemoteFile, archiveDigest: boolean): Record<string, unknown> {
  const p = remote.probe;
  return {
    read: "lazy (HTTP range requests, block cache)",
    final_url: redactUrl(p.finalUrl),
    size: p.size,
    etag: p.etag ?? null,
    last_modified: p.lastModified ?? null,
    block_bytes: p.blockSize,
    bytes_transferred: remote.transferred + PROBE_HEAD_BYTES,
    sha256_is: archiveDigest ? "the archive's digest of the file" : "a hash of URL, size, ETag and Last-Modified (the file was not read whole)",
  };
}

/** Load with the format the `format` option names, else with the detected one. */
/** The first bytes and extension of an opened source: a remote file's come from its probe (its path is a virtual one). */
export async function probeSource(file: ResolvedFile): Promise<FileProbe> {
  return file.remote ? { head: file.remote.probe.head, ext: extname(new URL(file.remote.probe.url).pathname).toLowerCase() } : probeFile(file);
}

async function loadFile(file: ResolvedFile, opts: LoadOptions, ctx: LoadContext): Promise<Recording> {
  // checkOptions has accepted the name, and the registry has a format for every LOAD_FORMATS name.
  if (opts.format) return formatNamed(opts.format)!.load(file, opts, ctx);
  const format = detectFormat(await probeSource(file));
  if (!format) {
    throw new UserError(`Cannot tell the format of ${file.name} (not .npy, .npz or HDF5/NWB).`, `Convert it to .npz (see docs/DATA.md) or pass format: one of ${LOAD_FORMATS.join(", ")}.`);
  }
  return format.loadDetected ? format.loadDetected(file, opts, ctx) : format.load(file, opts, ctx);
}

/** Replace the recording's movie by the one from `movie` (path/URL or MovieSource), noting it in provenance. */
async function attachMovie(rec: Recording, movie: string | MovieSource, opts: LoadOptions, ctx: LoadContext): Promise<Recording> {
  const src: MovieSource = typeof movie === "string" ? { path: movie } : movie;
  const { movie: m, sha256 } = await loadMovie(src, opts.stimulus ?? DEFAULT_STIMULUS, ctx);
  const info = { source: redactUrl(src.path), dataset: src.dataset ?? null, sha256, n_frames: m.n_frames, height: m.height, width: m.width };
  return { ...rec, movie: m, provenance: { ...rec.provenance, source_metadata: { ...rec.provenance.source_metadata, movie: info } } };
}

/**
 * Load a stimulus movie: a folder of PNG/JPEG frames, a `.npy` [F,H,W] uint8, an `.npz` (member
 * `dataset` or "movie"), or an HDF5/NWB file (dataset `dataset` or the stimulus template).
 * Returns the movie and the SHA-256 of the file (null for folders).
 */
async function loadMovie(src: MovieSource, stimulus: string, ctx: LoadContext): Promise<{ movie: Movie; sha256: string | null }> {
  const file = await openSource(src.path, ctx, true);
  try {
    return await readMovieFile(file, src, stimulus, ctx);
  } finally {
    await file.close();
  }
}

async function readMovieFile(file: OpenedSource, src: MovieSource, stimulus: string, ctx: LoadContext): Promise<{ movie: Movie; sha256: string | null }> {
  const rate = src.frame_rate_hz ?? DEFAULT_MOVIE_RATE_HZ;
  if (file.isFolder) return { movie: await readFrameFolder(file.path, rate, (p) => ctx.checkPath(p), ctx.signal, file.name), sha256: null };
  const sha256 = file.download?.sha256 ?? (await sha256File(file.path));
  const kind = detectFormat(await probeFile(file))?.name;
  const fileName = basename(file.download?.path ?? file.name);
  if (kind === "npy") return { movie: movieFromNdArray(readNpyFile(file.path, file.name, loadBudgetBytes(ctx)), file.name, rate), sha256 };
  if (kind === "npz") {
    const key = src.dataset ?? "movie";
    const arr = withNpzFile(file, ctx, [key], (arrays) => arrays.read(key, "u8"));
    return { movie: movieFromArray(arr, `${file.name}:${key}`, rate, `${fileName}:${key}`), sha256 };
  }
  if (kind === "hdf5") {
    const movie = await withHdf5(file, ctx, (reader) => {
      const path = src.dataset ?? templatePaths(stimulus).find((p) => reader.isDataset(p));
      if (!path) {
        throw new UserError(`${file.name} has no ${stimulus} template (looked for ${templatePaths(stimulus).join(", ")}).`, "Name the movie dataset with movie: { path, dataset: \"/path/to/frames\" }.");
      }
      return readMovieDataset(reader, path, rate);
    });
    return { movie, sha256 };
  }
  throw new UserError(`Cannot read a movie from ${file.name}.`, "Use a .npy [F,H,W] uint8 array, an .npz with a 'movie' member, an NWB/HDF5 file, or a folder of PNG/JPEG frames.");
}

/** Apply the preprocessing options in a fixed order: time_range → repeats → select_units → zscore. */
function preprocess(rec: Recording, opts: LoadOptions): Recording {
  let out = rec;
  if (opts.time_range) out = sliceTime(out, opts.time_range);
  if (opts.repeats) out = selectRepeats(out, opts.repeats);
  if (opts.select_units) out = selectUnits(out, opts.select_units);
  if (opts.zscore) out = zscore(out);
  return out;
}

/** Reject option values outside their enumerations early, with the valid choices. */
function checkOptions(opts: LoadOptions): void {
  const oneOf = (what: string, v: unknown, valid: readonly unknown[]) => {
    if (v !== undefined && !valid.includes(v)) throw new UserError(`Unknown ${what} '${String(v)}'.`, `Use one of: ${valid.join(", ")}.`);
  };
  oneOf("format", opts.format, LOAD_FORMATS);
  oneOf("nan_policy", opts.nan_policy, NAN_POLICIES);
  oneOf("neural_layout", opts.neural_layout, ["time_major", "unit_major"]);
  for (const role of Object.keys(opts.keys ?? {})) oneOf("keys role", role, ARRAY_ROLES);
  if (opts.sampling_rate_hz !== undefined && !(opts.sampling_rate_hz > 0)) {
    throw new UserError(`sampling_rate_hz must be positive, got ${opts.sampling_rate_hz}.`, "Pass the sampling rate in Hz, e.g. 30.");
  }
}
