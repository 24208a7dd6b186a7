/**
 * Prompt `explain_decoding`: explain a decoding's provenance to a non-expert. The prompt embeds the
 * decoding's lineage from the workspace (decoding → model → recording …: summaries and metadata, i.e.
 * source, checksum, preprocessing, training settings, protocol, scores) as a resource block, so the
 * explanation rests on recorded facts rather than on what the model remembers. The block is fitted to the
 * prompt budget (tools/kit/budget.ts): distant ancestors' metadata becomes a pointer to their resource.
 */
import { ProtocolError, ProtocolErrorCode, type GetPromptResult, type McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { UserError } from "../src/util/errors.js";
import { choiceArgument, idArgument, type PromptContext } from "./complete.js";
import { BUDGETS } from "../tools/kit/budget.js";

const EXPLAIN_PROMPT = "explain_decoding";

const AUDIENCES: Record<string, string> = {
  "non-expert": "someone with no neuroscience or machine-learning background",
  student: "an undergraduate who knows basic statistics but not CEBRA",
  scientist: "a neuroscientist from another field who will judge whether the result is sound",
};

/** Metadata of one artifact larger than this (as JSON) is replaced by a pointer to its resource. */
const MAX_META_CHARS = 8000;
/** How far up the lineage to go (decoding → model → recording is 2). */
const MAX_DEPTH = 4;

/** One artifact in a lineage. */
interface LineageEntry {
  id: string;
  kind: string;
  uri: string;
  created_at: string;
  summary: string;
  parents: string[];
  meta: unknown;
}

/** Registers the prompt (decoding_id completed with the workspace's decoding ids). */
export function registerExplainPrompt(server: McpServer, ctx: PromptContext): void {
  server.registerPrompt(
    EXPLAIN_PROMPT,
    {
      title: "Explain a decoding to a non-expert",
      description:
        "Explains where a decoding came from and what it shows — data source and checksum, preprocessing, model and training, held-out test, accuracy against chance and controls, limits — in plain language, from the provenance stored in the workspace.",
      argsSchema: z.strictObject({
        decoding_id: idArgument(ctx, "decoding", "Decoding to explain (dec_…, from decode_video_frames or decode_labels)."),
        audience: choiceArgument(Object.keys(AUDIENCES), `Who the explanation is for: ${Object.keys(AUDIENCES).join(", ")} (default non-expert).`).optional(),
      }),
    },
    async ({ decoding_id, audience }): Promise<GetPromptResult> => {
      const who = AUDIENCES[audience ?? "non-expert"] ?? audience!;
      const text = explainText(decoding_id, who);
      const lineage = fitLineage(await lineageOf(ctx, decoding_id), BUDGETS.prompt - text.length);
      return {
        description: `Explain decoding ${decoding_id}`,
        messages: [
          { role: "user", content: { type: "text", text } },
          {
            role: "user",
            content: { type: "resource", resource: { uri: `decoding://${decoding_id}`, mimeType: "application/json", text: lineage } },
          },
        ],
      };
    },
  );
}

/**
 * The artifact and its ancestors (breadth-first, each once), with metadata capped in size.
 * An unknown or malformed id is an InvalidParams error whose message says how to find a valid one.
 */
async function lineageOf(ctx: PromptContext, decodingId: string): Promise<LineageEntry[]> {
  try {
    await ctx.workspace.get(decodingId, "decoding");
  } catch (e) {
    if (e instanceof UserError) throw new ProtocolError(ProtocolErrorCode.InvalidParams, e.message);
    throw e;
  }
  const out: LineageEntry[] = [];
  const seen = new Set<string>();
  let level = [decodingId];
  for (let depth = 0; depth <= MAX_DEPTH && level.length > 0; depth++) {
    const next: string[] = [];
    for (const id of level) {
      if (seen.has(id)) continue;
      seen.add(id);
      const entry = await entryOf(ctx, id);
      if (!entry) continue;
      out.push(entry);
      next.push(...entry.parents);
    }
    level = next;
  }
  return out;
}

/** One lineage entry; undefined for a parent that no longer exists (deleted artifacts are skipped). */
async function entryOf(ctx: PromptContext, id: string): Promise<LineageEntry | undefined> {
  let m;
  try {
    m = await ctx.workspace.get(id);
  } catch (e) {
    if (e instanceof UserError) return undefined;
    throw e;
  }
  const uri = `${m.kind}://${m.id}`;
  const metaJson = JSON.stringify(m.meta) ?? "null";
  const meta = metaJson.length <= MAX_META_CHARS ? m.meta : { truncated: true, chars: metaJson.length, read: uri };
  return { id: m.id, kind: m.kind, uri, created_at: m.created_at, summary: m.summary, parents: m.parents, meta };
}

/**
 * The lineage as compact JSON within `room` characters (the prompt budget, tools/kit/budget.ts): the
 * metadata of the most distant ancestors is replaced by a pointer to their resource first, so the
 * decoding's own record stays; if even the pointers do not fit, distant ancestors are listed by id only.
 */
function fitLineage(lineage: LineageEntry[], room: number): string {
  const entries: (LineageEntry | { id: string; uri: string })[] = lineage.map((e) => ({ ...e }));
  const text = () => JSON.stringify({ lineage: entries });
  for (let i = entries.length - 1; i >= 0 && text().length > room; i--) {
    const e = entries[i] as LineageEntry;
    entries[i] = { ...e, meta: { omitted: "too long for this prompt", read: e.uri } };
  }
  for (let i = entries.length - 1; i > 0 && text().length > room; i--) entries[i] = { id: entries[i].id, uri: entries[i].uri };
  return text();
}

/** The instructions. */
function explainText(decodingId: string, audience: string): string {
  return [
    `Explain decoding ${decodingId} to ${audience}. Base every statement on the provenance attached below (the decoding and everything it was derived from); read decoding://${decodingId} for its summary (error quantiles, worst and typical rows) if you need more; per-sample rows are paged (decoding://${decodingId}?offset=0&limit=100), so read only the pages you need. Do not invent numbers that are not there; say "not recorded" instead.`,
    "",
    "Cover, in short plain paragraphs:",
    "1. The data: what was recorded (animal, brain area and method if known; how many neurons; how long), where it came from (file, URL or simulator, with its checksum) and every preprocessing step applied.",
    "2. The model: CEBRA learns a compact \"map\" (an embedding) of the neural activity; say which labels guided it (or that it used time only), how long it trained and with which seed.",
    "3. The decoding: for each moment of the held-out data, find the most similar moments of the training data on that map and take the label (e.g. the movie frame) shown then. This is retrieval, not image generation, and the test data was never used for training.",
    "4. How good it is: the score with its tolerance (e.g. \"within 1 second\"), next to chance and the shuffled-label control, and what the numbers do and do not show.",
    "5. Limits: one recording, one seed (if so), simulated data (if the source starts with builtin:), and that retrieval can only show frames present in the training data.",
    "",
    "Define any technical term you must use (embedding, nearest neighbours, chance level, control) in one sentence. End with the ids (recording, model, decoding) so someone can check the analysis.",
  ].join("\n");
}
