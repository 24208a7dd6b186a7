/**
 * The conformance fixtures (src/server/conformance-tools.ts) through a real 2026-07-28 client: content
 * types, progress, errors, resources, prompts with completion, and the multi-round-trip tools — the
 * client answers elicitation/sampling/roots requests and retries with the signed requestState, and a
 * tampered state is refused with a JSON-RPC -32602 error. (The full suite runs in scripts/conformance.sh.)
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { Client, StreamableHTTPClientTransport, type CallToolResult } from "@modelcontextprotocol/client";
import { createMcpHandler, McpServer } from "@modelcontextprotocol/server";
import { CONFORMANCE_SERVER_OPTIONS, registerConformanceFixtures } from "../../src/server/conformance-tools.js";

let handler: ReturnType<typeof createMcpHandler>;

before(() => {
  handler = createMcpHandler(() => {
    const server = new McpServer({ name: "fixtures", version: "1" }, { capabilities: { tools: { listChanged: false }, prompts: { listChanged: false } }, ...CONFORMANCE_SERVER_OPTIONS });
    registerConformanceFixtures(server);
    return server;
  });
});
after(() => handler.close());

/** A 2026-07-28 client that answers input requests like the suite's client does. */
async function connect(opts: { autoFulfill?: boolean } = {}): Promise<Client> {
  const client = new Client(
    { name: "fixtures-test", version: "0" },
    { versionNegotiation: { mode: "auto" }, capabilities: { elicitation: {}, sampling: {}, roots: {} }, inputRequired: { autoFulfill: opts.autoFulfill ?? true } },
  );
  client.setRequestHandler("elicitation/create", async (req) => {
    const props = Object.keys((req.params as { requestedSchema?: { properties?: object } }).requestedSchema?.properties ?? {});
    const content = Object.fromEntries(props.map((p) => [p, p === "ok" ? true : `my-${p}`]));
    return { action: "accept", content };
  });
  client.setRequestHandler("sampling/createMessage", async () => ({ role: "assistant", content: { type: "text", text: "Paris" }, model: "test-model" }));
  client.setRequestHandler("roots/list", async () => ({ roots: [{ uri: "file:///data", name: "data" }] }));
  await client.connect(new StreamableHTTPClientTransport(new URL("http://localhost/mcp"), { fetch: (url, init) => handler.fetch(new Request(url, init)) }));
  assert.equal(client.getNegotiatedProtocolVersion(), "2026-07-28");
  return client;
}

/**
 * A manual MRTR retry of a tool call. The SDK's CallToolRequest params type does not list the
 * 2026-07-28 retry fields (inputResponses, requestState); the client sends them as given.
 */
function retry(name: string, inputResponses: Record<string, unknown>, requestState: string): Parameters<Client["callTool"]>[0] {
  return { name, arguments: {}, inputResponses, requestState } as Parameters<Client["callTool"]>[0];
}

async function callText(client: Client, name: string, args: Record<string, unknown> = {}): Promise<string> {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  assert.notEqual(r.isError, true, JSON.stringify(r));
  return r.content.map((c) => (c.type === "text" ? c.text : `[${c.type}]`)).join("|");
}

test("content, progress and error fixtures return what the suite expects", async (t) => {
  const client = await connect();
  t.after(() => client.close());
  assert.equal(await callText(client, "test_simple_text"), "This is a simple text response for testing.");
  assert.equal(await callText(client, "test_multiple_content_types"), "Multiple content types test:|[image]|[resource]");
  const image = (await client.callTool({ name: "test_image_content", arguments: {} })) as CallToolResult;
  assert.deepEqual(image.content.map((c) => c.type === "image" && c.mimeType), ["image/png"]);
  const progress: number[] = [];
  await client.callTool({ name: "test_tool_with_progress", arguments: {} }, { onprogress: (p) => progress.push(p.progress) });
  assert.deepEqual(progress, [0, 50, 100]);
  const error = (await client.callTool({ name: "test_error_handling", arguments: {} })) as CallToolResult;
  assert.equal(error.isError, true);
  assert.match(JSON.stringify(error.content), /intentionally returns an error/);
});

test("multi-round-trip tools complete once the client has answered", async (t) => {
  const client = await connect();
  t.after(() => client.close());
  assert.equal(await callText(client, "test_input_required_result_elicitation"), "Hello, my-name!");
  assert.equal(await callText(client, "test_input_required_result_sampling"), "Sampling response: Paris");
  assert.equal(await callText(client, "test_input_required_result_list_roots"), "Client exposed 1 root(s): file:///data");
  assert.match(await callText(client, "test_input_required_result_request_state"), /^state-ok/);
  assert.equal(await callText(client, "test_input_required_result_multiple_inputs"), "Paris my-name, 1 root(s) visible");
  assert.equal(await callText(client, "test_input_required_result_multi_round"), "Multi-round complete: my-name likes my-color");
  assert.equal(await callText(client, "test_input_required_result_capabilities"), "Capability-aware input requests fulfilled");
});

test("a tampered requestState is a JSON-RPC -32602 error, the untouched one is accepted", async (t) => {
  const client = await connect({ autoFulfill: false });
  t.after(() => client.close());
  const round1 = (await client.callTool({ name: "test_input_required_result_tampered_state", arguments: {} }, { allowInputRequired: true })) as unknown as { resultType: string; requestState: string };
  assert.equal(round1.resultType, "input_required");
  const [version, body, mac] = round1.requestState.split(".");
  const forged = `${version}.${Buffer.from(JSON.stringify({ p: { tool: "test_input_required_result_tampered_state" }, exp: 9e9 })).toString("base64url")}.${mac}`;
  assert.notEqual(forged, round1.requestState);
  const answer = { confirm: { action: "accept", content: { ok: true } } };
  await assert.rejects(
    client.callTool(retry("test_input_required_result_tampered_state", answer, forged)),
    (e: unknown) => (e as { code?: number }).code === -32602,
  );
  assert.ok(body);
  const ok = (await client.callTool(retry("test_input_required_result_tampered_state", answer, round1.requestState))) as CallToolResult;
  assert.match(JSON.stringify(ok.content), /integrity-ok/);
});

test("fixture resources and prompts, with argument completion", async (t) => {
  const client = await connect();
  t.after(() => client.close());
  const text = await client.readResource({ uri: "test://static-text" });
  assert.deepEqual(text.contents[0], { uri: "test://static-text", mimeType: "text/plain", text: "This is the content of the static text resource." });
  const templated = await client.readResource({ uri: "test://template/123/data" });
  assert.deepEqual(JSON.parse((templated.contents[0] as { text: string }).text), { id: "123", templateTest: true, data: "Data for ID: 123" });
  const { prompts } = await client.listPrompts();
  assert.deepEqual(prompts.map((p) => p.name).sort(), ["test_input_required_result_prompt", "test_prompt_with_arguments", "test_prompt_with_embedded_resource", "test_prompt_with_image", "test_simple_prompt"]);
  const withArgs = await client.getPrompt({ name: "test_prompt_with_arguments", arguments: { arg1: "a", arg2: "b" } });
  assert.deepEqual(withArgs.messages[0]!.content, { type: "text", text: "Prompt with arguments: arg1='a', arg2='b'" });
  const needsInput = await client.getPrompt({ name: "test_input_required_result_prompt" });
  assert.deepEqual(needsInput.messages[0]!.content, { type: "text", text: "Prompt generated with context: my-context" });
  const completion = await client.complete({ ref: { type: "ref/prompt", name: "test_prompt_with_arguments" }, argument: { name: "arg1", value: "par" } });
  assert.deepEqual(completion.completion.values, ["paris", "park", "party"]);
  const { tools } = await client.listTools();
  const schema = tools.find((x) => x.name === "json_schema_2020_12_tool")!.inputSchema as Record<string, unknown>;
  assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  assert.ok(schema.$defs && schema.if && schema.allOf, "2020-12 keywords are listed as written");
});
