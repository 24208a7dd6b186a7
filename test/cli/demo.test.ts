import test from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { FULL_DEFAULTS, parseDemoArgs, runDemo } from "../../src/cli/demo.js";
import { headlineSentence } from "../../src/cli/demo-report.js";
import { aggregateFull } from "../../src/cli/demo-full.js";
import { movieGeometry, spearman } from "../../src/cli/demo-beyond.js";
import { TOOL_DEFAULTS } from "../../src/cli/demo-run.js";
import { UserError } from "../../src/util/errors.js";
import { Rng } from "../../src/util/rng.js";

test("the headline sentence follows the verdicts and numbers it is given", () => {
  const s = headlineSentence(0.42, 0.066, 30, [
    { name: "raw activity per sample", verdict: "stronger", difference: 0.2, ci_low: 0.15, ci_high: 0.25 },
    { name: "raw activity averaged over the model's receptive field", verdict: "weaker", difference: -0.1, ci_low: -0.15, ci_high: -0.05 },
  ]);
  assert.match(s, /42\.0% of held-out samples within 30 frames/);
  assert.match(s, /chance 6\.6%/);
  assert.match(s, /better than raw activity per sample \(\+20\.0 points\)/);
  assert.match(s, /worse than raw activity averaged over the model's receptive field \(−10\.0 points\)/);
  const t = headlineSentence(0.5, 0.07, 30, [{ name: "raw activity per sample", verdict: "indistinguishable", difference: 0.01, ci_low: -0.02, ci_high: 0.04 }]);
  assert.match(t, /indistinguishably from raw activity per sample \(\+1\.0 points, 95% interval −2\.0 to \+4\.0 includes 0\)/);
  assert.doesNotMatch(t, /better|worse/);
  assert.match(headlineSentence(0.5, 0.07, 30, []), /no raw-activity control ran/);
});

test("demo arguments: --full with its cells and seeds; --full-* without --full is refused", () => {
  const plain = parseDemoArgs([])!;
  assert.equal(plain.full, false);
  assert.deepEqual(plain.full_cells, FULL_DEFAULTS.cells);
  const full = parseDemoArgs(["--full", "--full-cells", "200, 50,100,50", "--full-seeds", "2"])!;
  assert.equal(full.full, true);
  assert.deepEqual(full.full_cells, [50, 100, 200]);
  assert.equal(full.full_seeds, 2);
  assert.throws(() => parseDemoArgs(["--full-cells", "50"]), (e) => e instanceof UserError && /only apply with --full/.test(e.message));
  assert.throws(() => parseDemoArgs(["--full", "--full-cells", "50,x"]), (e) => e instanceof UserError && /full-cells/.test(e.message));
  assert.throws(() => parseDemoArgs(["--full", "--full-seeds", "0"]), UserError);
  assert.equal(parseDemoArgs(["--help"]), null);
});

test("aggregateFull: mean, min and max over seeds per size, nulls skipped", () => {
  const agg = aggregateFull([
    { cells: 100, seed: 0, cebra: 0.5, shuffled_labels: 0.1, raw_per_sample: 0.3, raw_window_averaged: 0.6, chance: 0.06 },
    { cells: 50, seed: 0, cebra: 0.2, shuffled_labels: null, raw_per_sample: 0.1, raw_window_averaged: 0.2, chance: 0.06 },
    { cells: 100, seed: 1, cebra: 0.7, shuffled_labels: 0.2, raw_per_sample: 0.3, raw_window_averaged: 0.6, chance: 0.06 },
  ]);
  assert.deepEqual(agg.map((a) => a.cells), [50, 100]);
  const c = agg[1]!.by.cebra!;
  assert.ok(Math.abs(c.mean - 0.6) < 1e-12);
  assert.deepEqual([c.min, c.max, c.n], [0.5, 0.7, 2]);
  assert.equal(agg[0]!.by.shuffled_labels, undefined);
  assert.equal(agg[1]!.by.shuffled_labels!.n, 2);
});

test("spearman handles ties; movieGeometry is high when distance follows the frame and near 0 when it does not", () => {
  assert.ok(Math.abs(spearman([1, 2, 3, 4], [10, 20, 30, 40]) - 1) < 1e-12);
  assert.ok(Math.abs(spearman([1, 2, 3, 4], [4, 3, 2, 1]) + 1) < 1e-12);
  assert.ok(Math.abs(spearman([1, 1, 2, 2], [1, 1, 2, 2]) - 1) < 1e-12);
  const nFrames = 200, repeats = 4, T = nFrames * repeats, dim = 2;
  const frame = Int32Array.from({ length: T }, (_, t) => t % nFrames);
  const repeat = Int32Array.from({ length: T }, (_, t) => Math.floor(t / nFrames));
  // A slow walk round a circle: cosine distance grows with |Δframe| up to half a turn (400 frames).
  const smooth = Float32Array.from({ length: T * dim }, (_, i) => (i % 2 ? Math.sin : Math.cos)((frame[Math.floor(i / 2)]! / 800) * 2 * Math.PI));
  const g = movieGeometry({ name: "circle", features: smooth, dim }, frame, repeat, 3, { n_pairs: 3000 });
  assert.ok(g.rho > 0.95, `rho ${g.rho}`);
  assert.equal(g.n_pairs, 3000);
  const rng = new Rng(2);
  const noise = Float32Array.from({ length: T * 8 }, () => rng.normal());
  const h = movieGeometry({ name: "noise", features: noise, dim: 8 }, frame, repeat, 3, { n_pairs: 3000 });
  assert.ok(Math.abs(h.rho) < 0.08, `rho ${h.rho}`);
});

test("a tiny demo with --full: the report opens with the table and a sentence that matches its margins", { timeout: 480_000 }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "demo-test-"));
  try {
    const code = await runDemo(["--out", dir, "--steps", "20", "--cells", "40", "--no-shuffled", "--full", "--full-cells", "30,40", "--full-seeds", "2"]);
    assert.equal(code, 0);
    const md = await readFile(path.join(dir, "report.md"), "utf8");
    const lines = md.split("\n");
    assert.equal(lines[0], "# cebra-mcp demo report");
    assert.match(lines[2]!, /^\| Decoder/);
    const tableEnd = lines.findIndex((l, i) => i > 2 && !l.startsWith("|"));
    const table = lines.slice(2, tableEnd);
    const sentence = lines[tableEnd + 1]!;
    assert.match(sentence, /^On this recording CEBRA places [\d.]+% of held-out samples/);
    // Each raw control's verdict in the sentence agrees with the sign of its interval in the table.
    for (const [row, name] of [["Raw activity, per sample", "raw activity per sample"], ["Raw activity, mean over", "raw activity averaged over the model's receptive field"]] as const) {
      const cells = table.find((l) => l.startsWith(`| ${row}`))!.split("|").map((c) => c.trim());
      const m = /\(([+−][\d.]+) to ([+−][\d.]+)\)/.exec(cells.at(-2)!)!;
      const [lo, hi] = [m[1]!, m[2]!].map((x) => Number(x.replace("−", "-")));
      const word = lo > 0 ? "better than" : hi < 0 ? "worse than" : "indistinguishably from";
      assert.ok(sentence.includes(`${word} ${name}`), `${row}: [${lo}, ${hi}] but "${sentence}"`);
    }
    assert.match(lines[tableEnd + 3]!, new RegExp(`^Settings: 20 training steps.*train_embedding's defaults are ${TOOL_DEFAULTS.steps} steps`));
    assert.match(md, /## Beyond accuracy/);
    assert.match(md, /\| CEBRA embedding \| -?[\d.]+ \| \d+ \|/);
    assert.match(md, /## Accuracy vs number of cells/);
    assert.match(md, /\| 30 \| [\d.]+%/);
    assert.match(md, /\| cells \| CEBRA \| CEBRA, shuffled labels \|\n\|---:\|---:\|---:\|\n\| 30 \| -?[\d.]+ \| — \|/);
    for (const f of ["demo-lag.png", "demo-full-cells.png"]) {
      const meta = await sharp(path.join(dir, f)).metadata();
      assert.equal(meta.format, "png");
      assert.ok((await readFile(path.join(dir, f))).length < 300_000);
    }
    const json = JSON.parse(await readFile(path.join(dir, "results.json"), "utf8"));
    assert.equal(json.full.points.length, 4);
    assert.equal(json.beyond.lags[0].points.length, 13);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
