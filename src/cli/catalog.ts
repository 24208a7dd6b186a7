/** What `cebra-mcp serve` offers: every tool, prompt and resource, handed to the server by the CLI. */
import { PROMPTS } from "../../prompts/index.js";
import { RESOURCES } from "../../resources/index.js";
import type { Catalog } from "../../tools/kit/catalog.js";
import { TOOLS } from "../../tools/index.js";

export const CATALOG: Catalog = { tools: TOOLS, prompts: PROMPTS, resources: RESOURCES };
