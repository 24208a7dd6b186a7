/**
 * Shared fixtures and checks for the analysis-tool integration tests (analysis*.test.ts,
 * training-jobs.test.ts): small recordings and training settings, result types as the tools return
 * them, client-budget checks for image results, a linear-track place-cell recording written as .npz,
 * a walk over the workspace that proves no artifact is half-written, and a stdio server with the small
 * movie loaded for a whole test file (`stdioMovieFixture`).
 */
import { after, before } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import type { CallToolResult, Client } from "@modelcontextprotocol/client";
import { callOk, connectStdio, type StdioConnection } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";
import { writeNpz } from "../../src/data/formats/npz.js";
import { ARTIFACT_KINDS } from "../../src/store/ids.js";
import { simulateLinearTrack, type LinearTrackData } from "../../src/eval/fixtures.js";

/** A small builtin:allen-like movie recording: 40 cells, 3 repeats of a 120-frame 32×64 movie (360 samples). */
export const MOVIE_BUILTIN = { n_cells: 40, n_frames: 120, n_repeats: 3, frame_height: 32, frame_width: 64, feature_dim: 8, seed: 1 };

/**
 * For a whole test file: a stdio server in a temporary workspace with MOVIE_BUILTIN loaded, started in a
 * `before` hook and closed (workspace removed) in an `after` hook. Its fields are set once `before` ran;
 * `setup` runs in the same hook after the load (node:test does not wait for one root `before` hook
 * before starting the next).
 */
export function stdioMovieFixture(setup?: (fx: { client: Client; recordingId: string }) => Promise<void>): { client: Client; recordingId: string } {
  const tmp = tempDir();
  let conn: StdioConnection | undefined;
  const fx = { client: undefined as unknown as Client, recordingId: "" };
  before(async () => {
    conn = await connectStdio({ workspace: path.join(tmp.dir, "ws") });
    fx.client = conn.client;
    fx.recordingId = (await callOk<{ recording_id: string }>(fx.client, "load_recording", { source: "builtin:allen-like", builtin: MOVIE_BUILTIN })).data.recording_id;
    await setup?.(fx);
  });
  after(async () => {
    await conn?.close();
    tmp.cleanup();
  });
  return fx;
}

/** Small, fast training settings (CPU; a few hundred ms per run). */
export const SMALL_TRAINING = { model_architecture: "offset10-model", batch_size: 64, max_iterations: 50, output_dimension: 4, num_hidden_units: 16, device: "cpu" };

/** The client image budget the renderers promise (mcp-clients.md §4.1, §5). */
export const IMAGE_BUDGET = { max_long_side: 1568, max_pixels: 1_150_000, max_result_chars: 900_000 };

/** structuredContent of train_embedding. */
export interface TrainResult {
  job_id: string;
  status: string;
  progress?: { step: number; total: number; fraction: number; message?: string };
  model_id?: string;
  embedding_id?: string;
  shuffled_model_id?: string | null;
  final_loss?: number | null;
  goodness_of_fit_bits?: number | null;
  heldout_goodness_of_fit_bits?: number | null;
  steps_done?: number;
  steps_per_s?: number;
  device_used?: string;
  device_notes?: string[];
  labels?: string;
  split?: string;
  error?: { message: string; fix?: string };
  next: string;
}

export interface Neighbour {
  train_sample: number;
  repeat: number;
  frame: number;
  distance: number;
}

export interface FrameRow {
  sample: number;
  time_s: number | null;
  true_frame: number | null;
  predicted_frame: number;
  error: number | null;
  confidence: number;
  neighbours: Neighbour[];
}

export interface Control {
  status: "ok" | "not_run";
  description: string;
  reason?: string;
  scores?: Record<string, unknown>;
}

/** structuredContent of decode_video_frames. */
export interface FrameDecoding {
  decoding_id: string;
  model_id: string;
  recording_id: string;
  test_repeat: number;
  train_repeats: number[];
  k: number;
  window: number;
  n_test: number;
  accuracy: number;
  exact_accuracy: number;
  median_abs_error: number;
  mean_abs_error: number;
  chance: { accuracy: number; exact_accuracy: number; mean_abs_error: number };
  controls: Record<string, Control>;
  rows: FrameRow[];
  rows_total: number;
  table_uri: string;
  warnings: string[];
}

/** structuredContent of decode_labels. */
export interface LabelDecoding {
  decoding_id: string;
  model_id: string;
  recording_id: string;
  kind: "continuous" | "discrete";
  k: number;
  n_train: number;
  n_test: number;
  scores: { columns: string[]; r2: number[]; r2_mean: number; median_abs_error: number[]; n_test: number };
  chance: Record<string, unknown>;
  controls: Record<string, Control>;
  table_uri: string;
}

/** The stored decoding (decoding.json in the artifact, beside the CSV that decoding://{id} names): the fields these tests read. */
export interface StoredFrameDecoding {
  decoding_id: string;
  kind: "frames";
  model_id: string;
  recording_id: string;
  shuffled_model_id: string | null;
  main: { k: number; window: number; test_repeat: number; train_repeats: number[]; rows: (FrameRow & { n_bins: number })[]; scores: { accuracy: number; exact_accuracy: number; median_abs_error: number; n_test: number } };
}

/** The shown time steps of a reconstruction image. */
export interface FrameShown {
  sample: number;
  true_frame: number | null;
  predicted_frame: number;
}

/** Asserts an isError text states a problem and a fix, each matching its pattern. */
export function assertActionable(text: string, problem: RegExp, fix: RegExp): void {
  const [head, ...rest] = text.split("\nFix: ");
  assert.ok(rest.length > 0, `error text has a "Fix:" part: ${text}`);
  assert.match(head!, problem, `problem part of: ${text}`);
  assert.match(rest.join("\nFix: "), fix, `fix part of: ${text}`);
}

/** The frame a kNN majority vote picks from neighbours (nearest first): most votes, ties → nearest. */
export function majorityFrame(neighbours: readonly Neighbour[]): { frame: number; votes: number } {
  const counts = new Map<number, number>();
  for (const n of neighbours) counts.set(n.frame, (counts.get(n.frame) ?? 0) + 1);
  const votes = Math.max(...counts.values());
  return { frame: neighbours.find((n) => counts.get(n.frame) === votes)!.frame, votes };
}

/** What a uniform guess over `nFrames` frames scores on these true frames (accuracy within `window`, exact, mean |error|). */
export function uniformChance(trueFrames: readonly number[], nFrames: number, window: number): { accuracy: number; exact_accuracy: number; mean_abs_error: number } {
  let hits = 0;
  let err = 0;
  for (const f of trueFrames) {
    for (let p = 0; p < nFrames; p++) {
      if (Math.abs(p - f) < window) hits++;
      err += Math.abs(p - f);
    }
  }
  const n = trueFrames.length * nFrames;
  return { accuracy: hits / n, exact_accuracy: 1 / nFrames, mean_abs_error: err / n };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Image blocks of a tool result. */
export function imagesOf(result: CallToolResult): { data: string; mimeType: string; _meta?: Record<string, unknown> }[] {
  return result.content.filter((c) => c.type === "image") as { data: string; mimeType: string; _meta?: Record<string, unknown> }[];
}

/**
 * Decodes an image block with sharp and asserts it fits the client budget: format as declared, long
 * side ≤ 1568 px, ≤ 1.15 MP per frame. Returns its metadata (pages > 1 for animations).
 */
export async function assertImageWithinBudget(image: { data: string; mimeType: string }): Promise<{ width: number; height: number; pages: number; format: string }> {
  const bytes = Buffer.from(image.data, "base64");
  const meta = await sharp(bytes, { animated: true }).metadata();
  const format = String(meta.format);
  assert.equal(`image/${format}`, image.mimeType, "declared mime type matches the encoded format");
  const width = meta.width!;
  const pages = meta.pages ?? 1;
  const height = meta.pageHeight ?? meta.height!;
  assert.ok(Math.max(width, height) <= IMAGE_BUDGET.max_long_side, `long side ${Math.max(width, height)} px ≤ ${IMAGE_BUDGET.max_long_side}`);
  assert.ok(width * height <= IMAGE_BUDGET.max_pixels, `${width}×${height} ≤ ${IMAGE_BUDGET.max_pixels} px`);
  // Every page decodes (not only the header).
  const raw = await sharp(bytes, { animated: true }).raw().toBuffer({ resolveWithObject: true });
  assert.equal(raw.info.width, width);
  assert.ok(raw.data.length >= width * height * pages, "all pages decode");
  return { width, height, pages, format };
}

/** Asserts a whole tool result stays under the size clients accept. */
export function assertResultSize(result: CallToolResult): void {
  const chars = JSON.stringify(result).length;
  assert.ok(chars < IMAGE_BUDGET.max_result_chars, `result is ${chars} chars (limit ${IMAGE_BUDGET.max_result_chars})`);
}

/**
 * A rat-on-a-linear-track recording as .npz (no movie), from the shared place-cell simulator
 * (src/eval/fixtures.ts): 40 cells, 1500 samples at 30 Hz. Continuous labels in CEBRA's rat-dataset
 * layout [position (m), running right (0/1), running left (0/1)] under the member name "position",
 * and the running direction as discrete labels.
 */
export function writeLinearTrackNpz(file: string, seed = 3): LinearTrackData {
  const d = simulateLinearTrack({ seed, n_cells: 40, duration_s: 50, sampling_rate_hz: 30 });
  const T = d.n_samples;
  const labels = new Float32Array(T * 3);
  for (let t = 0; t < T; t++) labels.set([d.position[t]!, d.direction[t]!, 1 - d.direction[t]!], t * 3);
  writeFileSync(
    file,
    writeNpz({
      neural: { dtype: "<i4", shape: [T, d.params.n_cells], data: d.counts },
      position: { dtype: "<f4", shape: [T, 3], data: labels },
      discrete: { dtype: "<i4", shape: [T], data: d.direction },
      timestamps: { dtype: "<f8", shape: [T], data: Float64Array.from({ length: T }, (_, t) => t / 30) },
      sampling_rate_hz: { dtype: "<f8", shape: [], data: [30] },
    }),
  );
  return d;
}

/**
 * Walks the workspace and asserts every visible artifact is complete: a manifest.json naming its own
 * id and kind, and every data file it lists present with the listed size. Returns the ids per kind.
 */
export function assertWorkspaceConsistent(root: string): Record<string, string[]> {
  const ids: Record<string, string[]> = {};
  for (const [kind, { dir }] of Object.entries(ARTIFACT_KINDS)) {
    const kindDir = path.join(root, dir);
    ids[kind] = [];
    if (!existsSync(kindDir)) continue;
    for (const name of readdirSync(kindDir)) {
      if (name.startsWith(".")) continue; // temp directories are invisible by design
      const manifestFile = path.join(kindDir, name, "manifest.json");
      assert.ok(existsSync(manifestFile), `${dir}/${name} has a manifest.json`);
      const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as { id: string; kind: string; files: Record<string, { bytes: number }> };
      assert.equal(manifest.id, name);
      assert.equal(manifest.kind, kind);
      for (const [file, { bytes }] of Object.entries(manifest.files)) {
        const p = path.join(kindDir, name, file);
        assert.ok(existsSync(p), `${dir}/${name}/${file} exists`);
        assert.equal(statSync(p).size, bytes, `${dir}/${name}/${file} has the size its manifest lists`);
      }
      ids[kind]!.push(name);
    }
  }
  return ids;
}

/**
 * The stored decoding behind decoding://{id}: the resource is a summary (and pages of rows) that names
 * the complete CSV; the full record with neighbour lists sits beside it in the artifact as decoding.json.
 */
export async function readStoredDecoding(client: { readResource(p: { uri: string }): Promise<{ contents: unknown[] }> }, id: string): Promise<StoredFrameDecoding> {
  const res = await client.readResource({ uri: `decoding://${id}` });
  const summary = JSON.parse((res.contents[0] as { text: string }).text) as { decoding_id: string; rows: { total: number }; full_table: { csv: string } };
  assert.equal(summary.decoding_id, id);
  const full = JSON.parse(readFileSync(path.join(path.dirname(summary.full_table.csv), "decoding.json"), "utf8")) as StoredFrameDecoding;
  assert.equal(summary.rows.total, full.main.rows.length, "the summary counts every stored row");
  return full;
}

/** Frames a render shows: its list, or (when summarised) every row of the CSV it names, per image. */
export function framesShownOf(shown: FrameShown[] | { count: number; all_frames_file: string }): { all: FrameShown[]; perImage: Map<number, FrameShown[]> } {
  const perImage = new Map<number, FrameShown[]>();
  if (Array.isArray(shown)) return { all: shown, perImage };
  const lines = readFileSync(shown.all_frames_file, "utf8").trim().split("\n").slice(1);
  const all = lines.map((l) => {
    const [image, sample, truth, predicted] = l.split(",");
    const f = { sample: Number(sample), true_frame: truth === "" ? null : Number(truth), predicted_frame: Number(predicted) };
    perImage.set(Number(image), [...(perImage.get(Number(image)) ?? []), f]);
    return f;
  });
  assert.equal(all.length, shown.count, "the summary counts every frame in the CSV");
  return { all, perImage };
}
