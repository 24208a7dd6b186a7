/**
 * How rendered images reach the client: a leading JSON text block with the provenance, the preview images
 * (with per-image provenance in _meta), and where the full-resolution files are. Image tools declare no
 * outputSchema (clients that see structuredContent drop image content), so this is their whole result.
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { EmbeddingPlotRequest, plotStoredEmbedding, renderStoredReconstruction } from "../../src/app/render.js";
import type { FrameShown } from "../../src/render/index.js";

/** Up to this many frames are listed one by one; longer lists are summarised (the CSV has them all). */
const LIST_FRAMES = 40;

/** Consecutive integers as ranges: [3,4,5,9] → "3-5, 9" (at most `max` ranges, then "… (n more)"). */
export function asRanges(values: readonly number[], max = 12): string {
  const runs: string[] = [];
  let n = 0;
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j] + 1) j++;
    n++;
    if (runs.length < max) runs.push(i === j ? `${values[i]}` : `${values[i]}-${values[j]}`);
    i = j + 1;
  }
  return n > max ? `${runs.join(", ")}, … (${n - max} more runs)` : runs.join(", ");
}

/** The frames an image shows: all of them when few, else counts, sample ranges, error quantiles and the file. */
export function framesShownSummary(frames: readonly FrameShown[], file: string | undefined): unknown {
  if (frames.length <= LIST_FRAMES) return frames;
  const errors = frames.filter((f) => f.true_frame !== null).map((f) => Math.abs(f.predicted_frame - f.true_frame!)).sort((a, b) => a - b);
  const q = (p: number) => (errors.length ? errors[Math.min(errors.length - 1, Math.floor(p * errors.length))] : null);
  return {
    count: frames.length,
    samples: asRanges(frames.map((f) => f.sample)),
    abs_error_frames: { median: q(0.5), p90: q(0.9), max: errors.length ? errors[errors.length - 1] : null },
    first: frames.slice(0, 5),
    all_frames_file: file ?? "not stored",
  };
}

/** render_reconstruction's result. */
export function reconstructionResult(decodingId: string, layout: string, r: Awaited<ReturnType<typeof renderStoredReconstruction>>): CallToolResult {
  const images = r.render.images;
  const table = r.tables[0]?.path;
  const provenance = {
    decoding_id: decodingId,
    render_id: r.render_id,
    layout: layout,
    model_id: r.decoding.model_id,
    recording_id: r.decoding.recording_id,
    accuracy: r.decoding.main.scores.accuracy,
    window_frames: r.decoding.main.window,
    retrieval: "Decoded frames are looked up in the stimulus movie by the decoded frame index (kNN on the embedding); nothing is generated.",
    frames_shown: framesShownSummary(images.flatMap((im) => im.frames_shown), table),
    full_resolution_files: r.files,
    notes: r.render.notes,
  };
  return {
    content: [
      { type: "text", text: JSON.stringify(provenance) },
      ...images.map((im) => ({
        type: "image" as const,
        data: im.data.toString("base64"),
        mimeType: im.mime_type,
        _meta: { "cebra-mcp/frames_shown": framesShownSummary(im.frames_shown, table), "cebra-mcp/decoding_id": decodingId },
      })),
      {
        type: "text",
        text: `${images.length} image(s) of ${decodingId} (${layout}); full resolution in render://${r.render_id}: ${r.files.map((f) => f.path).join(", ")}${table ? `; every frame shown (sample, true, decoded, error) in ${table}` : ""}. Each decoded tile is a movie frame retrieved by its decoded index.`,
      },
    ],
  };
}

/** plot_embedding's result. */
export function embeddingPlotResult(colourBy: EmbeddingPlotRequest["colour_by"], samples: EmbeddingPlotRequest["samples"], r: Awaited<ReturnType<typeof plotStoredEmbedding>>): CallToolResult {
  const info = { render_id: r.render_id, model_id: r.model_id, embedding_id: r.embedding_id, points_shown: r.points_shown, colour_by: colourBy, samples: samples, files: r.files, notes: r.render.notes };
  return {
    content: [
      { type: "text", text: JSON.stringify(info) },
      ...r.render.images.map((im) => ({ type: "image" as const, data: im.data.toString("base64"), mimeType: im.mime_type })),
    ],
  };
}
