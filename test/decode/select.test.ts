/**
 * The selection of preprocessing, distance and k on the validation split: data where the right distance
 * is known (counts whose rate carries the label → euclidean; directions with a nuisance gain → cosine),
 * test samples that cannot sway the choice, z-scoring with reference statistics only, the correlation
 * distance, and a user's metric that fixes every decoder's distance.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { decodeLabels, type LabelDecodeInput } from "../../src/decode/labels.js";
import { decodeFrames } from "../../src/decode/frames.js";
import { knn } from "../../src/decode/knn.js";
import { preprocess, applicablePreprocessings } from "../../src/decode/preprocess.js";
import { labelRawControls } from "../../src/decode/controls.js";
import { summarizeDecoding, type DecodeResult } from "../../src/decode/types.js";
import { Rng } from "../../src/util/rng.js";
import { movieData } from "./fixtures.js";

const T = 1200, TRAIN = 960;
const split = { train_ranges: [[0, TRAIN]] as [number, number][], test_ranges: [[TRAIN, T]] as [number, number][] };

/** Poisson counts of N neurons with one fixed tuning pattern; the class sets the overall rate (1×…5×). */
function rateCoded(seed: number) {
  const rng = new Rng(seed);
  const N = 12;
  const pattern = Array.from({ length: N }, () => 0.5 + 2 * rng.random());
  const cls = new Int32Array(T), features = new Float32Array(T * N);
  for (let t = 0; t < T; t++) {
    cls[t] = Math.floor(t / 20) % 5;
    for (let n = 0; n < N; n++) features[t * N + n] = rng.poisson(pattern[n] * (1 + cls[t]));
  }
  return { features, dim: N, cls };
}

/**
 * 2-D directions (24 classes 0.065 rad apart over a quarter circle, angular noise 0.005 rad) times a
 * log-uniform gain in [0.1, 10]: the direction is the label, the length is a nuisance that euclidean
 * distance cannot ignore.
 */
function directionCoded(seed: number) {
  const rng = new Rng(seed);
  const cls = new Int32Array(T), features = new Float32Array(T * 2);
  for (let t = 0; t < T; t++) {
    cls[t] = Math.floor(t / 15) % 24;
    const angle = (Math.PI / 2) * (cls[t] + 0.5) / 24 + 0.005 * rng.normal();
    const gain = Math.exp(Math.log(0.1) + Math.log(100) * rng.random());
    features[t * 2] = gain * Math.cos(angle);
    features[t * 2 + 1] = gain * Math.sin(angle);
  }
  return { features, dim: 2, cls };
}

function input(d: { features: Float32Array; dim: number; cls: Int32Array }, extra: Partial<LabelDecodeInput> = {}): LabelDecodeInput {
  return { features: d.features, n_samples: T, dim: d.dim, labels: { kind: "discrete", data: d.cls }, split, ...extra };
}

const scoreOf = (r: DecodeResult, prep: string, metric: string) =>
  r.k_selection.config_scores.find((c) => c.preprocessing === prep && c.metric === metric)!.criterion_value;

test("rate-coded counts: the selection picks a distance that sees magnitude (euclidean), and it decodes better than cosine", () => {
  const d = rateCoded(1);
  const res = decodeLabels(input(d));
  assert.equal(res.k_selection.metric_source, "validation");
  assert.equal(res.metric, "euclidean", JSON.stringify(res.k_selection.config_scores));
  assert.equal(res.k_selection.config_scores.length, 9, "3 preprocessings (counts allow sqrt) × 3 distances");
  // Cosine and correlation discard the overall rate, which is all the label changes.
  assert.ok(scoreOf(res, "none", "euclidean") > scoreOf(res, "none", "cosine") + 0.3, JSON.stringify(res.k_selection.config_scores));
  const cosine = decodeLabels(input(d, { metric: "cosine" }));
  assert.equal(cosine.k_selection.metric_source, "user");
  assert.equal(res.kind, "labels_discrete");
  // With cosine fixed by the user, z-scoring (centring on the training mean turns rate into direction) is what rescues it.
  assert.equal(cosine.preprocessing, "zscore");
  if (res.kind === "labels_discrete" && cosine.kind === "labels_discrete") assert.ok(res.scores.accuracy > cosine.scores.accuracy + 0.1);
  assert.match(res.protocol, /euclidean distance, features .*chosen from preprocessing \{none\/sqrt\/zscore\} × metric \{cosine\/euclidean\/correlation\}/);
});

test("direction-coded features with a nuisance gain: the selection picks cosine, not euclidean", () => {
  const d = directionCoded(2);
  const res = decodeLabels(input(d));
  assert.equal(res.metric, "cosine");
  assert.ok(scoreOf(res, "none", "cosine") > scoreOf(res, "none", "euclidean") + 0.2, JSON.stringify(res.k_selection.config_scores));
  // In 2-D, correlation only sees the sign of x − y: it cannot separate 8 directions.
  assert.ok(scoreOf(res, "none", "correlation") < scoreOf(res, "none", "cosine") - 0.2);
});

test("the choice uses the validation samples only: rewriting every test sample changes no selection score", () => {
  for (const d of [rateCoded(3), directionCoded(4)]) {
    const before = decodeLabels(input(d));
    const features = Float32Array.from(d.features);
    const rng = new Rng(9);
    // Adversarial test part: test features copied from training samples of another class, scaled up.
    for (let t = TRAIN; t < T; t++) {
      const src = (t * 7919) % TRAIN;
      for (let n = 0; n < d.dim; n++) features[t * d.dim + n] = 3 * d.features[src * d.dim + n] + rng.random();
    }
    const after = decodeLabels(input({ ...d, features }));
    assert.deepEqual(after.k_selection, before.k_selection);
    assert.notDeepEqual(after.rows.map((r) => r.predicted), before.rows.map((r) => r.predicted), "the test part did change");
  }
  // Frames: rewriting the test repeat leaves the selection on the validation repeat unchanged.
  const m = movieData({ nFrames: 30, repeats: 4, dim: 6, noise: 0.8, seed: 5 });
  const a = decodeFrames({ ...m, window: 3 });
  const features = Float32Array.from(m.features);
  for (let t = 0; t < m.n_samples; t++) if (m.repeat[t] === 3) for (let n = 0; n < m.dim; n++) features[t * m.dim + n] = -features[t * m.dim + n] * 5;
  const b = decodeFrames({ ...m, features, window: 3 });
  assert.equal(a.validation_repeat, 2);
  assert.deepEqual(b.k_selection, a.k_selection);
});

test("z-scoring uses reference-row statistics only; sqrt only for non-negative data", () => {
  const data = Float32Array.from([1, 10, 3, 30, 5, 50, 1000, -7]);
  const ref = Int32Array.from([0, 1, 2]);
  const z = preprocess(data, 2, "zscore", ref);
  // Column 0 over rows 0..2: mean 3, population s.d. √(8/3).
  assert.ok(Math.abs(z[0] - (1 - 3) / Math.sqrt(8 / 3)) < 1e-6);
  assert.ok(Math.abs(z[6] - (1000 - 3) / Math.sqrt(8 / 3)) < 1e-3, "row 3 is transformed with the reference statistics");
  assert.deepEqual(applicablePreprocessings(data, 2, ref), ["none", "sqrt", "zscore"]);
  assert.deepEqual(applicablePreprocessings(data, 2, Int32Array.from([3])), ["none", "zscore"]);
  const s = preprocess(data, 2, "sqrt", ref);
  assert.equal(s[1], Math.fround(Math.sqrt(10)));
  assert.equal(s[7], Math.fround(-Math.sqrt(7)), "sign kept outside the reference rows");
  assert.equal(preprocess(data, 2, "none", ref), data);
});

test("correlation distance is 1 − Pearson r and ignores each row's offset and scale", () => {
  const refs = Float32Array.from([1, 2, 3, 3, 2, 1, 10, 10, 11]);
  const q = Float32Array.from([5, 7, 9]); // = 2·[1,2,3] + 3: r = 1 with row 0
  const res = knn({ queries: q, references: refs, dim: 3, k: 3, metric: "correlation" });
  assert.deepEqual([...res.indices], [0, 2, 1]);
  assert.ok(Math.abs(res.distances[0]) < 1e-6);
  assert.ok(Math.abs(res.distances[2] - 2) < 1e-6, "anti-correlated row: distance 2");
  // Row 2 = [10, 10, 11]: r with [1,2,3] is 0.866.
  assert.ok(Math.abs(res.distances[1] - (1 - Math.sqrt(3) / 2)) < 1e-5);
});

test("a user's metric applies to every decoder, says so, and is no protocol mismatch", () => {
  const d = rateCoded(6);
  const neural = d.features;
  const N = d.dim;
  const protocol = { n_samples: T, labels: { kind: "discrete" as const, data: d.cls }, split, metric: "cosine" as const };
  const main = decodeLabels({ ...protocol, features: neural, dim: N, features_source: "CEBRA embedding" });
  const controls = labelRawControls(protocol, { neural, n_neurons: N, receptive_field: { left: 2, right: 3 } });
  for (const c of [main, ...Object.values(controls).map((o) => (o.status === "ok" ? o.result : null))]) {
    assert.ok(c);
    assert.equal(c.metric, "cosine");
    assert.equal(c.k_selection.metric_source, "user");
    assert.ok(c.k_selection.config_scores.every((s: { metric: string }) => s.metric === "cosine"));
    assert.match(c.protocol, /cosine distance \(fixed by the user\)/);
  }
  const summary = summarizeDecoding(main, controls);
  assert.equal(summary.settings.metric_source, "user");
  assert.deepEqual(summary.warnings, []);
  // Without a user metric, controls may choose another distance than the model; that is the protocol, not a mismatch.
  const free = { ...protocol, metric: undefined };
  const mainFree = decodeLabels({ ...free, features: directionCoded(7).features, dim: 2, features_source: "CEBRA embedding" });
  const controlsFree = labelRawControls(free, { neural, n_neurons: N, receptive_field: { left: 2, right: 3 } });
  const s2 = summarizeDecoding(mainFree, controlsFree);
  assert.equal(s2.controls.raw_per_sample?.settings?.metric, "euclidean");
  assert.notEqual(s2.settings.metric, "euclidean");
  assert.ok(!s2.warnings.some((w) => /protocol differs/.test(w)), s2.warnings.join("\n"));
  // A fixed k against a chosen k is a mismatch.
  const fixedK = decodeLabels({ ...free, features: neural, dim: N, k: 4 });
  const s3 = summarizeDecoding(mainFree, { raw_per_sample: { status: "ok", result: fixedK } });
  assert.ok(s3.warnings.some((w) => /protocol differs .*k fixed vs validation/.test(w)), s3.warnings.join("\n"));
});
