/**
 * Every registered architecture through the real trainer and transform (ONNX Runtime, CPU): a few Adam
 * steps move the parameters with finite losses, and the transform returns one row per sample (one per
 * resample_factor samples for the subsampling models), each row finite and, for normalised models, of
 * unit length. CEBRA's parametrised families by one member each, with and without -tanh.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { getArchitecture, isSupervised, listArchitectures } from "../../src/engine/cebra/lookup.js";
import { configInitParams } from "../../src/engine/cebra/init.js";
import { ringRecording } from "../../src/engine/synthetic.js";
import { runTrainingLoop } from "../../src/engine/train/trainer.js";
import { transformRecording } from "../../src/engine/train/transform.js";
import { DEFAULT_TRAIN_CONFIG } from "../../src/engine/types.js";

const [T, N, D] = [203, 7, 3];
const { session: data } = ringRecording({ T, N });

const FAMILY_MEMBERS = ["offset1-model-mse-clip-25-5", "offset1-model-mse-v2-2layers-tanh", "offset1-model-mse-resnet-2layers"].map(getArchitecture);

for (const a of [...listArchitectures(), ...FAMILY_MEMBERS]) {
  test(`${a.name} trains with the real trainer and embeds every sample`, async () => {
    const distance = a.normalize ? ("cosine" as const) : ("euclidean" as const);
    const cfg = { ...DEFAULT_TRAIN_CONFIG, model_architecture: a.name, distance, output_dimension: D, num_hidden_units: 8, batch_size: 16, max_iterations: 4, device: "cpu" as const, threads: 1 };
    const m = await runTrainingLoop([data], cfg);
    const start = configInitParams(cfg, N);
    // Supervised models also train a classifier head (one output per label dimension) after the net.
    assert.equal(m.params[0].length, start.length + (isSupervised(a.name) ? (D + 1) * data.continuous!.dim : 0));
    assert.ok(m.params[0].some((v, i) => v !== start[i]), "the parameters moved");
    const z = await transformRecording(m, data.neural, T, N, { threads: 1 });
    assert.equal(z.length, Math.ceil(T / a.resample_factor) * D);
    assert.ok(z.every(Number.isFinite));
    if (a.normalize) for (let r = 0; r < z.length / D; r++) assert.ok(Math.abs(Math.hypot(...z.subarray(r * D, r * D + D)) - 1) < 1e-5);
  });
}
