/**
 * What one MCP server offers: its tools, prompts and resources. `tools/index.ts`, `prompts/index.ts`
 * and `resources/index.ts` each list theirs; the CLI (src/cli/catalog.ts) hands the three lists to
 * `createServer`, so the server never imports the things it serves.
 */
import type { McpServer } from "@modelcontextprotocol/server";
import type { AppState } from "../../src/app/context.js";
import type { Tool } from "./define.js";

/** Registers one prompt or resource (template) on a server; `app` gives access to the workspace and jobs. */
export type Registration = (server: McpServer, app: AppState) => void;

export interface Catalog {
  readonly tools: readonly Tool[];
  readonly prompts: readonly Registration[];
  readonly resources: readonly Registration[];
}
