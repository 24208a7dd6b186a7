/** The main-vs-control comparison: a paired block-bootstrap interval that covers the true difference, is reproducible, and reads in words. */
import test from "node:test";
import assert from "node:assert/strict";
import { BOOTSTRAP, compareDecoders, comparisonSentence, quantile, type ComparableResult } from "../../src/decode/compare.js";
import { Rng } from "../../src/util/rng.js";

/**
 * Two decoders' correctness on n test samples with difficulty that drifts slowly (autocorrelated, as real
 * decoding errors are): the main decoder is right with probability pMain(t), the control with pMain − delta.
 */
function discretePair(n: number, delta: number, seed: number): [ComparableResult, ComparableResult] {
  const rng = new Rng(seed);
  const main = [], control = [];
  let ease = 0;
  for (let t = 0; t < n; t++) {
    ease = 0.95 * ease + 0.3 * rng.normal();
    const p = Math.min(0.95, Math.max(0.05, 0.7 + 0.1 * ease));
    const u = rng.random();
    main.push({ sample: t, correct: u < p });
    control.push({ sample: t, correct: u < p - delta });
  }
  return [{ kind: "labels_discrete", rows: main }, { kind: "labels_discrete", rows: control }];
}

test("the 95% interval covers the true accuracy difference in most simulations (autocorrelated errors)", () => {
  const delta = 0.05;
  let covered = 0, excludesZero = 0;
  const sims = 40;
  for (let s = 0; s < sims; s++) {
    const c = compareDecoders(...discretePair(1500, delta, 100 + s))!;
    if (c.ci_low <= delta && delta <= c.ci_high) covered++;
    if (c.ci_low > 0) excludesZero++;
    assert.equal(c.score, "accuracy");
    assert.equal(c.n_paired, 1500);
    assert.equal(c.block_length, Math.ceil(1500 / BOOTSTRAP.n_blocks));
  }
  assert.ok(covered >= 34, `covered ${covered}/${sims}`);
  assert.ok(excludesZero >= 30, `a real 5-point gain is found ${excludesZero}/${sims} times`);
});

test("equal decoders are indistinguishable; the result is reproducible (fixed seed)", () => {
  const [a] = discretePair(800, 0, 7);
  const [b] = discretePair(800, 0, 8);
  const c1 = compareDecoders(a, b)!;
  const c2 = compareDecoders(a, b)!;
  assert.deepEqual(c1, c2);
  const same = compareDecoders(a, a)!;
  assert.equal(same.difference, 0);
  assert.equal(same.verdict, "indistinguishable");
  assert.match(comparisonSentence("the CEBRA embedding", "the raw per-sample control", same), /indistinguishable: difference \+0\.0 points \(95% CI 0\.0 to 0\.0/);
});

test("continuous labels: mean r² difference with an interval covering the true one", () => {
  // y uniform with variance 1 (±√3); main error s.d. 0.5 → r² 0.75; control s.d. 0.7 → r² 0.51: true difference 0.24.
  let covered = 0;
  for (let s = 0; s < 20; s++) {
    const rng = new Rng(500 + s);
    type Row = { sample: number; true_label: number[]; predicted: number[] };
    const main: Row[] = [], control: Row[] = [];
    for (let t = 0; t < 2000; t++) {
      const y = Math.sqrt(3) * (2 * rng.random() - 1);
      main.push({ sample: t, true_label: [y], predicted: [y + 0.5 * rng.normal()] });
      control.push({ sample: t, true_label: [y], predicted: [y + 0.7 * rng.normal()] });
    }
    const c = compareDecoders({ kind: "labels_continuous", rows: main }, { kind: "labels_continuous", rows: control })!;
    assert.equal(c.score, "r2_mean");
    assert.equal(c.verdict, "stronger");
    if (c.ci_low <= 0.24 && 0.24 <= c.ci_high) covered++;
    if (s === 0) {
      // On all samples the scores are sklearn's r2 of each decoder.
      const ys = main.map((r) => r.true_label[0]);
      const my = ys.reduce((a, b) => a + b, 0) / ys.length;
      const tot = ys.reduce((a, y) => a + (y - my) ** 2, 0);
      const r2 = (rows: typeof main) => 1 - rows.reduce((a, r) => a + (r.predicted[0] - r.true_label[0]) ** 2, 0) / tot;
      assert.ok(Math.abs(c.main - r2(main)) < 1e-9 && Math.abs(c.control - r2(control)) < 1e-9);
    }
    if (s === 0) assert.match(comparisonSentence("the CEBRA embedding", "the window-averaged raw control", c), /^the CEBRA embedding is stronger than the window-averaged raw control by 0\.2\d\d in mean r² \(95% CI 0\.\d+ to 0\.\d+\)\.$/);
  }
  assert.ok(covered >= 16, `covered ${covered}/20`);
});

test("frames pair by sample, score |error| < window, and a weaker main decoder reads as weaker", () => {
  const rows = (err: (t: number) => number | null) => Array.from({ length: 300 }, (_, t) => ({ sample: 10 + t, error: err(t) }));
  const main: ComparableResult = { kind: "frames", window: 5, rows: rows((t) => (t % 2 ? 40 : 1)) };
  const control: ComparableResult = { kind: "frames", window: 5, rows: [...rows((t) => (t === 3 ? null : 0)), { sample: 9999, error: 0 }] };
  const c = compareDecoders(main, control)!;
  assert.equal(c.n_paired, 299, "the unscored row (error null) and the control's extra sample are left out");
  assert.ok(Math.abs(c.main - 150 / 299) < 1e-12);
  assert.equal(c.control, 1);
  assert.equal(c.verdict, "weaker");
  assert.match(comparisonSentence("the CEBRA embedding", "the raw per-sample control", c), /is weaker than the raw per-sample control by 49\.8 points \(95% CI 4\d\.\d to 5\d\.\d\)\.$/);
  assert.equal(compareDecoders(main, { kind: "labels_discrete", rows: [] }), null);
  // Another sample numbering with the same scored rows (raw data at another rate) pairs by position.
  const shifted = compareDecoders(main, { ...main, rows: main.rows.map((r) => ({ ...r, sample: r.sample + 100_000 })) })!;
  assert.equal(shifted.n_paired, 300);
  assert.equal(shifted.difference, 0);
  // Rows that share sample numbers but not targets (another time base) are not paired.
  const framed = (shift: number): ComparableResult => ({ kind: "frames", window: 5, rows: Array.from({ length: 50 }, (_, t) => ({ sample: t, true_frame: t + shift, error: 0 })) });
  assert.equal(compareDecoders(framed(0), framed(0))!.n_paired, 50);
  assert.equal(compareDecoders(framed(0), framed(3)), null);
  assert.equal(quantile(Float64Array.from([3, 1, 2, 4]), 0.5), 2.5);
});
