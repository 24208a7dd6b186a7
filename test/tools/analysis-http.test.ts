/**
 * The analysis path over Streamable HTTP (in-process server, real SDK clients of both protocol eras):
 * load_recording → train_embedding (with progress notifications) → decode_video_frames →
 * decoding:// table → render_reconstruction, sharing one server. The stdio suite (analysis.test.ts)
 * covers every layout, controls and bad inputs; this one proves the same results cross HTTP intact.
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import type { CallToolResult, Client } from "@modelcontextprotocol/client";
import { callOk, connectHttp, startTestHttpServer, textOf, type Era, type HttpTestServer } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";
import {
  MOVIE_BUILTIN, SMALL_TRAINING, assertImageWithinBudget, assertResultSize, imagesOf, readStoredDecoding,
  type FrameDecoding, type FrameShown, type TrainResult,
} from "./analysis-fixtures.js";

const tmp = tempDir();
let server: HttpTestServer;

before(async () => {
  server = await startTestHttpServer({ workspace: path.join(tmp.dir, "ws") });
});
after(async () => {
  await server.close();
  tmp.cleanup();
});

for (const era of ["legacy", "auto"] as const satisfies readonly Era[]) {
  test(`HTTP (${era} era): load → train → decode → table → render`, async (t) => {
    const client: Client = await connectHttp(server.url, { era });
    t.after(() => client.close());

    const rec = await callOk<{ recording_id: string }>(client, "load_recording", { source: "builtin:allen-like", builtin: { ...MOVIE_BUILTIN, seed: era === "auto" ? 2 : 1 } });

    const progress: { progress: number; total?: number }[] = [];
    const trained = await callOk<TrainResult>(client, "train_embedding", { recording_id: rec.data.recording_id, ...SMALL_TRAINING, wait_seconds: 55 }, { onprogress: (p) => progress.push(p) });
    assert.equal(trained.data.status, "succeeded");
    assert.equal(trained.data.device_used, "cpu");
    assert.ok(Number.isFinite(trained.data.final_loss));
    assert.ok(progress.length >= 1, "progress notifications cross HTTP");
    progress.forEach((p, i) => i === 0 || assert.ok(p.progress > progress[i - 1]!.progress));
    assert.equal(progress.at(-1)?.progress, SMALL_TRAINING.max_iterations);

    const { data: dec } = await callOk<FrameDecoding>(client, "decode_video_frames", { model_id: trained.data.model_id });
    assert.equal(dec.model_id, trained.data.model_id);
    assert.ok(dec.accuracy >= 0 && dec.accuracy <= 1);
    assert.equal(dec.controls.raw_per_sample?.status, "ok");
    assert.equal(dec.controls.shuffled_labels?.status, "not_run");

    assert.equal(dec.table_uri, `decoding://${dec.decoding_id}`);
    const table = await readStoredDecoding(client, dec.decoding_id);
    assert.equal(table.main.rows.length, dec.rows_total);
    assert.deepEqual(table.main.rows.slice(0, dec.rows.length).map((r) => r.predicted_frame), dec.rows.map((r) => r.predicted_frame));

    const result = (await client.callTool({ name: "render_reconstruction", arguments: { decoding_id: dec.decoding_id, layout: "side_by_side" } })) as CallToolResult;
    assert.notEqual(result.isError, true, textOf(result));
    assert.equal(result.structuredContent, undefined);
    const provenance = JSON.parse((result.content[0] as { text: string }).text) as { decoding_id: string; frames_shown: FrameShown[] };
    assert.equal(provenance.decoding_id, dec.decoding_id);
    const images = imagesOf(result);
    assert.equal(images.length, 1);
    assert.deepEqual(images[0]!._meta?.["cebra-mcp/frames_shown"], provenance.frames_shown);
    const bySample = new Map(table.main.rows.map((r) => [r.sample, r]));
    for (const f of provenance.frames_shown) assert.equal(bySample.get(f.sample)?.predicted_frame, f.predicted_frame);
    await assertImageWithinBudget(images[0]!);
    assertResultSize(result);
  });
}
