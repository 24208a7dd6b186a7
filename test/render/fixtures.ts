/**
 * Synthetic inputs for render tests and examples: a movie whose frames have distinct mean
 * brightness (so a tile can be traced back to its frame) and decoded rows with a realistic mix of
 * near-misses, large errors and samples without a frame on screen.
 */
import { Rng } from "../../src/util/rng.js";
import type { DecodedRow, MovieFrames, ReconstructionSummary } from "../../src/render/types.js";

/** Mean brightness of frame f (distinct for every f < 160, far from clipping). */
export function frameBrightness(f: number): number {
  return 50 + ((f * 53) % 160);
}

/** Slowly varying brightness for example images (neighbouring frames look alike, as in a real movie). */
export function smoothBrightness(f: number, nFrames: number): number {
  return 110 + 50 * Math.sin((2 * Math.PI * f) / nFrames);
}

/**
 * `[F, H, W]` movie: drifting oriented grating (±22) around a per-frame brightness plus a moving blob.
 * Default brightness: `frameBrightness` (distinct per frame, so tiles can be traced to frames).
 */
export function syntheticMovie(
  nFrames: number,
  height: number,
  width: number,
  frameRate = 30,
  brightness: (f: number, nFrames: number) => number = frameBrightness,
): MovieFrames {
  const frames = new Uint8Array(nFrames * height * width);
  for (let f = 0; f < nFrames; f++) {
    const base = brightness(f, nFrames);
    const theta = (f / nFrames) * Math.PI;
    const phase = f * 0.4;
    const bx = width * (0.2 + 0.6 * ((f * 7) % nFrames) / nFrames);
    const by = height * 0.5;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const grating = 22 * Math.sin(((x * Math.cos(theta) + y * Math.sin(theta)) / width) * 6 * Math.PI + phase);
        const blob = 8 * Math.exp(-((x - bx) ** 2 + (y - by) ** 2) / (2 * (height / 6) ** 2));
        frames[(f * height + y) * width + x] = Math.round(base + grating + blob);
      }
    }
  }
  return { frames, n_frames: nFrames, height, width, frame_rate_hz: frameRate, source: "synthetic:test" };
}

/** `n` decoded rows at `rate` Hz over a movie of `nFrames` frames shown in a loop. */
export function syntheticRows(n: number, nFrames: number, rate = 30, seed = 1): DecodedRow[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, t) => {
    const blank = t % 47 === 46;
    const trueFrame = blank ? null : t % nFrames;
    const jump = rng.random() < 0.15;
    const centre = trueFrame ?? rng.int(nFrames);
    const offset = jump ? rng.int(nFrames) - centre : Math.round(rng.normal() * 4);
    const predicted = Math.min(nFrames - 1, Math.max(0, centre + offset));
    return {
      sample: t,
      time_s: t / rate,
      true_frame: trueFrame,
      predicted_frame: predicted,
      error: trueFrame === null ? null : predicted - trueFrame,
      confidence: jump ? 0.2 + 0.3 * rng.random() : 0.6 + 0.4 * rng.random(),
    };
  });
}

/** Summary facts for captions. */
export function syntheticSummary(rows: DecodedRow[], window = 30): ReconstructionSummary {
  const known = rows.filter((r) => r.error !== null);
  const correct = known.filter((r) => Math.abs(r.error!) < window).length;
  return {
    decoding_id: "dec-test-01",
    recording_id: "rec-<synthetic & test>",
    model_id: "model-offset10-d8",
    decoder: "kNN (k=1, cosine)",
    accuracy: correct / known.length,
    window_frames: window,
    // Uniform guessing: 2·window − 1 of the movie's frames count as correct (edges ignored).
    chance_accuracy: Math.min(1, (2 * window - 1) / (Math.max(...rows.map((r) => r.predicted_frame)) + 1)),
    controls: [
      { name: "raw activity, window-averaged", accuracy: 0.624 },
      { name: "raw activity, per sample", accuracy: 0.534 },
      { name: "shuffled-label CEBRA", not_run: "not requested" },
    ],
  };
}
