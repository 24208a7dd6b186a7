/**
 * Reference fixtures for the MCP conformance suite (@modelcontextprotocol/conformance), registered only
 * with the hidden `cebra-mcp serve --conformance` flag. The suite's server scenarios call tools,
 * prompts and resources with fixed names (`test_simple_text`, `test_prompt_with_arguments`,
 * `test://static-text`, …) and fixed behaviour; registering them on the real server (beside the real
 * tools, over the real HTTP stack) lets the suite check our transport, content encoding, progress,
 * errors, completion and multi-round-trip (MRTR, SEP-2322) handling. Never registered in normal use.
 * How to run the suite: docs/CONFORMANCE.md.
 */
import { randomBytes } from "node:crypto";
import {
  McpServer,
  ProtocolError,
  ProtocolErrorCode,
  ResourceTemplate,
  completable,
  createRequestStateCodec,
  fromJsonSchema,
  inputRequired,
  inputResponse,
  type CallToolResult,
  type ClientCapabilities,
  type GetPromptResult,
  type InputRequest,
  type InputRequiredResult,
  type ServerContext,
} from "@modelcontextprotocol/server";
import { z } from "zod";

/** A 1×1 red PNG and a minimal WAV (the suite only checks the mime types and that the data is base64). */
const PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
const WAV_TINY = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

const NO_ARGS = z.object({});

/** Registers every conformance fixture on `server`. */
export function registerConformanceFixtures(server: McpServer): void {
  registerContentTools(server);
  registerDiagnosticTools(server);
  registerInputRequiredTools(server);
  registerSchemaTools(server);
  registerFixtureResources(server);
  registerFixturePrompts(server);
}

function text(t: string): CallToolResult {
  return { content: [{ type: "text", text: t }] };
}

/** What a fixture handler returns: a result, or a request for input (MRTR). */
type FixtureResult = CallToolResult | InputRequiredResult;

function tool(server: McpServer, name: string, handler: (ctx: ServerContext) => Promise<FixtureResult> | FixtureResult): void {
  server.registerTool(name, { description: `Conformance fixture ${name}.`, inputSchema: NO_ARGS }, (_args, ctx) => handler(ctx));
}

// ------------------------------------------------------------------ tools-call-* scenarios

function registerContentTools(server: McpServer): void {
  tool(server, "test_simple_text", () => text("This is a simple text response for testing."));
  tool(server, "test_image_content", () => ({ content: [{ type: "image", data: PNG_1PX, mimeType: "image/png" }] }));
  tool(server, "test_audio_content", () => ({ content: [{ type: "audio", data: WAV_TINY, mimeType: "audio/wav" }] }));
  tool(server, "test_embedded_resource", () => ({
    content: [{ type: "resource", resource: { uri: "test://embedded-resource", mimeType: "text/plain", text: "This is an embedded resource content." } }],
  }));
  tool(server, "test_multiple_content_types", () => ({
    content: [
      { type: "text", text: "Multiple content types test:" },
      { type: "image", data: PNG_1PX, mimeType: "image/png" },
      { type: "resource", resource: { uri: "test://mixed-content-resource", mimeType: "application/json", text: JSON.stringify({ test: "data", value: 123 }) } },
    ],
  }));
  tool(server, "test_error_handling", () => {
    throw new Error("This tool intentionally returns an error for testing");
  });
  tool(server, "test_tool_with_progress", async (ctx) => {
    const token = ctx.mcpReq._meta?.progressToken;
    for (const progress of [0, 50, 100]) {
      if (token !== undefined) await ctx.mcpReq.notify({ method: "notifications/progress", params: { progressToken: token, progress, total: 100, message: `Completed step ${progress} of 100` } });
      if (progress < 100) await sleep(50);
    }
    return text(String(token ?? "no progress token"));
  });
}

// ------------------------------------------------------------------ server-stateless diagnostics (SEP-2575)

function registerDiagnosticTools(server: McpServer): void {
  // Needs sampling: a client that did not declare it must get MissingRequiredClientCapabilityError (-32021).
  tool(server, "test_missing_capability", (ctx) => {
    if (inputResponse(ctx.mcpReq.inputResponses, "capability_sample").kind === "sampling") return text("Success");
    return inputRequired({ inputRequests: { capability_sample: sample("Need sampling to continue", 1) } });
  });
  // The response stream of a call needing input carries the input_required result, never a server→client request.
  tool(server, "test_streaming_elicitation", (ctx) => {
    const name = acceptedString(ctx, "user_name", "name");
    return name !== undefined ? text(`Hello, ${name}!`) : inputRequired({ inputRequests: { user_name: elicitString("What is your name?", "name") } });
  });
  // Logs only when the request asked for a log level (the SDK drops the message otherwise).
  tool(server, "test_logging_tool", async (ctx) => {
    await ctx.mcpReq.log("info", "test_logging_tool ran");
    return text("Logging tool complete");
  });
}

// ------------------------------------------------------------------ input-required-result-* scenarios (SEP-2322)

function registerInputRequiredTools(server: McpServer): void {
  tool(server, "test_input_required_result_elicitation", (ctx) => {
    const name = acceptedString(ctx, "user_name", "name");
    return name !== undefined ? text(`Hello, ${name}!`) : inputRequired({ inputRequests: { user_name: elicitString("What is your name?", "name") } });
  });
  tool(server, "test_input_required_result_sampling", (ctx) => {
    const answer = sampledText(ctx, "capital_question");
    return answer !== undefined ? text(`Sampling response: ${answer}`) : inputRequired({ inputRequests: { capital_question: sample("What is the capital of France?", 100) } });
  });
  tool(server, "test_input_required_result_list_roots", (ctx) => {
    const roots = rootsOf(ctx, "client_roots");
    return roots !== undefined ? text(`Client exposed ${roots.length} root(s): ${roots.join(", ")}`) : inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } });
  });
  tool(server, "test_input_required_result_request_state", async (ctx) => {
    const t = "test_input_required_result_request_state";
    const state = await stateOf(ctx, t);
    if (state && acceptedBool(ctx, "confirm", "ok") !== undefined) return text("state-ok: requestState verified and confirmation received");
    return inputRequired({ inputRequests: { confirm: elicitBool("Please confirm", "ok") }, requestState: await mintState({ tool: t }) });
  });
  tool(server, "test_input_required_result_multiple_inputs", async (ctx) => {
    const t = "test_input_required_result_multiple_inputs";
    await stateOf(ctx, t);
    const name = acceptedString(ctx, "user_name", "name");
    const greeting = sampledText(ctx, "greeting");
    const roots = rootsOf(ctx, "client_roots");
    if (name !== undefined && greeting !== undefined && roots !== undefined) return text(`${greeting} ${name}, ${roots.length} root(s) visible`);
    return inputRequired({
      inputRequests: { user_name: elicitString("What is your name?", "name"), greeting: sample("Generate a greeting", 50), client_roots: inputRequired.listRoots() },
      requestState: await mintState({ tool: t }),
    });
  });
  tool(server, "test_input_required_result_multi_round", multiRound);
  tool(server, "test_input_required_result_tampered_state", async (ctx) => {
    const t = "test_input_required_result_tampered_state";
    const state = await stateOf(ctx, t);
    if (state && acceptedBool(ctx, "confirm", "ok") !== undefined) return text("integrity-ok: requestState verified");
    return inputRequired({ inputRequests: { confirm: elicitBool("Please confirm", "ok") }, requestState: await mintState({ tool: t }) });
  });
  tool(server, "test_input_required_result_capabilities", (ctx) => {
    if (ctx.mcpReq.inputResponses !== undefined) return text("Capability-aware input requests fulfilled");
    const envelope = (ctx.mcpReq.envelope ?? {}) as Record<string, ClientCapabilities | undefined>;
    const caps = envelope["io.modelcontextprotocol/clientCapabilities"] ?? {};
    const requests: Record<string, InputRequest> = {};
    if (caps.sampling) requests.greeting = sample("Generate a short greeting", 50);
    if (caps.elicitation) requests.user_name = elicitString("What is your name?", "name");
    if (caps.roots) requests.client_roots = inputRequired.listRoots();
    return Object.keys(requests).length ? inputRequired({ inputRequests: requests }) : text("No declared client capability supports an in-band input request");
  });
}

/** Three rounds: ask a name, then a colour (the state carries the round and the name), then answer. */
async function multiRound(ctx: ServerContext): Promise<CallToolResult | InputRequiredResult> {
  const t = "test_input_required_result_multi_round";
  const askName = async () => inputRequired({ inputRequests: { step1: elicitString("Step 1: What is your name?", "name") }, requestState: await mintState({ tool: t, round: 1 }) });
  const askColour = async (name: string) => inputRequired({ inputRequests: { step2: elicitString("Step 2: What is your favorite color?", "color") }, requestState: await mintState({ tool: t, round: 2, name }) });
  const state = await stateOf(ctx, t);
  if (!state) return askName();
  if (state.round === 1) {
    const name = acceptedString(ctx, "step1", "name");
    return name === undefined ? askName() : askColour(name);
  }
  const color = acceptedString(ctx, "step2", "color");
  return color === undefined ? askColour(state.name ?? "") : text(`Multi-round complete: ${state.name} likes ${color}`);
}

function elicitString(message: string, property: string): InputRequest {
  return inputRequired.elicit({ message, requestedSchema: { type: "object", properties: { [property]: { type: "string" } }, required: [property] } });
}

function elicitBool(message: string, property: string): InputRequest {
  return inputRequired.elicit({ message, requestedSchema: { type: "object", properties: { [property]: { type: "boolean" } }, required: [property] } });
}

function sample(prompt: string, maxTokens: number): InputRequest {
  return inputRequired.createMessage({ messages: [{ role: "user", content: { type: "text", text: prompt } }], maxTokens });
}

function acceptedString(ctx: ServerContext, key: string, property: string): string | undefined {
  const r = inputResponse(ctx.mcpReq.inputResponses, key);
  const v = r.kind === "elicit" && r.action === "accept" ? r.content?.[property] : undefined;
  return typeof v === "string" ? v : undefined;
}

function acceptedBool(ctx: ServerContext, key: string, property: string): boolean | undefined {
  const r = inputResponse(ctx.mcpReq.inputResponses, key);
  const v = r.kind === "elicit" && r.action === "accept" ? r.content?.[property] : undefined;
  return typeof v === "boolean" ? v : undefined;
}

function sampledText(ctx: ServerContext, key: string): string | undefined {
  const r = inputResponse(ctx.mcpReq.inputResponses, key);
  if (r.kind !== "sampling") return undefined;
  const content = r.result.content as { type?: string; text?: string } | { type?: string; text?: string }[];
  const first = Array.isArray(content) ? content[0] : content;
  return first?.type === "text" && typeof first.text === "string" ? first.text : undefined;
}

function rootsOf(ctx: ServerContext, key: string): string[] | undefined {
  const r = inputResponse(ctx.mcpReq.inputResponses, key);
  return r.kind === "roots" ? r.roots.map((root) => root.uri) : undefined;
}

/** What the fixtures keep in requestState: the tool that minted it, and multi_round's progress. */
interface FixtureState {
  tool: string;
  round?: number;
  name?: string;
}

/**
 * HMAC-signed, expiring requestState (the SDK's codec), keyed per process: every per-request server
 * instance of this process verifies what another minted.
 */
const STATE_CODEC = createRequestStateCodec<FixtureState>({ key: randomBytes(32), ttlSeconds: 600 });

/**
 * McpServer options that go with the fixtures: verifying requestState before a handler runs makes a
 * tampered state a JSON-RPC -32602 error (what the suite requires) instead of a tool error result.
 */
export const CONFORMANCE_SERVER_OPTIONS = { requestState: { verify: STATE_CODEC.verify } } as const;

/** Seals fixture state for `inputRequired({ requestState })`. */
function mintState(state: FixtureState): Promise<string> {
  return STATE_CODEC.mint(state);
}

/**
 * The verified state of this round, or undefined when the round carries none. With
 * CONFORMANCE_SERVER_OPTIONS the SDK has verified and decoded it already; without them it arrives as
 * the raw string and is verified here (a failure then surfaces as a tool error).
 */
async function stateOf(ctx: ServerContext, tool: string): Promise<FixtureState | undefined> {
  const raw = ctx.mcpReq.requestState<FixtureState | string>();
  if (raw === undefined) return undefined;
  const state = typeof raw === "string" ? await STATE_CODEC.verify(raw, ctx).catch(() => undefined) : raw;
  if (!state || state.tool !== tool) {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, "Received a requestState that failed integrity validation. Expected an unmodified state issued by this server.");
  }
  return state;
}

// ------------------------------------------------------------------ json-schema-2020-12, http-custom-header-server-validation

/** A JSON Schema 2020-12 input schema using $defs/$anchor/$ref, allOf/anyOf and if/then/else (SEP-1613, SEP-2106). */
const SCHEMA_2020_12 = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  $defs: { address: { $anchor: "addressDef", type: "object", properties: { street: { type: "string" }, city: { type: "string" } } } },
  properties: {
    name: { type: "string" },
    address: { $ref: "#/$defs/address" },
    contactMethod: { type: "string", enum: ["phone", "email"] },
    phone: { type: "string" },
    email: { type: "string" },
  },
  allOf: [{ anyOf: [{ required: ["phone"] }, { required: ["email"] }] }],
  if: { properties: { contactMethod: { const: "phone" } }, required: ["contactMethod"] },
  then: { required: ["phone"] },
  else: { required: ["email"] },
  additionalProperties: false,
} as const;

/** An argument mirrored into an `Mcp-Param-Region` HTTP header (SEP-2243). */
const HEADER_SCHEMA = {
  type: "object",
  properties: { region: { type: "string", description: "mirrored into Mcp-Param-Region", "x-mcp-header": "Region" }, level: { type: "integer", description: "non-mirrored argument" } },
} as const;

function registerSchemaTools(server: McpServer): void {
  server.registerTool("json_schema_2020_12_tool", { description: "Conformance fixture: JSON Schema 2020-12 keywords survive tools/list.", inputSchema: fromJsonSchema<Record<string, unknown>>(SCHEMA_2020_12) }, (args) =>
    text(`json_schema_2020_12_tool called with ${JSON.stringify(args)}`),
  );
  server.registerTool("test_x_mcp_header", { description: "Conformance fixture: an argument mirrored into a custom header.", inputSchema: fromJsonSchema<{ region?: string; level?: number }>(HEADER_SCHEMA) }, (args) =>
    text(`region=${args.region ?? "<none>"}`),
  );
}

// ------------------------------------------------------------------ resources-* scenarios

function registerFixtureResources(server: McpServer): void {
  server.registerResource("static-text", "test://static-text", { title: "Static Text Resource", description: "A static text resource for testing", mimeType: "text/plain" }, async () => ({
    contents: [{ uri: "test://static-text", mimeType: "text/plain", text: "This is the content of the static text resource." }],
  }));
  server.registerResource("static-binary", "test://static-binary", { title: "Static Binary Resource", description: "A static binary resource (image) for testing", mimeType: "image/png" }, async () => ({
    contents: [{ uri: "test://static-binary", mimeType: "image/png", blob: PNG_1PX }],
  }));
  server.registerResource(
    "template",
    new ResourceTemplate("test://template/{id}/data", { list: undefined }),
    { title: "Resource Template", description: "A resource template with parameter substitution", mimeType: "application/json" },
    async (uri, variables) => ({
      contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify({ id: variables.id, templateTest: true, data: `Data for ID: ${String(variables.id)}` }) }],
    }),
  );
}

// ------------------------------------------------------------------ prompts-* and completion-complete scenarios

function registerFixturePrompts(server: McpServer): void {
  const user = (t: string): GetPromptResult => ({ messages: [{ role: "user", content: { type: "text", text: t } }] });
  server.registerPrompt("test_simple_prompt", { title: "Simple Test Prompt", description: "A simple prompt without arguments" }, () => user("This is a simple prompt for testing."));
  const suggest = (words: string[]) => (value: string | undefined) => words.filter((w) => w.startsWith(value ?? ""));
  server.registerPrompt(
    "test_prompt_with_arguments",
    {
      title: "Prompt With Arguments",
      description: "A prompt with required arguments",
      argsSchema: z.object({
        arg1: completable(z.string().describe("First test argument"), suggest(["paris", "park", "party"])),
        arg2: completable(z.string().describe("Second test argument"), suggest(["alpha", "beta"])),
      }),
    },
    ({ arg1, arg2 }) => user(`Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`),
  );
  server.registerPrompt(
    "test_prompt_with_embedded_resource",
    { title: "Prompt With Embedded Resource", description: "A prompt that includes an embedded resource", argsSchema: z.object({ resourceUri: z.string().describe("URI of the resource to embed") }) },
    ({ resourceUri }) => ({
      messages: [
        { role: "user", content: { type: "resource", resource: { uri: resourceUri, mimeType: "text/plain", text: "Embedded resource content for testing." } } },
        { role: "user", content: { type: "text", text: "Please process the embedded resource above." } },
      ],
    }),
  );
  server.registerPrompt("test_prompt_with_image", { title: "Prompt With Image", description: "A prompt that includes image content" }, () => ({
    messages: [
      { role: "user", content: { type: "image", data: PNG_1PX, mimeType: "image/png" } },
      { role: "user", content: { type: "text", text: "Please analyze the image above." } },
    ],
  }));
  server.registerPrompt("test_input_required_result_prompt", { title: "Prompt needing input", description: "A prompt that asks for context through an input_required result" }, (ctx) => {
    const context = acceptedString(ctx, "user_context", "context");
    if (context === undefined) {
      return inputRequired({ inputRequests: { user_context: elicitString("What context should the prompt use?", "context") } });
    }
    return user(`Prompt generated with context: ${context}`);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
