/**
 * `node dist/bench/deflate-ratios.js`: how far honest arrays compress with deflate at zlib level 6
 * (what numpy.savez_compressed writes), to set the inflate-ratio limit (docs/SECURITY.md) against
 * measured data rather than a guess. Arrays are synthetic with a fixed seed: Poisson-like spike-count
 * matrices (int16, 360,000 bins × 300 units) at several rates and bin widths, a calcium-like dF/F
 * matrix (float32, 36,000 × 800: noise plus sparse transients), a repeating movie-frame index (int64),
 * and all zeros (a bomb's payload).
 */
import { deflateRawSync } from "node:zlib";
import { Rng } from "../src/util/rng.js";

function ratio(data: ArrayBufferView): { mib: number; ratio: number } {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { mib: bytes.length / 2 ** 20, ratio: bytes.length / deflateRawSync(bytes, { level: 6 }).length };
}

function spikes(rng: Rng, rateHz: number, binS: number): Int16Array {
  const out = new Int16Array(360_000 * 300);
  const p = rateHz * binS;
  for (let i = 0; i < out.length; i++) if (rng.random() < p) out[i] = 1;
  return out;
}

function dff(rng: Rng): Float32Array {
  const out = new Float32Array(36_000 * 800);
  for (let i = 0; i < out.length; i++) out[i] = 0.05 * rng.normal() + (rng.random() < 0.01 ? 1 + rng.random() : 0);
  return out;
}

const rng = new Rng(1);
const rows: [string, ArrayBufferView][] = [
  ["spike counts int16, 5 Hz, 10 ms bins", spikes(rng, 5, 0.01)],
  ["spike counts int16, 1 Hz, 10 ms bins", spikes(rng, 1, 0.01)],
  ["spike counts int16, 1 Hz, 1 ms bins", spikes(rng, 1, 0.001)],
  ["spike counts int16, 0.2 Hz, 1 ms bins", spikes(rng, 0.2, 0.001)],
  ["dF/F float32 (noise + 1% transients)", dff(rng)],
  ["frame index int64, 0..899 repeated", BigInt64Array.from({ length: 270_000 }, (_, i) => BigInt(i % 900))],
  ["zeros (a bomb's payload)", new Float32Array(64 * 2 ** 18)],
];
console.log("| array | MiB | deflate ratio |\n|---|---:|---:|");
for (const [name, data] of rows) {
  const r = ratio(data);
  console.log(`| ${name} | ${r.mib.toFixed(1)} | ${r.ratio.toFixed(0)}:1 |`);
}
