/**
 * Checks every loaded Recording must pass (non-empty, consistent lengths, frame indices inside the
 * movie/features), the NaN/Inf policy (count, refuse or repair, record in provenance), and warnings for
 * degenerate data (constant units, all-zero data, constant labels) that loads but cannot train.
 */
import { ARCHITECTURES } from "../../models/index.js";
import { UserError } from "../util/errors.js";
import type { NanPolicy } from "./options.js";
import { takeUnits, withStep } from "./preprocess.js";
import type { Recording } from "./recording.js";

/** Name of the recording for messages. */
function nameOf(rec: Recording): string {
  return rec.provenance.source || rec.provenance.format || "the recording";
}

/**
 * Structural checks; throws a UserError naming the recording and the offending label.
 * Non-monotonic timestamps only add a warning.
 */
export function validateRecording(rec: Recording): void {
  const name = nameOf(rec);
  const T = rec.n_samples;
  const N = rec.n_neurons;
  if (T === 0 || N === 0) throw new UserError(`${name} is empty (${T} samples × ${N} units).`, "Load a file with at least one sample and one unit (check the keys, time range and filters).");
  if (T < MIN_SAMPLES) {
    throw new UserError(
      `${name} has ${T} sample${T === 1 ? "" : "s"} (× ${N} units): too few to analyse (contrastive training needs pairs of samples, decoding a training and a test part; the models' receptive fields span ${receptiveFieldRange()} samples).`,
      "Load a longer recording (check time_range, repeats and restrict_to_stimulus), or the whole session.",
    );
  }
  if (rec.neural.length !== T * N) throw new UserError(`${name}: neural has ${rec.neural.length} values, expected ${T} × ${N}.`, "Check the shape of the neural array.");
  if (!(rec.sampling_rate_hz > 0 && Number.isFinite(rec.sampling_rate_hz))) {
    throw new UserError(`${name}: the sampling rate is not a positive finite number.`, "Pass sampling_rate_hz.");
  }
  const sameLength = (what: string, n: number | undefined, expected = T) => {
    if (n !== undefined && n !== expected) {
      throw new UserError(`${name}: ${what} has ${n} entries but neural has ${expected === T ? `${T} samples` : `${expected} entries expected`}.`, `Make ${what} one entry per sample (row of neural), or check neural_layout / keys.`);
    }
  };
  sameLength("timestamps", rec.timestamps.length);
  sameLength("frame", rec.frame?.length);
  sameLength("repeat", rec.repeat?.length);
  sameLength("discrete", rec.discrete?.data.length);
  sameLength("continuous", rec.continuous ? rec.continuous.data.length / rec.continuous.dim : undefined);
  if (rec.unit_ids.length !== N) throw new UserError(`${name}: ${rec.unit_ids.length} unit ids for ${N} units.`, "Give one unit id per column of neural.");
  for (const [key, col] of Object.entries(rec.unit_metadata)) {
    if (col.length !== N) throw new UserError(`${name}: unit metadata '${key}' has ${col.length} entries for ${N} units.`, "Give one value per unit.");
  }
  checkMovie(rec, name);
  checkFrames(rec, name);
  checkMovieSize(rec, name);
  if (rec.repeat && rec.repeat.some((r) => r < -1)) throw new UserError(`${name}: repeat labels must be ≥ -1 (-1 = outside any repeat).`, "Fix the repeat labels.");
  if (!isNonDecreasing(rec.timestamps)) rec.warnings.push(`${name}: timestamps are not in increasing order.`);
}

/** Fewest samples a recording may have: below it nothing can be trained or decoded. */
export const MIN_SAMPLES = 2;

/** "1–40": the shortest and longest receptive field of the models. */
function receptiveFieldRange(): string {
  const rf = ARCHITECTURES.map((a) => a.offset[0] + a.offset[1]);
  return `${Math.min(...rf)}–${Math.max(...rf)}`;
}

/** A movie of one frame or one pixel cannot be decoded or rendered. */
function checkMovieSize(rec: Recording, name: string): void {
  const m = rec.movie;
  if (m && (m.n_frames < 2 || m.height * m.width < 2)) {
    throw new UserError(
      `${name}: the movie (${m.source}) has ${m.n_frames} frame${m.n_frames === 1 ? "" : "s"} of ${m.height}×${m.width} pixels, which cannot be decoded or rendered (at least 2 frames of 2 pixels are needed).`,
      "Pass the real movie with the movie option (a .npy [F,H,W] uint8, an .npz, an NWB file or a frame folder), or movie: false.",
    );
  }
}

function checkMovie(rec: Recording, name: string): void {
  const m = rec.movie;
  if (m && m.frames.length !== m.n_frames * m.height * m.width) {
    throw new UserError(`${name}: movie has ${m.frames.length} bytes, expected ${m.n_frames}×${m.height}×${m.width}.`, "Check the movie array shape.");
  }
  const ff = rec.frame_features;
  if (ff && m && ff.data.length / ff.dim !== m.n_frames) {
    throw new UserError(`${name}: frame_features has ${ff.data.length / ff.dim} rows but the movie has ${m.n_frames} frames.`, "Give one feature row per movie frame.");
  }
  if (ff && !ff.data.every(Number.isFinite)) throw new UserError(`${name}: frame_features contains NaN/Inf.`, "Fix the frame features before loading.");
}

function checkFrames(rec: Recording, name: string): void {
  if (rec.repeat && !rec.frame && rec.repeat.length > 0 && rec.repeat.every((r) => r === -1)) {
    throw new UserError(`${name}: the repeat labels cover no sample (every sample is outside any repeat).`, "Check the intervals the labels come from against the recording's time range.");
  }
  if (!rec.frame) return;
  if (rec.frame.length > 0 && rec.frame.every((f) => f === -1)) {
    throw new UserError(
      `${name}: the movie-frame labels cover no sample (no sample was recorded while a frame was on screen).`,
      "Check that the stimulus (option stimulus) was shown during this recording and its time range, or load the other labels without frames.",
    );
  }
  const limits: [number, string][] = [];
  if (rec.movie) limits.push([rec.movie.n_frames, `the movie has ${rec.movie.n_frames} frames`]);
  if (rec.frame_features) limits.push([rec.frame_features.data.length / rec.frame_features.dim, "frame_features has that many rows"]);
  for (let t = 0; t < rec.frame.length; t++) {
    const f = rec.frame[t];
    if (f < -1) throw new UserError(`${name}: a frame label below -1 at sample ${t} (only -1 = no frame is allowed).`, "Fix the frame labels.");
    for (const [limit, why] of limits) {
      if (f >= limit) throw new UserError(`${name}: frame index out of range at sample ${t} (${why}; valid 0..${limit - 1}).`, "Check that the movie matches the recording (option movie) and the frame labels.");
    }
  }
}

function isNonDecreasing(x: Float64Array): boolean {
  for (let i = 1; i < x.length; i++) if (x[i] < x[i - 1]) return false;
  return true;
}

/** Non-finite values of a [rows, cols] array: total count and the affected columns. */
export function countNonFinite(data: Float32Array, cols: number): { values: number; columns: number[] } {
  const bad = new Uint32Array(cols);
  let values = 0;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      bad[i % cols]++;
      values++;
    }
  }
  const columns: number[] = [];
  bad.forEach((c, j) => c && columns.push(j));
  return { values, columns };
}

/**
 * Apply the NaN/Inf policy to neural data and continuous labels. Returns `rec` unchanged when all
 * values are finite; otherwise a new Recording with a "nan_policy" step, or a UserError for "error".
 */
export function applyNanPolicy(rec: Recording, policy: NanPolicy = "error"): Recording {
  const name = nameOf(rec);
  const neural = countNonFinite(rec.neural, rec.n_neurons);
  const cont = rec.continuous ? countNonFinite(rec.continuous.data, rec.continuous.dim) : { values: 0, columns: [] };
  if (neural.values === 0 && cont.values === 0) return rec;
  const summary = `neural has ${neural.values} NaN/Inf values in ${neural.columns.length} of ${rec.n_neurons} units` +
    (neural.columns.length ? ` (e.g. units ${neural.columns.slice(0, 5).map((j) => rec.unit_ids[j]).join(", ")})` : "") +
    (cont.values ? `; continuous labels have ${cont.values}` : "");
  if (policy === "error") {
    throw new UserError(`${name}: ${summary}.`, 'Pass nan_policy: "zero", "interpolate" or "drop_units" to repair them, or clean the file.');
  }
  if (policy === "drop_units" && cont.values) {
    throw new UserError(`${name}: continuous labels have ${cont.values} NaN/Inf values, which drop_units cannot repair.`, 'Use nan_policy: "zero" or "interpolate".');
  }
  const step = { op: "nan_policy", params: { policy, neural_values: neural.values, units_affected: neural.columns.length, continuous_values: cont.values } };
  const note = `${summary}; applied nan_policy "${policy}".`;
  if (policy === "drop_units") {
    const bad = new Set(neural.columns);
    const keep = Array.from({ length: rec.n_neurons }, (_, j) => j).filter((j) => !bad.has(j));
    if (keep.length === 0) throw new UserError(`${name}: every unit has NaN/Inf values; drop_units would leave none.`, 'Use nan_policy: "interpolate" or "zero".');
    const out = takeUnits(rec, keep, step);
    return { ...out, warnings: [...out.warnings, note] };
  }
  const repair = policy === "zero" ? zeroNonFinite : interpolateNonFinite;
  const out: Recording = { ...rec, neural: repair(rec.neural, rec.n_neurons) };
  if (rec.continuous && cont.values) out.continuous = { ...rec.continuous, data: repair(rec.continuous.data, rec.continuous.dim) };
  return withStep(out, step, [note]);
}

/** Copy with NaN/Inf replaced by 0. */
function zeroNonFinite(data: Float32Array): Float32Array {
  return data.map((v) => (Number.isFinite(v) ? v : 0));
}

/**
 * Copy of a [rows, cols] array with NaN/Inf replaced per column by linear interpolation between the
 * nearest finite values in time; leading/trailing gaps copy the nearest finite value; a column with
 * no finite value becomes 0.
 */
export function interpolateNonFinite(data: Float32Array, cols: number): Float32Array {
  const out = data.slice();
  const rows = data.length / cols;
  for (let c = 0; c < cols; c++) {
    let prev = -1; // last finite row
    for (let r = 0; r <= rows; r++) {
      const finite = r < rows && Number.isFinite(out[r * cols + c]);
      if (r < rows && !finite) continue;
      // fill the gap (prev, r)
      for (let g = prev + 1; g < r; g++) {
        const a = prev >= 0 ? out[prev * cols + c] : undefined;
        const b = r < rows ? out[r * cols + c] : undefined;
        out[g * cols + c] = a !== undefined && b !== undefined ? a + ((b - a) * (g - prev)) / (r - prev) : (a ?? b ?? 0);
      }
      prev = r;
    }
  }
  return out;
}

/** The columns of a [rows, cols] array whose values are all equal (zero variance); NaN counts as a value of its own. */
export function constantColumns(data: Float32Array, cols: number): number[] {
  if (cols === 0 || data.length === 0) return [];
  const same = new Uint8Array(cols).fill(1);
  let left = cols;
  for (let i = cols; i < data.length && left > 0; i += cols) {
    for (let c = 0; c < cols; c++) {
      if (same[c] && !(data[i + c] === data[c] || Object.is(data[i + c], data[c]))) {
        same[c] = 0;
        left--;
      }
    }
  }
  const out: number[] = [];
  same.forEach((s, c) => s && out.push(c));
  return out;
}

/** Words of the load warning for data without any neural signal (views test for it to change their next step). */
export const NO_SIGNAL = "there is no neural signal";

/** True when every value is 0. */
function allZero(data: Float32Array): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) return false;
  return true;
}

/** "a, b, c" for the first `n` names, "a, b, c …" when there are more. */
export function firstFew(names: string[], n = 5): string {
  return names.slice(0, n).join(", ") + (names.length > n ? " …" : "");
}

/**
 * Warnings for data that loads but cannot train well: every unit constant or all zeros (no neural
 * signal: training refuses it), some units constant, fewer samples than some models' receptive field,
 * a discrete label with a single value, constant continuous label columns. A load succeeds with these, so the user can inspect the file.
 */
export function degenerateWarnings(rec: Recording): string[] {
  const name = nameOf(rec);
  const N = rec.n_neurons;
  const T = rec.n_samples;
  if (T === 0 || N === 0) return [];
  const out: string[] = [];
  const constant = constantColumns(rec.neural, N);
  const ids = (cols: number[]) => firstFew(cols.map((j) => rec.unit_ids[j] ?? String(j)));
  if (constant.length === N && T > 1) {
    const what = allZero(rec.neural) ? `every value of neural is 0 (${T} samples × ${N} units)` : `all ${N} units are constant over time (zero variance)`;
    out.push(`${name}: ${what}, so ${NO_SIGNAL}; training on it will be refused. Check that the right array was read (keys, neural_layout), and the nan_policy, time_range and select_units used.`);
  } else if (constant.length > 0 && T > 1) {
    out.push(`${name}: ${constant.length} of ${N} units are constant over time (zero variance; units ${ids(constant)}); they carry no information for an embedding.`);
  }
  const tooShort = ARCHITECTURES.map((a) => ({ name: a.name, rf: a.offset[0] + a.offset[1] })).filter((a) => a.rf > T);
  if (tooShort.length) {
    out.push(`${name}: only ${T} samples, fewer than the receptive field of ${firstFew(tooShort.map((a) => `${a.name} (${a.rf})`), 8)}, so ${tooShort.length > 1 ? "these models" : "this model"} cannot train on it; use a model with a shorter receptive field or more data.`);
  }
  if (rec.discrete && T > 1 && constantColumns(Float32Array.from(rec.discrete.data), 1).length === 1) {
    out.push(`${name}: discrete label '${rec.discrete.name}' has the same value (${rec.discrete.data[0]}) at every sample; behaviour-contrastive training on it cannot learn anything (use mode "time" or other labels).`);
  }
  if (rec.continuous && T > 1) {
    const c = constantColumns(rec.continuous.data, rec.continuous.dim);
    const cols = c.map((j) => rec.continuous!.columns[j] ?? String(j));
    if (c.length === rec.continuous.dim) out.push(`${name}: every continuous label column (${firstFew(cols)}) is constant; behaviour-contrastive training on them cannot learn anything (use mode "time" or other labels).`);
    else if (c.length) out.push(`${name}: continuous label column${c.length > 1 ? "s" : ""} ${firstFew(cols)} ${c.length > 1 ? "are" : "is"} constant and cannot shape behaviour-contrastive training.`);
  }
  return out;
}

/** `rec` with its degenerate-data warnings (degenerateWarnings) appended. */
export function withDegenerateWarnings(rec: Recording): Recording {
  const warnings = degenerateWarnings(rec);
  return warnings.length ? { ...rec, warnings: [...rec.warnings, ...warnings] } : rec;
}
