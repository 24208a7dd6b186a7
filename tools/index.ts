/**
 * The tool registry: every MCP tool the server offers, in the order `tools/list` shows them.
 * To add a tool: write `tools/<name>.ts` exporting `defineTool({...})` (see tools/kit/define.ts and
 * docs/SERVER.md), import it here and append it to TOOLS.
 */
import type { Tool } from "./kit/define.js";
import { cancelJob } from "./cancel_job.js";
import { getJob } from "./get_job.js";
import { listArtifacts } from "./list_artifacts.js";
import { loadRecordingTool } from "./load_recording.js";
import { trainEmbedding } from "./train_embedding.js";
import { decodeVideoFrames } from "./decode_video_frames.js";
import { decodeLabelsTool } from "./decode_labels.js";
import { renderReconstructionTool } from "./render_reconstruction.js";
import { plotEmbeddingTool } from "./plot_embedding.js";
import { compareEmbeddingsTool } from "./compare_embeddings.js";
import { inspectSourceTool } from "./inspect_source.js";
import { sweepEmbeddings } from "./sweep_embeddings.js";

export const TOOLS: readonly Tool[] = [
  loadRecordingTool,
  trainEmbedding,
  getJob,
  cancelJob,
  decodeVideoFrames,
  decodeLabelsTool,
  renderReconstructionTool,
  plotEmbeddingTool,
  compareEmbeddingsTool,
  listArtifacts,
  inspectSourceTool,
  sweepEmbeddings,
];
