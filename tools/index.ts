/**
 * The tool registry: every MCP tool the server offers, in the order `tools/list` shows them.
 * To add a tool: write `tools/<name>.ts` exporting `defineTool({...})` (see src/server/tool.ts and
 * docs/SERVER.md), import it here and append it to TOOLS.
 */
import type { Tool } from "../src/server/tool.js";
import { cancelJob } from "./cancel_job.js";
import { getJob } from "./get_job.js";
import { listArtifacts } from "./list_artifacts.js";
import { loadRecordingTool } from "./load_recording.js";

export const TOOLS: readonly Tool[] = [loadRecordingTool, getJob, cancelJob, listArtifacts];
