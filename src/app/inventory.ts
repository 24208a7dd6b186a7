/** What the workspace holds: artifacts of every kind, newest first, with counts per kind. */
import { ALL_KINDS, type ArtifactKind } from "../store/ids.js";
import type { Workspace } from "../store/workspace.js";

interface Inventory {
  workspace: string;
  /** Artifacts matching the filter. */
  total: number;
  has_more: boolean;
  /** Artifacts per kind in the whole workspace. */
  counts: Record<string, number>;
  artifacts: { id: string; kind: ArtifactKind; created_at: string; bytes: number; summary: string; parents: string[] }[];
}

/** The newest `limit` artifacts (of `kind`, if given). */
export async function listArtifacts(ws: Workspace, opts: { kind?: ArtifactKind; limit: number }): Promise<Inventory> {
  const all = await ws.list();
  const counts = Object.fromEntries(ALL_KINDS.map((k) => [k, all.filter((a) => a.kind === k).length]));
  const matching = all.filter((a) => !opts.kind || a.kind === opts.kind).reverse();
  const shown = matching.slice(0, opts.limit).map((a) => ({ id: a.id, kind: a.kind, created_at: a.created_at, bytes: a.bytes, summary: a.summary, parents: a.parents }));
  return { workspace: ws.root, total: matching.length, has_more: matching.length > shown.length, counts, artifacts: shown };
}
