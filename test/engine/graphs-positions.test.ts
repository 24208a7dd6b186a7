/**
 * The "positions" window input of the step graphs: every layer once per distinct time position the
 * batch needs ("taps_s" per stage, "out_index" per window). Checked against the "touched" form on the
 * same batches: the assembler's positions and taps against a brute-force recomputation, the step's
 * outputs in float64 (the interpreter, and a finite-difference check of its gradient), chained Adam
 * steps and loss graphs in ORT float32, a profiled fit, and the refusal for models it does not fit.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { chooseStepInput } from "../../src/engine/cebra/cost.js";
import { positionKernels } from "../../src/engine/cebra/positions.js";
import { buildStepIR } from "../../src/engine/cebra/step.js";
import { checkModel } from "../../src/engine/cebra/lookup.js";
import { numericGradient, run } from "../../src/engine/graph/interp.js";
import { ringRecording } from "../../src/engine/synthetic.js";
import { singleSessionProblem, stepGraphOptions } from "../../src/engine/train/batches.js";
import { profileStepsLoop } from "../../src/engine/train/k-steps.js";
import { profileSteps } from "../../src/engine/train/trainer.js";
import type { TrainConfig } from "../../src/engine/types.js";
import { chainedFormTests, formsFixture, interpFeeds, lossGraphLosses, maxRel, tensorNumbers } from "./step-checks.js";

const { data, CFG, arch } = formsFixture();

test("positions: each stage's positions are exactly those the next stage's taps read, and the taps and out_index point at the right times", () => {
  const rec = singleSessionProblem(data, CFG, arch, "step", 9, "recording");
  const pos = singleSessionProblem(data, CFG, arch, "step", 9, "positions");
  const kernels = [2, 3, 3, 3, 3]; // offset10-model: Conv1d(N,H,2), 3 skip blocks of kernel 3, Conv1d(H,D,3)
  const { spec, dims } = checkModel(stepGraphOptions(CFG, data.n_neurons, "step"));
  assert.deepEqual(positionKernels(spec, dims), kernels);
  const sizes = new Set<number>();
  for (let step = 0; step < 4; step++) {
    const a = rec.nextBatch();
    const b = pos.nextBatch();
    assert.deepEqual(Object.keys(b).sort(), ["data", "out_index", "taps_1", "taps_2", "taps_3", "taps_4", "taps_5", "touched"]);
    const rows = tensorNumbers(a.rows);
    const L = 10;
    const starts = Array.from({ length: rows.length / L }, (_, m) => rows[m * L]);
    // Brute force: the positions of each stage, from the window starts down to the recording rows.
    const levels: number[][] = [[...new Set(starts)].sort((x, y) => x - y)];
    for (let s = kernels.length - 1; s >= 0; s--) {
      const need = new Set(levels[0].flatMap((p) => Array.from({ length: kernels[s] }, (_, j) => p + j)));
      levels.unshift([...need].sort((x, y) => x - y));
    }
    // levels[s] = the positions of stage s's input (levels[0]: the touched recording rows), levels[S] = window starts.
    assert.deepEqual(tensorNumbers(b.touched), levels[0]);
    assert.deepEqual(tensorNumbers(b.out_index).map((i) => levels[kernels.length][i]), starts);
    for (let s = 0; s < kernels.length; s++) {
      const taps = b[`taps_${s + 1}`];
      assert.deepEqual([...taps.dims], [levels[s + 1].length, kernels[s]]);
      const t = tensorNumbers(taps);
      const at = (i: number, j: number) => levels[s][t[i * kernels[s] + j]];
      levels[s + 1].forEach((p, i) => {
        for (let j = 0; j < kernels[s]; j++) assert.equal(at(i, j), p + j, `stage ${s + 1}, position ${p}, tap ${j}`);
      });
    }
    assert.ok(levels[1].length < starts.length * 9, "fewer first-layer positions than window positions");
    sizes.add(levels[1].length);
  }
  assert.ok(sizes.size > 1, "the position counts change between steps");
});


for (const [name, over] of [["time", {}], ["hybrid, learnable temperature", { hybrid: true, conditional: "time_delta", temperature_mode: "auto" }]] as Array<[string, Partial<TrainConfig>]>) {
  test(`float64: the positions form's step equals the touched form's on the same batch, and its gradient matches finite differences (${name})`, () => {
    const small: TrainConfig = { ...CFG, batch_size: 6, num_hidden_units: 6, ...over };
    const { session: rec } = ringRecording({ T: 80, N: 5, label_dim: 3, seed: 2 });
    const forms = ["touched", "positions"] as const;
    const irs = forms.map((input) => buildStepIR({ ...stepGraphOptions(small, rec.n_neurons, "step"), input, recording_samples: rec.n_samples }));
    const problems = forms.map((input) => singleSessionProblem(rec, small, arch, "step", 4, input));
    const params = problems[0].initParams();
    const P = params.length;
    const adam = { params, m: new Float64Array(P), v: new Float64Array(P), step_size: [1e-3], bc2_sqrt: [0.1] };
    const [a, b] = problems.map((p, i) => run(irs[i].graph, { ...interpFeeds(p.nextBatch()), ...adam }));
    assert.ok(b.loss.data[0] !== 0);
    assert.ok(Math.abs(a.loss.data[0] - b.loss.data[0]) <= 1e-12 * Math.abs(a.loss.data[0]), `${a.loss.data[0]} vs ${b.loss.data[0]}`);
    for (const out of ["align", "uniform", "temperature"]) assert.ok(Math.abs(a[out].data[0] - b[out].data[0]) <= 1e-12 * (1 + Math.abs(a[out].data[0])), out);
    assert.ok(maxRel(b.new_m.data, a.new_m.data) <= 1e-12, "gradient");
    assert.ok(maxRel(b.new_v.data, a.new_v.data) <= 1e-12, "second moment");
    assert.ok(maxRel(b.new_params.data, a.new_params.data) <= 1e-12, "parameters");
    // Finite differences of the loss against the positions form's gradient (β1 = 0: new_m is the gradient).
    const ir = buildStepIR({ ...stepGraphOptions(small, rec.n_neurons, "step"), beta1: 0, input: "positions", recording_samples: rec.n_samples });
    const fd = { ...interpFeeds(singleSessionProblem(rec, small, arch, "step", 5, "positions").nextBatch()), ...adam };
    const grad = run(ir.graph, fd).new_m.data;
    const loss = ir.graph.outputs.find((o) => o.name === "loss")!.value;
    const idx = [0, 7, 31, 90, 150, 260, P - 1];
    const numeric = numericGradient(ir.graph, fd, "params", loss, { indices: idx, h: 1e-5 });
    idx.forEach((i, k) => assert.ok(Math.abs(grad[i] - numeric[k]) <= 1e-7 + 1e-5 * Math.abs(numeric[k]), `param ${i}: ${grad[i]} vs ${numeric[k]}`));
  });
}

chainedFormTests(data, CFG, arch, "touched", "positions");

test("ORT: loss graphs (evaluation) agree between the positions and touched forms", async () => {
  const p = singleSessionProblem(data, CFG, arch, "loss", 8, "touched").initParams();
  const losses = await lossGraphLosses(data, CFG, arch, ["touched", "positions"], p);
  assert.ok(maxRel(losses[1], losses[0]) <= 1e-5, `${losses[1]} vs ${losses[0]}`);
});

test("a profiled fit with the positions form follows the touched form's loss trajectory, and K steps per run (index inputs padded to each run's longest) equal single steps", async () => {
  const pos = await profileSteps([data], CFG, 11, "positions");
  const tch = await profileSteps([data], CFG, 11, "touched");
  const loop = await profileStepsLoop(data, CFG, 11, 4, "positions"); // 4 + 4 + 3 steps
  const loss = (p: typeof pos) => p.losses.map((l) => l.loss);
  assert.ok(maxRel(loss(pos), loss(tch)) < 1e-5, `${loss(pos)} vs ${loss(tch)}`);
  assert.ok(maxRel(pos.params, tch.params) < 1e-5);
  assert.ok(maxRel(loss(loop), loss(pos)) < 1e-5, `${loss(loop)} vs ${loss(pos)}`);
  assert.ok(maxRel(loop.params, pos.params) < 1e-5);
  assert.ok(Math.abs(pos.losses[0].loss - pos.losses[10].loss) > 1e-4, "the loss moved");
});

test("models the form does not fit are refused by buildStepIR and never chosen", () => {
  for (const architecture of ["offset36-model-dropout", "offset1-model", "offset40-model-4x-subsample", "offset4-model-2x-subsample"]) {
    const o = { ...stepGraphOptions({ ...CFG, model_architecture: architecture }, 20, "step"), input: "positions" as const, recording_samples: 1000 };
    assert.throws(() => buildStepIR(o), /cannot run at positions/, architecture);
    for (const T of [500, 10_000, 100_000]) assert.notEqual(chooseStepInput(o, T), "positions", `${architecture}, T = ${T}`);
  }
  const { spec, dims } = checkModel({ architecture: "offset10-model-mse-tanh", n_neurons: 20, num_hidden_units: 8, output_dimension: 3 });
  assert.deepEqual(positionKernels(spec, dims), [2, 3, 3, 3, 3], "a final tanh runs at positions");
});
