/**
 * The context budget: how much of an assistant's context window one thing the server returns may take.
 * The limits live here and nowhere else; the tool wrapper (src/server/server.ts) and the resources apply them.
 *
 * Policy: results are built to fit (long tables are summarised, paged, and written to workspace files
 * whose paths the result names). If one still comes out over its budget, that is a bug:
 * - with `CEBRA_MCP_STRICT_BUDGETS=1` (the tests set it) the call fails loudly, naming the budget;
 * - otherwise (production) the over-long text is cut to fit with a note saying so and where the full
 *   data is (the workspace file or resource the result names), and a line goes to stderr. Megabytes are
 *   never sent to a client's context.
 */
import type { CallToolResult, GetPromptResult, ReadResourceResult } from "@modelcontextprotocol/server";

/** Characters each returned thing may take. */
export const BUDGETS = {
  /** A tool result's text blocks plus its structuredContent (as JSON). */
  tool_result: 12_000,
  /** One image block's `_meta` (as JSON). */
  image_meta: 4_000,
  /** One page of a resource read (all text contents). */
  resource_page: 25_000,
  /** One prompt's messages (their text and embedded resource text). */
  prompt: 6_000,
  /** The whole `tools/list` result (as JSON). */
  tools_list: 20_000,
} as const;

export type BudgetName = keyof typeof BUDGETS;

/** True when over-budget results must fail instead of being cut (tests). */
export function strictBudgets(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CEBRA_MCP_STRICT_BUDGETS === "1";
}

/** A result larger than its budget (thrown only in strict mode). */
export class BudgetExceededError extends Error {
  constructor(readonly budget: BudgetName, readonly chars: number, what: string) {
    super(`${what} is ${chars} characters, over the ${budget} budget of ${BUDGETS[budget]} (tools/kit/budget.ts).`);
    this.name = "BudgetExceededError";
  }
}

/** Characters of a tool result that count against `tool_result`: text blocks + structuredContent. */
export function toolResultChars(r: CallToolResult): number {
  let n = r.structuredContent ? JSON.stringify(r.structuredContent).length : 0;
  for (const c of r.content ?? []) if (c.type === "text") n += c.text.length;
  return n;
}

/** The largest image `_meta` of a tool result (characters of JSON). */
export function imageMetaChars(r: CallToolResult): number {
  let most = 0;
  for (const c of r.content ?? []) if (c.type === "image" && c._meta) most = Math.max(most, JSON.stringify(c._meta).length);
  return most;
}

/** Characters of a resource read (text contents). */
export function resourceChars(r: ReadResourceResult): number {
  return r.contents.reduce((n, c) => n + ("text" in c && typeof c.text === "string" ? c.text.length : 0), 0);
}

/** Characters of a prompt's messages (text and embedded resource text). */
export function promptChars(r: GetPromptResult): number {
  let n = 0;
  for (const m of r.messages) {
    const c = m.content;
    if (c.type === "text") n += c.text.length;
    else if (c.type === "resource" && "text" in c.resource && typeof c.resource.text === "string") n += c.resource.text.length;
  }
  return n;
}

/** Throws in strict mode if `chars` is over `budget`; returns whether it is over. */
export function overBudget(budget: BudgetName, chars: number, what: string): boolean {
  if (chars <= BUDGETS[budget]) return false;
  if (strictBudgets()) throw new BudgetExceededError(budget, chars, what);
  process.stderr.write(`[cebra-mcp] budget: ${what} is ${chars} characters, over ${budget} (${BUDGETS[budget]}); cut to fit.\n`);
  return true;
}

/** Cuts `text` to `max` characters with a note saying what was cut and where the whole is. */
export function cutText(text: string, max: number, whereFull: string): string {
  if (text.length <= max) return text;
  const note = `\n… [cut: ${text.length} characters exceed the context budget; the complete data is in ${whereFull}]`;
  return text.slice(0, Math.max(0, max - note.length)) + note;
}

/**
 * Applies the tool-result and image-_meta budgets to a tool's result (the tool wrapper calls this for
 * every tool). In production an over-budget result keeps its structure: text blocks are cut
 * proportionally, over-long image _meta is replaced by a note. Error results are left alone.
 */
export function budgetToolResult(tool: string, r: CallToolResult): CallToolResult {
  if (r.isError) return r;
  let out = r;
  if (overBudget("image_meta", imageMetaChars(out), `${tool}'s image _meta`)) {
    out = {
      ...out,
      content: out.content.map((c) =>
        c.type === "image" && c._meta && JSON.stringify(c._meta).length > BUDGETS.image_meta
          ? { ...c, _meta: { "cebra-mcp/cut": "provenance too long for _meta; see the result's JSON text block and the files it names" } }
          : c,
      ),
    };
  }
  const total = toolResultChars(out);
  if (overBudget("tool_result", total, `${tool}'s result`)) {
    const structured = out.structuredContent ? JSON.stringify(out.structuredContent).length : 0;
    const texts = total - structured;
    const room = Math.max(0, BUDGETS.tool_result - structured);
    out = {
      ...out,
      content: out.content.map((c) =>
        c.type === "text" ? { ...c, text: cutText(c.text, Math.floor((c.text.length / Math.max(1, texts)) * room), "the workspace files and resources this result names (list_artifacts)") } : c,
      ),
    };
  }
  return out;
}
