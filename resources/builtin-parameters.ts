/** The built-in simulator's parameters as a static resource: meaning, unit, default, realistic range, source. */
import type { McpServer } from "@modelcontextprotocol/server";
import { describeAllenLikeParams } from "../src/data/builtin/index.js";
import { BUILTIN_PARAMS_URI } from "../tools/kit/uris.js";

export function registerBuiltinParameters(server: McpServer): void {
  server.registerResource(
    "builtin-allen-like-parameters",
    BUILTIN_PARAMS_URI,
    { title: "builtin:allen-like parameters", description: "Every simulator parameter: meaning, unit, default, realistic range, allowed range, source.", mimeType: "application/json" },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(describeAllenLikeParams(), null, 1) }] }),
  );
}
