/** Resource URIs of workspace artifacts and documentation, as tools return them and resources/ serves them. */
import type { ArtifactKind } from "../../src/store/ids.js";

/** URI scheme of each artifact kind. */
export const ARTIFACT_SCHEMES: Record<ArtifactKind, string> = {
  recording: "recording",
  model: "model",
  embedding: "embedding",
  decoding: "decoding",
  render: "render",
  job: "job",
};

/** URI of an artifact, e.g. `recording://rec_m3k9x2a17f3q`. */
export function artifactUri(kind: ArtifactKind, id: string): string {
  return `${ARTIFACT_SCHEMES[kind]}://${id}`;
}

/** URI of the documentation of the built-in simulator's parameters. */
export const BUILTIN_PARAMS_URI = "builtin://allen-like/parameters";
