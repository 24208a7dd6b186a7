/**
 * The tool pattern. Each MCP tool lives in its own file `tools/<name>.ts` and exports
 * `defineTool({ name, title, description, inputSchema, outputSchema?, annotations, handler })`;
 * `tools/index.ts` lists them. The server registers every listed tool with a strict version of its
 * input schema (tools/kit/strict-input.ts: unknown arguments are refused, at any depth, not dropped),
 * builds a ToolContext per call and wraps the handler so errors become `isError` results
 * (src/server/errors.ts).
 *
 * Rules for tools (see docs/SERVER.md): zod 4 object schemas with `.describe()` on every field and
 * explicit `.min/.max` on integers; descriptions written for a model (what comes back, what to call
 * next, in one or two sentences); tools that return images declare NO outputSchema (Claude Code drops
 * `content` when `structuredContent` is present); tools with an outputSchema return complete
 * structuredContent.
 *
 * Output schemas are the contract of `structuredContent` but are NOT advertised in `tools/list`: they
 * were 13.5k of its 36k characters, context a client pays on every conversation, while models are
 * not shown them by most clients (the text block says what came back). Instead every successful
 * result is checked here against the tool's zod output schema, so a mismatch is a server bug that
 * fails the call (and its tests) exactly as the SDK's client-side check did.
 */
import type { CallToolResult, ServerContext, ToolAnnotations } from "@modelcontextprotocol/server";
import type { z } from "zod";
import type { LoadLimits } from "../../src/app/load.js";
import type { JobBackend } from "../../src/store/jobs.js";
import type { RecordingStore } from "../../src/store/recordings.js";
import type { AllowedRoots } from "../../src/store/roots.js";
import type { Workspace } from "../../src/store/workspace.js";
import type { ServerConfig } from "../../src/app/config.js";

/** Everything a tool handler may use. One per call. */
export interface ToolContext {
  readonly config: ServerConfig;
  readonly workspace: Workspace;
  readonly jobs: JobBackend;
  readonly recordings: RecordingStore;
  readonly roots: AllowedRoots;
  /** Aborted when the client cancels the call (or the request times out / the connection closes). */
  readonly signal: AbortSignal;
  /** What a recording load may read and download (the roots, the download cache and its limits), for loadRecordingInWorker. */
  loadLimits(): LoadLimits;
  /**
   * Sends `notifications/progress` if the client asked for progress (passed a progressToken);
   * otherwise does nothing. Values that do not increase are skipped (the spec requires increase).
   */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  /** True if the client passed a progressToken (progress notifications will be delivered). */
  readonly wantsProgress: boolean;
  /** Writes one line to the server log (stderr; stdout is the MCP channel). */
  log(message: string): void;
  /** The raw SDK request context (request id, _meta, http info), for anything not covered above. */
  readonly mcp: ServerContext;
}

/** The result a handler returns: a CallToolResult whose structuredContent matches the outputSchema, if any. */
type ToolResult<O extends z.ZodType | undefined> = O extends z.ZodType
  ? CallToolResult & { structuredContent: z.output<O> }
  : CallToolResult;

/** A typed tool definition, as written in `tools/<name>.ts`. */
interface ToolDefinition<I extends z.ZodObject, O extends z.ZodObject | undefined> {
  /** `snake_case`, 1–128 chars of [A-Za-z0-9_.-]. */
  name: string;
  title: string;
  /** For the model: what it does, when to use it, what comes back, what to call next. Keep it tight. */
  description: string;
  inputSchema: I;
  outputSchema?: O;
  /** readOnlyHint / destructiveHint / idempotentHint / openWorldHint — set all four explicitly. */
  annotations: ToolAnnotations;
  /** Advertised in tools/list, e.g. `{ ui: { resourceUri } }`: the MCP App a host may render beside the result. */
  _meta?: Record<string, unknown>;
  handler(args: z.output<I>, ctx: ToolContext): Promise<ToolResult<O>>;
}

/** A tool with its types erased, as the registry holds it. */
export interface Tool {
  name: string;
  title: string;
  description: string;
  inputSchema: z.ZodObject;
  annotations: ToolAnnotations;
  _meta?: Record<string, unknown>;
  /** Called with arguments already validated against `inputSchema` by the SDK. */
  handler(args: unknown, ctx: ToolContext): Promise<CallToolResult>;
}

/** Declares a tool (keeps the handler's argument and result types tied to the schemas). */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject | undefined = undefined>(def: ToolDefinition<I, O>): Tool {
  return {
    name: def.name,
    title: def.title,
    description: def.description,
    inputSchema: def.inputSchema,
    annotations: def.annotations,
    ...(def._meta ? { _meta: def._meta } : {}),
    handler: async (args, ctx) => {
      const result = await def.handler(args as z.output<I>, ctx);
      if (def.outputSchema && !result.isError) checkOutput(def.name, def.outputSchema, result.structuredContent);
      return result;
    },
  };
}

/** Throws (an internal error) when a tool's structuredContent does not match its output schema. */
function checkOutput(tool: string, schema: z.ZodObject, content: unknown): void {
  const parsed = schema.safeParse(content);
  if (parsed.success) return;
  const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`);
  throw new Error(`${tool} returned structuredContent that does not match its output schema (${issues.join("; ")})`);
}

/** A result with one text block and the structured content the outputSchema describes. */
export function structuredResult<T extends Record<string, unknown>>(text: string, data: T): CallToolResult & { structuredContent: T } {
  return { content: [{ type: "text", text }], structuredContent: data };
}

/** A result with one text block. */
export function textResult(text: string): CallToolResult {
  return { content: [{ type: "text", text }] };
}
