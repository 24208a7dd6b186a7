/**
 * The context budget (tools/kit/budget.ts) on realistic data, through a real client over stdio: a
 * built-in recording whose held-out repeat has 900 samples (the size that once made decoding://{id}
 * 1.64 million characters) is loaded, trained (with its shuffled-label control), decoded, rendered in
 * every layout, plotted, compared and listed; every resource template is read (decodings page by page)
 * and every prompt fetched. Each result must fit its budget. The server runs with
 * CEBRA_MCP_STRICT_BUDGETS=1, so an over-budget tool result also fails inside the server. The sizes
 * measured are printed as test diagnostics (docs/SERVER.md, "Context budget", records them).
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { CallToolResult, Client, GetPromptResult, ReadResourceResult } from "@modelcontextprotocol/client";
import { BUDGETS, budgetToolResult, imageMetaChars, promptChars, resourceChars, toolResultChars } from "../../tools/kit/budget.js";
import { callOk, connectStdio, textOf, type StdioConnection } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";
import { SMALL_TRAINING } from "./analysis-fixtures.js";

/** 900-frame movie (the built-in default), 3 repeats: the held-out repeat decodes 900 samples. */
const REALISTIC = { n_cells: 120, n_frames: 900, n_repeats: 3, frame_height: 32, frame_width: 64, feature_dim: 8, seed: 2 };

const tmp = tempDir();
const workspace = path.join(tmp.dir, "ws");
let conn: StdioConnection;
let client: Client;
const sizes: [string, number, number][] = [];

before(async () => {
  conn = await connectStdio({ workspace, cwd: tmp.dir, env: { CEBRA_MCP_STRICT_BUDGETS: "1" } });
  client = conn.client;
});
after(async () => {
  console.log(sizes.map(([what, n, limit]) => `size ${what}: ${n} chars (budget ${limit})`).join("\n"));
  await conn?.close();
  tmp.cleanup();
});

function record(what: string, n: number, limit: number): void {
  sizes.push([what, n, limit]);
  assert.ok(n <= limit, `${what} is ${n} characters, over its budget of ${limit}`);
}

async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  const { result } = await callOk(client, name, args);
  record(`${name}${args.layout ? ` ${String(args.layout)}` : ""} result`, toolResultChars(result), BUDGETS.tool_result);
  if (result.content.some((c) => c.type === "image")) record(`${name}${args.layout ? ` ${String(args.layout)}` : ""} image _meta`, imageMetaChars(result), BUDGETS.image_meta);
  return result;
}

async function read(uri: string, label = uri.replace(/_[0-9a-z]+/, "_…")): Promise<{ res: ReadResourceResult; json: Record<string, unknown> }> {
  const res = await client.readResource({ uri });
  record(`resource ${label}`, resourceChars(res), BUDGETS.resource_page);
  const text = (res.contents[0] as { text: string }).text;
  return { res, json: JSON.parse(text) as Record<string, unknown> };
}

test("every result of a realistic analysis fits the context budget", async (t) => {
  const ids = { recording: "", model: "", shuffled: "", embedding: "", decoding: "", job: "", render: "" };

  await t.test("load, train with control, decode", async () => {
    const load = await call("load_recording", { source: "builtin:allen-like", builtin: REALISTIC });
    ids.recording = (load.structuredContent as { recording_id: string }).recording_id;
    const train = await call("train_embedding", { recording_id: ids.recording, ...SMALL_TRAINING, train_repeats: [0, 1], shuffled_control: true, wait_seconds: 50 });
    const tr = train.structuredContent as { job_id: string; status: string; model_id?: string; embedding_id?: string; shuffled_model_id?: string | null };
    ids.job = tr.job_id;
    if (tr.status !== "succeeded") await call("get_job", { job_id: tr.job_id, wait_seconds: 55 });
    const job = (await callOk<{ status: string; result?: { model_id: string; embedding_id: string; shuffled_model_id?: string } }>(client, "get_job", { job_id: ids.job })).data;
    assert.equal(job.status, "succeeded");
    ids.model = job.result!.model_id;
    ids.embedding = job.result!.embedding_id;
    ids.shuffled = job.result!.shuffled_model_id ?? "";
    const dec = await call("decode_video_frames", { model_id: ids.model, test_repeat: 2, shuffled_control: true });
    ids.decoding = (dec.structuredContent as { decoding_id: string }).decoding_id;
    assert.equal((dec.structuredContent as { n_test: number }).n_test, 900, "the held-out repeat decodes 900 samples");
  });

  await t.test("every render layout, the plot, compare, list", async () => {
    for (const layout of ["side_by_side", "contact_sheet", "pairs", "animation", "timeline"]) {
      const r = await call("render_reconstruction", { decoding_id: ids.decoding, layout });
      const provenance = JSON.parse(textOf({ content: [r.content[0]!] } as CallToolResult)) as { render_id: string; frames_shown: unknown };
      ids.render = provenance.render_id;
      if (layout === "timeline") {
        // 900 frames are summarised; the text names the CSV that lists every one.
        const summary = provenance.frames_shown as { count: number; samples: string; all_frames_file: string };
        assert.equal(summary.count, 900);
        assert.ok(textOf(r).includes(summary.all_frames_file));
        const csv = readFileSync(summary.all_frames_file, "utf8").trim().split("\n");
        assert.equal(csv.length, 901, "the CSV lists all 900 frames shown");
      }
    }
    await call("plot_embedding", { model_id: ids.model });
    if (ids.shuffled) await call("compare_embeddings", { ids: [ids.model, ids.shuffled] });
    await call("list_artifacts", {});
  });

  await t.test("every resource template, decodings paged to the end", async () => {
    for (const [scheme, id] of [["recording", ids.recording], ["model", ids.model], ["embedding", ids.embedding], ["render", ids.render], ["job", ids.job]] as const) {
      await read(`${scheme}://${id}`);
    }
    await read("builtin://allen-like/parameters");
    // The viewer's resources (issue 17): a movie frame, one sample's voters, and the view itself.
    const frame = await client.readResource({ uri: `frame://${ids.recording}/0` });
    record("resource frame://rec_…/0", resourceChars(frame), BUDGETS.resource_page);
    const votes = await client.readResource({ uri: `votes://${ids.decoding}/1800` });
    record("resource votes://dec_…/1800", resourceChars(votes), BUDGETS.resource_page);
    const view = await client.readResource({ uri: "ui://cebra-mcp/viewer.html" });
    record("resource ui://cebra-mcp/viewer.html", resourceChars(view), BUDGETS.resource_page);
    // Every listed template has been read above or below (decoding:// next).
    const { resourceTemplates } = await client.listResourceTemplates();
    const read_ = new Set(["recording", "model", "embedding", "render", "job", "frame", "votes", "decoding"]);
    assert.deepEqual(resourceTemplates.map((r) => r.uriTemplate.split("://")[0]).filter((x) => !read_.has(x!)), [], "a resource template this test does not read");
    const { json: summary } = await read(`decoding://${ids.decoding}`, "decoding://dec_… (summary)");
    const rows = summary.rows as { total: number; worst: unknown[]; typical: unknown[]; correct_sample_runs: string };
    assert.equal(rows.total, 900);
    assert.equal(rows.worst.length, 5);
    const table = (summary.full_table as { csv: string }).csv;
    // What decoding://{id} returned before paging: the whole stored decoding (not asserted; for the docs).
    console.log(`size before: decoding.json ${readFileSync(path.join(path.dirname(table), "decoding.json"), "utf8").length} chars`);
    assert.ok(existsSync(table), `the complete table ${table} exists`);
    assert.equal(readFileSync(table, "utf8").trim().split("\n").length, 901);
    // Follow `next` from the first page to the end; together the pages hold every row once, in order.
    let uri: string | null = (summary.pages as { first: string }).first;
    const samples: number[] = [];
    let pages = 0;
    while (uri) {
      const { json: page } = await read(uri, `decoding://dec_…?offset=…&limit=… (page ${pages})`);
      for (const r of page.rows as { sample: number }[]) samples.push(r.sample);
      uri = (page.page as { next: string | null }).next;
      pages++;
    }
    assert.equal(samples.length, 900);
    assert.deepEqual(samples, [...samples].sort((a, b) => a - b));
    // The largest page a client may ask for is cut to fit, and says so.
    const { json: big } = await read(`decoding://${ids.decoding}?offset=0&limit=500`, "decoding://dec_…?limit=500");
    const p = big.page as { returned: number; next: string; note?: string };
    assert.ok(p.returned >= 1 && p.next.includes(`offset=${p.returned}`));
  });

  await t.test("every prompt", async () => {
    const { prompts } = await client.listPrompts();
    const args: Record<string, Record<string, string>> = {
      movie_decoding_analysis: { recording: ids.recording },
      hypothesis_testing: { recording_id: ids.recording },
      explain_decoding: { decoding_id: ids.decoding, audience: "scientist" },
    };
    assert.deepEqual(prompts.map((p) => p.name).sort(), Object.keys(args).sort());
    for (const p of prompts) {
      const res = (await client.getPrompt({ name: p.name, arguments: args[p.name] })) as GetPromptResult;
      record(`prompt ${p.name}`, promptChars(res), BUDGETS.prompt);
    }
  });

  await t.test("no text sends the assistant to an unbounded read", async () => {
    const instructions = client.getInstructions?.() ?? "";
    assert.ok(instructions.includes("offset="), "the server instructions say the decoding resource is paged");
  });
});

test("a 1000-neuron, 36,000-sample recording: decoding, renders and resources stay within budget", async () => {
  const big = { n_cells: 1000, n_frames: 900, n_repeats: 40, frame_height: 32, frame_width: 64, feature_dim: 8, seed: 4 };
  const load = await call("load_recording", { source: "builtin:allen-like", builtin: big });
  const rec = load.structuredContent as { recording_id: string; n_samples: number; n_neurons: number };
  assert.deepEqual([rec.n_samples, rec.n_neurons], [36_000, 1000]);
  await read(`recording://${rec.recording_id}`, "recording://rec_… (1000 neurons)");
  const train = await call("train_embedding", { recording_id: rec.recording_id, ...SMALL_TRAINING, train_repeats: Array.from({ length: 39 }, (_, r) => r), wait_seconds: 50 });
  const tr = train.structuredContent as { job_id: string; status: string; model_id?: string };
  assert.equal(tr.status, "succeeded");
  await read(`job://${tr.job_id}`, "job://job_… (1000 neurons)");
  const dec = await call("decode_video_frames", { model_id: tr.model_id, test_repeat: 39, skip_raw_controls: true });
  const id = (dec.structuredContent as { decoding_id: string }).decoding_id;
  await read(`decoding://${id}`, "decoding://dec_… (summary, 1000 neurons)");
  await read(`decoding://${id}?offset=820&limit=500`, "decoding://dec_…?offset=820 (1000 neurons)");
  await call("render_reconstruction", { decoding_id: id, layout: "timeline" });
  await call("plot_embedding", { model_id: tr.model_id });
});

test("tools/list fits its budget", async () => {
  const list = await client.listTools();
  record("tools/list", JSON.stringify(list).length, BUDGETS.tools_list);
});

test("outside strict mode an over-budget result is cut to fit, keeping its blocks and naming where the rest is", () => {
  const saved = process.env.CEBRA_MCP_STRICT_BUDGETS;
  delete process.env.CEBRA_MCP_STRICT_BUDGETS;
  try {
    const big: CallToolResult = {
      content: [
        { type: "text", text: "x".repeat(30_000) },
        { type: "image", data: "AAAA", mimeType: "image/png", _meta: { frames: "y".repeat(10_000) } },
        { type: "text", text: "z".repeat(10_000) },
      ],
    };
    const out = budgetToolResult("t", big);
    assert.equal(out.content.length, 3);
    assert.ok(toolResultChars(out) <= BUDGETS.tool_result, `${toolResultChars(out)} characters`);
    assert.ok(imageMetaChars(out) <= BUDGETS.image_meta);
    assert.match(textOf(out), /complete data is in/);
    const small: CallToolResult = { content: [{ type: "text", text: "ok" }] };
    assert.equal(budgetToolResult("t", small), small, "a result within budget is returned as it is");
  } finally {
    if (saved !== undefined) process.env.CEBRA_MCP_STRICT_BUDGETS = saved;
  }
  process.env.CEBRA_MCP_STRICT_BUDGETS = "1";
  try {
    assert.throws(() => budgetToolResult("t", { content: [{ type: "text", text: "x".repeat(12_001) }] }), /over the tool_result budget of 12000/);
  } finally {
    if (saved === undefined) delete process.env.CEBRA_MCP_STRICT_BUDGETS;
    else process.env.CEBRA_MCP_STRICT_BUDGETS = saved;
  }
});
