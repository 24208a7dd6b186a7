/**
 * The layering of docs/ARCHITECTURE.md, checked against the imports of the source tree: no upward or
 * sideways imports between units, no import cycles between files, science modules free of MCP, thin
 * tool files, and a documented import diagram that matches the code.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { REPO, diagramBlock, documentedBlock, fileCycles, layeringViolations, readSourceGraph, type SourceGraph } from "./graph.js";

const graph = readSourceGraph();

test("every import goes to a lower layer, and MCP-free units import no MCP package", () => {
  assert.deepEqual(layeringViolations(graph), []);
});

test("no import cycles between files", () => {
  assert.deepEqual(fileCycles(graph).map((c) => c.join(" → ")), []);
});

test("the checks catch an upward import, a sibling import, an MCP import in science code and a cycle", () => {
  const fake: SourceGraph = {
    files: ["src/data/a.ts", "src/engine/fit.ts", "src/decode/x.ts", "src/render/y.ts", "src/nowhere/z.ts"],
    edges: [
      { from: "src/data/a.ts", to: "src/engine/fit.ts", spec: "../engine/fit.js" },
      { from: "src/engine/fit.ts", to: "src/data/a.ts", spec: "../data/a.js" },
      { from: "src/decode/x.ts", to: "src/render/y.ts", spec: "../render/y.js" },
    ],
    packages: new Map([["src/decode/x.ts", ["@modelcontextprotocol/server"]]]),
  };
  const v = layeringViolations(fake);
  assert.ok(v.some((s) => s.startsWith("src/data/a.ts → src/engine/fit.ts")), "upward import");
  assert.ok(v.some((s) => s.startsWith("src/decode/x.ts → src/render/y.ts")), "sibling import");
  assert.ok(v.some((s) => s.includes("must stay free of MCP")), "MCP in science code");
  assert.ok(v.some((s) => s.startsWith("src/nowhere/z.ts: belongs to no unit")), "file outside every unit");
  assert.equal(fileCycles(fake).length, 1);
});

test("docs/ARCHITECTURE.md shows the import graph of today's code (npm run architecture regenerates it)", () => {
  const doc = fs.readFileSync(path.join(REPO, "docs/ARCHITECTURE.md"), "utf8");
  assert.equal(documentedBlock(doc), diagramBlock(graph));
});

test("each tool file is well under 100 lines; the engine's top level holds a handful of files", () => {
  const tools = fs.readdirSync(path.join(REPO, "tools")).filter((f) => f.endsWith(".ts") && f !== "index.ts");
  const long = tools.map((f) => [f, fs.readFileSync(path.join(REPO, "tools", f), "utf8").split("\n").length] as const).filter(([, n]) => n >= 90);
  assert.deepEqual(long, []);
  const engineTop = fs.readdirSync(path.join(REPO, "src/engine")).filter((f) => f.endsWith(".ts"));
  assert.ok(engineTop.length <= 5, `src/engine/ has ${engineTop.length} files at its top level: ${engineTop.join(", ")}`);
});
