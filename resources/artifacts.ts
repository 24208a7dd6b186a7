/**
 * Every artifact is readable as `<scheme>://<id>` (recording://rec_…, model://mdl_…, embedding://emb_…,
 * decoding://dec_…, render://rnd_…, job://job_…), listed from the workspace. A read returns JSON: the
 * live record for jobs (history thinned to fit), the summary (shapes, labels, provenance) for
 * recordings, a summary page or a page of rows for decodings (resources/pages.ts), and for other kinds
 * the artifact's designated resource file (manifest field `resource`) or else its manifest. Every read
 * fits the resource-page budget (tools/kit/budget.ts).
 */
import { McpServer, ResourceNotFoundError, ResourceTemplate, type ReadResourceResult } from "@modelcontextprotocol/server";
import type { AppState } from "../src/app/context.js";
import { ALL_KINDS, type ArtifactKind } from "../src/store/ids.js";
import { UserError } from "../src/util/errors.js";
import { ARTIFACT_SCHEMES, artifactUri } from "../tools/kit/uris.js";
import { BUDGETS, cutText, overBudget } from "../tools/kit/budget.js";
import { bareId, decodingPage, jobPage } from "./pages.js";

const KINDS: Record<ArtifactKind, { title: string; description: string }> = {
  recording: { title: "Recording", description: "Shapes, label columns, movie info and provenance of a loaded recording (JSON)." },
  model: { title: "Trained model", description: "Training configuration, loss history, device and provenance of a trained CEBRA model (JSON)." },
  embedding: { title: "Embedding", description: "Shape and provenance of a computed embedding (JSON)." },
  decoding: {
    title: "Decoding",
    description:
      "decoding://{id} is a summary (JSON): scores, chance and controls, error quantiles, correct runs, worst and typical rows, and the path of the complete per-sample CSV. Per-sample rows in pages: decoding://{id}?offset=N&limit=M (M ≤ 500, default 80; lowered if a page would pass 25,000 characters); each page names the next.",
  },
  render: { title: "Render", description: "Files and provenance of a rendered reconstruction (JSON)." },
  job: { title: "Job", description: "Status, progress, metric history (thinned evenly if it would not fit one page) and result of a long-running job (JSON)." },
};

/** One resource template per artifact kind, listing the workspace's artifacts of that kind. */
export function registerArtifactResources(server: McpServer, app: AppState): void {
  for (const kind of ALL_KINDS) {
    const scheme = ARTIFACT_SCHEMES[kind];
    const { title, description } = KINDS[kind];
    const template = new ResourceTemplate(`${scheme}://{id}`, {
      list: async () => ({
        resources: (await app.workspace.list(kind)).reverse().map((a) => ({
          uri: artifactUri(kind, a.id),
          name: a.id,
          title: a.summary.slice(0, 120),
          description: a.summary,
          mimeType: "application/json",
          size: a.bytes,
        })),
      }),
      complete: { id: async (prefix) => (await app.workspace.list(kind)).map((a) => a.id).filter((id) => id.startsWith(prefix)).reverse().slice(0, 50) },
    });
    server.registerResource(`${kind}s`, template, { title, description, mimeType: "application/json" }, async (uri, variables) => {
      const id = bareId(String(variables.id));
      try {
        return await readArtifact(app, kind, id, uri);
      } catch (e) {
        if (e instanceof UserError) throw new ResourceNotFoundError(uri.href, e.message);
        throw e;
      }
    });
  }
}

async function readArtifact(app: AppState, kind: ArtifactKind, id: string, url: URL): Promise<ReadResourceResult> {
  const uri = url.href;
  const page = (text: string): ReadResourceResult => ({ contents: [{ uri, mimeType: "application/json", text }] });
  const json = (value: unknown): ReadResourceResult => {
    const text = JSON.stringify(value, null, 1);
    return page(overBudget("resource_page", text.length, uri) ? cutText(text, BUDGETS.resource_page, `the files of ${id} (list_artifacts)`) : text);
  };
  if (kind === "job") return page(await jobPage(app, id));
  if (kind === "decoding") return page(await decodingPage(app, id, url));
  const manifest = await app.workspace.get(id, kind);
  if (kind === "recording") return json({ recording_id: id, created_at: manifest.created_at, ...manifest.meta });
  if (manifest.resource) {
    const text = await app.workspace.readText(id, manifest.resource.file);
    const fitted = overBudget("resource_page", text.length, uri) ? cutText(text, BUDGETS.resource_page, app.workspace.filePath(id, manifest.resource.file)) : text;
    return { contents: [{ uri, mimeType: manifest.resource.mime_type, text: fitted }] };
  }
  return json(manifest);
}
