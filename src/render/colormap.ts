/**
 * Colour maps for plots: viridis (perceptually uniform, colour-blind friendly, prints in grey) for
 * continuous values, and a 20-colour categorical palette (matplotlib tab10 + its light variants).
 */

export type Rgb = [number, number, number];

/** matplotlib viridis sampled at 0, 0.1, …, 1 (exact 8-bit values); interpolated linearly between. */
const VIRIDIS_STOPS: readonly Rgb[] = [
  [68, 1, 84],
  [72, 36, 117],
  [65, 68, 135],
  [53, 95, 141],
  [42, 120, 142],
  [33, 145, 140],
  [34, 168, 132],
  [68, 191, 112],
  [122, 209, 81],
  [189, 223, 38],
  [253, 231, 37],
];

/** 256-entry viridis lookup table, built once. */
export const VIRIDIS_LUT: readonly Rgb[] = Array.from({ length: 256 }, (_, i) => interpolateStops(VIRIDIS_STOPS, i / 255));

function interpolateStops(stops: readonly Rgb[], t: number): Rgb {
  const pos = t * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(pos));
  const f = pos - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return [0, 1, 2].map((c) => Math.round(a[c]! + (b[c]! - a[c]!) * f)) as Rgb;
}

/** Viridis colour of `t` in [0, 1] (clamped) as "#rrggbb". */
export function viridis(t: number): string {
  const clamped = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  return rgbHex(VIRIDIS_LUT[Math.round(clamped * 255)]!);
}

/** Categorical palette: tab10 then its light variants (20 distinguishable colours). */
export const CATEGORICAL_PALETTE: readonly string[] = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
  "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
];

/** Colour used for missing / non-finite values. */
export const MISSING_COLOUR = "#bbbbbb";

/** "#rrggbb" of an RGB triple. */
export function rgbHex([r, g, b]: Rgb): string {
  return `#${[r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}
