/**
 * The simulated linear track the label benchmarks decode (bench/controls.ts, bench/supervised-decoding.ts):
 * 48 place cells in 25 ms bins over 254 s (seed 1), position as the continuous label.
 */
import type { Recording } from "../src/data/recording.js";
import { simulateLinearTrack } from "../src/eval/fixtures.js";

export function benchTrack(): { sim: ReturnType<typeof simulateLinearTrack>; rec: Recording; T: number; N: number } {
  const rate = 40;
  const sim = simulateLinearTrack({ seed: 1, n_cells: 48, sampling_rate_hz: rate, duration_s: 254 });
  const T = sim.n_samples, N = sim.params.n_cells;
  const rec: Recording = {
    neural: Float32Array.from(sim.counts), n_samples: T, n_neurons: N, sampling_rate_hz: rate,
    timestamps: Float64Array.from({ length: T }, (_, t) => t / rate),
    unit_ids: Array.from({ length: N }, (_, i) => `cell${i}`), unit_metadata: {}, modality: "spikes", signal: "spike_counts",
    continuous: { data: sim.position, dim: 1, columns: ["position"] },
    provenance: { source: "bench:linear-track", format: "builtin", sha256: "", keys_read: [], preprocessing: [], loaded_at: new Date().toISOString() },
    warnings: [],
  };
  return { sim, rec, T, N };
}
