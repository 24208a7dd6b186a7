/**
 * What the reconstruction viewer (an MCP App, resources/viewer.ts) reads besides the decoding's pages:
 * its page (the browser script compiled from ui/reconstruction/, wrapped in a strict-CSP shell), one
 * movie frame as a small PNG, and the k training samples that voted for one decoded sample.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import type { FrameDecodeResult } from "../decode/types.js";
import type { Workspace } from "../store/workspace.js";
import type { RecordingStore } from "../store/recordings.js";
import { UserError } from "../util/errors.js";
import type { StoredDecoding } from "./decode.js";
import { loadDecoding } from "./model-artifacts.js";

/** The browser script tsc writes from ui/reconstruction/view.ts (`npm run build`, second project). */
const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../ui/reconstruction/view.js");

/** The policy the page declares itself (hosts add theirs from the resource's `_meta.ui.csp`): no network at all. */
export function viewerCsp(scriptHash: string): string {
  return `default-src 'none'; script-src '${scriptHash}'; style-src 'unsafe-inline'; img-src data:; connect-src 'none'; font-src 'none'; frame-src 'none'; form-action 'none'; base-uri 'none'`;
}

let page: Promise<string> | undefined;

/** The viewer as one self-contained HTML page (script inlined, allowed by its hash; no external URL). */
export function viewerHtml(): Promise<string> {
  page ??= readFile(SCRIPT, "utf8").then(
    (js) => {
      const body = js.replace(/^\/\/# sourceMappingURL=.*$/m, "").replace(/^export \{\};\s*$/m, "");
      const script = `(() => {\n"use strict";\n${body}})();`;
      const hash = `sha256-${createHash("sha256").update(script).digest("base64")}`;
      return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8">\n<meta http-equiv="Content-Security-Policy" content="${viewerCsp(hash)}">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>CEBRA decoded movie</title></head>\n<body><main id="app" aria-live="polite">Waiting for a decoding…</main>\n<script>${script}</script></body></html>\n`;
    },
    (e: unknown) => {
      page = undefined;
      throw new UserError(`The viewer page was not built (${SCRIPT}: ${(e as Error).message}).`, "Run `npm run build` (it compiles ui/ with ui/tsconfig.json after the server).");
    },
  );
  return page;
}

interface ViewerDeps {
  workspace: Workspace;
  recordings: RecordingStore;
}

/** Widest frame the viewer asks for; frames are scaled down to this (never up). */
export const MAX_FRAME_WIDTH = 320;

/** Movie frame `index` of a recording as a grayscale PNG at most `width` pixels wide. */
export async function movieFramePng(deps: ViewerDeps, recordingId: string, index: number, width: number): Promise<{ png: Buffer; n_frames: number }> {
  const rec = await deps.recordings.loadRecordingArtifact(recordingId);
  const movie = rec.movie;
  if (!movie) throw new UserError(`Recording ${recordingId} has no stimulus movie.`, "Load the recording with its movie (load_recording's movie option).");
  if (!Number.isInteger(index) || index < 0 || index >= movie.n_frames) {
    throw new UserError(`Frame ${index} is not in ${recordingId}'s movie (frames 0–${movie.n_frames - 1}).`, "Ask for a frame index the decoding names.");
  }
  const size = movie.height * movie.width;
  const frame = Buffer.from(movie.frames.buffer, movie.frames.byteOffset + index * size, size);
  const w = Math.max(8, Math.min(width, MAX_FRAME_WIDTH, movie.width));
  const image = sharp(frame, { raw: { width: movie.width, height: movie.height, channels: 1 } });
  const png = await (w < movie.width ? image.resize({ width: w, kernel: "lanczos3" }) : image).png({ compressionLevel: 9 }).toBuffer();
  return { png, n_frames: movie.n_frames };
}

/** Most votes one read lists (nearest first): 200 × ~70 characters stays well inside a 25,000-character page. */
export const MAX_VOTES = 200;

/** The k training samples that voted for decoded sample `sample` (nearest first), with the row's provenance. */
export async function sampleVotes(deps: ViewerDeps, decodingId: string, sample: number) {
  const { full } = await loadDecoding<StoredDecoding<FrameDecodeResult>>(deps.workspace, decodingId);
  if (full.kind !== "frames") throw new UserError(`${decodingId} decoded labels, not movie frames.`, "Open the viewer on a decode_video_frames decoding.");
  const m = full.main;
  const row = m.rows.find((r) => r.sample === sample);
  if (!row) {
    const first = m.rows[0]?.sample ?? 0;
    throw new UserError(`Sample ${sample} was not decoded in ${decodingId} (test repeat ${m.test_repeat}, samples ${first}–${m.rows.at(-1)?.sample ?? first}).`, "Pick a sample from decoding://{id}?offset=&limit= pages.");
  }
  return {
    decoding_id: decodingId,
    recording_id: full.recording_id,
    sample: row.sample,
    time_s: row.time_s,
    true_frame: row.true_frame,
    predicted_frame: row.predicted_frame,
    error: row.error,
    confidence: row.confidence,
    k: m.k,
    metric: m.metric,
    test_repeat: m.test_repeat,
    neighbours_total: row.neighbours.length,
    /** The nearest MAX_VOTES (k may be up to 1000; the page stays within the resource budget). */
    neighbours: row.neighbours.slice(0, MAX_VOTES).map((n) => ({ train_sample: n.train_sample, repeat: n.repeat, frame: n.frame, distance: Number(n.distance.toPrecision(4)) })),
  };
}

/** The viewer's `ui://` resource, named by the tools that open it (`_meta.ui.resourceUri`). */
export const VIEWER_URI = "ui://cebra-mcp/viewer.html";
