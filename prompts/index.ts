/**
 * The prompt registry: workflows a user can pick in their MCP client (prompts/list), each turning into
 * instructions for the assistant that name the exact tools and arguments. Arguments that take artifact
 * ids complete from the workspace (completion/complete). To add a prompt: write `prompts/<name>.ts`
 * exporting `register<Name>Prompt(server, ctx)` (a `Registration`, tools/kit/catalog.ts) and append it here.
 */
import type { Registration } from "../tools/kit/catalog.js";
import { registerExplainPrompt } from "./explain-decoding.js";
import { registerHypothesisPrompt } from "./hypothesis-testing.js";
import { registerMovieDecodingPrompt } from "./movie-decoding.js";

export const PROMPTS: readonly Registration[] = [registerMovieDecodingPrompt, registerHypothesisPrompt, registerExplainPrompt];
