/**
 * What the reconstruction viewer reads, without a browser (test/ui/viewer.test.ts drives the page itself):
 * the `ui://` page (MCP Apps mime type, inline script allowed by the hash its CSP names, no network),
 * movie frames as PNGs with the movie's own pixels, the votes of one sample exactly as the stored
 * decoding has them, and refusals that say what is wrong and the fix.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import path from "node:path";
import { test } from "node:test";
import sharp from "sharp";
import { RESOURCE_MIME_TYPE } from "@modelcontextprotocol/ext-apps/server";
import { callOk, connectHttp, startTestHttpServer } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";
import { MOVIE_BUILTIN, SMALL_TRAINING, readStoredDecoding, type FrameDecoding, type TrainResult } from "../tools/analysis-fixtures.js";
import { MAX_VOTES } from "../../src/app/viewer.js";

test("viewer resources: page, frames, votes", async (t) => {
  const tmp = tempDir();
  const srv = await startTestHttpServer({ workspace: path.join(tmp.dir, "ws") });
  const client = await connectHttp(srv.url);
  t.after(async () => {
    await client.close();
    await srv.close();
    tmp.cleanup();
  });
  const rec = await callOk<{ recording_id: string }>(client, "load_recording", { source: "builtin:allen-like", builtin: MOVIE_BUILTIN });
  const recId = rec.data.recording_id;

  await t.test("the page: MCP Apps mime type, listed, its inline script allowed by hash, nothing from the network", async () => {
    const { resources } = await client.listResources();
    const listed = resources.find((r) => r.uri === "ui://cebra-mcp/viewer.html");
    assert.equal(listed?.mimeType, RESOURCE_MIME_TYPE);
    const c = (await client.readResource({ uri: "ui://cebra-mcp/viewer.html" })).contents[0] as { text: string; mimeType: string };
    assert.equal(c.mimeType, RESOURCE_MIME_TYPE);
    const scripts = [...c.text.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    assert.equal(scripts.length, 1);
    const hash = createHash("sha256").update(scripts[0]).digest("base64");
    const csp = /Content-Security-Policy" content="([^"]+)"/.exec(c.text)?.[1] ?? "";
    assert.ok(csp.includes(`script-src 'sha256-${hash}'`), `CSP allows exactly the inline script: ${csp}`);
    for (const d of ["default-src 'none'", "connect-src 'none'", "img-src data:"]) assert.ok(csp.includes(d), d);
    assert.doesNotMatch(c.text, /https?:\/\//, "no URL at all in the page");
    assert.ok(c.text.length < 25_000, `${c.text.length} characters`);
  });

  await t.test("frame://: the movie's own pixels at native width, scaled down on request", async () => {
    const movie = (await srv.app.recordings.loadRecordingArtifact(recId)).movie!;
    const f = 7;
    const native = (await client.readResource({ uri: `frame://${recId}/${f}` })).contents[0] as { blob: string; mimeType: string };
    assert.equal(native.mimeType, "image/png");
    const { data, info } = await sharp(Buffer.from(native.blob, "base64")).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [movie.width, movie.height]);
    const size = movie.width * movie.height;
    assert.deepEqual(new Uint8Array(data), movie.frames.subarray(f * size, (f + 1) * size));
    const small = (await client.readResource({ uri: `frame://${recId}/${f}?w=16` })).contents[0] as { blob: string };
    assert.equal((await sharp(Buffer.from(small.blob, "base64")).metadata()).width, 16);
    await assert.rejects(client.readResource({ uri: `frame://${recId}/${movie.n_frames}` }), new RegExp(`Frame ${movie.n_frames} is not in ${recId}'s movie \\(frames 0–${movie.n_frames - 1}\\)\\. Fix: `));
    await assert.rejects(client.readResource({ uri: `frame://${recId}/x` }), /non-negative integer/);
  });

  await t.test("votes://: one sample's k neighbours exactly as the stored decoding has them", async () => {
    const trained = await callOk<TrainResult>(client, "train_embedding", { recording_id: recId, ...SMALL_TRAINING, wait_seconds: 55 });
    const dec = await callOk<FrameDecoding>(client, "decode_video_frames", { model_id: trained.data.model_id, k: 5, skip_raw_controls: true });
    const stored = await readStoredDecoding(client, dec.data.decoding_id);
    for (const row of [stored.main.rows[0], stored.main.rows[stored.main.rows.length - 1]]) {
      const v = JSON.parse(((await client.readResource({ uri: `votes://${dec.data.decoding_id}/${row.sample}` })).contents[0] as { text: string }).text);
      assert.deepEqual([v.sample, v.true_frame, v.predicted_frame, v.error, v.k, v.neighbours_total], [row.sample, row.true_frame, row.predicted_frame, row.error, 5, 5]);
      assert.ok(v.neighbours.length <= MAX_VOTES);
      assert.deepEqual(v.neighbours.map((n: { train_sample: number; repeat: number; frame: number }) => [n.train_sample, n.repeat, n.frame]), row.neighbours.map((n) => [n.train_sample, n.repeat, n.frame]));
    }
    await assert.rejects(client.readResource({ uri: `votes://${dec.data.decoding_id}/0` }), /Sample 0 was not decoded/);
  });
});
