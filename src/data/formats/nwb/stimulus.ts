/**
 * Stimulus presentations (one row per movie frame shown) and how they label samples:
 * each sample gets the movie frame on screen (-1 if none) and the repeat it belongs to.
 */

/** Presentation rows, sorted by start: movie frame index, start and stop (seconds or sample indices). */
export interface Presentations {
  frame: Int32Array;
  start: Float64Array;
  stop: Float64Array;
}

/** Per-sample labels. */
export interface SampleLabels {
  frame: Int32Array;
  repeat: Int32Array;
}

/** Sort presentation rows by (start, stop), as AllenSDK's stimulus table. */
export function sortPresentations(p: Presentations): Presentations {
  const order = Array.from(p.frame, (_, i) => i).sort((a, b) => p.start[a] - p.start[b] || p.stop[a] - p.stop[b]);
  return {
    frame: Int32Array.from(order, (i) => p.frame[i]),
    start: Float64Array.from(order, (i) => p.start[i]),
    stop: Float64Array.from(order, (i) => p.stop[i]),
  };
}

/**
 * Repeat index of each presentation row: starts at 0 and increments whenever the frame index goes
 * back (…, 898, 899, 0, 1, … → next repeat). Equals AllenSDK's `arange(N // 900).repeat(900)` for
 * complete repeats and stays right when a repeat is incomplete.
 */
function presentationRepeats(frame: Int32Array): Int32Array {
  const out = new Int32Array(frame.length);
  let r = 0;
  for (let k = 1; k < frame.length; k++) {
    if (frame[k] < frame[k - 1]) r++;
    out[k] = r;
  }
  return out;
}

/**
 * Label samples at `times` (ascending or not) with the presentation on screen: the last row with
 * start ≤ t, if t < its stop; otherwise frame = repeat = -1.
 */
export function labelSamples(times: ArrayLike<number>, p: Presentations): SampleLabels {
  const repeats = presentationRepeats(p.frame);
  const frame = new Int32Array(times.length).fill(-1);
  const repeat = new Int32Array(times.length).fill(-1);
  for (let t = 0; t < times.length; t++) {
    const k = lastAtOrBefore(p.start, times[t]);
    if (k >= 0 && times[t] < p.stop[k]) {
      frame[t] = p.frame[k];
      repeat[t] = repeats[k];
    }
  }
  return { frame, repeat };
}

/** Index of the last element ≤ x in ascending `a`, or -1. */
export function lastAtOrBefore(a: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * Stop times for presentations known only by their start (NWB IndexSeries): the next start, unless
 * the gap is longer than 1.5 median steps (end of an epoch), then start + one median step.
 */
export function stopsFromStarts(start: Float64Array, medianStep: number): Float64Array {
  const stop = new Float64Array(start.length);
  for (let k = 0; k < start.length; k++) {
    const next = k + 1 < start.length ? start[k + 1] : Infinity;
    stop[k] = next - start[k] <= 1.5 * medianStep ? next : start[k] + medianStep;
  }
  return stop;
}

/** Indices of samples with frame ≥ 0. */
export function samplesOnScreen(frame: Int32Array): Int32Array {
  const idx: number[] = [];
  for (let t = 0; t < frame.length; t++) if (frame[t] >= 0) idx.push(t);
  return Int32Array.from(idx);
}
