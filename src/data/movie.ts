/**
 * Stimulus movies as `[F, H, W]` uint8 grayscale: from an HDF5/NWB dataset (Allen templates), from a
 * `.npy`/`.npz` array, or from a folder of PNG/JPEG frames (sorted naturally by file name).
 */
import { readdir } from "node:fs/promises";
import { basename, join } from "node:path";
import sharp from "sharp";
import { UserError } from "../util/errors.js";
import { movieFromArray, toKind } from "./arrays.js";
import type { Hdf5Reader } from "./formats/hdf5.js";
import type { NdArray } from "./arrays.js";
import { throwIfCancelled } from "./options.js";
import type { Movie } from "./recording.js";
import { withVerifiedFile } from "./source-file.js";

/** Image extensions accepted in a frame folder. */
const FRAME_EXTENSIONS = /\.(png|jpe?g)$/i;

/** Candidate HDF5 paths of an Allen stimulus template, NWB 1.x first, then NWB 2.x. */
export function templatePaths(stimulus: string): string[] {
  return [`/stimulus/templates/${stimulus}_image_stack/data`, `/stimulus/templates/${stimulus}/data`];
}

/** Read a `[F, H, W]` uint8 dataset (sliced in ≤ 256 MB pieces by the reader). */
export function readMovieDataset(reader: Hdf5Reader, path: string, frameRate: number): Movie {
  const shape = reader.shape(path, "Pass the movie dataset path with movie: { path, dataset }.");
  if (shape.length !== 3) {
    throw new UserError(`${reader.what(path)} has shape (${shape.join(", ")}); a movie must be [frames, height, width].`, "Point movie.dataset at a 3-D uint8 dataset.");
  }
  const arr = reader.readNumeric(path, "u8");
  return movieFromArray(arr, `${reader.name}:${path}`, frameRate, reader.what(path));
}

/** Find and read the stimulus template of an NWB file, or return undefined if it has none. */
export function readTemplateMovie(reader: Hdf5Reader, stimulus: string, frameRate: number): Movie | undefined {
  const path = templatePaths(stimulus).find((p) => reader.isDataset(p));
  return path ? readMovieDataset(reader, path, frameRate) : undefined;
}

/** A movie from an in-memory array (e.g. a `.npy` file). */
export function movieFromNdArray(nd: NdArray, source: string, frameRate: number): Movie {
  return movieFromArray({ shape: nd.shape, data: toKind(nd.data, "u8", source) }, source, frameRate, source);
}

/** Image files of a folder in natural order ("frame2" before "frame10"). */
export async function listFrameFiles(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => FRAME_EXTENSIONS.test(n));
  const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });
  return names.sort(collator.compare).map((n) => join(dir, n));
}

/**
 * Read a folder of PNG/JPEG frames as one grayscale movie. All frames must have the same size.
 * The folder is opened once and its handle verified with `checkPath` (its real path), then listed
 * and its frames opened through that handle; each frame is opened once, verified with `checkPath`
 * (its real path: a frame may be a symlink) and read through its handle before it is decoded, so
 * neither the folder nor a frame can be swapped for one outside the roots (src/data/source-file.ts).
 * `name` is the folder's name in messages and in the movie's source (default `dir`).
 */
export async function readFrameFolder(dir: string, frameRate: number, checkPath: (p: string) => void, signal?: AbortSignal, name = dir): Promise<Movie> {
  return withVerifiedFile(dir, checkPath, { allowFolder: true, name }, async (folder) => {
    if (!folder.isFolder) throw new UserError(`${name} is a file, not a folder of frames.`, "Pass a folder of PNG/JPEG frames, or a .npy/.npz/NWB movie file.");
    const files = await listFrameFiles(folder.path);
    if (files.length === 0) throw new UserError(`The folder ${name} has no .png/.jpg/.jpeg frames.`, "Put the movie frames in the folder as images named in order (frame0001.png, ...).");
    let frames: Uint8Array | null = null;
    let width = 0;
    let height = 0;
    for (let i = 0; i < files.length; i++) {
      throwIfCancelled(signal);
      const frameName = join(name, basename(files[i]));
      const bytes = await withVerifiedFile(files[i], checkPath, { name: frameName }, (f) => f.handle.readFile());
      const img = await readGrayFrame(bytes, frameName);
      if (!frames) {
        ({ width, height } = img);
        frames = new Uint8Array(files.length * width * height);
      } else if (img.width !== width || img.height !== height) {
        throw new UserError(`Frame ${frameName} is ${img.width}×${img.height} but the first frame is ${width}×${height}.`, "Make every frame in the folder the same size.");
      }
      frames.set(img.data, i * width * height);
    }
    return { frames: frames!, n_frames: files.length, height, width, frame_rate_hz: frameRate, source: name };
  });
}

async function readGrayFrame(bytes: Uint8Array, file: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  try {
    const { data, info } = await sharp(bytes).greyscale().removeAlpha().raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (e) {
    throw new UserError(`Could not decode the image ${file} (${(e as Error).message}).`, "Use PNG or JPEG frames.");
  }
}
