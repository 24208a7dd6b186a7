/**
 * Argument completion for prompts: artifact ids from the workspace (newest first), so a client's
 * prompt form can offer `rec_…` / `dec_…` ids the user has, plus fixed suggestions where useful.
 */
import { completable } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { ArtifactKind } from "../src/store/ids.js";
import type { Workspace } from "../src/store/workspace.js";

/** What prompts need from the server: the workspace (AppState satisfies it). */
export interface PromptContext {
  readonly workspace: Workspace;
}

/** Completion lists stay short (the protocol allows 100 values per response). */
const MAX_COMPLETIONS = 50;

/** Ids of `kind` starting with `prefix`, newest first, then the `extra` suggestions that match. */
async function completeIds(ctx: PromptContext, kind: ArtifactKind, prefix: string, extra: readonly string[] = []): Promise<string[]> {
  const ids = (await ctx.workspace.list(kind)).map((a) => a.id).reverse();
  return [...ids, ...extra].filter((id) => id.startsWith(prefix)).slice(0, MAX_COMPLETIONS);
}

/** A string prompt argument completed with artifact ids of `kind` (and `extra` suggestions). */
export function idArgument(ctx: PromptContext, kind: ArtifactKind, description: string, extra: readonly string[] = []) {
  return completable(z.string().describe(description), (value) => completeIds(ctx, kind, value ?? "", extra));
}

/** A string prompt argument completed from a fixed list of choices. */
export function choiceArgument(choices: readonly string[], description: string) {
  return completable(z.string().describe(description), (value) => choices.filter((c) => c.startsWith(value ?? "")));
}
