/**
 * Pixel plumbing shared by the frame layouts: an RGB canvas that movie tiles are copied into,
 * movie-frame tiles resized with sharp, and compositing one SVG overlay (labels, borders) on top.
 * Tiles are copied byte for byte, so a decoded tile IS the retrieved movie frame (resized).
 */
import sharp from "sharp";
import { UserError } from "../util/errors.js";
import type { RawImage } from "./budget.js";
import type { Rgb } from "./colormap.js";
import type { MovieFrames } from "./types.js";

/** An RGB (3 bytes per pixel) image being assembled. */
export class RgbCanvas {
  readonly data: Buffer;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [255, 255, 255],
  ) {
    this.data = Buffer.alloc(width * height * 3, background[0]);
    if (background[1] === background[0] && background[2] === background[0]) return;
    for (let i = 0; i < this.data.length; i += 3) {
      this.data[i] = background[0];
      this.data[i + 1] = background[1];
      this.data[i + 2] = background[2];
    }
  }

  /** Copy a grayscale tile (`w*h` bytes) with its top-left corner at (x, y). */
  blitGray(tile: Buffer, x: number, y: number, w: number, h: number): void {
    for (let row = 0; row < h; row++) {
      let dst = ((y + row) * this.width + x) * 3;
      for (let col = 0, src = row * w; col < w; col++, src++, dst += 3) {
        const v = tile[src]!;
        this.data[dst] = v;
        this.data[dst + 1] = v;
        this.data[dst + 2] = v;
      }
    }
  }

  /** Composite an SVG overlay of the canvas size on top and return the raw RGB result. */
  async withOverlay(svg: string): Promise<RawImage> {
    const data = await sharp(this.data, { raw: { width: this.width, height: this.height, channels: 3 } })
      .composite([{ input: Buffer.from(svg), left: 0, top: 0 }])
      .removeAlpha()
      .raw()
      .toBuffer();
    return { data, width: this.width, height: this.height, channels: 3 };
  }
}

/** Throw a UserError unless the movie's buffer matches its declared shape. */
export function validateMovie(movie: MovieFrames): void {
  const expected = movie.n_frames * movie.height * movie.width;
  if (movie.n_frames < 1 || movie.height < 1 || movie.width < 1 || movie.frames.length !== expected) {
    throw new UserError(
      `Movie shape [${movie.n_frames}, ${movie.height}, ${movie.width}] does not match its ${movie.frames.length} bytes (expected ${expected}).`,
      "Reload the recording; the movie must be uint8 [frames, height, width].",
    );
  }
}

/** Resizes movie frames to one tile size, caching each frame (a frame often appears several times). */
export class TileSource {
  private readonly cache = new Map<number, Promise<Buffer>>();

  constructor(
    private readonly movie: MovieFrames,
    readonly width: number,
    readonly height: number,
  ) {}

  /** Grayscale bytes (`width*height`) of movie frame `index`, resized to the tile size. */
  frame(index: number): Promise<Buffer> {
    let tile = this.cache.get(index);
    if (!tile) {
      tile = resizeFrame(this.movie, index, this.width, this.height);
      this.cache.set(index, tile);
    }
    return tile;
  }
}

/** Resize one movie frame; nearest-neighbour when enlarging (keeps pixels honest), Lanczos when shrinking. */
async function resizeFrame(movie: MovieFrames, index: number, width: number, height: number): Promise<Buffer> {
  const size = movie.width * movie.height;
  const src = Buffer.from(movie.frames.buffer, movie.frames.byteOffset + index * size, size);
  if (width === movie.width && height === movie.height) return Buffer.from(src);
  const kernel = width > movie.width ? "nearest" : "lanczos3";
  return sharp(src, { raw: { width: movie.width, height: movie.height, channels: 1 } })
    .resize(width, height, { fit: "fill", kernel })
    .extractChannel(0)
    .raw()
    .toBuffer();
}

/** Tile height for a tile width, keeping the movie's aspect ratio. */
export function tileHeightFor(movie: MovieFrames, tileWidth: number): number {
  return Math.max(1, Math.round((tileWidth * movie.height) / movie.width));
}
