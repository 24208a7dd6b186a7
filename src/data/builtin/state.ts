/**
 * The animal's behavioural state over the session: running bouts. The mice of the Allen Brain
 * Observatory stand on a disc and run at will, so locomotion switches on and off within a 30 s
 * repeat, never locked to the movie. The state is a two-state Markov chain at frame resolution
 * (still ⇄ running) whose stationary running fraction is `running_fraction` and whose mean bout
 * length is `running_bout_s`; activity.ts multiplies the driven (non-spontaneous) rate by
 * `running_gain` during running (Niell & Stryker 2010). Deterministic in `rng`.
 */
import type { Rng } from "../../util/rng.js";
import { FRAME_RATE_HZ } from "./geometry.js";
import type { AllenLikeParams } from "./params.js";

export interface RunningState {
  /** 1 while running, per presented frame of the session (`n_repeats · n_frames`). */
  running: Uint8Array;
  /** Running bouts as [start, end) in seconds from the session start (for provenance; compact). */
  bouts: Array<[number, number]>;
}

/** Simulates the running state over `nFrames` presented frames (at 30 Hz). */
export function simulateRunning(rng: Rng, nFrames: number, p: AllenLikeParams): RunningState {
  const running = new Uint8Array(nFrames);
  const bouts: Array<[number, number]> = [];
  const f = p.running_fraction;
  if (f <= 0) return { running, bouts };
  if (f >= 1) {
    running.fill(1);
    return { running, bouts: [[0, nFrames / FRAME_RATE_HZ]] };
  }
  const boutFrames = Math.max(1, p.running_bout_s * FRAME_RATE_HZ);
  const stillFrames = (boutFrames * (1 - f)) / f;
  const stop = 1 / boutFrames;
  const start = Math.min(1, 1 / stillFrames);
  let state = rng.random() < f ? 1 : 0;
  let boutStart = 0;
  for (let t = 0; t < nFrames; t++) {
    if (t > 0) {
      const next = state === 1 ? (rng.random() < stop ? 0 : 1) : rng.random() < start ? 1 : 0;
      if (next === 1 && state === 0) boutStart = t;
      if (next === 0 && state === 1) bouts.push([boutStart / FRAME_RATE_HZ, t / FRAME_RATE_HZ]);
      state = next;
    }
    running[t] = state;
  }
  if (state === 1) bouts.push([boutStart / FRAME_RATE_HZ, nFrames / FRAME_RATE_HZ]);
  return { running, bouts };
}

/** The running mask rebuilt from `bouts` (e.g. from a recording's provenance), per presented frame. */
export function runningMaskFromBouts(bouts: ReadonlyArray<readonly [number, number]>, nFrames: number): Uint8Array {
  const mask = new Uint8Array(nFrames);
  for (const [a, b] of bouts) {
    const from = Math.max(0, Math.round(a * FRAME_RATE_HZ));
    const to = Math.min(nFrames, Math.round(b * FRAME_RATE_HZ));
    for (let t = from; t < to; t++) mask[t] = 1;
  }
  return mask;
}
