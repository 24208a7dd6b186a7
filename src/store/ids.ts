/**
 * Artifact ids: a kind prefix plus a time-ordered, collision-resistant suffix, e.g. `rec_m3k9x2a1q7fz`.
 * Ids sort by creation time (the first 8 suffix characters are milliseconds in base 36), are short enough
 * for a model to copy, and are safe as directory names (validated before any path is built from them).
 */
import { randomBytes } from "node:crypto";
import { UserError } from "../util/errors.js";

/** The kinds of artifacts the workspace stores, with their id prefix and directory. */
export const ARTIFACT_KINDS = {
  recording: { prefix: "rec", dir: "recordings" },
  model: { prefix: "mdl", dir: "models" },
  embedding: { prefix: "emb", dir: "embeddings" },
  decoding: { prefix: "dec", dir: "decodings" },
  render: { prefix: "rnd", dir: "renders" },
  job: { prefix: "job", dir: "jobs" },
} as const;

export type ArtifactKind = keyof typeof ARTIFACT_KINDS;

/** All kinds, in a fixed order (used for listings and resource templates). */
export const ALL_KINDS = Object.keys(ARTIFACT_KINDS) as ArtifactKind[];

const ID_PATTERN = /^([a-z]{3})_([0-9a-z]{8,32})$/;
const SUFFIX_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** A fresh id for `kind`: `<prefix>_<8 chars of base-36 ms><4 random base-36 chars>`. */
export function newId(kind: ArtifactKind): string {
  const time = Date.now().toString(36).padStart(8, "0");
  const bytes = randomBytes(4);
  let rand = "";
  for (const b of bytes) rand += SUFFIX_ALPHABET[b % 36];
  return `${ARTIFACT_KINDS[kind].prefix}_${time}${rand}`;
}

/** The kind an id belongs to, or undefined if the string is not a well-formed artifact id. */
export function kindOfId(id: string): ArtifactKind | undefined {
  const m = ID_PATTERN.exec(id);
  if (!m) return undefined;
  return ALL_KINDS.find((k) => ARTIFACT_KINDS[k].prefix === m[1]);
}

/** Throws a UserError unless `id` is a well-formed id (of `expected` kind, when given). Returns its kind. */
export function parseId(id: string, expected?: ArtifactKind): ArtifactKind {
  const kind = kindOfId(id);
  const prefixes = ALL_KINDS.map((k) => `${ARTIFACT_KINDS[k].prefix}_…`).join(", ");
  if (!kind) {
    throw new UserError(
      `"${id}" is not an artifact id (ids look like ${prefixes}).`,
      "Copy the id exactly from a previous tool result, or call list_artifacts to see the ids that exist.",
      "unknown_id",
    );
  }
  if (expected && kind !== expected) {
    throw new UserError(
      `"${id}" is a ${kind} id, but a ${expected} id (${ARTIFACT_KINDS[expected].prefix}_…) is needed here.`,
      `Pass a ${expected} id; call list_artifacts with kind "${expected}" to see them.`,
      "wrong_kind",
    );
  }
  return kind;
}
