/**
 * `createServer(app, catalog)`: builds one McpServer with the instructions and the catalog's tools,
 * prompts and resources (the CLI passes src/cli/catalog.ts). Transports call it as a factory: once per stdio
 * connection, once per HTTP request (cheap: registration only; all state lives in `app`).
 */
import { McpServer, type CallToolResult, type ServerContext } from "@modelcontextprotocol/server";
import { VERSION } from "../version.js";
import type { AppState } from "../app/context.js";
import { logLine, toolErrorResult } from "./errors.js";
import { SERVER_INSTRUCTIONS } from "./instructions.js";
import { CONFORMANCE_SERVER_OPTIONS, registerConformanceFixtures } from "./conformance-tools.js";
import type { Catalog } from "../../tools/kit/catalog.js";
import type { Tool, ToolContext } from "../../tools/kit/define.js";
import { argumentNames, strictInputSchema } from "../../tools/kit/strict-input.js";
import { budgetToolResult } from "../../tools/kit/budget.js";

/** Cap on array/object elements in one tools/call (DoS guard; the SDK's maxToolInputElements). */
const MAX_TOOL_INPUT_ELEMENTS = 10_000;

/** A fully registered MCP server over the shared app state. */
export function createServer(app: AppState, catalog: Catalog): McpServer {
  const server = new McpServer(
    { name: "cebra-mcp", version: VERSION },
    {
      instructions: SERVER_INSTRUCTIONS,
      capabilities: { tools: { listChanged: false }, resources: {}, prompts: { listChanged: false } },
      maxToolInputElements: MAX_TOOL_INPUT_ELEMENTS,
      ...(app.config.conformance ? CONFORMANCE_SERVER_OPTIONS : {}),
    },
  );
  const takers = argumentTakers(catalog.tools);
  for (const tool of catalog.tools) registerTool(server, app, tool, (arg) => (takers.get(arg) ?? []).filter((name) => name !== tool.name));
  for (const register of catalog.resources) register(server, app);
  for (const register of catalog.prompts) register(server, app);
  // Hidden `serve --conformance`: the reference fixtures the MCP conformance suite calls.
  if (app.config.conformance) registerConformanceFixtures(server);
  return server;
}

/** For each top-level argument name, the tools that take it (named in "unknown argument" errors). */
function argumentTakers(tools: readonly Tool[]): Map<string, string[]> {
  const takers = new Map<string, string[]>();
  for (const tool of tools) for (const arg of argumentNames(tool.inputSchema)) takers.set(arg, [...(takers.get(arg) ?? []), tool.name]);
  return takers;
}

/** The MCP spec's defaults of the tool hints: a hint equal to its default says nothing a client does not assume. */
const HINT_DEFAULTS = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true } as const;

/**
 * A tool's hints as listed: those that differ from the spec's defaults, and for a read-only tool not the
 * destructive/idempotent hints, which the spec makes meaningful only when readOnlyHint is false. Same
 * meaning to every client, about 600 characters less in tools/list (which has a 20,000-character budget).
 */
export function listedHints(a: Tool["annotations"]): Tool["annotations"] {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(a)) {
    if (key in HINT_DEFAULTS && HINT_DEFAULTS[key as keyof typeof HINT_DEFAULTS] === value) continue;
    if (a.readOnlyHint === true && (key === "destructiveHint" || key === "idempotentHint")) continue;
    out[key] = value;
  }
  return out as Tool["annotations"];
}

/** Registers one tool; its input schema is made strict (unknown arguments are refused, not dropped). */
function registerTool(server: McpServer, app: AppState, tool: Tool, elsewhere: (argument: string) => string[]): void {
  server.registerTool(
    tool.name,
    {
      title: tool.title,
      description: tool.description,
      inputSchema: strictInputSchema(tool.inputSchema, { toolName: tool.name, elsewhere }),
      annotations: { title: tool.title, ...listedHints(tool.annotations) },
      ...(tool._meta ? { _meta: tool._meta } : {}),
    },
    (args: unknown, ctx: ServerContext) => runTool(app, tool, args, ctx),
  );
}

/** Runs a handler with its ToolContext; every failure becomes an `isError` result. */
async function runTool(app: AppState, tool: Tool, args: unknown, mcp: ServerContext): Promise<CallToolResult> {
  try {
    return budgetToolResult(tool.name, await tool.handler(args, toolContext(app, tool.name, mcp)));
  } catch (e) {
    return toolErrorResult(e, tool.name);
  }
}

function toolContext(app: AppState, toolName: string, mcp: ServerContext): ToolContext {
  const token = mcp.mcpReq._meta?.progressToken;
  let lastProgress = -Infinity;
  return {
    config: app.config,
    workspace: app.workspace,
    jobs: app.jobs,
    recordings: app.recordings,
    roots: app.roots,
    signal: mcp.mcpReq.signal,
    wantsProgress: token !== undefined,
    loadLimits: () => ({ roots: [...app.roots.dirs], cwd: app.config.cwd, cacheDir: app.workspace.root, ...app.config.intake }),
    progress: async (progress, total, message) => {
      if (token === undefined || !(progress > lastProgress) || mcp.mcpReq.signal.aborted) return;
      lastProgress = progress;
      try {
        await mcp.mcpReq.notify({
          method: "notifications/progress",
          params: { progressToken: token, progress, ...(total !== undefined ? { total } : {}), ...(message ? { message } : {}) },
        });
      } catch (e) {
        logLine(`${toolName}: progress notification failed: ${(e as Error).message}`);
      }
    },
    log: (message) => logLine(`${toolName}: ${message}`),
    mcp,
  };
}
