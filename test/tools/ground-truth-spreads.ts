/**
 * Measures the spreads behind the ground-truth tolerances of analysis.test.ts and compare.test.ts (not a
 * test itself): the same recordings and settings as those tests, through the same real stdio client,
 * over training seeds. Prints one JSON line per seed and mean ± sd, min, max per quantity.
 *
 *   npx tsc -p tsconfig.json && node dist/test/tools/ground-truth-spreads.js [SEEDS=0,1,2,3,4]
 */
import path from "node:path";
import { callOk, connectStdio } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";
import { MOVIE_BUILTIN, SMALL_TRAINING, writeLinearTrackNpz, type FrameDecoding, type LabelDecoding, type TrainResult } from "./analysis-fixtures.js";

const seeds = (process.argv[2] ?? "0,1,2,3,4").split(",").map(Number);
const tmp = tempDir();
const trackFile = path.join(tmp.dir, "linear-track.npz");
writeLinearTrackNpz(trackFile);
const conn = await connectStdio({ workspace: path.join(tmp.dir, "ws"), cwd: tmp.dir });
const client = conn.client;
type Row = Record<string, number>;
const rows: Row[] = [];
try {
  const load = async (seed: number) => (await callOk<{ recording_id: string }>(client, "load_recording", { source: "builtin:allen-like", builtin: { ...MOVIE_BUILTIN, seed } })).data.recording_id;
  const rec1 = await load(1);
  const rec2 = await load(2);
  const track = (await callOk<{ recording_id: string }>(client, "load_recording", { source: trackFile, keys: { continuous: "position" } })).data.recording_id;
  const r2 = async (ids: string[], extra: Record<string, unknown> = {}) => (await callOk<{ mean_r2: number }>(client, "compare_embeddings", { ids, ...extra })).data.mean_r2;
  for (const seed of seeds) {
    const row: Row = { seed };
    // analysis.test.ts, movie path: SMALL_TRAINING (50 steps), decode with defaults.
    const m = (await callOk<TrainResult>(client, "train_embedding", { recording_id: rec1, ...SMALL_TRAINING, seed, shuffled_control: true, wait_seconds: 55 })).data;
    const d = (await callOk<FrameDecoding>(client, "decode_video_frames", { model_id: m.model_id, shuffled_control: true })).data;
    Object.assign(row, { movie_accuracy: d.accuracy, movie_chance: d.chance.accuracy, raw_per_sample: d.controls.raw_per_sample!.scores!.accuracy as number, raw_window_averaged: d.controls.raw_window_averaged!.scores!.accuracy as number, movie_shuffled: d.controls.shuffled_labels!.scores!.accuracy as number });
    // decode_labels on the linear track: 200 steps, position r², direction accuracy.
    const t = (await callOk<TrainResult>(client, "train_embedding", { recording_id: track, mode: "behavior", labels: "continuous", train_fraction: 0.8, ...SMALL_TRAINING, max_iterations: 200, seed, wait_seconds: 55 })).data;
    const l = (await callOk<LabelDecoding>(client, "decode_labels", { model_id: t.model_id, skip_raw_controls: true })).data;
    const dir = (await callOk<{ scores: { accuracy: number } }>(client, "decode_labels", { model_id: t.model_id, labels: "discrete", skip_raw_controls: true })).data;
    Object.assign(row, { position_r2: l.scores.r2[0]!, direction_accuracy: dir.scores.accuracy });
    // compare.test.ts: 40 steps; an identical rerun, another seed, the other recording, shuffled-label twins.
    const train40 = async (recording_id: string, s: number, shuffled = false) => (await callOk<TrainResult>(client, "train_embedding", { recording_id, ...SMALL_TRAINING, max_iterations: 40, seed: s, shuffled_control: shuffled, wait_seconds: 55 })).data;
    const a = await train40(rec1, seed, true);
    const again = await train40(rec1, seed);
    const other = await train40(rec1, seed + 100);
    const b = await train40(rec2, seed, true);
    Object.assign(row, {
      rerun_r2: await r2([a.model_id!, again.model_id!]),
      seeds_r2: await r2([a.model_id!, other.model_id!]),
      datasets_r2: await r2([a.model_id!, b.model_id!], { bins: 20 }),
      twins_datasets_r2: await r2([a.shuffled_model_id!, b.shuffled_model_id!], { bins: 20 }),
      twins_datasets_r2_bins100: await r2([a.shuffled_model_id!, b.shuffled_model_id!], { bins: 100 }),
      datasets_r2_bins100: await r2([a.model_id!, b.model_id!], { bins: 100 }),
      model_vs_twin_r2: await r2([a.model_id!, a.shuffled_model_id!], { between: "runs" }).catch(() => NaN),
    });
    console.log(JSON.stringify(row));
    rows.push(row);
  }
} finally {
  await conn.close();
  tmp.cleanup();
}
for (const key of Object.keys(rows[0] ?? {}).filter((k) => k !== "seed")) {
  const xs = rows.map((r) => r[key]!);
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / Math.max(1, xs.length - 1));
  console.log(`${key}: ${m.toFixed(4)} ± ${sd.toFixed(4)} (min ${Math.min(...xs).toFixed(4)}, max ${Math.max(...xs).toFixed(4)})`);
}
