/**
 * Eval fixture generators: the linear-track simulation behaves like place cells on a track (and is
 * deterministic), and every generated file loads — or fails to load — through the real loader.
 */
import test, { after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { DEFAULT_INTAKE_LIMITS, loadRecording, type LoadContext } from "../../src/data/load.js";
import { FIXTURE_GENERATORS, LINEAR_TRACK_DEFAULTS, simulateLinearTrack } from "../../src/eval/fixtures.js";
import { UserError } from "../../src/util/errors.js";
import { tempDir } from "../helpers/tmp.js";

const tmp = tempDir("cebra-eval-fixtures-");
after(tmp.cleanup);

const ctx: LoadContext = { ...DEFAULT_INTAKE_LIMITS, checkPath: () => undefined, cacheDir: tmp.dir, maxDownloadBytes: 1e6, downloadTimeoutMs: 1000, maxRedirects: 0 };

function write(generator: string, params: Record<string, unknown>, name: string): string {
  const file = FIXTURE_GENERATORS[generator]!(params);
  const target = path.join(tmp.dir, `${name}.${file.ext}`);
  writeFileSync(target, file.bytes);
  return target;
}

test("the linear track: laps cover the track, direction follows movement, deterministic per seed", () => {
  const d = simulateLinearTrack({ seed: 5, duration_s: 60 });
  const L = LINEAR_TRACK_DEFAULTS.track_length_m;
  assert.equal(d.n_samples, 1800);
  let min = Infinity;
  let max = -Infinity;
  for (const x of d.position) {
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  assert.ok(min >= 0 && min < 0.05 && max <= L + 1e-6 && max > L - 0.05, `position spans the track: ${min}..${max}`);
  let agree = 0;
  let moving = 0;
  for (let t = 10; t < d.n_samples; t++) {
    const dx = d.position[t]! - d.position[t - 10]!;
    if (Math.abs(dx) < 0.05) continue;
    moving++;
    if ((dx > 0 ? 1 : 0) === d.direction[t]) agree++;
  }
  assert.ok(agree / moving > 0.95, `direction label matches movement in ${agree}/${moving} moving samples`);
  assert.deepEqual(simulateLinearTrack({ seed: 5, duration_s: 60 }).counts, d.counts);
  assert.notDeepEqual(simulateLinearTrack({ seed: 6, duration_s: 60 }).counts, d.counts);
});

test("place cells fire near their field centres", () => {
  const d = simulateLinearTrack({ seed: 2, n_cells: 20, duration_s: 300, direction_selective_fraction: 0 });
  const N = d.params.n_cells;
  let close = 0;
  for (let n = 0; n < N; n++) {
    let sum = 0;
    let count = 0;
    for (let t = 0; t < d.n_samples; t++) {
      const c = d.counts[t * N + n]!;
      sum += c * d.position[t]!;
      count += c;
    }
    // Baseline spikes pull the mean towards the middle; a field centre within 25 cm is "near".
    if (count > 0 && Math.abs(sum / count - d.centres[n]!) < 0.25) close++;
  }
  assert.ok(close >= 0.8 * N, `${close}/${N} cells have their spikes centred on their field`);
});

test("the linear-track .npz loads as a movie-less recording with position and direction labels", async () => {
  const rec = await loadRecording(write("linear-track", { n_cells: 8, duration_s: 10 }, "track"), {}, ctx);
  assert.equal(rec.n_neurons, 8);
  assert.equal(rec.n_samples, 300);
  assert.equal(rec.sampling_rate_hz, 30);
  assert.equal(rec.movie, undefined);
  assert.equal(rec.modality, "spikes");
  assert.deepEqual(rec.continuous?.columns, ["c0"]);
  assert.equal(rec.discrete?.name, "discrete");
});

test("bad-shapes and text fixtures fail to load with the intended errors; bad parameters are refused", async () => {
  await assert.rejects(loadRecording(write("bad-shapes", { kind: "label_length" }, "short"), {}, ctx), (e: unknown) => e instanceof UserError && /continuous has 93 entries but neural has 100 samples/.test(e.problem));
  await assert.rejects(loadRecording(write("bad-shapes", { kind: "neural_3d" }, "cube"), {}, ctx), (e: unknown) => e instanceof UserError && /must be 2-D/.test(e.problem));
  await assert.rejects(loadRecording(write("text", {}, "notes"), {}, ctx), (e: unknown) => e instanceof UserError && /Cannot tell the format/.test(e.problem));
  assert.throws(() => FIXTURE_GENERATORS["bad-shapes"]!({ kind: "nope" }), /label_length/);
  assert.throws(() => simulateLinearTrack({ n_cells: 0 }), /n_cells must be positive/);
  assert.throws(() => simulateLinearTrack({ colour: 1 } as never), /unknown linear-track parameter\(s\) colour/);
});
