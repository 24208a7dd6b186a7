/** list_artifacts: what is in the workspace (recordings, models, embeddings, decodings, renders, jobs). */
import { z } from "zod";
import { listArtifacts as listInventory } from "../src/app/inventory.js";
import { ALL_KINDS } from "../src/store/ids.js";
import { artifactUri } from "./kit/uris.js";
import { defineTool, structuredResult } from "./kit/define.js";
import { formatBytes } from "./kit/job-view.js";

const ARTIFACT = z.object({
  id: z.string(),
  kind: z.enum(ALL_KINDS),
  created_at: z.string(),
  bytes: z.number(),
  summary: z.string(),
  parents: z.array(z.string()).describe("Ids this artifact was derived from."),
  uri: z.string(),
});

export const listArtifacts = defineTool({
  name: "list_artifacts",
  title: "List workspace artifacts",
  description:
    "Lists workspace artifacts (all sessions), newest first, with id, size and summary.",
  inputSchema: z.object({
    kind: z.enum(ALL_KINDS).optional().describe("Only this kind."),
    limit: z.number().int().min(1).max(100).default(25).describe("Most returned."),
  }),
  outputSchema: z.object({
    workspace: z.string().describe("Workspace directory."),
    total: z.number().describe("Artifacts matching the filter."),
    has_more: z.boolean().describe("True if more than `limit` matched."),
    counts: z.record(z.string(), z.number()).describe("Artifacts per kind (whole workspace)."),
    artifacts: z.array(ARTIFACT),
    queue: z
      .object({
        backend: z.string(),
        workers: z.array(z.object({ name: z.string(), device: z.string() })),
        queues: z.array(z.object({ device: z.string(), waiting: z.number(), active: z.number() })),
        error: z.string().optional(),
      })
      .optional()
      .describe("Job queue (with --queue): workers, their devices, jobs waiting and running per device queue."),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler({ kind, limit }, ctx) {
    const inv = await listInventory(ctx.workspace, { kind, limit });
    const artifacts = inv.artifacts.map((a) => ({ ...a, uri: artifactUri(a.kind, a.id) }));
    const lines = artifacts.map((a) => `${a.id}  ${formatBytes(a.bytes)}  ${a.created_at.slice(0, 19)}  ${a.summary}`);
    const head = `${inv.total} ${kind ?? "artifact"}${inv.total === 1 ? "" : "s"} in ${inv.workspace}${inv.has_more ? ` (showing newest ${artifacts.length})` : ""}.`;
    const queue = ctx.jobs.name === "redis" ? await ctx.jobs.queueStatus().catch((e: Error) => ({ backend: "redis", workers: [], queues: [], error: e.message })) : null;
    const q = queue && (queue.error ?? `Queue ${queue.backend}: workers ${queue.workers.map((w) => `${w.name} (${w.device})`).join(", ") || "none"}; ${queue.queues.map((c) => `${c.device} ${c.waiting} waiting, ${c.active} running`).join("; ")}.`);
    return structuredResult([head, ...lines, ...(q ? [q] : [])].join("\n"), { ...inv, artifacts, ...(queue ? { queue } : {}) });
  },
});
