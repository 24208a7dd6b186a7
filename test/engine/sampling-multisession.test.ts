import test from "node:test";
import assert from "node:assert/strict";
import { createMultiSessionSampler, type MultiSessionBatch, type SamplerConfig } from "../../src/engine/cebra/sampling/index.js";
import type { SessionData } from "../../src/engine/types.js";
import { UserError } from "../../src/util/errors.js";

const CFG: SamplerConfig = { conditional: "time_delta", hybrid: false, time_offsets: 1, discrete_prior: "empirical", batch_size: 40, seed: 3 };

/** A session whose 1-D label is the sample index (c[t] = t), so Δc = Δ and every query has a known answer. */
function rampSession(T: number, N: number): SessionData {
  return { neural: new Float32Array(T * N), n_samples: T, n_neurons: N, continuous: { data: Float32Array.from({ length: T }, (_, t) => t), dim: 1 } };
}

function discreteSession(labels: number[]): SessionData {
  return { neural: new Float32Array(labels.length), n_samples: labels.length, n_neurons: 1, discrete: Int32Array.from(labels) };
}

/** The positive paired with stacked reference row r: session and sample index. */
function alignedPositive(batch: MultiSessionBatch, B: number, r: number): { session: number; index: number } {
  const j = batch.pos_order[r];
  const session = Math.floor(j / B);
  return { session, index: batch.pos[session][j - session * B] };
}

test("multi-session time_delta: pos_order pairs every reference with the positive of its own query", () => {
  const sizes = [50, 60, 70];
  const sampler = createMultiSessionSampler(sizes.map((T, i) => rampSession(T, 3 + i)), CFG);
  const B = CFG.batch_size;
  assert.equal(sampler.n_sessions, 3);
  let crossSession = 0;
  for (let step = 0; step < 10; step++) {
    const batch = sampler.sample();
    assert.deepEqual([...batch.pos_order].sort((a, b) => a - b), Array.from({ length: 3 * B }, (_, i) => i));
    for (let s = 0; s < 3; s++) {
      assert.equal(batch.ref[s].length, B);
      assert.equal(batch.neg[s].length, B);
      for (let b = 0; b < B; b++) {
        assert.ok(batch.ref[s][b] < sizes[s] && batch.neg[s][b] < sizes[s] && batch.pos[s][b] < sizes[s]);
        // Query = ref + 1 (all concatenated differences are 1: no zero rows), answered in the assigned session.
        const p = alignedPositive(batch, B, s * B + b);
        assert.equal(p.index, Math.min(batch.ref[s][b] + 1, sizes[p.session] - 1));
        if (p.session !== s) crossSession++;
      }
    }
  }
  // Queries are assigned to random sessions: about 2/3 land in another session.
  assert.ok(crossSession / (10 * 3 * B) > 0.55 && crossSession / (10 * 3 * B) < 0.78, `cross-session fraction ${crossSession / 1200}`);
});

test("multi-session sampling is reproducible by seed", () => {
  const sessions = [rampSession(30, 2), rampSession(40, 2)];
  const a = createMultiSessionSampler(sessions, CFG);
  const b = createMultiSessionSampler(sessions, CFG);
  const c = createMultiSessionSampler(sessions, { ...CFG, seed: 4 });
  const x = a.sample();
  assert.deepEqual(b.sample(), x);
  assert.notDeepEqual(c.sample().pos_order, x.pos_order);
});

test("multi-session discrete: aligned positives share the reference label", () => {
  const s0 = discreteSession(Array.from({ length: 30 }, (_, t) => t % 3));
  const s1 = discreteSession(Array.from({ length: 45 }, (_, t) => (t * 7) % 3));
  const sampler = createMultiSessionSampler([s0, s1], { ...CFG, conditional: "discrete" });
  const labels = [s0.discrete!, s1.discrete!];
  const B = CFG.batch_size;
  for (let step = 0; step < 5; step++) {
    const batch = sampler.sample();
    for (let s = 0; s < 2; s++) {
      for (let b = 0; b < B; b++) {
        const p = alignedPositive(batch, B, s * B + b);
        assert.equal(labels[p.session][p.index], labels[s][batch.ref[s][b]]);
      }
    }
  }
});

test("multi-session rejects unsupported or inconsistent inputs with UserErrors", () => {
  const ramp = [rampSession(30, 2), rampSession(30, 2)];
  assert.throws(() => createMultiSessionSampler(ramp, { ...CFG, hybrid: true }), /hybrid/);
  assert.throws(() => createMultiSessionSampler(ramp, { ...CFG, conditional: "mixed" }), UserError);
  assert.throws(() => createMultiSessionSampler([rampSession(30, 2), rampSession(1, 2)], CFG), /time_offsets/);
  const twoDim: SessionData = { ...rampSession(30, 2), continuous: { data: new Float32Array(60), dim: 2 } };
  assert.throws(() => createMultiSessionSampler([rampSession(30, 2), twoDim], CFG), /2-dimensional/);
  const mismatched = [discreteSession([0, 1, 2, 0]), discreteSession([0, 1, 1, 0])];
  assert.throws(() => createMultiSessionSampler(mismatched, { ...CFG, conditional: "discrete" }), /session 1 lacks value\(s\) 2/);
});
