/**
 * Screen geometry of the Allen natural-movie display, used to place receptive fields and filters in
 * degrees of visual angle whatever the frame resolution. The 608×304 template was shown stretched to
 * 1920×1080 on a 1920×1200 monitor 15 cm from the eye, warped to ≈120°×95° for the full monitor
 * (data-formats.md §1, §9), so the movie itself spans ≈120° × 85.5° (1 template px ≈ 0.2° × 0.28°).
 */

/** Horizontal extent of the movie in degrees. */
export const FIELD_WIDTH_DEG = 120;
/** Vertical extent of the movie in degrees (95° × 1080/1200). */
export const FIELD_HEIGHT_DEG = 85.5;
/** Mean gray level of the Allen stimuli (`STIMULUS_GRAY`). */
export const STIMULUS_GRAY = 127;
/** Allen natural movies are shown at 30 frames per second. */
export const FRAME_RATE_HZ = 30;

/** Degrees per pixel at pyramid level `level` (level 0 = full frame resolution). */
interface PixelPitch {
  x: number;
  y: number;
}

export function pixelPitch(frameWidth: number, frameHeight: number, level: number): PixelPitch {
  const scale = 2 ** level;
  return { x: (FIELD_WIDTH_DEG / frameWidth) * scale, y: (FIELD_HEIGHT_DEG / frameHeight) * scale };
}

/**
 * The coarsest pyramid level (at most `maxLevel`) at which a filter of wavelength `wavelengthDeg` and
 * envelope `sigmaDeg` is still well sampled: ≥ 4 px per cycle and σ ≥ 1.5 px on the coarser axis.
 */
export function levelFor(wavelengthDeg: number, sigmaDeg: number, frameWidth: number, frameHeight: number, maxLevel: number): number {
  let level = 0;
  while (level < maxLevel) {
    const p = pixelPitch(frameWidth, frameHeight, level + 1);
    const coarse = Math.max(p.x, p.y);
    if (wavelengthDeg / coarse < 4 || sigmaDeg / coarse < 1.5) break;
    level++;
  }
  return level;
}
