/**
 * Every artifact is readable as `<scheme>://<id>` (recording://rec_…, model://mdl_…, embedding://emb_…,
 * decoding://dec_…, render://rnd_…, job://job_…), listed from the workspace. A read returns JSON: the
 * live record for jobs, the summary (shapes, labels, provenance) for recordings, and for other kinds the
 * artifact's designated resource file (e.g. a decoding's per-sample table, set via the manifest's
 * `resource` field) or else its manifest.
 */
import { McpServer, ResourceNotFoundError, ResourceTemplate, type ReadResourceResult } from "@modelcontextprotocol/server";
import type { AppState } from "../src/app/context.js";
import { ALL_KINDS, type ArtifactKind } from "../src/store/ids.js";
import { UserError } from "../src/util/errors.js";
import { ARTIFACT_SCHEMES, artifactUri } from "../tools/kit/uris.js";

const KINDS: Record<ArtifactKind, { title: string; description: string }> = {
  recording: { title: "Recording", description: "Shapes, label columns, movie info and provenance of a loaded recording (JSON)." },
  model: { title: "Trained model", description: "Training configuration, loss history, device and provenance of a trained CEBRA model (JSON)." },
  embedding: { title: "Embedding", description: "Shape and provenance of a computed embedding (JSON)." },
  decoding: { title: "Decoding", description: "Per-sample decoding table: true and decoded frame for every test sample, with provenance (JSON)." },
  render: { title: "Render", description: "Files and provenance of a rendered reconstruction (JSON)." },
  job: { title: "Job", description: "Status, progress, loss history and result of a long-running job (JSON)." },
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
      const id = String(variables.id);
      try {
        return await readArtifact(app, kind, id, uri.href);
      } catch (e) {
        if (e instanceof UserError) throw new ResourceNotFoundError(uri.href, e.message);
        throw e;
      }
    });
  }
}

async function readArtifact(app: AppState, kind: ArtifactKind, id: string, uri: string): Promise<ReadResourceResult> {
  const json = (value: unknown): ReadResourceResult => ({ contents: [{ uri, mimeType: "application/json", text: JSON.stringify(value, null, 1) }] });
  if (kind === "job") return json(await app.jobs.get(id));
  const manifest = await app.workspace.get(id, kind);
  if (kind === "recording") return json({ recording_id: id, created_at: manifest.created_at, ...manifest.meta });
  if (manifest.resource) {
    return { contents: [{ uri, mimeType: manifest.resource.mime_type, text: await app.workspace.readText(id, manifest.resource.file) }] };
  }
  return json(manifest);
}
