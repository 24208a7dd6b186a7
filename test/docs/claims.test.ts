/**
 * Docs say only what was measured: every figure in README.md and docs/*.md has its source (command, date,
 * machine) in its section or an enclosing one (test/docs/claims.ts; the format is in docs/BENCHMARKS.md).
 */
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { checkClaims, docFiles, formatProblem } from "./claims.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

test("what counts as a figure, and what counts as its source", () => {
  const unsourced = checkClaims("x.md", "# T\n\nThe demo took 56 s; decoding reached 44.4 % (3.1× faster, R² 0.93).\n");
  assert.equal(unsourced.length, 1);
  assert.equal(unsourced[0]!.figure, "56 s, 44.4 %, 3.1×, R² 0.93");
  assert.equal(unsourced[0]!.line, 3);
  assert.equal(unsourced[0]!.missing.length, 3);
  assert.match(formatProblem(unsourced[0]!), /^x\.md:3: 56 s, 44\.4 %, 3\.1×, R² 0\.93 \(section "T"\) has no source: add a command .*, and the date .*, and the machine/);
  const sourced = "# T\n\nMeasured 2026-12-07 on the 2-core AMD EPYC with `npm run demo`.\n\n## Sub\n\nThe demo took 56 s.\n";
  assert.deepEqual(checkClaims("x.md", sourced), [], "a source in an enclosing section counts");
  const sibling = "# T\n\n## A\n\nMeasured 2026-12-07 on the 2-core AMD EPYC with `npm run demo`.\n\n## B\n\nThe demo took 56 s.\n";
  assert.equal(checkClaims("x.md", sibling).length, 1, "a sibling section's source does not count");
  assert.match(checkClaims("x.md", "# T\n\nProtocol 2026-07-28 on a 2-core CPU, `npm run x`: 5 s.\n")[0]!.missing.join(), /date/, "a protocol version is not a date");
});

test("definitions are not figures: limits, defaults, parameters, code, 4×-names and opted-out paragraphs", () => {
  const text = [
    "# T", "",
    "The download timeout defaults to 10 min; at most 64 sessions; `--hang-ms 20 s`.",
    "The 4×-subsampling model.", "",
    "```bash", "sleep 5 s  # 50 %", "```", "",
    "| Setting | Default |", "|---|---|", "| wait | 55 s |", "",
    "A 30 s movie, zoom 1.0–1.35×.", "A second line of 35 %. <!-- not-measured: parameters -->", "",
  ].join("\n");
  assert.deepEqual(checkClaims("x.md", text), []);
});

test("README.md and docs/*.md cite a source for every figure", () => {
  const problems = docFiles(ROOT).flatMap((f) => checkClaims(f, readFileSync(path.join(ROOT, f), "utf8")));
  assert.deepEqual(problems.map(formatProblem), []);
});
