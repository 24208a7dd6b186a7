/**
 * The reconstruction viewer, an MCP App (SEP-1865, @modelcontextprotocol/ext-apps): `ui://cebra-mcp/viewer.html`
 * (`text/html;profile=mcp-app`), opened by hosts that render apps when decode_video_frames or
 * render_reconstruction returns (their `_meta.ui.resourceUri`). The page gets all its data through the
 * host's bridge, never the network: the decoding's bounded pages (decoding://{id}?offset=&limit=), the
 * votes of one sample (`votes://{decoding_id}/{sample}`) and movie frames as small PNGs
 * (`frame://{recording_id}/{index}?w=`), read on demand.
 */
import { registerAppResource, RESOURCE_MIME_TYPE } from "@modelcontextprotocol/ext-apps/server";
import { McpServer, ResourceNotFoundError, ResourceTemplate, type ReadResourceResult } from "@modelcontextprotocol/server";
import type { AppState } from "../src/app/context.js";
import { MAX_FRAME_WIDTH, movieFramePng, sampleVotes, viewerHtml, VIEWER_URI } from "../src/app/viewer.js";
import { UserError } from "../src/util/errors.js";

/** Turns a UserError into the protocol's not-found error (naming the URI and the fix). */
async function orNotFound(uri: URL, read: () => Promise<ReadResourceResult>): Promise<ReadResourceResult> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof UserError) throw new ResourceNotFoundError(uri.href, e.message);
    throw e;
  }
}

/** An integer path variable (a template variable may carry the query: `12?w=80` → 12). */
function int(value: string | string[], name: string): number {
  const raw = String(value).split("?")[0];
  const v = Number(raw);
  if (!/^\d{1,9}$/.test(raw)) throw new UserError(`${name} must be a non-negative integer, got '${raw}'.`, `e.g. frame://rec_…/12 or votes://dec_…/40.`);
  return v;
}

export function registerViewer(server: McpServer, app: AppState): void {
  registerAppResource(
    server,
    "reconstruction-viewer",
    VIEWER_URI,
    { title: "Decoded movie viewer", description: "Interactive view of a frame decoding (MCP Apps hosts render it beside decode_video_frames and render_reconstruction)." },
    async (uri) => ({
      contents: [{
        uri: uri.href,
        mimeType: RESOURCE_MIME_TYPE,
        text: await viewerHtml(),
        // No network: every byte comes through the bridge (empty allow-lists = nothing beyond the page itself).
        _meta: { ui: { csp: { connectDomains: [], resourceDomains: [] }, prefersBorder: true } },
      }],
    }),
  );
  server.registerResource(
    "movie-frames",
    new ResourceTemplate("frame://{recording_id}/{index}", { list: undefined }),
    { title: "Movie frame", description: `One stimulus movie frame of a recording as a grayscale PNG, ≤ ?w= pixels wide (default and most ${MAX_FRAME_WIDTH}).`, mimeType: "image/png" },
    (uri, v) => orNotFound(uri, async () => {
      const w = Number(uri.searchParams.get("w") ?? MAX_FRAME_WIDTH);
      const { png } = await movieFramePng(app, String(v.recording_id), int(v.index, "index"), Number.isFinite(w) ? w : MAX_FRAME_WIDTH);
      return { contents: [{ uri: uri.href, mimeType: "image/png", blob: png.toString("base64") }] };
    }),
  );
  server.registerResource(
    "decoding-votes",
    new ResourceTemplate("votes://{decoding_id}/{sample}", { list: undefined }),
    { title: "Votes for one decoded sample", description: "The k training samples (repeat, frame, distance) whose votes decoded one test sample of a frame decoding (JSON).", mimeType: "application/json" },
    (uri, v) => orNotFound(uri, async () => ({
      contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(await sampleVotes(app, String(v.decoding_id), int(v.sample, "sample"))) }],
    })),
  );
}
