/**
 * The built-in `builtin:allen-like` recording: determinism, shapes and alignment, value ranges,
 * responsiveness classes, frame distinctness, frame features and parameter validation.
 * Small parameters keep every generation well under a second.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ALLEN_LIKE_DEFAULTS, describeAllenLikeParams, generateAllenLike, type AllenLikeParams } from "../../src/data/builtin/index.js";
import { canonicalJson } from "../../src/data/builtin/params.js";
import type { Recording } from "../../src/data/recording.js";
import { UserError } from "../../src/util/errors.js";
import { pearson } from "../../src/util/stats.js";

const SMALL: Partial<AllenLikeParams> = { n_cells: 60, n_frames: 120, n_repeats: 3, frame_height: 48, frame_width: 96, seed: 7 };

const cache = new Map<string, Recording>();
/** Generates (once per parameter set) a small recording. */
function small(extra: Partial<AllenLikeParams> = {}): Recording {
  const key = canonicalJson(extra);
  let rec = cache.get(key);
  if (!rec) {
    rec = generateAllenLike({ ...SMALL, ...extra });
    cache.set(key, rec);
  }
  return rec;
}

function bytesOf(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}


test("same params give bit-identical arrays; another seed gives different ones", () => {
  const a = generateAllenLike({ ...SMALL });
  const b = generateAllenLike({ ...SMALL });
  assert.ok(bytesOf(a.neural).equals(bytesOf(b.neural)), "neural differs between identical runs");
  assert.ok(bytesOf(a.movie!.frames).equals(bytesOf(b.movie!.frames)), "movie differs between identical runs");
  assert.ok(bytesOf(a.frame_features!.data).equals(bytesOf(b.frame_features!.data)), "features differ between identical runs");
  assert.deepEqual(a.unit_metadata, b.unit_metadata);
  assert.equal(a.provenance.sha256, b.provenance.sha256);

  const c = generateAllenLike({ ...SMALL, seed: 8 });
  assert.ok(!bytesOf(a.neural).equals(bytesOf(c.neural)), "a different seed must change the activity");
  assert.ok(!bytesOf(a.movie!.frames).equals(bytesOf(c.movie!.frames)), "a different seed must change the movie");
  assert.notEqual(a.provenance.sha256, c.provenance.sha256);
});

test("movie_seed: recordings with one movie_seed and different seeds are different mice watching one movie", () => {
  const a = generateAllenLike({ ...SMALL, movie_seed: 7 });
  const same = generateAllenLike({ ...SMALL });
  assert.ok(bytesOf(a.neural).equals(bytesOf(same.neural)), "movie_seed equal to seed must give the default recording");
  assert.ok(bytesOf(a.movie!.frames).equals(bytesOf(same.movie!.frames)));
  const b = generateAllenLike({ ...SMALL, seed: 8, movie_seed: 7 });
  assert.ok(bytesOf(a.movie!.frames).equals(bytesOf(b.movie!.frames)), "one movie_seed must give one movie");
  assert.ok(bytesOf(a.frame_features!.data).equals(bytesOf(b.frame_features!.data)), "one movie_seed must give the same frame features");
  assert.ok(!bytesOf(a.neural).equals(bytesOf(b.neural)), "another seed must still change the cells and their activity");
  assert.throws(() => generateAllenLike({ ...SMALL, movie_seed: -2 }), /movie_seed/);
});

test("calcium recording: shapes, frame/repeat/timestamp alignment, provenance", () => {
  const rec = small();
  const F = 120, R = 3, N = 60, T = F * R;
  assert.equal(rec.n_samples, T);
  assert.equal(rec.n_neurons, N);
  assert.equal(rec.neural.length, T * N);
  assert.equal(rec.sampling_rate_hz, 30);
  assert.equal(rec.modality, "calcium");
  assert.equal(rec.signal, "dff");
  assert.equal(rec.unit_ids.length, N);
  assert.equal(rec.unit_ids[0], "cell_0000");
  assert.equal(rec.unit_ids[59], "cell_0059");
  for (const key of ["cell_type", "responsiveness", "rf_x_deg", "rf_y_deg", "rf_sigma_deg", "sf_cpd", "orientation_deg", "gain"]) {
    assert.equal(rec.unit_metadata[key]?.length, N, `unit_metadata.${key}`);
  }
  for (let t = 0; t < T; t++) {
    assert.equal(rec.frame![t], t % F);
    assert.equal(rec.repeat![t], Math.floor(t / F));
    assert.ok(Math.abs(rec.timestamps[t] - t / 30) < 1e-9);
  }
  const m = rec.movie!;
  assert.deepEqual([m.n_frames, m.height, m.width, m.frame_rate_hz, m.frames.length], [F, 48, 96, 30, F * 48 * 96]);

  const p = rec.provenance;
  assert.equal(p.source, "builtin:allen-like");
  assert.equal(p.format, "builtin");
  assert.deepEqual(p.keys_read, []);
  assert.deepEqual(p.generator, { ...ALLEN_LIKE_DEFAULTS, ...SMALL });
  assert.equal(p.sha256, createHash("sha256").update(canonicalJson(p.generator)).digest("hex"));
  assert.deepEqual(rec.warnings, []);
});

test("neuropixels recording: 120 Hz spike counts, 4 bins per frame", () => {
  const rec = small({ modality: "neuropixels" });
  const F = 120, R = 3, N = 60, T = F * R * 4;
  assert.equal(rec.n_samples, T);
  assert.equal(rec.sampling_rate_hz, 120);
  assert.equal(rec.modality, "spikes");
  assert.equal(rec.signal, "spike_counts");
  for (let t = 0; t < T; t++) {
    assert.equal(rec.frame![t], Math.floor(t / 4) % F);
    assert.equal(rec.repeat![t], Math.floor(t / (4 * F)));
  }
  let total = 0;
  for (const v of rec.neural) {
    assert.ok(Number.isInteger(v) && v >= 0, `spike count ${v}`);
    total += v;
  }
  const meanRateHz = total / N / (T / 120);
  assert.ok(meanRateHz > 1 && meanRateHz < 10, `population mean rate ${meanRateHz} Hz outside the realistic 2–5 Hz (±arousal)`);
});

test("value ranges: plausible dF/F, movie mean ≈ 127", () => {
  const rec = small();
  const sorted = Float32Array.from(rec.neural).sort();
  const at = (q: number) => sorted[Math.floor(q * (sorted.length - 1))];
  assert.ok(sorted.every(Number.isFinite));
  assert.ok(at(0) > -1 && at(1) < 10, `dF/F range [${at(0)}, ${at(1)}]`);
  assert.ok(Math.abs(at(0.5)) < 0.2, `median dF/F ${at(0.5)}`);
  assert.ok(at(0.999) > 0.2, "calcium transients should reach well above the noise");
  let sum = 0;
  for (const v of rec.movie!.frames) sum += v;
  const mean = sum / rec.movie!.frames.length;
  assert.ok(Math.abs(mean - 127) < 6, `movie mean ${mean}`);
});

test("responsiveness classes follow the configured fractions and differ in repeat reliability", () => {
  const N = 120;
  // weak_drive 0.6 (instead of 0.3) keeps the weak class clearly separable with only 4 short repeats.
  const rec = generateAllenLike({ ...SMALL, n_cells: N, n_repeats: 4, fraction_reliable: 0.4, fraction_weak: 0.2, weak_drive: 0.6 });
  const cls = rec.unit_metadata.responsiveness;
  const count = (c: string) => cls.filter((x) => x === c).length;
  assert.equal(count("reliable"), 48);
  assert.equal(count("weak"), 24);
  assert.equal(count("non-responsive"), 48);

  // Correlation between the trial-averaged responses of repeats {0,2} and {1,3}.
  const F = 120;
  const avg = (i: number, reps: number[]) => {
    const out = new Float64Array(F);
    for (const r of reps) for (let f = 0; f < F; f++) out[f] += rec.neural[(r * F + f) * N + i];
    return out;
  };
  const byClass: Record<string, number[]> = {};
  for (let i = 0; i < N; i++) (byClass[String(cls[i])] ??= []).push(pearson(avg(i, [0, 2]), avg(i, [1, 3])));
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const [rel, weak, none] = [mean(byClass.reliable), mean(byClass.weak), mean(byClass["non-responsive"])];
  assert.ok(rel > 0.3, `reliable cells' split-half correlation ${rel}`);
  assert.ok(rel > weak && weak > none, `expected reliable (${rel}) > weak (${weak}) > non-responsive (${none})`);
  assert.ok(Math.abs(none) < 0.1, `non-responsive cells should not follow the movie (${none})`);
});

test("movie: consecutive frames similar, frames ≥ 1 s apart clearly different", () => {
  const m = small().movie!;
  const n = m.height * m.width;
  const mse = (a: number, b: number) => {
    let e = 0;
    for (let i = 0; i < n; i++) e += (m.frames[a * n + i] - m.frames[b * n + i]) ** 2;
    return e / n;
  };
  let minFar = Infinity;
  for (let a = 0; a < m.n_frames; a++) for (let b = a + 30; b < m.n_frames; b++) minFar = Math.min(minFar, mse(a, b));
  let consecutive = 0;
  for (let a = 0; a + 1 < m.n_frames; a++) consecutive += mse(a, a + 1) / (m.n_frames - 1);
  assert.ok(minFar > 300, `frames ≥ 30 apart too similar (min MSE ${minFar})`);
  assert.ok(consecutive < minFar / 2, `consecutive-frame MSE ${consecutive} vs min far MSE ${minFar}`);
});

test("frame features: [F, d], unit rows, computed from the frames only", () => {
  const rec = small();
  const ff = rec.frame_features!;
  assert.equal(ff.dim, 16);
  assert.equal(ff.data.length, 120 * 16);
  assert.equal(ff.columns.length, 16);
  assert.equal(ff.method, "builtin:gabor-energy-pca-v1");
  for (let f = 0; f < 120; f++) {
    let norm = 0;
    for (let d = 0; d < 16; d++) norm += ff.data[f * 16 + d] ** 2;
    assert.ok(Math.abs(norm - 1) < 1e-5, `row ${f} norm² ${norm}`);
  }
  // Same movie, different neurons: identical features.
  const other = small({ n_cells: 20, fraction_reliable: 0.1, rf_sigma_min_deg: 6 });
  assert.ok(bytesOf(other.movie!.frames).equals(bytesOf(rec.movie!.frames)));
  assert.ok(bytesOf(other.frame_features!.data).equals(bytesOf(ff.data)));
  // Nearby frames have similar features; the features vary over the movie.
  let near = 0, far = 0;
  const dot = (a: number, b: number) => { let s = 0; for (let d = 0; d < 16; d++) s += ff.data[a * 16 + d] * ff.data[b * 16 + d]; return s; };
  for (let f = 0; f + 60 < 120; f++) { near += dot(f, f + 1); far += dot(f, f + 60); }
  assert.ok(near > far + 0.2 * 60, `consecutive cosine ${near / 60} vs 2 s apart ${far / 60}`);
  const d4 = small({ feature_dim: 4 }).frame_features!;
  assert.equal(d4.data.length, 120 * 4);
});

test("parameter validation names the parameter, its range and the fix", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ n_cells: 0 }, /n_cells.*1–5000/],
    [{ n_cells: 2.5 }, /n_cells.*integer/],
    [{ noise_sd_max: "big" }, /noise_sd_max/],
    [{ modality: "ecog" }, /modality.*calcium, neuropixels/],
    [{ n_cels: 10 }, /no parameter "n_cels"/],
    [{ rf_sigma_min_deg: 9, rf_sigma_max_deg: 8 }, /rf_sigma_min_deg.*rf_sigma_max_deg/],
    [{ fraction_reliable: 0.8, fraction_weak: 0.3 }, /fraction_weak.*fraction_reliable/],
    [{ n_frames: 12, feature_dim: 16 }, /feature_dim/],
    [{ tau_decay_ms: Number.NaN }, /tau_decay_ms/],
    [{ n_cells: 5000, modality: "neuropixels" }, /n_cells.*MiB/],
    [{ n_scenes: 7 }, /n_scenes.*1–6/],
    [{ n_frames: 10000 }, /n_frames.*movie limit/],
  ];
  for (const [params, pattern] of cases) {
    assert.throws(() => generateAllenLike(params as Partial<AllenLikeParams>), (e: unknown) => {
      assert.ok(e instanceof UserError, `expected a UserError for ${JSON.stringify(params)}`);
      assert.match(e.message, pattern);
      assert.ok(e.fix.length > 0);
      return true;
    });
  }
});

test("every parameter is documented with its realistic range and source; defaults validate", () => {
  const docs = describeAllenLikeParams();
  assert.deepEqual(Object.keys(docs).sort(), Object.keys(ALLEN_LIKE_DEFAULTS).sort());
  for (const [name, line] of Object.entries(docs)) {
    assert.match(line, /realistic .+; allowed|realistic .+; one of/, `${name}: ${line}`);
    assert.match(line, /source: /, name);
  }
  assert.ok(Object.isFrozen(ALLEN_LIKE_DEFAULTS));
});

test("docs/BUILTIN.md lists every parameter with its current default", () => {
  const docPath = fileURLToPath(new URL("../../../docs/BUILTIN.md", import.meta.url));
  const doc = readFileSync(docPath, "utf8");
  for (const [name, value] of Object.entries(ALLEN_LIKE_DEFAULTS)) {
    const shown = typeof value === "string" ? `"${value}"` : String(value);
    assert.ok(doc.includes(`| \`${name}\` | ${shown} |`), `docs/BUILTIN.md has no row for ${name} with default ${shown}`);
  }
});
