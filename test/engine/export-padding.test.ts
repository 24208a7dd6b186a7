/**
 * The export manifest's padding text (`encoder_io.padding`) against what the exported encoder does: for
 * every architecture, the row count it states for an unpadded and a CEBRA-padded sequence, and the
 * sample each row embeds (issue 14: it used to promise one row per sample for the subsampling models).
 */
import test from "node:test";
import assert from "node:assert/strict";
import { buildInferenceIR, buildWindowEmbeddingIR } from "../../src/engine/cebra/inference.js";
import { initParams } from "../../src/engine/cebra/init.js";
import { listArchitectures } from "../../src/engine/cebra/lookup.js";
import { run } from "../../src/engine/graph/interp.js";
import { encoderPadding } from "../../src/engine/train/export.js";
import { Rng } from "../../src/util/rng.js";

const [N, H, D] = [3, 4, 3];

/** Replicate-pads `seq` [T, N] with `before` copies of the first row and `after` of the last. */
function pad(seq: Float64Array, T: number, before: number, after: number): Float64Array {
  const out = new Float64Array((T + before + after) * N);
  for (let t = 0; t < T + before + after; t++) out.set(seq.subarray(Math.min(T - 1, Math.max(0, t - before)) * N, Math.min(T - 1, Math.max(0, t - before)) * N + N), t * N);
  return out;
}

for (const a of listArchitectures()) {
  test(`padding text of ${a.name} states the encoder's row count and which sample each row is`, () => {
    const [L, r] = [a.receptive_field, a.resample_factor];
    const text = encoderPadding(a);
    assert.match(text, new RegExp(`replicate-pad ${a.left} copies of the first row before and ${a.right - 1} copies of the last row after`));
    if (r === 1) assert.match(text, new RegExp(`Z has T' - ${L - 1} rows\\. For one row per sample`));
    else {
      assert.ok(text.includes(`Z has floor((T' - ${L}) / ${r}) + 1 rows`), text);
      assert.ok(text.includes(`Z then has ceil(T / ${r}) rows and row j is sample ${r}j`), text);
      assert.doesNotMatch(text, /one row per sample/);
    }
    const s = { architecture: a.name, n_neurons: N, num_hidden_units: H, output_dimension: D };
    const params = { shape: [0], data: Float64Array.from(initParams({ ...s, temperature: 1, temperature_mode: "constant" }, 3)) };
    params.shape[0] = params.data.length;
    const graph = buildInferenceIR(s).graph;
    const rng = new Rng(8);
    for (const T of [L, L + 1, L + r, 2 * L + 3, 2 * L + 2 * r + 1]) {
      const seq = Float64Array.from({ length: T * N }, () => rng.normal());
      // Unpadded: floor((T' - L) / r) + 1 rows.
      assert.equal(run(graph, { X: { shape: [T, N], data: seq }, params }).Z.shape[0], Math.floor((T - L) / r) + 1, `${a.name} T' = ${T}`);
      // Padded as stated: ceil(T / r) rows, row j the window [r·j − left, r·j + right) of the padded recording.
      const padded = pad(seq, T, a.left, a.right - 1);
      const Z = run(graph, { X: { shape: [T + L - 1, N], data: padded }, params }).Z;
      const rows = Math.ceil(T / r);
      assert.equal(Z.shape[0], rows, `${a.name} T = ${T}`);
      const windows = new Float64Array(rows * L * N);
      for (let j = 0; j < rows; j++) windows.set(padded.subarray(r * j * N, (r * j + L) * N), j * L * N);
      const W = run(buildWindowEmbeddingIR({ ...s, rows }).graph, { X: windows, params }).Z;
      W.data.forEach((v, i) => assert.ok(Math.abs(v - Z.data[i]) < 1e-12, `${a.name} T = ${T} row ${Math.floor(i / D)}`));
    }
  });
}
