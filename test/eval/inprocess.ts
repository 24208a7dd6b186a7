/**
 * An in-process MCP server for testing the scenario engine: a real McpServer (SDK) with a few small
 * tools whose results the tests know exactly, connected to the eval's real Client over the SDK's
 * InMemoryTransport. Tools:
 *  - echo {value}: structuredContent {value, length} plus a text block with JSON.
 *  - poll {key, ready_after}: "running" until called `ready_after` times for `key`, then "done".
 *  - picture {width, height, frames}: a sharp-made PNG with `_meta.frames_shown` and the same list in a JSON text block.
 *  - fail {message}: throws (an isError result).
 *  - file_size {path}: size of a file (checks fixtures landed where the scenario said).
 *  - progress {steps}: sends `steps` progress notifications, returns "ok".
 * and one resource, memo://note, whose text is the JSON {"note": "hello"}.
 */
import { readFile } from "node:fs/promises";
import { McpServer, InMemoryTransport } from "@modelcontextprotocol/server";
import sharp from "sharp";
import { z } from "zod";
import { evalClient, type Connector, type EvalEnvironment } from "../../src/eval/connect.js";

/** Calls per `poll` key, shared by every server made by one connector. */
type PollCounts = Map<string, number>;

function testServer(env: EvalEnvironment, polls: PollCounts): McpServer {
  const server = new McpServer({ name: "eval-test-server", version: "1.0.0" }, { capabilities: { tools: {}, resources: {} } });
  server.registerResource("note", "memo://note", { mimeType: "application/json" }, async (uri) => ({ contents: [{ uri: uri.href, mimeType: "application/json", text: '{"note": "hello"}' }] }));
  server.registerTool("echo", { description: "echo", inputSchema: z.object({ value: z.unknown() }), outputSchema: z.object({ value: z.unknown(), length: z.number() }) }, async ({ value }) => {
    const data = { value, length: JSON.stringify(value ?? null).length };
    return { content: [{ type: "text", text: `Echo:\n${JSON.stringify(data)}` }], structuredContent: data };
  });
  server.registerTool("poll", { description: "poll", inputSchema: z.object({ key: z.string(), ready_after: z.number().int() }) }, async ({ key, ready_after }) => {
    const n = (polls.get(key) ?? 0) + 1;
    polls.set(key, n);
    const status = n >= ready_after ? "done" : "running";
    return { content: [{ type: "text", text: JSON.stringify({ status, calls: n }) }] };
  });
  server.registerTool("picture", { description: "picture", inputSchema: z.object({ width: z.number().int(), height: z.number().int(), frames: z.array(z.object({ sample: z.number(), frame: z.number() })) }) }, async ({ width, height, frames }) => {
    const png = await sharp({ create: { width, height, channels: 3, background: { r: 20, g: 120, b: 200 } } }).png().toBuffer();
    return {
      content: [
        { type: "text", text: JSON.stringify({ frames_shown: frames, workspace: env.workspace }) },
        { type: "image", data: png.toString("base64"), mimeType: "image/png", _meta: { frames_shown: frames } },
      ],
    };
  });
  server.registerTool("fail", { description: "fail", inputSchema: z.object({ message: z.string() }) }, async ({ message }) => {
    throw new Error(message);
  });
  server.registerTool("file_size", { description: "file size", inputSchema: z.object({ path: z.string() }) }, async ({ path }) => {
    const bytes = (await readFile(path)).byteLength;
    return { content: [{ type: "text", text: JSON.stringify({ bytes }) }] };
  });
  server.registerTool("progress", { description: "progress", inputSchema: z.object({ steps: z.number().int() }) }, async ({ steps }, ctx) => {
    const token = ctx.mcpReq._meta?.progressToken;
    for (let i = 1; i <= steps && token !== undefined; i++) {
      await ctx.mcpReq.notify({ method: "notifications/progress", params: { progressToken: token, progress: i, total: steps, message: `step ${i}` } });
    }
    return { content: [{ type: "text", text: "ok" }] };
  });
  return server;
}

/** A Connector for the test server; `connections` counts how many servers it started. */
export function inProcessConnector(): Connector & { connections: number } {
  const polls: PollCounts = new Map();
  const connector = Object.assign(
    async (env: EvalEnvironment) => {
      connector.connections++;
      const server = testServer(env, polls);
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await server.connect(serverSide);
      const client = evalClient("legacy");
      await client.connect(clientSide);
      return {
        client,
        transport: "stdio" as const,
        stderr: () => "test server log line\n",
        close: async () => {
          await client.close();
          await server.close();
        },
      };
    },
    { connections: 0 },
  );
  return connector;
}
