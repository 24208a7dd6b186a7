/**
 * Biphasic temporal filtering of the per-frame drives. The kernel is a difference of two unit-area
 * gamma lobes of order 8, k(t) = Γ(t; a) − c·Γ(t; b), Γ(t; m) = t⁸·e^(−8t/m)·(8/m)⁹/8!, which peak at
 * a (positive lobe, temporal_peak_ms) and b (negative lobe, temporal_trough_ms); c is the undershoot
 * (area of the negative lobe relative to the positive one). The lobes are narrow enough that the net
 * kernel's extrema stay close to a and b (64 and 166 ms for the defaults 65 and 160 ms).
 * A frame's drive is held for all `binsPerFrame` bins it is on screen, so filtering at bin resolution
 * reduces to one small kernel per bin phase applied to the frame sequence.
 */

const GAMMA_ORDER = 8;
const GAMMA_NORM = 40320; // 8!
/** Kernel length in units of the trough time (the order-8 lobe has decayed to < 0.1 % of its peak). */
const KERNEL_SPAN_TROUGHS = 3;

/** Unit-area gamma lobe of order 8 peaking at `peakMs`, at time `t` ms. */
function lobe(t: number, peakMs: number): number {
  const rate = GAMMA_ORDER / peakMs;
  return (rate ** (GAMMA_ORDER + 1) * t ** GAMMA_ORDER * Math.exp(-rate * t)) / GAMMA_NORM;
}

/** Samples of the biphasic kernel at bin centres (j + 0.5)·dt, j = 0.., times the bin width. */
export function biphasicKernel(peakMs: number, troughMs: number, undershoot: number, dtMs: number): Float64Array {
  const n = Math.max(1, Math.ceil((KERNEL_SPAN_TROUGHS * troughMs) / dtMs));
  const k = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const t = (j + 0.5) * dtMs;
    k[j] = dtMs * (lobe(t, peakMs) - undershoot * lobe(t, troughMs));
  }
  return k;
}

/**
 * Per-phase frame kernels: with frame drive D held for B bins, the filtered value at bin B·f + p is
 * Σ_m h[p][m]·D[f − m], where h[p][m] sums the bin kernel over the bins of frame f − m.
 */
export function phaseKernels(binKernel: Float64Array, binsPerFrame: number): Float64Array[] {
  const B = binsPerFrame;
  const nLags = Math.ceil((binKernel.length + B) / B);
  const out: Float64Array[] = [];
  for (let p = 0; p < B; p++) {
    const h = new Float64Array(nLags);
    for (let m = 0; m < nLags; m++) {
      for (let j = Math.max(0, p + B * m - B + 1); j <= p + B * m && j < binKernel.length; j++) h[m] += binKernel[j];
    }
    out.push(h);
  }
  return out;
}

/**
 * Filters channel `channel` of `drives` (`[F, nChannels]`) over `nPasses` back-to-back presentations
 * of the movie preceded by mean gray (zero drive). Returns `[nPasses · F · B]` values.
 */
export function filterPresentations(drives: Float32Array, nFrames: number, nChannels: number, channel: number, nPasses: number, kernels: Float64Array[]): Float64Array {
  const B = kernels.length;
  const nLags = kernels[0].length;
  const total = nPasses * nFrames;
  const out = new Float64Array(total * B);
  for (let f = 0; f < total; f++) {
    for (let p = 0; p < B; p++) {
      const h = kernels[p];
      let acc = 0;
      for (let m = 0; m < nLags && m <= f; m++) acc += h[m] * drives[((f - m) % nFrames) * nChannels + channel];
      out[f * B + p] = acc;
    }
  }
  return out;
}
