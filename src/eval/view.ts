/**
 * Step results as checks see them ("views"): one plain object per request with stable field names,
 * whatever the request was. Common fields: `is_error`, `error` ({code?, message}), `text`, `json`
 * (the first JSON object found in the text), `jsons` (all of them), `bytes` (the result serialised
 * as JSON), `latency_ms`. Tool calls add `structured`, `content`, `images` (decoded with sharp:
 * width, height, pages, long_side, megapixels, bytes, mime_type, _meta), `progress` (notifications
 * received) and `result` (the raw CallToolResult); reads add `contents`; lists add `items` and
 * `names`; prompts add `messages`; completions add `values`.
 */
import type { CallToolResult, GetPromptResult, ReadResourceResult } from "@modelcontextprotocol/client";
import sharp from "sharp";
import { roundTo } from "../util/stats.js";

/** Decoded facts about one image block. */
export interface ImageInfo {
  /** Position of the block in `content`. */
  index: number;
  mime_type: string;
  /** Decoded size in bytes. */
  bytes: number;
  /** Frame (page) size; for animations the size of one page. */
  width?: number;
  height?: number;
  pages?: number;
  long_side?: number;
  megapixels?: number;
  /** The format sharp detected (png, webp, gif, jpeg ...). */
  format?: string;
  /** Set when sharp could not read the data. */
  decode_error?: string;
  _meta?: Record<string, unknown>;
}

/** One progress notification received during a request. */
export interface ProgressEvent {
  progress: number;
  total?: number;
  message?: string;
}

/** Everything checks can address in one step's result. */
export interface StepView {
  is_error: boolean;
  error?: { code?: number; message: string };
  text: string;
  json?: unknown;
  jsons: unknown[];
  bytes: number;
  latency_ms: number;
  /** Attempts made (more than 1 for repeated steps). */
  attempts: number;
  structured?: unknown;
  content?: CallToolResult["content"];
  images?: ImageInfo[];
  progress?: ProgressEvent[];
  result?: unknown;
  contents?: ReadResourceResult["contents"];
  items?: unknown[];
  names?: string[];
  messages?: GetPromptResult["messages"];
  values?: string[];
  total?: number;
  has_more?: boolean;
}

type Timing = { latency_ms: number; attempts?: number };

/** The view of a tool call result (isError results included). */
export async function callView(result: CallToolResult, timing: Timing, progress: ProgressEvent[] = []): Promise<StepView> {
  const texts = result.content.filter((c): c is { type: "text"; text: string } => c.type === "text").map((c) => c.text);
  const jsons = texts.flatMap(jsonObjectsIn);
  return {
    ...base(result, timing),
    is_error: result.isError === true,
    ...(result.isError === true ? { error: { message: texts.join("\n") } } : {}),
    text: texts.join("\n"),
    ...(jsons.length ? { json: jsons[0] } : {}),
    jsons,
    ...(result.structuredContent !== undefined ? { structured: result.structuredContent } : {}),
    content: result.content,
    images: await imageInfos(result.content),
    progress,
    result,
  };
}

/** The view of a resources/read result. */
export function readView(result: ReadResourceResult, timing: Timing): StepView {
  const texts = result.contents.flatMap((c) => ("text" in c && typeof c.text === "string" ? [c.text] : []));
  const jsons = texts.flatMap(jsonObjectsIn);
  return { ...base(result, timing), is_error: false, text: texts.join("\n"), ...(jsons.length ? { json: jsons[0] } : {}), jsons, contents: result.contents };
}

/** The view of a tools/list, resources/list, resources/templates/list or prompts/list result. */
export function listView(items: { name?: string; uri?: string; uriTemplate?: string }[], raw: unknown, timing: Timing): StepView {
  const names = items.map((i) => i.name ?? i.uri ?? i.uriTemplate ?? "");
  return { ...base(raw, timing), is_error: false, text: names.join("\n"), jsons: [], items, names };
}

/** The view of a prompts/get result. */
export function promptView(result: GetPromptResult, timing: Timing): StepView {
  const texts = result.messages.flatMap((m) => (m.content.type === "text" ? [m.content.text] : []));
  const jsons = texts.flatMap(jsonObjectsIn);
  return { ...base(result, timing), is_error: false, text: texts.join("\n"), ...(jsons.length ? { json: jsons[0] } : {}), jsons, messages: result.messages };
}

/** The view of a completion/complete result. */
export function completeView(result: { completion: { values: string[]; total?: number; hasMore?: boolean } }, timing: Timing): StepView {
  const c = result.completion;
  return {
    ...base(result, timing),
    is_error: false,
    text: c.values.join("\n"),
    jsons: [],
    values: c.values,
    ...(c.total !== undefined ? { total: c.total } : {}),
    ...(c.hasMore !== undefined ? { has_more: c.hasMore } : {}),
  };
}

/** The view of a request the server refused with a protocol (JSON-RPC) error, or that failed in transport. */
export function errorView(e: unknown, timing: Timing): StepView {
  const err = e as { code?: unknown; message?: unknown };
  const message = typeof err?.message === "string" ? err.message : String(e);
  const code = typeof err?.code === "number" ? err.code : undefined;
  return { ...base(undefined, timing), is_error: true, error: { ...(code !== undefined ? { code } : {}), message }, text: message, jsons: [] };
}

function base(raw: unknown, timing: Timing): Pick<StepView, "bytes" | "latency_ms" | "attempts"> {
  return { bytes: raw === undefined ? 0 : Buffer.byteLength(JSON.stringify(raw)), latency_ms: Math.round(timing.latency_ms), attempts: timing.attempts ?? 1 };
}

/**
 * JSON objects/arrays in a text block: the whole text if it parses, else each ```json fenced block,
 * else the span from the first `{` to the last `}`. Tools without an outputSchema put provenance there.
 */
export function jsonObjectsIn(text: string): unknown[] {
  const whole = tryJson(text.trim());
  if (whole !== undefined) return [whole];
  const fenced = [...text.matchAll(/```(?:json)?\s*\n([\s\S]*?)```/g)].map((m) => tryJson(m[1]!.trim())).filter((v) => v !== undefined);
  if (fenced.length) return fenced;
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  if (start >= 0 && end > start) {
    const span = tryJson(text.slice(start, end + 1));
    if (span !== undefined) return [span];
  }
  return [];
}

function tryJson(s: string): unknown {
  if (!/^[[{]/.test(s)) return undefined;
  try {
    const v: unknown = JSON.parse(s);
    return v !== null && typeof v === "object" ? v : undefined;
  } catch {
    return undefined;
  }
}

async function imageInfos(content: CallToolResult["content"]): Promise<ImageInfo[]> {
  const out: ImageInfo[] = [];
  for (const [index, block] of content.entries()) {
    if (block.type !== "image") continue;
    const data = Buffer.from(block.data, "base64");
    const info: ImageInfo = { index, mime_type: block.mimeType, bytes: data.byteLength, ...(block._meta ? { _meta: block._meta } : {}) };
    try {
      const m = await sharp(data, { animated: true }).metadata();
      const width = m.width;
      const height = m.pageHeight ?? m.height;
      Object.assign(info, { width, height, pages: m.pages ?? 1, long_side: Math.max(width, height), megapixels: roundTo((width * height) / 1e6, 3), format: m.format });
    } catch (e) {
      info.decode_error = (e as Error).message;
    }
    out.push(info);
  }
  return out;
}
