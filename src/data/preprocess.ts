/**
 * Preprocessing of a Recording: z-scoring, unit selection, time and repeat selection. Each function
 * returns a NEW Recording (inputs are not modified) with a step appended to provenance.preprocessing.
 */
import { UserError } from "../util/errors.js";
import { Rng } from "../util/rng.js";
import { gatherRows } from "./arrays.js";
import { repeatsOf, type PreprocessingStep, type Recording } from "./recording.js";

/** Copy of `rec` with `step` appended to its provenance (and optional extra warnings). */
export function withStep(rec: Recording, step: PreprocessingStep, warnings: string[] = []): Recording {
  return {
    ...rec,
    provenance: { ...rec.provenance, preprocessing: [...rec.provenance.preprocessing, step] },
    warnings: [...rec.warnings, ...warnings],
  };
}

/** Keep samples `idx` (in that order) of every per-sample array. */
function takeSamples(rec: Recording, idx: ArrayLike<number>, step: PreprocessingStep): Recording {
  const out: Recording = {
    ...rec,
    neural: gatherRows(rec.neural, rec.n_neurons, idx),
    n_samples: idx.length,
    timestamps: gatherRows(rec.timestamps, 1, idx),
  };
  if (rec.frame) out.frame = gatherRows(rec.frame, 1, idx);
  if (rec.repeat) out.repeat = gatherRows(rec.repeat, 1, idx);
  if (rec.continuous) out.continuous = { ...rec.continuous, data: gatherRows(rec.continuous.data, rec.continuous.dim, idx) };
  if (rec.discrete) out.discrete = { ...rec.discrete, data: gatherRows(rec.discrete.data, 1, idx) };
  return withStep(out, step);
}

/** Keep units (columns) `idx` in that order; repeated units get ids suffixed "#2", "#3", ... */
export function takeUnits(rec: Recording, idx: ArrayLike<number>, step: PreprocessingStep): Recording {
  const T = rec.n_samples;
  const N = rec.n_neurons;
  const K = idx.length;
  const neural = new Float32Array(T * K);
  for (let t = 0; t < T; t++) {
    const src = t * N;
    const dst = t * K;
    for (let j = 0; j < K; j++) neural[dst + j] = rec.neural[src + idx[j]];
  }
  const seen = new Map<number, number>();
  const unit_ids = Array.from(idx, (i) => {
    const k = (seen.get(i) ?? 0) + 1;
    seen.set(i, k);
    return k === 1 ? rec.unit_ids[i] : `${rec.unit_ids[i]}#${k}`;
  });
  const unit_metadata: Recording["unit_metadata"] = {};
  for (const [key, col] of Object.entries(rec.unit_metadata)) unit_metadata[key] = Array.from(idx, (i) => col[i]);
  return withStep({ ...rec, neural, n_neurons: K, unit_ids, unit_metadata }, step);
}

/** Z-score every unit over time (population std, ddof = 0). Constant units become 0 (with a warning). */
export function zscore(rec: Recording): Recording {
  const T = rec.n_samples;
  const N = rec.n_neurons;
  const mean = new Float64Array(N);
  const sq = new Float64Array(N);
  for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) mean[n] += rec.neural[t * N + n];
  for (let n = 0; n < N; n++) mean[n] /= T;
  for (let t = 0; t < T; t++) {
    for (let n = 0; n < N; n++) {
      const d = rec.neural[t * N + n] - mean[n];
      sq[n] += d * d;
    }
  }
  const scale = Float64Array.from(sq, (s) => {
    const sd = Math.sqrt(s / T);
    return sd > 0 ? 1 / sd : 0;
  });
  const neural = new Float32Array(T * N);
  for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) neural[t * N + n] = (rec.neural[t * N + n] - mean[n]) * scale[n];
  const constant = scale.filter((s) => s === 0).length;
  const warnings = constant ? [`zscore: ${constant} unit(s) are constant over time and were set to 0.`] : [];
  return withStep({ ...rec, neural, signal: "zscored" }, { op: "zscore", params: { ddof: 0, constant_units: constant, from_signal: rec.signal } }, warnings);
}

/**
 * Pick `count` units with a seeded RNG: without replacement (random order) or, with `replace`, with
 * replacement as CEBRA's pseudo-mice (numpy's Generator draws different indices for the same seed).
 */
export function selectUnits(rec: Recording, o: { count: number; seed?: number; replace?: boolean }): Recording {
  const N = rec.n_neurons;
  const seed = o.seed ?? 0;
  const replace = o.replace ?? false;
  if (!Number.isInteger(o.count) || o.count < 1) throw new UserError(`select_units.count must be a positive integer, got ${o.count}.`, "Pass e.g. select_units: { count: 100 }.");
  if (!replace && o.count > N) {
    throw new UserError(`select_units asks for ${o.count} units without replacement but the recording has ${N}.`, `Ask for at most ${N} units, or pass replace: true.`);
  }
  const rng = new Rng(seed);
  let idx: number[];
  if (replace) idx = Array.from({ length: o.count }, () => rng.int(N));
  else {
    const all = Array.from({ length: N }, (_, i) => i);
    for (let i = 0; i < o.count; i++) {
      const j = i + rng.int(N - i);
      [all[i], all[j]] = [all[j], all[i]];
    }
    idx = all.slice(0, o.count);
  }
  return takeUnits(rec, idx, { op: "select_units", params: { count: o.count, seed, replace, of_units: N, indices: idx } });
}

/** Keep samples with timestamps in [start, end) seconds (either bound optional). */
export function sliceTime(rec: Recording, o: { start?: number; end?: number }): Recording {
  const start = o.start ?? -Infinity;
  const end = o.end ?? Infinity;
  const idx: number[] = [];
  for (let t = 0; t < rec.n_samples; t++) if (rec.timestamps[t] >= start && rec.timestamps[t] < end) idx.push(t);
  if (idx.length === 0) {
    const first = rec.timestamps[0];
    const last = rec.timestamps[rec.n_samples - 1];
    throw new UserError(`time_range [${o.start ?? "-∞"}, ${o.end ?? "∞"}) s selects no sample (recording spans ${first}–${last} s).`, "Choose a time range inside the recording.");
  }
  return takeSamples(rec, idx, { op: "time_range", params: { start: o.start ?? null, end: o.end ?? null, kept_samples: idx.length, of_samples: rec.n_samples } });
}

/** Keep samples whose repeat index is in `repeats` (labels unchanged). */
export function selectRepeats(rec: Recording, repeats: number[]): Recording {
  if (!rec.repeat) throw new UserError("This recording has no repeat labels, so repeats cannot be selected.", "Drop the repeats option, or load a file with repeat labels.");
  const wanted = new Set(repeats);
  const idx: number[] = [];
  for (let t = 0; t < rec.n_samples; t++) if (wanted.has(rec.repeat[t])) idx.push(t);
  if (idx.length === 0) {
    throw new UserError(`Repeats [${repeats.join(", ")}] are not in this recording.`, `Choose among repeats [${repeatsOf(rec).join(", ")}].`);
  }
  return takeSamples(rec, idx, { op: "repeat_range", params: { repeats: [...repeats], kept_samples: idx.length, of_samples: rec.n_samples } });
}
