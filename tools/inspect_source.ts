/** inspect_source: what a file or URL holds (neural series, labels, movies, what is unusable) and the load_recording calls for it. */
import { z } from "zod";
import { inspectSourceFile, type SourceInspection } from "../src/app/inspect.js";
import { defineTool, structuredResult } from "./kit/define.js";

const ARRAY = { path: z.string(), shape: z.array(z.number()), dtype: z.string(), bytes: z.number() };

const OUTPUT = z.object({
  source: z.string(),
  format: z.string(),
  file_bytes: z.number(),
  nwb_version: z.string().optional(),
  layout: z.string().optional(),
  neural: z.array(z.object({ ...ARRAY, type: z.string(), rate_hz: z.number().optional(), rate_from: z.string().optional(), n_units: z.number(), n_spikes: z.number().optional() })),
  labels: z.array(z.object({ kind: z.string(), path: z.string(), becomes: z.string(), rows: z.number().optional(), columns: z.array(z.string()).optional(), shape: z.array(z.number()).optional(), rate_hz: z.number().optional() })),
  movies: z.array(z.object({ ...ARRAY, type: z.string(), rate_hz: z.number().optional() })),
  unusable: z.array(z.object({ path: z.string(), type: z.string(), why: z.string() })),
  arrays: z.array(z.object(ARRAY)),
  load_calls: z.array(z.object({ what: z.string(), arguments: z.record(z.string(), z.unknown()) })),
  notes: z.array(z.string()),
});

const shape = (s: number[]) => s.join("×") || "scalar";

/** A few lines a reader can act on; the full lists are in structuredContent (also `cebra-mcp inspect`). */
export function inspectionText(r: SourceInspection): string {
  const lines = [`${r.source}: ${r.format}${r.nwb_version ? ` ${r.nwb_version}` : ""}${r.layout ? ` (${r.layout})` : ""}, ${r.file_bytes} bytes.`];
  const few = <T>(what: string, list: T[], line: (x: T) => string) => {
    for (const x of list.slice(0, 3)) lines.push(`${what}${line(x)}`);
    if (list.length > 3) lines.push(`${what}${list.length - 3} more in the structured result`);
  };
  few("neural: ", r.neural, (n) => `${n.type} ${n.path} ${n.type === "Units" ? `${n.n_units} units, ${n.n_spikes} spikes` : `${shape(n.shape)}${n.rate_hz ? ` at ${n.rate_hz} Hz` : ""}`}`);
  few("label: ", r.labels, (l) => `${l.path} → ${l.becomes}`);
  few("movie: ", r.movies, (m) => `${m.path} ${shape(m.shape)}`);
  few("unusable: ", r.unusable, (u) => `${u.path} (${u.type}): ${u.why}`);
  few("array: ", r.arrays, (a) => `${a.path} ${shape(a.shape)} ${a.dtype}`);
  few("load_recording ", r.load_calls, (c) => `${JSON.stringify(c.arguments)}: ${c.what}`);
  return [...lines, ...r.notes].join("\n");
}

export const inspectSourceTool = defineTool({
  name: "inspect_source",
  title: "Inspect a source",
  description: "Lists a file's neural series, labels, movies and unusable parts; returns load_recording arguments for each.",
  inputSchema: z.object({ source: z.string().min(1).max(4096).describe("Local path or http(s) URL.") }),
  outputSchema: OUTPUT,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler({ source }, ctx) {
    const r = await inspectSourceFile(ctx, source);
    const out: z.output<typeof OUTPUT> = { ...r };
    return structuredResult(inspectionText(r), out);
  },
});
