/**
 * Parameters of the built-in `builtin:allen-like` recording: one table (`PARAM_SPECS`) that holds,
 * for every parameter, its default, the hard bounds that validation enforces, its unit, the realistic
 * range and where that range comes from. Defaults, validation messages, `describeAllenLikeParams()`
 * and docs/BUILTIN.md are all derived from (or checked against) this table.
 *
 * Honesty rule: every default is taken from the realistic range of its source (usually the midpoint,
 * or the geometric midpoint for quantities that vary lognormally across cells); none was tuned to make
 * a decoder look good.
 */
import { UserError } from "../../util/errors.js";

/** Everything that determines a generated recording (the same params always give the same arrays). */
export interface AllenLikeParams {
  seed: number;
  /** Seed of the movie and its frame features; −1: the recording's `seed`. */
  movie_seed: number;
  modality: "calcium" | "neuropixels";
  // Stimulus
  n_frames: number;
  n_repeats: number;
  frame_height: number;
  frame_width: number;
  spectral_slope: number;
  rms_contrast: number;
  optical_blur_deg: number;
  pan_speed_deg_s: number;
  n_occluders: number;
  n_scenes: number;
  // Population and receptive fields
  n_cells: number;
  fraction_simple: number;
  fraction_reliable: number;
  fraction_weak: number;
  weak_drive: number;
  rf_center_sd_deg: number;
  rf_sigma_min_deg: number;
  rf_sigma_max_deg: number;
  sf_mode_cpd: number;
  sf_min_cpd: number;
  sf_max_cpd: number;
  sf_sd_octaves: number;
  temporal_peak_ms: number;
  temporal_trough_ms: number;
  temporal_undershoot: number;
  // Firing rates and variability
  nonlinearity_exponent: number;
  baseline_rate_min_hz: number;
  baseline_rate_max_hz: number;
  mean_rate_min_hz: number;
  mean_rate_max_hz: number;
  peak_rate_min_hz: number;
  peak_rate_max_hz: number;
  arousal_min: number;
  arousal_max: number;
  drift_sd: number;
  drift_tau_s: number;
  gain_noise_sd: number;
  gain_noise_tau_s: number;
  shared_gain_sd: number;
  shared_gain_tau_s: number;
  running_fraction: number;
  running_bout_s: number;
  running_gain: number;
  // Calcium indicator and imaging noise
  indicator_amplitude: number;
  tau_rise_ms: number;
  tau_decay_ms: number;
  saturation_dff: number;
  noise_sd_min: number;
  noise_sd_max: number;
  neuropil_residual_sd: number;
  baseline_drift_sd: number;
  baseline_drift_tau_s: number;
  // Frame features
  feature_dim: number;
}

/** One parameter's documentation and bounds. */
interface ParamSpecBase {
  meaning: string;
  unit: string;
  /** Realistic range as found in the literature (text). */
  realistic: string;
  /** Where the range / default comes from. */
  source: string;
}
interface NumberSpec extends ParamSpecBase {
  kind: "number" | "integer";
  default: number;
  /** Hard bounds (inclusive) enforced by validation; wider than the realistic range. */
  min: number;
  max: number;
}
interface EnumSpec extends ParamSpecBase {
  kind: "enum";
  default: string;
  values: readonly string[];
}
type ParamSpec = NumberSpec | EnumSpec;

const S9 = "data-formats.md §9";
const ALLEN = "Allen Brain Observatory Natural Movie 1 (data-formats.md §1)";
const ASSUMED = "modelling assumption (no single literature value); see docs/BUILTIN.md";

/** The single source of truth for parameter defaults, bounds and documentation. */
const PARAM_SPECS: { readonly [K in keyof AllenLikeParams]: ParamSpec } = {
  seed: { kind: "integer", default: 0, min: 0, max: 4294967295, unit: "-", meaning: "random seed; same params give bit-identical arrays", realistic: "any 32-bit unsigned integer", source: "-" },
  movie_seed: { kind: "integer", default: -1, min: -1, max: 4294967295, unit: "-", meaning: "seed of the movie and its frame features (−1: the recording's seed); recordings with one movie_seed and different seeds are different mice watching one movie", realistic: "one movie for every mouse, as Natural Movie 1", source: ALLEN },
  modality: { kind: "enum", default: "calcium", values: ["calcium", "neuropixels"], unit: "-", meaning: "calcium: 30 Hz dF/F, one sample per frame; neuropixels: spike counts in 120 Hz bins (4 per frame)", realistic: "calcium or neuropixels", source: "CEBRA Allen datasets (cebra-algorithm.md §5.2)" },

  n_frames: { kind: "integer", default: 900, min: 10, max: 10000, unit: "frames", meaning: "movie length (frames at 30 Hz)", realistic: "900 (30 s)", source: ALLEN },
  n_repeats: { kind: "integer", default: 10, min: 1, max: 100, unit: "repeats", meaning: "back-to-back presentations of the movie", realistic: "10", source: ALLEN },
  frame_height: { kind: "integer", default: 152, min: 16, max: 304, unit: "px", meaning: "movie frame height (the frame always spans 85.5° of visual field)", realistic: "304 in the Allen template; default is half resolution for speed", source: ALLEN },
  frame_width: { kind: "integer", default: 304, min: 32, max: 608, unit: "px", meaning: "movie frame width (the frame always spans 120° of visual field)", realistic: "608 in the Allen template; default is half resolution for speed", source: ALLEN },
  spectral_slope: { kind: "number", default: 1.0, min: 0.5, max: 2.0, unit: "-", meaning: "exponent α of the 1/f^α amplitude spectrum of the fBm texture (with dead leaves) that fills every shape of the movie", realistic: "0.8–1.5 (≈1 on average)", source: "Field 1987; van der Schaaf & van Hateren 1996" },
  rms_contrast: { kind: "number", default: 0.35, min: 0.05, max: 0.6, unit: "fraction of mean luminance", meaning: "RMS contrast (SD / mean gray 127) of the movie", realistic: "0.2–0.5 for natural scenes", source: "typical natural-scene RMS contrast (e.g. Frazor & Geisler 2006); value assumed within that range" },
  optical_blur_deg: { kind: "number", default: 0.6, min: 0, max: 5, unit: "deg", meaning: "Gaussian blur σ of the scene (lens / film resolution)", realistic: "≈0.2–1 (1–5 template px)", source: ASSUMED },
  pan_speed_deg_s: { kind: "number", default: 15, min: 1, max: 100, unit: "deg/s", meaning: "camera pan speed of the landscape shot; the other shots pan, track or tilt at fixed fractions of it (street 0.6, meadow 0.8, sky 0.3, sea 0.5)", realistic: "5–30 (slow tracking shot)", source: ASSUMED },
  n_occluders: { kind: "integer", default: 6, min: 0, max: 50, unit: "objects", meaning: "extra birds crossing the view (each in one outdoor shot), besides every shot's own moving figures", realistic: "a few", source: ASSUMED },
  n_scenes: { kind: "integer", default: 6, min: 1, max: 6, unit: "shots", meaning: "shots separated by hard cuts, in the order hills, street, room, meadow, sky, sea (the first n)", realistic: "1 for Natural Movie 1 (one continuous shot); feature films cut every ≈4–10 s", source: `${ASSUMED}; shot lengths: Cutting et al. 2011` },
  n_cells: { kind: "integer", default: 300, min: 1, max: 5000, unit: "cells", meaning: "simulated V1 neurons (columns of neural)", realistic: "100–500 per 2P plane (Allen VISp sessions used by CEBRA: 337–475)", source: "cebra-algorithm.md §5.2" },
  fraction_simple: { kind: "number", default: 0.5, min: 0, max: 1, unit: "fraction", meaning: "fraction of simple (half-rectified linear) cells; the rest are complex (energy) cells", realistic: "≈0.5", source: S9 },
  fraction_reliable: { kind: "number", default: 0.35, min: 0, max: 1, unit: "fraction", meaning: "cells with reliable natural-movie responses", realistic: "0.30–0.40", source: `${S9} (de Vries et al. 2020)` },
  fraction_weak: { kind: "number", default: 0.25, min: 0, max: 1, unit: "fraction", meaning: "weakly responsive cells; the remaining cells are non-responsive (spontaneous activity only)", realistic: "0.20–0.30 (non-responsive 0.30–0.40)", source: `${S9} (de Vries et al. 2020)` },
  weak_drive: { kind: "number", default: 0.3, min: 0, max: 1, unit: "fraction", meaning: "share of a weak cell's driven rate that is stimulus-locked (the rest is unlocked spontaneous activity)", realistic: "0.2–0.5", source: ASSUMED },
  rf_center_sd_deg: { kind: "number", default: 15, min: 1, max: 60, unit: "deg", meaning: "SD of RF centres around the screen centre (Gaussian, truncated at ±2 SD: the central 60° by default)", realistic: "centres within the central ≈60°", source: S9 },
  rf_sigma_min_deg: { kind: "number", default: 4, min: 0.5, max: 30, unit: "deg", meaning: "smallest Gabor envelope σ (σ drawn uniformly between min and max)", realistic: "4–8", source: S9 },
  rf_sigma_max_deg: { kind: "number", default: 8, min: 0.5, max: 30, unit: "deg", meaning: "largest Gabor envelope σ", realistic: "4–8", source: S9 },
  sf_mode_cpd: { kind: "number", default: 0.04, min: 0.005, max: 0.5, unit: "cycles/deg", meaning: "most common preferred spatial frequency (log-normal, truncated to [sf_min, sf_max])", realistic: "≈0.04", source: `${S9} (Niell & Stryker 2008)` },
  sf_min_cpd: { kind: "number", default: 0.02, min: 0.005, max: 0.5, unit: "cycles/deg", meaning: "lowest preferred spatial frequency", realistic: "0.02", source: S9 },
  sf_max_cpd: { kind: "number", default: 0.16, min: 0.005, max: 0.5, unit: "cycles/deg", meaning: "highest preferred spatial frequency", realistic: "0.16", source: S9 },
  sf_sd_octaves: { kind: "number", default: 0.75, min: 0.05, max: 3, unit: "octaves", meaning: "SD of log2 preferred spatial frequency before truncation", realistic: "≈0.5–1 (3-octave range covers ±2 SD)", source: `${S9}; SD chosen so [sf_min, sf_max] spans ≈±2 SD` },
  temporal_peak_ms: { kind: "number", default: 65, min: 10, max: 300, unit: "ms", meaning: "peak time of the positive lobe of the biphasic temporal kernel", realistic: "50–80", source: S9 },
  temporal_trough_ms: { kind: "number", default: 160, min: 20, max: 600, unit: "ms", meaning: "peak time of the negative lobe of the temporal kernel", realistic: "120–200", source: S9 },
  temporal_undershoot: { kind: "number", default: 0.7, min: 0, max: 1, unit: "fraction", meaning: "area of the negative lobe relative to the positive lobe (0 monophasic, 1 fully transient)", realistic: "0.5–0.9 (biphasic)", source: ASSUMED },

  nonlinearity_exponent: { kind: "number", default: 2, min: 1, max: 4, unit: "-", meaning: "n in r = r0 + g·[u − θ]₊ⁿ", realistic: "≈2", source: S9 },
  baseline_rate_min_hz: { kind: "number", default: 0.5, min: 0, max: 50, unit: "Hz", meaning: "spontaneous rate r0: lower end of the range (log-normal across cells, range = ±2 SD)", realistic: "0.5–2", source: S9 },
  baseline_rate_max_hz: { kind: "number", default: 2, min: 0, max: 50, unit: "Hz", meaning: "spontaneous rate r0: upper end of the range", realistic: "0.5–2", source: S9 },
  mean_rate_min_hz: { kind: "number", default: 2, min: 0.01, max: 100, unit: "Hz", meaning: "mean rate during the movie: lower end (log-normal across cells, range = ±2 SD)", realistic: "2–5", source: S9 },
  mean_rate_max_hz: { kind: "number", default: 5, min: 0.01, max: 100, unit: "Hz", meaning: "mean rate during the movie: upper end", realistic: "2–5", source: S9 },
  peak_rate_min_hz: { kind: "number", default: 10, min: 0.1, max: 500, unit: "Hz", meaning: "driven peak rate over the movie: lower end (log-normal across cells, range = ±2 SD)", realistic: "10–40", source: S9 },
  peak_rate_max_hz: { kind: "number", default: 40, min: 0.1, max: 500, unit: "Hz", meaning: "driven peak rate: upper end", realistic: "10–40", source: S9 },
  arousal_min: { kind: "number", default: 0.7, min: 0.05, max: 5, unit: "× gain", meaning: "shared (all cells) gain of a repeat, drawn log-uniformly in [arousal_min, arousal_max] per repeat (slow arousal state; running bouts are separate: running_*)", realistic: "0.7–1.5", source: S9 },
  arousal_max: { kind: "number", default: 1.5, min: 0.05, max: 5, unit: "× gain", meaning: "upper end of the per-repeat shared gain", realistic: "0.7–1.5", source: S9 },
  drift_sd: { kind: "number", default: 0.2, min: 0, max: 2, unit: "log gain", meaning: "SD of each cell's slowly drifting log gain (AR(1) across repeats), so repeats differ cell by cell", realistic: "small within a session", source: `${ASSUMED} (qualitatively Deitch et al. 2021)` },
  drift_tau_s: { kind: "number", default: 300, min: 1, max: 100000, unit: "s", meaning: "time constant of the per-cell gain drift", realistic: "minutes", source: ASSUMED },
  gain_noise_sd: { kind: "number", default: 0.35, min: 0, max: 2, unit: "log gain", meaning: "SD of each cell's private fast multiplicative gain fluctuation (super-Poisson variability)", realistic: "0.2–0.5", source: "order of magnitude of modulated-Poisson gain fluctuations in V1 (Goris et al. 2014); exact value assumed (midpoint)" },
  gain_noise_tau_s: { kind: "number", default: 1, min: 0.034, max: 100, unit: "s", meaning: "time constant of the private gain fluctuation", realistic: "≈1 (trial scale)", source: ASSUMED },
  shared_gain_sd: { kind: "number", default: 0.2, min: 0, max: 2, unit: "log gain", meaning: "SD of a population-shared fast multiplicative gain (one Ornstein-Uhlenbeck log gain for all cells), the main source of noise correlations", realistic: "0.1–0.3", source: "shared multiplicative gain fluctuations explain most shared variability in V1 (Goris et al. 2014 Nat Neurosci; Lin et al. 2015 Neuron); value assumed, checked against the noise correlations it produces (docs/BUILTIN.md)" },
  shared_gain_tau_s: { kind: "number", default: 1, min: 0.034, max: 100, unit: "s", meaning: "time constant of the shared gain fluctuation", realistic: "≈0.1–1 s", source: ASSUMED },
  running_fraction: { kind: "number", default: 0.3, min: 0, max: 1, unit: "fraction", meaning: "fraction of the session the mouse runs (two-state Markov chain at 30 Hz, not locked to the movie)", realistic: "0–0.6 (varies widely between mice and sessions)", source: ASSUMED },
  running_bout_s: { kind: "number", default: 10, min: 0.1, max: 1000, unit: "s", meaning: "mean duration of a running bout", realistic: "seconds to tens of seconds", source: ASSUMED },
  running_gain: { kind: "number", default: 2, min: 0.1, max: 10, unit: "× driven rate", meaning: "gain on the driven (above-spontaneous) rate while running; spontaneous r0 unchanged; normalised so the session mean rate keeps its target", realistic: "≈2 (\"more than a doubling of visually evoked firing rate\", spontaneous unchanged)", source: "Niell & Stryker 2010 Neuron 65:472" },

  indicator_amplitude: { kind: "number", default: 0.15, min: 0.01, max: 2, unit: "dF/F per spike", meaning: "calcium transient amplitude per action potential (GCaMP6f)", realistic: "0.10–0.20", source: `${S9} (Chen et al. 2013)` },
  tau_rise_ms: { kind: "number", default: 35, min: 1, max: 500, unit: "ms", meaning: "rise time constant τr of A·(1 − e^(−t/τr))·e^(−t/τd)", realistic: "20–50", source: `${S9} (Chen et al. 2013)` },
  tau_decay_ms: { kind: "number", default: 200, min: 10, max: 5000, unit: "ms", meaning: "decay time constant τd", realistic: "150–250", source: `${S9} (Chen et al. 2013)` },
  saturation_dff: { kind: "number", default: 0, min: 0, max: 100, unit: "dF/F", meaning: "soft saturation level (Hill-like, n = 2.5) of the indicator; 0 = linear", realistic: "off (GCaMP6f is near-linear for a few spikes) or ≈2–10", source: `${S9} ("optional saturation")` },
  noise_sd_min: { kind: "number", default: 0.02, min: 0, max: 1, unit: "dF/F", meaning: "white imaging noise per frame: lower end (log-normal across cells, range = ±2 SD)", realistic: "0.02–0.08", source: S9 },
  noise_sd_max: { kind: "number", default: 0.08, min: 0, max: 1, unit: "dF/F", meaning: "white imaging noise: upper end", realistic: "0.02–0.08", source: S9 },
  neuropil_residual_sd: { kind: "number", default: 0.1, min: 0, max: 1, unit: "-", meaning: "SD across cells of the residual neuropil coefficient left after subtraction (times the population-mean calcium trace)", realistic: "≈0.1 (r ≈ 0.7 is subtracted; per-cell error)", source: `${S9}; residual size is an assumption` },
  baseline_drift_sd: { kind: "number", default: 0.015, min: 0, max: 1, unit: "dF/F", meaning: "stationary SD of each cell's AR(1) baseline drift", realistic: "0.01–0.02", source: S9 },
  baseline_drift_tau_s: { kind: "number", default: 20, min: 0.1, max: 1000, unit: "s", meaning: "time constant of the baseline drift", realistic: "10–30", source: S9 },

  feature_dim: { kind: "integer", default: 16, min: 1, max: 128, unit: "dims", meaning: "dimension of frame_features (PCA of a Gabor-energy filter bank computed from the frames only)", realistic: "8–128 (CEBRA: output dimension barely matters above 8)", source: "cebra-algorithm.md §5.4" },
};

/** The defaults, taken from `PARAM_SPECS`. */
export const ALLEN_LIKE_DEFAULTS: Readonly<AllenLikeParams> = Object.freeze(
  Object.fromEntries(Object.entries(PARAM_SPECS).map(([k, s]) => [k, s.default])) as unknown as AllenLikeParams,
);

/** Parameter → "meaning; unit; default; realistic range; source", one line each. */
export function describeAllenLikeParams(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, s] of Object.entries(PARAM_SPECS) as [string, ParamSpec][]) {
    const allowed = s.kind === "enum" ? `one of ${s.values.join(", ")}` : `allowed ${s.min}–${s.max}${s.kind === "integer" ? " (integer)" : ""}`;
    out[name] = `${s.meaning}; unit ${s.unit}; default ${s.default}; realistic ${s.realistic}; ${allowed}; source: ${s.source}`;
  }
  return out;
}

function paramError(name: string, problem: string, fix: string): UserError {
  return new UserError(`builtin:allen-like parameter ${name} ${problem}`, fix);
}

function checkOne(name: string, s: ParamSpec, v: unknown): void {
  if (s.kind === "enum") {
    if (typeof v !== "string" || !s.values.includes(v)) {
      throw paramError(name, `= ${JSON.stringify(v)} is not allowed (one of ${s.values.join(", ")}).`, `Set ${name} to one of ${s.values.join(", ")}, or omit it for the default "${s.default}".`);
    }
    return;
  }
  const range = `${s.min}–${s.max}`;
  const fix = `Set ${name} to a${s.kind === "integer" ? "n integer" : " number"} in ${range} (realistic ${s.realistic}), or omit it for the default ${s.default}.`;
  if (typeof v !== "number" || !Number.isFinite(v)) throw paramError(name, `= ${JSON.stringify(v)} is not a finite number.`, fix);
  if (s.kind === "integer" && !Number.isInteger(v)) throw paramError(name, `= ${v} is not an integer.`, fix);
  if (v < s.min || v > s.max) throw paramError(name, `= ${v} is out of range (allowed ${range}).`, fix);
}

/** Largest `neural` array (values) and movie (bytes) we agree to generate: 512 MiB and 256 MiB. */
const MAX_NEURAL_VALUES = 2 ** 27;
const MAX_MOVIE_BYTES = 2 ** 28;

/** Pairs that must satisfy `low <= high` (or `<` when strict). */
const ORDERED_PAIRS: ReadonlyArray<[keyof AllenLikeParams, keyof AllenLikeParams, boolean]> = [
  ["rf_sigma_min_deg", "rf_sigma_max_deg", false],
  ["sf_min_cpd", "sf_mode_cpd", false],
  ["sf_mode_cpd", "sf_max_cpd", false],
  ["baseline_rate_min_hz", "baseline_rate_max_hz", false],
  ["mean_rate_min_hz", "mean_rate_max_hz", false],
  ["peak_rate_min_hz", "peak_rate_max_hz", false],
  ["arousal_min", "arousal_max", false],
  ["noise_sd_min", "noise_sd_max", false],
  ["temporal_peak_ms", "temporal_trough_ms", true],
  ["baseline_rate_max_hz", "mean_rate_min_hz", false],
  ["mean_rate_max_hz", "peak_rate_min_hz", false],
];

function checkRelations(p: AllenLikeParams): void {
  for (const [lo, hi, strict] of ORDERED_PAIRS) {
    if (strict ? !(p[lo] < p[hi]) : !(p[lo] <= p[hi])) {
      throw paramError(lo, `= ${p[lo]} must be ${strict ? "below" : "at most"} ${hi} = ${p[hi]}.`, `Choose ${lo} ${strict ? "<" : "<="} ${hi}.`);
    }
  }
  if (p.fraction_reliable + p.fraction_weak > 1 + 1e-12) {
    throw paramError("fraction_weak", `(${p.fraction_weak}) plus fraction_reliable (${p.fraction_reliable}) exceeds 1.`, "Make fraction_reliable + fraction_weak <= 1 (the rest are non-responsive cells).");
  }
  const samples = p.n_frames * p.n_repeats * (p.modality === "neuropixels" ? 4 : 1);
  if (samples * p.n_cells > MAX_NEURAL_VALUES) {
    throw paramError("n_cells", `× samples (${p.n_cells} × ${samples}) would need ${Math.round((samples * p.n_cells * 4) / 2 ** 20)} MiB for neural (limit ${MAX_NEURAL_VALUES * 4 / 2 ** 20} MiB).`, "Reduce n_cells, n_repeats or n_frames.");
  }
  if (p.n_frames * p.frame_height * p.frame_width > MAX_MOVIE_BYTES) {
    throw paramError("n_frames", `× frame size (${p.n_frames} × ${p.frame_height} × ${p.frame_width}) exceeds the ${MAX_MOVIE_BYTES / 2 ** 20} MiB movie limit.`, "Reduce n_frames, frame_height or frame_width.");
  }
  if (p.feature_dim > p.n_frames - 1) {
    throw paramError("feature_dim", `= ${p.feature_dim} needs at least ${p.feature_dim + 1} frames but n_frames = ${p.n_frames}.`, `Use feature_dim <= n_frames - 1 = ${p.n_frames - 1}, or more frames.`);
  }
}

/**
 * Merges `params` over the defaults and validates every value (type, integer-ness, bounds) and the
 * relations between them. Unknown names are refused so that typos do not silently fall back to defaults.
 * The default `feature_dim` is lowered to `n_frames − 1` for movies shorter than 17 frames.
 */
export function resolveParams(params: Partial<AllenLikeParams> = {}): AllenLikeParams {
  if (params === null || typeof params !== "object" || Array.isArray(params)) {
    throw new UserError("builtin:allen-like parameters must be an object of name → value.", `Pass e.g. { n_cells: 300, seed: 1 }; valid names: ${Object.keys(PARAM_SPECS).join(", ")}.`);
  }
  for (const name of Object.keys(params)) {
    if (!(name in PARAM_SPECS)) {
      throw new UserError(`builtin:allen-like has no parameter "${name}".`, `Use one of: ${Object.keys(PARAM_SPECS).join(", ")}.`);
    }
  }
  const merged: Record<string, unknown> = { ...ALLEN_LIKE_DEFAULTS };
  for (const [k, v] of Object.entries(params)) if (v !== undefined) merged[k] = v;
  for (const [name, spec] of Object.entries(PARAM_SPECS) as [string, ParamSpec][]) checkOne(name, spec, merged[name]);
  const p = merged as unknown as AllenLikeParams;
  // A very short movie cannot support the default feature dimension; only an explicit request is an error.
  if (params.feature_dim === undefined) p.feature_dim = Math.min(p.feature_dim, p.n_frames - 1);
  checkRelations(p);
  return p;
}

/** JSON with object keys sorted at every level: the canonical form hashed into provenance.sha256. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The seed the movie and its frame features are drawn from: `movie_seed`, or the recording's `seed` when −1. */
export function movieSeed(p: Pick<AllenLikeParams, "seed" | "movie_seed">): number {
  return p.movie_seed >= 0 ? p.movie_seed : p.seed;
}
