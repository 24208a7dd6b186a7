/**
 * The prompt registry: workflows a user can pick in their MCP client (prompts/list), each turning into
 * instructions for the assistant that name the exact tools and arguments. Arguments that take artifact
 * ids complete from the workspace (completion/complete). To add a prompt: write `prompts/<name>.ts`
 * exporting `register<Name>Prompt(server, ctx)` and call it below.
 */
import type { McpServer } from "@modelcontextprotocol/server";
import type { PromptContext } from "./complete.js";
import { registerExplainPrompt } from "./explain-decoding.js";
import { registerHypothesisPrompt } from "./hypothesis-testing.js";
import { registerMovieDecodingPrompt } from "./movie-decoding.js";

export type { PromptContext } from "./complete.js";

/** Registers every prompt on `server`; `ctx` (the app state) gives access to the workspace for completion and provenance. */
export function registerPrompts(server: McpServer, ctx: PromptContext): void {
  registerMovieDecodingPrompt(server, ctx);
  registerHypothesisPrompt(server, ctx);
  registerExplainPrompt(server, ctx);
}
