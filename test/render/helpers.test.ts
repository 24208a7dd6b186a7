import test from "node:test";
import assert from "node:assert/strict";
import { CATEGORICAL_PALETTE, viridis, VIRIDIS_LUT } from "../../src/render/colormap.js";
import { checkFonts } from "../../src/render/fonts.js";
import { formatTick, linearScale, niceTicks, padDomain } from "../../src/render/plot.js";
import { evenlySpaced, selectRows } from "../../src/render/selection.js";
import { escapeXml, svgText, textBlock, wrapText } from "../../src/render/svg.js";
import { decodedTileLines, decodeStatus, ERROR_KEY, referenceLine } from "../../src/render/labels.js";
import { animationCaption } from "../../src/render/animation.js";
import { UserError } from "../../src/util/errors.js";
import { syntheticRows } from "./fixtures.js";

test("escapeXml escapes all five XML specials; svgText escapes its content", () => {
  assert.equal(escapeXml(`a<b>&"c'`), "a&lt;b&gt;&amp;&quot;c&apos;");
  assert.equal(escapeXml("plain ✓ ±"), "plain ✓ ±");
  assert.match(svgText(1, 2, "</text><script>", { size: 10 }), /&lt;\/text&gt;&lt;script&gt;<\/text>$/);
});

test("wrapText keeps words whole and lines within the width", () => {
  const text = "Decoded frames are retrieved from the stimulus movie by the decoded index, not generated.";
  const lines = wrapText(text, 200, 12);
  assert.ok(lines.length > 1);
  assert.equal(lines.join(" "), text);
  for (const l of lines) assert.ok(l.length * 12 * 0.56 <= 200 || !l.includes(" "), l);
  const block = textBlock([{ text, size: 12 }, { text: "x", size: 16, weight: "bold" }], 200);
  assert.equal(block.lines.length, lines.length + 1);
  assert.equal(block.height, lines.length * 16 + 21);
});

test("niceTicks, formatTick, scales and padding", () => {
  assert.deepEqual(niceTicks(0, 149, 7), [0, 20, 40, 60, 80, 100, 120, 140]);
  assert.deepEqual(niceTicks(-1, 1, 4), [-1, -0.5, 0, 0.5, 1]);
  assert.equal(formatTick(0.5, [0, 0.5]), "0.5");
  assert.equal(formatTick(40, [0, 20]), "40");
  assert.equal(linearScale([0, 10], [100, 0])(2.5), 75);
  assert.deepEqual(padDomain([3, 3], 0.1), [2.85, 3.15]);
});

test("viridis LUT endpoints and categorical palette", () => {
  assert.equal(VIRIDIS_LUT.length, 256);
  assert.equal(viridis(0), "#440154");
  assert.equal(viridis(1), "#fde725");
  assert.equal(viridis(0.5), "#21918c");
  assert.equal(viridis(Number.NaN), "#440154");
  assert.equal(new Set(CATEGORICAL_PALETTE).size, 20);
});

test("decode status follows CEBRA's strict |error| < window criterion", () => {
  const row = { sample: 1, time_s: 0.5, true_frame: 10, predicted_frame: 40, error: 30, confidence: 0.5 };
  assert.equal(decodeStatus(row, 30), "outside");
  assert.equal(decodeStatus({ ...row, error: 29 }, 30), "within");
  assert.equal(decodeStatus({ ...row, true_frame: null, error: null }, 30), "unknown");
  assert.deepEqual(decodedTileLines(row, 30), ["t=0.50 s (sample 1)", "decoded #40 · true #10", "err +30 fr ✗ · conf 0.50"]);
  // The error is signed (decoded − true), as the legend says; a decode earlier in the movie is negative.
  assert.equal(decodedTileLines({ ...row, predicted_frame: 4, error: -6 }, 30)[2], "err -6 fr ✓ · conf 0.50");
  assert.match(ERROR_KEY, /err = decoded − true in frames \(\+ = decoded frame later/);
  assert.doesNotMatch(ERROR_KEY, /\|decoded/);
});

test("reference line states chance and every control, or that it was not computed", () => {
  const base = { decoding_id: "dec-1", window_frames: 30, accuracy: 0.44 };
  assert.equal(referenceLine(base), undefined);
  assert.equal(
    referenceLine({ ...base, chance_accuracy: 0.0644, controls: [{ name: "raw activity, window-averaged", accuracy: 0.624 }, { name: "shuffled-label CEBRA", not_run: "not requested" }] }),
    "Compare with: chance 6.4% · raw activity, window-averaged 62.4% · shuffled-label CEBRA: not computed (same window and test samples).",
  );
  // The animation's caption carries the accuracy and the same reference line as the other layouts' headers.
  assert.deepEqual(animationCaption({ ...base, recording_id: "rec-1", chance_accuracy: 0.0644, controls: [{ name: "shuffled-label CEBRA", accuracy: 0.087 }] }), [
    "decoding dec-1 · recording rec-1 · accuracy 44.0% (|error| < 30 frames, all test samples)",
    "Compare with: chance 6.4% · shuffled-label CEBRA 8.7% (same window and test samples).",
  ]);
  assert.deepEqual(animationCaption({ decoding_id: "dec-2", window_frames: 30 }), ["decoding dec-2"]);
});

test("evenlySpaced and selectRows", () => {
  assert.deepEqual(evenlySpaced(10, 4), [0, 3, 6, 9]);
  assert.deepEqual(evenlySpaced(3, 10), [0, 1, 2]);
  assert.deepEqual(evenlySpaced(9, 1), [4]);
  const rows = syntheticRows(100, 40).reverse();
  const limits = { default_count: 5, max_count: 20 };
  assert.deepEqual(selectRows(rows, undefined, limits).rows.map((r) => r.sample), [0, 25, 50, 74, 99]);
  assert.deepEqual(selectRows(rows, { start: 10, end: 20, count: 20 }, limits).rows.map((r) => r.sample), Array.from({ length: 10 }, (_, i) => 10 + i));
  const capped = selectRows(rows, { count: 50 }, limits);
  assert.equal(capped.rows.length, 20);
  assert.ok(capped.notes.some((n) => n.includes("at most 20")));
  const contiguous = selectRows(rows, { start: 30 }, { ...limits, contiguous_default: true });
  assert.deepEqual(contiguous.rows.map((r) => r.sample), [30, 31, 32, 33, 34]);
  assert.throws(() => selectRows(rows, { count: 0 }, limits), UserError);
  // Stratified (pairs): half the selection from decodes outside the window, the note gives their share.
  const wrongSamples = new Set([3, 4, 5, 40, 41, 77, 78, 79, 90, 91]);
  const mixed = rows.map((r) => ({ ...r, error: wrongSamples.has(r.sample) ? 45 : 2 }));
  const strat = selectRows(mixed, { count: 6 }, { ...limits, stratify_window: 30 });
  assert.equal(strat.rows.length, 6);
  assert.equal(strat.rows.filter((r) => wrongSamples.has(r.sample)).length, 3);
  assert.deepEqual(strat.rows.map((r) => r.sample), [...strat.rows.map((r) => r.sample)].sort((a, b) => a - b));
  assert.ok(strat.notes.some((n) => /3 decodes outside the ±30-frame window and 3 others.*10 of the 100 samples in the range, 10\.0%, are outside/.test(n)), strat.notes.join("; "));
  const allRight = selectRows(mixed.map((r) => ({ ...r, error: 1 })), { count: 6 }, { ...limits, stratify_window: 30 });
  assert.deepEqual(allRight.rows.map((r) => r.sample), selectRows(mixed, { count: 6 }, limits).rows.map((r) => r.sample));
  assert.throws(() => selectRows(rows, { count: 2.5 }, limits), UserError);
});

test("checkFonts reports a consistent, cached status", () => {
  const a = checkFonts();
  assert.equal(checkFonts(), a);
  assert.equal(typeof a.ok, "boolean");
  assert.ok(!a.dejavu || a.ok, "DejaVu present implies fonts present");
  assert.ok(a.detail.length > 0);
});
