/**
 * The import graph of the source tree and the layering rules it must keep (docs/ARCHITECTURE.md).
 *
 * Every source file belongs to one *unit* (a folder, or a single file where a folder is split), found
 * by the longest matching prefix in UNITS. A unit may import only units of a strictly lower rank, so
 * units of equal rank are siblings that never import each other, nothing imports upward, and the
 * folders cannot form a cycle. Run as a program (`npm run architecture`) it rewrites the diagram in
 * docs/ARCHITECTURE.md from the imports; test/architecture/layers.test.ts fails when the two differ.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file runs from dist/test/architecture/). */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** Folders holding the program's sources (tests are outside the layering: they may import anything). */
const SOURCE_DIRS = ["src", "tools", "models", "prompts", "resources", "bench"];

export interface Unit {
  /** Path prefix relative to the repository root (a folder, or one file). */
  prefix: string;
  /** Lower ranks sit lower; an import must go to a strictly lower rank. */
  rank: number;
  /** What the unit is, for the documentation. */
  role: string;
  /** Science and orchestration units must not import the MCP SDK. */
  mcpFree: boolean;
}

export const UNITS: readonly Unit[] = [
  { prefix: "src/util", rank: 0, role: "errors, random numbers, linear algebra, small numeric helpers", mcpFree: true },
  { prefix: "src/version.ts", rank: 0, role: "the version string", mcpFree: true },
  { prefix: "models", rank: 1, role: "CEBRA architecture specs (declarative layer lists)", mcpFree: true },
  { prefix: "src/data", rank: 2, role: "the Recording model, file formats (loader registry), the built-in simulator, preprocessing", mcpFree: true },
  { prefix: "src/engine/runtime/devices.ts", rank: 2, role: "the device table (auto, cpu, cuda, webgpu), shared by the contracts, sessions and the CLI", mcpFree: true },
  { prefix: "src/engine/types.ts", rank: 3, role: "the engine's contracts (configs, trained models)", mcpFree: true },
  { prefix: "src/engine/graph", rank: 4, role: "graph compiler: IR, ops, autodiff, ONNX writer, float64 interpreter", mcpFree: true },
  { prefix: "src/engine/cebra", rank: 5, role: "CEBRA itself: architectures, InfoNCE, sampling, step and inference graphs, metrics", mcpFree: true },
  { prefix: "src/engine/runtime", rank: 5, role: "ONNX Runtime: execution providers (devices) and sessions", mcpFree: true },
  { prefix: "src/engine/train", rank: 6, role: "training: prepare, trainer loop, worker, evaluate, transform, export", mcpFree: true },
  { prefix: "src/engine", rank: 7, role: "the engine's front: fit a recording end to end, synthetic data", mcpFree: true },
  { prefix: "src/decode", rank: 8, role: "kNN decoders, k selection, controls, decoding pipeline", mcpFree: true },
  { prefix: "src/render", rank: 8, role: "images: reconstructions, timelines, embedding plots, within size budgets", mcpFree: true },
  { prefix: "src/store", rank: 8, role: "workspace, artifacts, ids, jobs, allowed roots, recording storage", mcpFree: true },
  { prefix: "src/app", rank: 9, role: "the application layer: one module per analysis (load, train, decode, render, compare)", mcpFree: true },
  { prefix: "tools/kit", rank: 10, role: "defineTool, the tool context, shared schemas, result views", mcpFree: false },
  { prefix: "tools", rank: 11, role: "one MCP tool per file: schema, description, one call into src/app", mcpFree: false },
  { prefix: "prompts", rank: 11, role: "one MCP prompt per file", mcpFree: false },
  { prefix: "resources", rank: 11, role: "MCP resources (artifact URIs, simulator documentation)", mcpFree: false },
  { prefix: "src/server", rank: 11, role: "McpServer assembly, stdio and Streamable HTTP transports", mcpFree: false },
  { prefix: "src/eval", rank: 12, role: "scripted agent evaluations (an MCP client)", mcpFree: false },
  { prefix: "src/cli", rank: 13, role: "the cebra-mcp command: serve, demo, eval, gpu-check", mcpFree: false },
  { prefix: "bench", rank: 14, role: "npm run bench", mcpFree: false },
];

export interface ImportEdge {
  from: string;
  to: string;
  /** The module specifier as written. */
  spec: string;
}

export interface SourceGraph {
  files: string[];
  /** Relative imports between source files. */
  edges: ImportEdge[];
  /** Package imports per file (bare specifiers). */
  packages: Map<string, string[]>;
}

/** The unit a file belongs to (longest prefix), or undefined if no unit claims it. */
export function unitOf(file: string): Unit | undefined {
  let best: Unit | undefined;
  for (const u of UNITS) {
    if ((file === u.prefix || file.startsWith(u.prefix + "/")) && (!best || u.prefix.length > best.prefix.length)) best = u;
  }
  return best;
}

function listSources(dir: string, out: string[]): void {
  if (!fs.existsSync(path.join(REPO, dir))) return;
  for (const e of fs.readdirSync(path.join(REPO, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) listSources(rel, out);
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(rel);
  }
}

/** Comments can quote import statements; they are not dependencies. */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

const SPECIFIERS = [
  /\b(?:import|export)\s[^;"'`]*?\sfrom\s*["']([^"']+)["']/g, // import … from "x", export … from "x"
  /\bimport\s*["']([^"']+)["']/g, // import "x" (side effects)
  /\bimport\(\s*["']([^"']+)["']\s*\)/g, // import("x")
  /\bnew URL\(\s*["'](\.{1,2}\/[^"']*worker[^"']*)["']\s*,\s*import\.meta\.url/g, // worker entry points
  /\bmodule:\s*["'](\.{1,2}\/[^"']+)["']/g, // the CLI's lazily imported subcommands
];

/** Reads every source file and its imports. */
export function readSourceGraph(): SourceGraph {
  const files: string[] = [];
  for (const d of SOURCE_DIRS) listSources(d, files);
  files.sort();
  const known = new Set(files);
  const edges: ImportEdge[] = [];
  const packages = new Map<string, string[]>();
  for (const file of files) {
    const src = stripComments(fs.readFileSync(path.join(REPO, file), "utf8"));
    const pkgs = new Set<string>();
    for (const re of SPECIFIERS) {
      for (const m of src.matchAll(re)) {
        const spec = m[1]!;
        if (!spec.startsWith(".")) {
          pkgs.add(spec);
          continue;
        }
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, ".ts");
        if (!known.has(target)) throw new Error(`${file} imports ${spec}, which is not a source file (${target})`);
        edges.push({ from: file, to: target, spec });
      }
    }
    packages.set(file, [...pkgs].sort());
  }
  return { files, edges, packages };
}

/** Edges between units (deduplicated), sorted. */
export function unitEdges(g: SourceGraph): [string, string][] {
  const set = new Set<string>();
  for (const e of g.edges) {
    const a = unitOf(e.from)!.prefix;
    const b = unitOf(e.to)!.prefix;
    if (a !== b) set.add(`${a}\u0000${b}`);
  }
  return [...set].sort().map((s) => s.split("\u0000") as [string, string]);
}

/** File-level import cycles (each reported once, as a path), by depth-first search. */
export function fileCycles(g: SourceGraph): string[][] {
  const out = new Map<string, string[]>();
  for (const e of g.edges) (out.get(e.from) ?? out.set(e.from, []).get(e.from)!).push(e.to);
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (f: string): void => {
    state.set(f, 1);
    stack.push(f);
    for (const t of out.get(f) ?? []) {
      if (state.get(t) === 1) cycles.push([...stack.slice(stack.indexOf(t)), t]);
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of g.files) if (!state.has(f)) visit(f);
  return cycles;
}

/** Imports that break the layering: into a unit of the same or a higher rank, or from an MCP-free unit into the MCP SDK. */
export function layeringViolations(g: SourceGraph): string[] {
  const out: string[] = [];
  for (const f of g.files) if (!unitOf(f)) out.push(`${f}: belongs to no unit (add its folder to UNITS and docs/ARCHITECTURE.md)`);
  for (const e of g.edges) {
    const a = unitOf(e.from);
    const b = unitOf(e.to);
    if (!a || !b || a === b) continue;
    if (b.rank >= a.rank) out.push(`${e.from} → ${e.to}: ${a.prefix} (rank ${a.rank}) may not import ${b.prefix} (rank ${b.rank})`);
  }
  for (const [f, pkgs] of g.packages) {
    if (!unitOf(f)?.mcpFree) continue;
    for (const p of pkgs) if (p.startsWith("@modelcontextprotocol/")) out.push(`${f} imports ${p}: ${unitOf(f)!.prefix} must stay free of MCP`);
  }
  return out;
}

/** A Mermaid flowchart of the unit graph, top (cli) to bottom (util). */
export function mermaid(g: SourceGraph): string {
  const id = (prefix: string) => prefix.replace(/[^A-Za-z0-9]/g, "_");
  const used = new Set(g.files.map((f) => unitOf(f)!.prefix));
  const lines = ["flowchart TD"];
  for (const u of [...UNITS].sort((a, b) => b.rank - a.rank || a.prefix.localeCompare(b.prefix))) {
    if (used.has(u.prefix)) lines.push(`  ${id(u.prefix)}["${u.prefix}"]`);
  }
  for (const [a, b] of unitEdges(g)) lines.push(`  ${id(a)} --> ${id(b)}`);
  return lines.join("\n");
}

const BEGIN = "<!-- import-graph:begin (generated by `npm run architecture`; do not edit) -->";
const END = "<!-- import-graph:end -->";

/** The generated block as it must appear in docs/ARCHITECTURE.md. */
export function diagramBlock(g: SourceGraph): string {
  return `${BEGIN}\n\`\`\`mermaid\n${mermaid(g)}\n\`\`\`\n${END}`;
}

/** The block currently in the document, or null if it has none. */
export function documentedBlock(doc: string): string | null {
  const i = doc.indexOf(BEGIN);
  const j = doc.indexOf(END);
  return i < 0 || j < i ? null : doc.slice(i, j + END.length);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]) && process.argv.includes("--write")) {
  const docPath = path.join(REPO, "docs/ARCHITECTURE.md");
  const doc = fs.readFileSync(docPath, "utf8");
  const current = documentedBlock(doc);
  if (current === null) throw new Error("docs/ARCHITECTURE.md has no import-graph block");
  fs.writeFileSync(docPath, doc.replace(current, diagramBlock(readSourceGraph())));
  console.log("docs/ARCHITECTURE.md: import graph updated");
}
