import test from "node:test";
import assert from "node:assert/strict";
import { createSampler, type SamplerConfig } from "../../src/engine/cebra/sampling/index.js";
import { NormalQuery, TimeDeltaQuery, type LabelMatrix, type QueryRule } from "../../src/engine/cebra/sampling/common.js";
import { NearestLabelSampler } from "../../src/engine/cebra/sampling/continuous.js";
import { MixedSampler } from "../../src/engine/cebra/sampling/discrete.js";
import type { SessionData } from "../../src/engine/types.js";
import { UserError } from "../../src/util/errors.js";
import { Rng } from "../../src/util/rng.js";

const BASE: SamplerConfig = {
  conditional: "time_delta",
  hybrid: false,
  time_offsets: 1,
  discrete_prior: "empirical",
  batch_size: 64,
  seed: 1,
};

function session(T: number, labels: { continuous?: LabelMatrix; discrete?: Int32Array } = {}): SessionData {
  return { neural: new Float32Array(T * 2), n_samples: T, n_neurons: 2, ...labels };
}

/** Labels c[t] = t (1-D): Δc = Δ everywhere except the first Δ (zero) rows. */
function rampLabels(T: number): LabelMatrix {
  return { data: Float32Array.from({ length: T }, (_, t) => t), dim: 1 };
}

/** A smooth random 2-D trajectory of F frames repeated R times (movie features per repeat). */
function movieLabels(F: number, R: number, rng: Rng): LabelMatrix {
  const data = new Float32Array(F * R * 2);
  for (let f = 0; f < F; f++) {
    const a = (2 * Math.PI * f) / F;
    const x = Math.cos(a) + 0.01 * rng.normal();
    const y = Math.sin(2 * a) + 0.01 * rng.normal();
    for (let r = 0; r < R; r++) data.set([x, y], (r * F + f) * 2);
  }
  return { data, dim: 2 };
}

function randomLabels(T: number, dim: number, rng: Rng): LabelMatrix {
  return { data: Float32Array.from({ length: T * dim }, () => rng.normal()), dim };
}

function sqDist(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, dim: number): number {
  let s = 0;
  for (let k = 0; k < dim; k++) s += (a[ao + k] - b[bo + k]) ** 2;
  return s;
}

/** Minimum squared distance from q to the label rows in `rows` (all rows when omitted). */
function bruteMin(c: LabelMatrix, q: Float64Array, rows?: number[]): number {
  const T = c.data.length / c.dim;
  let best = Infinity;
  for (const t of rows ?? Array.from({ length: T }, (_, i) => i)) best = Math.min(best, sqDist(q, 0, c.data, t * c.dim, c.dim));
  return best;
}

/** Wraps a query rule and records every query it makes. */
function recording(rule: QueryRule): { rule: QueryRule; queries: Float64Array[] } {
  const queries: Float64Array[] = [];
  return {
    queries,
    rule: {
      make(ref, q, rng) {
        rule.make(ref, q, rng);
        queries.push(Float64Array.from(q));
      },
    },
  };
}

function chiSquare(counts: number[], expected: number[]): number {
  return counts.reduce((s, c, i) => s + (c - expected[i]) ** 2 / expected[i], 0);
}

test("time: positives are exactly Δ ahead; ref and neg lie in [0, T−Δ)", () => {
  const T = 50;
  const s = createSampler(session(T), { ...BASE, conditional: "time", time_offsets: 3 });
  const seen = new Set<number>();
  for (let step = 0; step < 30; step++) {
    const { ref, pos, neg } = s.sample();
    assert.equal(ref.length, 64);
    assert.equal(neg.length, 64);
    for (let b = 0; b < 64; b++) {
      assert.equal(pos[b], ref[b] + 3);
      assert.ok(ref[b] >= 0 && ref[b] < T - 3 && neg[b] >= 0 && neg[b] < T - 3);
      seen.add(ref[b]);
    }
  }
  assert.equal(seen.size, T - 3, "every valid reference index is drawn");
});

test("time_delta: queries are c[ref] + Δc[k] and positives are exact nearest labels of the queries", () => {
  const rng = new Rng(5);
  const T = 300;
  const c = randomLabels(T, 3, rng);
  const delta = 2;
  const rec = recording(new TimeDeltaQuery(c, T, delta));
  const s = new NearestLabelSampler(c, T, rec.rule, 50, 9);
  const diffs: number[][] = [[0, 0, 0]];
  for (let t = delta; t < T; t++) diffs.push([0, 1, 2].map((k) => c.data[t * 3 + k] - c.data[(t - delta) * 3 + k]));
  for (let step = 0; step < 4; step++) {
    const { ref, pos } = s.sample();
    for (let b = 0; b < ref.length; b++) {
      const q = rec.queries[step * 50 + b];
      const shift = [0, 1, 2].map((k) => q[k] - c.data[ref[b] * 3 + k]);
      assert.ok(diffs.some((d) => d.every((v, k) => Math.abs(v - shift[k]) < 1e-5)), "query = c[ref] + some Δc row");
      assert.equal(sqDist(q, 0, c.data, pos[b] * 3, 3), bruteMin(c, q));
    }
  }
});

test("time_delta on a ramp: positive = ref + Δ (clamped), or ref itself for the zero rows of Δc", () => {
  const T = 40;
  const s = createSampler(session(T, { continuous: rampLabels(T) }), { ...BASE, time_offsets: 3, batch_size: 200 });
  let same = 0;
  let total = 0;
  for (let step = 0; step < 20; step++) {
    const { ref, pos } = s.sample();
    for (let b = 0; b < ref.length; b++) {
      total++;
      if (pos[b] === ref[b]) same++;
      else assert.equal(pos[b], Math.min(ref[b] + 3, T - 1));
    }
  }
  // Zero rows are drawn with probability Δ/T = 7.5%, plus refs at T−1 (clamped onto themselves).
  assert.ok(same / total > 0.05 && same / total < 0.14, `fraction ${same / total}`);
});

test("time_delta with repeated movie labels spreads positives over all repeats", () => {
  const rng = new Rng(2);
  const F = 30;
  const R = 6;
  const c = movieLabels(F, R, rng);
  const s = createSampler(session(F * R, { continuous: c }), { ...BASE, batch_size: 256 });
  const counts = new Array(R).fill(0);
  for (let step = 0; step < 20; step++) for (const p of s.sample().pos) counts[Math.floor(p / F)]++;
  const n = counts.reduce((a, b) => a + b, 0);
  const chi2 = chiSquare(counts, new Array(R).fill(n / R));
  assert.ok(chi2 < 20.5, `chi-square ${chi2.toFixed(1)} (5 dof), counts ${counts}`);
});

test("delta: positives are labels near c[ref] (σ = 0.05), and δ is required", () => {
  const rng = new Rng(4);
  const T = 2000;
  const c = randomLabels(T, 2, rng);
  const s = createSampler(session(T, { continuous: c }), { ...BASE, conditional: "delta", delta: 0.05 });
  let sum = 0;
  let n = 0;
  for (let step = 0; step < 10; step++) {
    const { ref, pos } = s.sample();
    for (let b = 0; b < ref.length; b++) {
      sum += Math.sqrt(sqDist(c.data, ref[b] * 2, c.data, pos[b] * 2, 2));
      n++;
    }
  }
  // Query ~ 0.063 from c[ref] on average; the nearest label is at most about twice that away.
  assert.ok(sum / n < 0.12, `mean distance ${sum / n}`);
  // Random pairs are ~1.8 apart, so this also fails if positives ignore the reference.
  assert.throws(() => createSampler(session(T, { continuous: c }), { ...BASE, conditional: "delta" }), UserError);
});

test("delta: positives are exact nearest labels of the normal queries", () => {
  const rng = new Rng(6);
  const T = 200;
  const c = randomLabels(T, 2, rng);
  const rec = recording(new NormalQuery(c, 0.3));
  const s = new NearestLabelSampler(c, T, rec.rule, 40, 1);
  const { pos } = s.sample();
  pos.forEach((p, b) => assert.equal(sqDist(rec.queries[b], 0, c.data, p * 2, 2), bruteMin(c, rec.queries[b])));
});

/** Labels with absent values and skewed counts: value 0 ×600, 5 ×300, 7 ×100. */
function skewedDiscrete(): Int32Array {
  const d = new Int32Array(1000);
  for (let t = 0; t < 1000; t++) d[t] = t < 600 ? 0 : t < 900 ? 5 : 7;
  const rng = new Rng(8);
  return rng.shuffle(d);
}

function labelFrequencies(d: Int32Array, idx: Int32Array[], values: number[]): number[] {
  const counts = values.map(() => 0);
  let n = 0;
  for (const a of idx) for (const t of a) {
    counts[values.indexOf(d[t])]++;
    n++;
  }
  return counts.map((x) => x / n);
}

test("discrete: positives share the reference label; empirical prior follows label frequencies", () => {
  const d = skewedDiscrete();
  const s = createSampler(session(1000, { discrete: d }), { ...BASE, conditional: "discrete", batch_size: 500 });
  const refs: Int32Array[] = [];
  const negs: Int32Array[] = [];
  for (let step = 0; step < 10; step++) {
    const { ref, pos, neg } = s.sample();
    ref.forEach((r, b) => assert.equal(d[pos[b]], d[r]));
    refs.push(ref);
    negs.push(neg);
  }
  const f = labelFrequencies(d, refs, [0, 5, 7]);
  [0.6, 0.3, 0.1].forEach((p, i) => assert.ok(Math.abs(f[i] - p) < 0.03, `ref freq ${f}`));
  const g = labelFrequencies(d, negs, [0, 5, 7]);
  [0.6, 0.3, 0.1].forEach((p, i) => assert.ok(Math.abs(g[i] - p) < 0.03, `neg freq ${g}`));
});

test("discrete: the uniform prior is balanced over the label values that occur", () => {
  const d = skewedDiscrete();
  const s = createSampler(session(1000, { discrete: d }), { ...BASE, conditional: "discrete", discrete_prior: "uniform", batch_size: 500 });
  const refs: Int32Array[] = [];
  for (let step = 0; step < 10; step++) {
    const { ref, pos } = s.sample();
    ref.forEach((r, b) => assert.equal(d[pos[b]], d[r]));
    refs.push(ref);
  }
  const f = labelFrequencies(d, refs, [0, 5, 7]);
  f.forEach((x) => assert.ok(Math.abs(x - 1 / 3) < 0.03, `freq ${f}`));
  const positives = new Set<number>();
  for (let step = 0; step < 10; step++) for (const p of s.sample().pos) if (d[p] === 7) positives.add(p);
  assert.ok(positives.size > 90, "positives cover the members of a class");
});

test("mixed: class-balanced refs; positives share the label and are nearest within the class", () => {
  const rng = new Rng(12);
  const T = 600;
  const c = randomLabels(T, 2, rng);
  const d = Int32Array.from({ length: T }, (_, t) => (t < 400 ? 1 : t < 550 ? 2 : 3));
  const rec = recording(new TimeDeltaQuery(c, T, 1));
  const s = new MixedSampler(d, c, rec.rule, 300, 3);
  const classRows = new Map<number, number[]>();
  for (let t = 0; t < T; t++) classRows.set(d[t], [...(classRows.get(d[t]) ?? []), t]);
  const counts = new Map<number, number>();
  for (let step = 0; step < 4; step++) {
    const { ref, pos, neg } = s.sample();
    ref.forEach((r, b) => {
      assert.equal(d[pos[b]], d[r]);
      const q = rec.queries[step * 300 + b];
      assert.equal(sqDist(q, 0, c.data, pos[b] * 2, 2), bruteMin(c, q, classRows.get(d[r])));
      counts.set(d[r], (counts.get(d[r]) ?? 0) + 1);
      counts.set(d[neg[b]], (counts.get(d[neg[b]]) ?? 0) + 1);
    });
  }
  for (const v of [1, 2, 3]) assert.ok(Math.abs(counts.get(v)! / 2400 - 1 / 3) < 0.04, `counts ${[...counts]}`);
  const viaFactory = createSampler(session(T, { continuous: c, discrete: d }), { ...BASE, conditional: "mixed" }).sample();
  viaFactory.ref.forEach((r, b) => assert.equal(d[viaFactory.pos[b]], d[r]));
});

test("hybrid: ref/neg from the time prior; pos = [behaviour positives, ref + Δ]", () => {
  const T = 60;
  const s = createSampler(session(T, { continuous: rampLabels(T) }), { ...BASE, hybrid: true, time_offsets: 2, batch_size: 32 });
  for (let step = 0; step < 10; step++) {
    const { ref, pos, neg } = s.sample();
    assert.equal(pos.length, 64);
    for (let b = 0; b < 32; b++) {
      assert.ok(ref[b] < T - 2 && neg[b] < T - 2);
      assert.ok(pos[b] === ref[b] || pos[b] === ref[b] + 2, "behaviour positive: nearest to c[ref] + Δc");
      assert.equal(pos[32 + b], ref[b] + 2);
    }
  }
});

test("sampling is reproducible by seed and differs between seeds", () => {
  const rng = new Rng(1);
  const data = session(500, { continuous: randomLabels(500, 3, rng), discrete: Int32Array.from({ length: 500 }, (_, t) => t % 4) });
  for (const conditional of ["time", "time_delta", "delta", "discrete", "mixed"] as const) {
    const cfg = { ...BASE, conditional, delta: 0.2 };
    const a = createSampler(data, cfg);
    const b = createSampler(data, cfg);
    const other = createSampler(data, { ...cfg, seed: 2 });
    for (let step = 0; step < 3; step++) {
      const x = a.sample();
      assert.deepEqual(b.sample(), x, conditional);
      assert.notDeepEqual(other.sample().ref, x.ref, conditional);
    }
  }
});

test("bad configurations are UserErrors that name the problem", () => {
  const plain = session(20);
  assert.throws(() => createSampler(plain, { ...BASE }), /needs continuous labels/);
  assert.throws(() => createSampler(plain, { ...BASE, conditional: "discrete" }), /needs discrete labels/);
  assert.throws(() => createSampler(plain, { ...BASE, conditional: "time", time_offsets: 20 }), /time_offsets 20/);
  assert.throws(() => createSampler(plain, { ...BASE, conditional: "time", batch_size: 0 }), /batch_size/);
  const labelled = session(20, { continuous: rampLabels(20) });
  assert.throws(() => createSampler(labelled, { ...BASE, hybrid: true, conditional: "discrete" }), /Hybrid/);
  assert.throws(() => createSampler(labelled, { ...BASE, conditional: "bogus" as never }), /Unknown conditional/);
  assert.throws(() => createSampler(session(20, { continuous: { data: new Float32Array(7), dim: 1 } }), BASE), UserError);
});
