/**
 * How rendered images reach the client: a leading JSON text block with the provenance, the preview images
 * (with per-image provenance in _meta), and where the full-resolution files are. Image tools declare no
 * outputSchema (clients that see structuredContent drop image content), so this is their whole result.
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { EmbeddingPlotRequest, plotStoredEmbedding, renderStoredReconstruction } from "../../src/app/render.js";

/** render_reconstruction's result. */
export function reconstructionResult(decodingId: string, layout: string, r: Awaited<ReturnType<typeof renderStoredReconstruction>>): CallToolResult {
  const images = r.render.images;
  const provenance = {
    decoding_id: decodingId,
    render_id: r.render_id,
    layout: layout,
    model_id: r.decoding.model_id,
    recording_id: r.decoding.recording_id,
    accuracy: r.decoding.main.scores.accuracy,
    window_frames: r.decoding.main.window,
    retrieval: "Decoded frames are looked up in the stimulus movie by the decoded frame index (kNN on the embedding); nothing is generated.",
    frames_shown: images.flatMap((im) => im.frames_shown),
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
        _meta: { "cebra-mcp/frames_shown": im.frames_shown, "cebra-mcp/decoding_id": decodingId },
      })),
      {
        type: "text",
        text: `${images.length} image(s) of ${decodingId} (${layout}); full resolution in render://${r.render_id}: ${r.files.map((f) => f.path).join(", ")}. Each decoded tile is a movie frame retrieved by its decoded index.`,
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
