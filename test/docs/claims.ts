/**
 * The docs claim check (docs/BENCHMARKS.md, "How figures are cited"): every measured figure in README.md and
 * docs/*.md must have its source in the same section or an enclosing one: a command that reproduces it (in a
 * code block or inline code: npm run …, node …, npx …, bash …, cebra-mcp …) and the date (YYYY-MM-DD) and
 * machine (e.g. "2-core AMD EPYC", "H100") it was measured on.
 *
 * What counts as a measured figure (outside code): a percentage (44.4 %), a duration (56 s, 2.5 min, 80 ms),
 * a ratio (3.1×), an R² value (R² 0.93, r² = 0.85). Not figures: lines that define something rather than
 * measure it (defaults, limits, budgets, timeouts, parameters: see DEFINITION), table rows whose header names
 * a limit or default, and every line of a paragraph or table that carries `<!-- not-measured: reason -->`.
 *
 *   npx tsc -p tsconfig.json && node dist/test/docs/claims.js      # prints every unsourced figure, exit 1 if any
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** One unsourced figure. */
export interface ClaimProblem {
  file: string;
  line: number;
  figure: string;
  section: string;
  missing: string[];
}

const FIGURE = /(?<![\w.])(?:\d+(?:\.\d+)?\s?%|\d+(?:\.\d+)?\s?(?:s|ms|min|minutes|seconds)\b|\d+(?:\.\d+)?\s?×(?!\s?\d|-)|[Rr]²\s?(?:=|≈|of)?\s?[−-]?\d\.\d+)/g;
/** Words that mark a definition (a limit, default, parameter), not a measurement. */
const DEFINITION = /\b(default|defaults|limit|limits|at most|up to|timeout|budget|expire|expires|watchdog|interval|allowed|fixed|maximum|minimum|wait_seconds|every \d)\b|--[a-z]|CEBRA_MCP_|[<>≤≥]\s?\d/i;
/** A table whose header names one of these lists settings, not measurements. */
const DEFINITION_HEADER = /parameter|default|limit|budget|allowed|setting/i;
const COMMAND = /(```[\s\S]*?```|`[^`\n]*\b(?:npm run|npm test|node |npx |bash |cebra-mcp |python3? )[^`\n]*`)/;
/** A date; MCP protocol versions (which look like dates) do not count. */
const DATE = /\b(?!2024-11-05|2025-03-26|2025-06-18|2025-11-25|2026-07-28)20\d\d-\d\d-\d\d\b/;
const MACHINE = /\b(EPYC|Xeon|H100|H200|A100|GPU|\d+-core|\d+ cores?|CPU)\b/i;
const OPT_OUT = /<!--\s*not-measured:[^>]*-->/;

interface Section {
  title: string;
  level: number;
  /** Text of the section itself (up to its first subsection). */
  own: string;
  parent: Section | null;
}

/** Every unsourced figure of one Markdown text. */
export function checkClaims(file: string, text: string): ClaimProblem[] {
  const lines = text.split("\n");
  const problems: ClaimProblem[] = [];
  const root: Section = { title: "(top)", level: 0, own: "", parent: null };
  let section = root;
  const sectionOf: Section[] = [];
  let inFence = false;
  let tableHeader = "";
  for (const line of lines) {
    if (/^```/.test(line)) inFence = !inFence;
    const h = inFence ? null : /^(#{1,6})\s+(.*)$/.exec(line);
    if (h) {
      const level = h[1]!.length;
      let parent: Section | null = section;
      while (parent && parent.level >= level) parent = parent.parent;
      section = { title: h[2]!.trim(), level, own: "", parent };
    } else {
      section.own += line + "\n";
    }
    sectionOf.push(section);
  }
  // A paragraph (or table) with the opt-out marker is skipped as a whole.
  const optedOut = new Set<number>();
  for (let i = 0; i < lines.length; ) {
    let j = i;
    while (j < lines.length && lines[j]!.trim() !== "") j++;
    if (lines.slice(i, j).some((l) => OPT_OUT.test(l))) for (let x = i; x < j; x++) optedOut.add(x);
    i = j + 1;
  }
  inFence = false;
  lines.forEach((line, i) => {
    if (/^```/.test(line)) {
      inFence = !inFence;
      return;
    }
    if (inFence || /^#{1,6}\s/.test(line)) return;
    if (/^\|/.test(line)) {
      if (i + 1 < lines.length && /^\|[\s:|-]+\|\s*$/.test(lines[i + 1]!)) tableHeader = line;
    } else tableHeader = "";
    if (optedOut.has(i) || DEFINITION.test(line) || (tableHeader && DEFINITION_HEADER.test(tableHeader))) return;
    const prose = line.replace(/`[^`]*`/g, "");
    const figures = prose.match(FIGURE);
    if (!figures) return;
    const s = sectionOf[i]!;
    let scope = "";
    for (let x: Section | null = s; x; x = x.parent) scope += x.own;
    const missing = [
      ...(COMMAND.test(scope) ? [] : ["a command that reproduces it (`npm run …`, `node …`, … in a code block or inline code)"]),
      ...(DATE.test(scope) ? [] : ["the date it was measured (YYYY-MM-DD)"]),
      ...(MACHINE.test(scope) ? [] : ['the machine (e.g. "2-core AMD EPYC, no GPU")']),
    ];
    if (missing.length) problems.push({ file, line: i + 1, figure: figures.join(", "), section: s.title, missing });
  });
  return problems;
}

/** README.md and docs/*.md of the repository at `root`. */
export function docFiles(root: string): string[] {
  return ["README.md", ...readdirSync(path.join(root, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`)];
}

/** A problem as one line: where, which figure, what is missing. */
export function formatProblem(p: ClaimProblem): string {
  return `${p.file}:${p.line}: ${p.figure} (section "${p.section}") has no source: add ${p.missing.join(", and ")} to this section or an enclosing one, or mark a definition with <!-- not-measured: why -->`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const root = process.cwd();
  const problems = docFiles(root).flatMap((f) => checkClaims(f, readFileSync(path.join(root, f), "utf8")));
  for (const p of problems) console.log(formatProblem(p));
  console.log(problems.length ? `\n${problems.length} figure(s) without a source.` : "Every figure has a source.");
  process.exitCode = problems.length ? 1 : 0;
}
