/**
 * The "touched" window input of the step graphs: the first layer runs only on the recording rows the
 * batch's windows touch (input "touched", ascending distinct rows) with "rows" indexing them. Checked
 * against the "recording" form on the same batches: the step's outputs in float64 (the interpreter,
 * and a finite-difference check of its gradient), whole training steps in ORT float32 (chained Adam
 * steps, K steps per run, loss graphs), and the batch assembler's rows.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { buildStepIR } from "../../src/engine/cebra/step.js";
import { numericGradient, run } from "../../src/engine/graph/interp.js";
import { ringRecording } from "../../src/engine/synthetic.js";
import { singleSessionProblem, stepGraphOptions } from "../../src/engine/train/batches.js";
import { profileStepsLoop } from "../../src/engine/train/k-steps.js";
import { profileSteps } from "../../src/engine/train/trainer.js";
import type { TrainConfig } from "../../src/engine/types.js";
import { chainedFormTests, formsFixture, interpFeeds, lossGraphLosses, maxRel, tensorNumbers } from "./step-checks.js";

const { data, CFG, arch } = formsFixture();

test("touched rows: ascending, distinct, exactly the windows' rows, and rows index them", () => {
  const rec = singleSessionProblem(data, CFG, arch, "step", 9, "recording");
  const tch = singleSessionProblem(data, CFG, arch, "step", 9, "touched");
  const counts = new Set<number>();
  for (let step = 0; step < 5; step++) {
    const a = rec.nextBatch();
    const b = tch.nextBatch();
    assert.deepEqual(Object.keys(b).sort(), ["data", "rows", "touched"]);
    const rows = tensorNumbers(a.rows);
    const touched = tensorNumbers(b.touched);
    assert.deepEqual(touched, [...new Set(rows)].sort((x, y) => x - y));
    assert.deepEqual(tensorNumbers(b.rows).map((i) => touched[i]), rows);
    assert.ok(touched.length < data.n_samples, `${touched.length} of ${data.n_samples} rows touched`);
    counts.add(touched.length);
  }
  assert.ok(counts.size > 1, "the touched row count changes between steps");
});


test("float64: the touched form's step equals the recording form's on the same batch (padding included), and its gradient matches finite differences", () => {
  const small: TrainConfig = { ...CFG, batch_size: 6, num_hidden_units: 6 };
  const { session: rec } = ringRecording({ T: 80, N: 5, seed: 2 });
  const irs = (["recording", "touched"] as const).map((input) => buildStepIR({ ...stepGraphOptions(small, rec.n_neurons, "step"), input, recording_samples: rec.n_samples }));
  const problems = (["recording", "touched"] as const).map((input) => singleSessionProblem(rec, small, arch, "step", 4, input));
  const params = problems[0].initParams();
  const P = params.length;
  const adam = { params, m: new Float64Array(P), v: new Float64Array(P), step_size: [1e-3], bc2_sqrt: [0.1] };
  const outs = problems.map((p, i) => run(irs[i].graph, { ...interpFeeds(p.nextBatch()), ...adam }));
  const [a, b] = outs;
  assert.ok(b.loss.data[0] !== 0);
  assert.ok(Math.abs(a.loss.data[0] - b.loss.data[0]) <= 1e-12 * Math.abs(a.loss.data[0]));
  assert.ok(maxRel(b.new_m.data, a.new_m.data) <= 1e-12, "gradient");
  assert.ok(maxRel(b.new_params.data, a.new_params.data) <= 1e-12, "parameters");
  // The same batch with "touched" padded by repeats of its last row (as the K-step graph feeds it).
  const feeds = interpFeeds(singleSessionProblem(rec, small, arch, "step", 4, "touched").nextBatch());
  const t = feeds.touched;
  const padded = { shape: [t.shape[0] + 3], data: Float64Array.from([...t.data, ...Array(3).fill(t.data[t.data.length - 1])]) };
  const c = run(irs[1].graph, { ...feeds, touched: padded, ...adam });
  assert.ok(maxRel(c.new_m.data, b.new_m.data) <= 1e-12, "padded touched rows");
  // Finite differences of the loss against the touched form's gradient (β1 = 0: new_m is the gradient).
  const ir = buildStepIR({ ...stepGraphOptions(small, rec.n_neurons, "step"), beta1: 0, input: "touched", recording_samples: rec.n_samples });
  const fd = { ...feeds, ...adam };
  const grad = run(ir.graph, fd).new_m.data;
  const loss = ir.graph.outputs.find((o) => o.name === "loss")!.value;
  const idx = [0, 7, 31, 90, 150, P - 1];
  const numeric = numericGradient(ir.graph, fd, "params", loss, { indices: idx, h: 1e-5 });
  idx.forEach((i, k) => assert.ok(Math.abs(grad[i] - numeric[k]) <= 1e-7 + 1e-5 * Math.abs(numeric[k]), `param ${i}: ${grad[i]} vs ${numeric[k]}`));
});

chainedFormTests(data, CFG, arch, "recording", "touched");

test("ORT: K steps per run of the touched form (each step's rows padded to the longest) equal single steps", async () => {
  const single = await profileSteps([data], CFG, 11, "touched");
  const loop = await profileStepsLoop(data, CFG, 11, 4, "touched");
  const rec = await profileSteps([data], CFG, 11, "recording");
  const loss = (p: typeof single) => p.losses.map((l) => l.loss);
  assert.ok(maxRel(loss(loop), loss(single)) < 1e-5);
  assert.ok(maxRel(loss(single), loss(rec)) < 1e-5);
  assert.ok(maxRel(loop.params, single.params) < 1e-5);
  assert.ok(Math.abs(single.losses[0].loss - single.losses[10].loss) > 1e-4);
});

test("ORT: loss graphs (evaluation) agree between the touched and recording forms", async () => {
  const p = singleSessionProblem(data, CFG, arch, "loss", 8, "recording").initParams();
  const losses = await lossGraphLosses(data, CFG, arch, ["recording", "touched"], p);
  assert.ok(maxRel(losses[1], losses[0]) <= 1e-5, `${losses[1]} vs ${losses[0]}`);
});
