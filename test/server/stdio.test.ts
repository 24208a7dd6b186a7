/**
 * The built server as a subprocess over stdio (`node dist/src/cli/main.js serve`), driven by the SDK
 * client: tool listing, instructions, resources, and workspace persistence across a restart.
 */
import test, { after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TOOLS } from "../../tools/index.js";
import { Workspace } from "../../src/store/workspace.js";
import { newId } from "../../src/store/ids.js";
import type { JobRecord } from "../../src/store/jobs.js";
import type { JobView } from "../../tools/kit/job-view.js";
import { SMALL_BUILTIN, callOk, connectStdio } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";

const tmp = tempDir();
const workspace = path.join(tmp.dir, "ws");
after(tmp.cleanup);

let recordingId = "";

test("first server: tools, instructions, load, resources", async (t) => {
  const conn = await connectStdio({ workspace });
  t.after(() => conn.close());
  const { client } = conn;

  await t.test("tools/list shows every registered tool with schemas and annotations", async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((x) => x.name), TOOLS.map((x) => x.name));
    for (const tool of tools) {
      assert.ok(tool.description && tool.description.length > 40, `${tool.name} has a description`);
      assert.equal(tool.inputSchema.type, "object");
      // Hints equal to the spec's defaults are left out (src/server/server.ts listedHints); every tool says something.
      assert.ok(tool.annotations?.title && Object.keys(tool.annotations).length >= 2, `${tool.name} annotations: ${JSON.stringify(tool.annotations)}`);
    }
    const json = JSON.stringify(tools);
    assert.doesNotMatch(json, /9007199254740991/, "integers carry explicit bounds");
    const load = tools.find((x) => x.name === "load_recording")!;
    assert.equal(load.outputSchema, undefined, "output schemas are checked by the server, not advertised (tools/kit/define.ts)");
    assert.deepEqual(load.inputSchema.required, ["source"]);
  });

  await t.test("instructions describe the workflow", () => {
    const text = client.getInstructions() ?? "";
    for (const word of ["load_recording", "train_embedding", "decode_video_frames", "render_reconstruction", "RETRIEVED", "control"]) assert.ok(text.includes(word), `instructions mention ${word}`);
  });

  await t.test("load_recording returns a handle that resources and list_artifacts know", async () => {
    const { data } = await callOk<{ recording_id: string }>(client, "load_recording", { source: "builtin:allen-like", builtin: SMALL_BUILTIN });
    recordingId = data.recording_id;
    const { resources } = await client.listResources();
    assert.ok(resources.some((r) => r.uri === `recording://${recordingId}`));
    const read = await client.readResource({ uri: `recording://${recordingId}` });
    const summary = JSON.parse((read.contents[0] as { text: string }).text);
    assert.equal(summary.recording_id, recordingId);
    assert.equal(summary.n_neurons, SMALL_BUILTIN.n_cells);
    assert.equal(summary.provenance.source, "builtin:allen-like");
    const { resourceTemplates } = await client.listResourceTemplates();
    assert.deepEqual(resourceTemplates.map((r) => r.uriTemplate).sort(), ["decoding://{id}", "embedding://{id}", "frame://{recording_id}/{index}", "job://{id}", "model://{id}", "recording://{id}", "render://{id}", "votes://{decoding_id}/{sample}"]);
  });

  await t.test("the builtin simulator's parameters are documented as a resource", async () => {
    const { resources } = await client.listResources();
    assert.ok(resources.some((r) => r.uri === "builtin://allen-like/parameters"));
    const read = await client.readResource({ uri: "builtin://allen-like/parameters" });
    const params = JSON.parse((read.contents[0] as { text: string }).text) as Record<string, string>;
    assert.match(params.n_cells ?? "", /realistic/);
    assert.ok(Object.keys(params).length > 10);
  });

  await t.test("reading an unknown resource is a protocol error naming the URI", async () => {
    await assert.rejects(client.readResource({ uri: "recording://rec_000000000000" }), /rec_000000000000/);
  });

  await t.test("logs go to stderr", () => {
    assert.match(conn.stderr(), /serving on stdio/);
  });
});

test("a restarted server sees the previous recording, ignores half-written artifacts, and marks dead jobs interrupted", async (t) => {
  assert.ok(recordingId, "the first server loaded a recording");
  // Simulate a crash of the first server: a half-written recording and a job left "running".
  const ws = await Workspace.open(workspace);
  const halfDir = path.join(ws.kindDir("recording"), `.tmp-${newId("recording")}-dead`);
  mkdirSync(halfDir);
  writeFileSync(path.join(halfDir, "manifest.json"), "{}");
  const orphanId = newId("job");
  const orphan: JobRecord = { id: orphanId, type: "train_embedding", status: "running", summary: "orphan", params: {}, parents: [], created_at: new Date().toISOString(), history: [] };
  await ws.create("job", { summary: "orphan", meta: orphan }, orphanId);

  const conn = await connectStdio({ workspace, era: "auto" });
  t.after(() => conn.close());
  const { data } = await callOk<{ artifacts: { id: string }[]; counts: Record<string, number> }>(conn.client, "list_artifacts", { kind: "recording" });
  assert.deepEqual(data.artifacts.map((a) => a.id), [recordingId]);
  const read = await conn.client.readResource({ uri: `recording://${recordingId}` });
  assert.equal(JSON.parse((read.contents[0] as { text: string }).text).n_frames, SMALL_BUILTIN.n_frames);
  const job = await callOk<JobView>(conn.client, "get_job", { job_id: orphanId });
  assert.equal(job.data.status, "interrupted");
  assert.match(job.text, /interrupted/);
});
