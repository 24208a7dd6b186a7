/**
 * Fixture generators for eval scenarios: small, seeded data files written before a scenario runs
 * (into the server's working directory, an allowed root, or into a directory outside the roots).
 *
 * - `linear-track`: a rat running back and forth on a linear track, recorded from hippocampal place
 *   cells (Gaussian place fields, some direction-selective, Poisson spike counts). No movie: the
 *   labels are `continuous` = position [T,1] in metres and `discrete` = running direction (0 left,
 *   1 right). Follows the .npz convention of docs/DATA.md.
 * - `bad-shapes`: an .npz whose arrays disagree (`label_length`: continuous labels shorter than the
 *   neural data; `neural_3d`: a 3-D neural array) — for error-recovery scenarios.
 * - `text`: a plain text file (not a data file at all).
 */
import { writeNpz } from "../data/formats/npz.js";
import { Rng } from "../util/rng.js";

/** A generated file: its bytes and default extension. */
interface FixtureFile {
  bytes: Uint8Array;
  ext: string;
}

/** A generator takes the scenario's `params` (validated and defaulted by the generator itself). */
type FixtureGenerator = (params: Record<string, unknown>) => FixtureFile;

/** Parameters of the linear-track place-cell recording, with defaults. */
interface LinearTrackParams {
  seed: number;
  n_cells: number;
  duration_s: number;
  sampling_rate_hz: number;
  track_length_m: number;
  /** Mean running speed; each lap varies it by ±30 %. */
  speed_m_s: number;
  /** Pause at each end of the track. */
  pause_s: number;
  /** Standard deviation of a place field (varies ±30 % per cell). */
  field_width_m: number;
  /** In-field peak rate (varies 0.5–1.5× per cell). */
  peak_rate_hz: number;
  baseline_rate_hz: number;
  /** Fraction of cells firing in one running direction only. */
  direction_selective_fraction: number;
}

export const LINEAR_TRACK_DEFAULTS: LinearTrackParams = {
  seed: 1,
  n_cells: 40,
  duration_s: 120,
  sampling_rate_hz: 30,
  track_length_m: 1.6,
  speed_m_s: 0.4,
  pause_s: 0.5,
  field_width_m: 0.12,
  peak_rate_hz: 12,
  baseline_rate_hz: 0.2,
  direction_selective_fraction: 0.5,
};

/** The trajectory and spike counts of a linear-track session (also used by tests to know the truth). */
export interface LinearTrackData {
  params: LinearTrackParams;
  n_samples: number;
  /** [T] metres from the left end. */
  position: Float32Array;
  /** [T] 1 = running right, 0 = running left (pauses keep the last direction). */
  direction: Int32Array;
  /** [T, N] spike counts per bin, time-major. */
  counts: Int32Array;
  /** [N] place-field centres, metres. */
  centres: Float64Array;
}

/** Simulates a linear-track session. Deterministic for given parameters. */
export function simulateLinearTrack(overrides: Partial<LinearTrackParams> = {}): LinearTrackData {
  const p = checkedParams(overrides);
  const rng = new Rng(p.seed);
  const T = Math.round(p.duration_s * p.sampling_rate_hz);
  const { position, direction } = trajectory(p, T, rng.fork());
  const cells = placeCells(p, rng.fork());
  const counts = new Int32Array(T * p.n_cells);
  const dt = 1 / p.sampling_rate_hz;
  const spikes = rng.fork();
  for (let t = 0; t < T; t++) {
    for (let n = 0; n < p.n_cells; n++) {
      const c = cells[n]!;
      const d = (position[t]! - c.centre) / c.width;
      const tuned = c.preferred === undefined || c.preferred === direction[t] ? 1 : 0.1;
      const rate = p.baseline_rate_hz + c.peak * tuned * Math.exp(-0.5 * d * d);
      counts[t * p.n_cells + n] = spikes.poisson(rate * dt);
    }
  }
  return { params: p, n_samples: T, position, direction, counts, centres: Float64Array.from(cells, (c) => c.centre) };
}

function checkedParams(overrides: Partial<LinearTrackParams>): LinearTrackParams {
  const p = { ...LINEAR_TRACK_DEFAULTS, ...overrides };
  for (const [k, v] of Object.entries(p)) {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new Error(`linear-track parameter ${k} must be a non-negative number, got ${JSON.stringify(v)}`);
  }
  for (const k of ["n_cells", "duration_s", "sampling_rate_hz", "track_length_m", "speed_m_s", "field_width_m"] as const) {
    if (!(p[k] > 0)) throw new Error(`linear-track parameter ${k} must be positive`);
  }
  const unknown = Object.keys(overrides).filter((k) => !(k in LINEAR_TRACK_DEFAULTS));
  if (unknown.length) throw new Error(`unknown linear-track parameter(s) ${unknown.join(", ")}; known: ${Object.keys(LINEAR_TRACK_DEFAULTS).join(", ")}`);
  return { ...p, n_cells: Math.round(p.n_cells), seed: Math.round(p.seed) };
}

/** Back-and-forth laps with per-lap speed, a pause at each end, and a little positional jitter. */
function trajectory(p: LinearTrackParams, T: number, rng: Rng): { position: Float32Array; direction: Int32Array } {
  const position = new Float32Array(T);
  const direction = new Int32Array(T);
  const dt = 1 / p.sampling_rate_hz;
  let x = 0;
  let dir = 1;
  let speed = p.speed_m_s * rng.uniform(0.7, 1.3);
  let pause = 0;
  for (let t = 0; t < T; t++) {
    if (pause > 0) {
      pause -= dt;
    } else {
      x += dir * speed * dt;
      if (x >= p.track_length_m || x <= 0) {
        x = Math.min(Math.max(x, 0), p.track_length_m);
        dir = -dir;
        speed = p.speed_m_s * rng.uniform(0.7, 1.3);
        pause = p.pause_s;
      }
    }
    position[t] = Math.min(Math.max(x + rng.normal(0, 0.005), 0), p.track_length_m);
    const labelled = pause > 0 ? -dir : dir; // while pausing, keep the direction of the lap just run
    direction[t] = labelled > 0 ? 1 : 0;
  }
  return { position, direction };
}

interface PlaceCell {
  centre: number;
  width: number;
  peak: number;
  /** Direction (0/1) the cell fires in, or undefined for both. */
  preferred?: number;
}

function placeCells(p: LinearTrackParams, rng: Rng): PlaceCell[] {
  return Array.from({ length: p.n_cells }, () => {
    const cell: PlaceCell = {
      centre: rng.uniform(0, p.track_length_m),
      width: p.field_width_m * rng.uniform(0.7, 1.3),
      peak: p.peak_rate_hz * rng.uniform(0.5, 1.5),
    };
    if (rng.random() < p.direction_selective_fraction) cell.preferred = rng.int(2);
    return cell;
  });
}

/** The linear-track session as an .npz in the loader's convention. */
function linearTrackNpz(params: Record<string, unknown>): FixtureFile {
  const d = simulateLinearTrack(params as Partial<LinearTrackParams>);
  const T = d.n_samples;
  const rate = d.params.sampling_rate_hz;
  const bytes = writeNpz(
    {
      neural: { dtype: "<i4", shape: [T, d.params.n_cells], data: d.counts },
      timestamps: { dtype: "<f8", shape: [T], data: Float64Array.from({ length: T }, (_, t) => t / rate) },
      sampling_rate_hz: { dtype: "<f8", shape: [], data: [rate] },
      continuous: { dtype: "<f4", shape: [T, 1], data: d.position },
      discrete: { dtype: "<i4", shape: [T], data: d.direction },
    },
    { compress: true },
  );
  return { bytes, ext: "npz" };
}

/** An .npz whose arrays are inconsistent, for error scenarios. */
function badShapesNpz(params: Record<string, unknown>): FixtureFile {
  const kind = params.kind ?? "label_length";
  const T = 100;
  const N = 5;
  const neural = { dtype: "<f4", shape: [T, N], data: new Float32Array(T * N).fill(1) };
  if (kind === "label_length") {
    return { bytes: writeNpz({ neural, continuous: { dtype: "<f4", shape: [T - 7, 1], data: new Float32Array(T - 7) } }), ext: "npz" };
  }
  if (kind === "neural_3d") {
    return { bytes: writeNpz({ neural: { dtype: "<f4", shape: [10, N, 10], data: new Float32Array(10 * N * 10) } }), ext: "npz" };
  }
  throw new Error(`bad-shapes kind must be "label_length" or "neural_3d", got ${JSON.stringify(kind)}`);
}

/** A plain text file. */
function textFile(params: Record<string, unknown>): FixtureFile {
  const content = typeof params.content === "string" ? params.content : "This is not a recording.\n";
  return { bytes: new TextEncoder().encode(content), ext: "txt" };
}

/** Generators by name (the `generator` field of a scenario fixture). */
export const FIXTURE_GENERATORS: Record<string, FixtureGenerator> = {
  "linear-track": linearTrackNpz,
  "bad-shapes": badShapesNpz,
  text: textFile,
};
