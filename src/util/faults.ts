/**
 * Fault injection for negative evaluations only (docs/EVALS.md, "Broken variants"): a scenario's broken
 * variant starts the server with `serve --fault NAME`, which is refused unless the environment sets
 * CEBRA_MCP_ENABLE_FAULTS=1, so the eval suite can show that its checks fail when the analysis is
 * broken. No fault is ever active in a normal server. Faults:
 *
 * - `majority-decoder`: movie-frame decoding predicts, for every test sample, the frame most common
 *   among the training samples (ties: the lowest frame) instead of the kNN vote; label decoding predicts
 *   the training mean (continuous labels) or the most common training class (discrete labels).
 * - `scrambled-labels`: behaviour and hybrid training permute the labels across samples (as the
 *   shuffled-label control does), so the model is trained on labels that carry no information; decoding
 *   still scores against the recording's true frames and labels.
 */
import { UserError } from "./errors.js";

export const FAULTS = ["majority-decoder", "scrambled-labels"] as const;
export type Fault = (typeof FAULTS)[number];

const active = new Set<Fault>();

/** Turns the named faults on for this process (refused without CEBRA_MCP_ENABLE_FAULTS=1). */
export function enableFaults(names: string[], env: NodeJS.ProcessEnv = process.env): void {
  if (names.length === 0) return;
  if (env.CEBRA_MCP_ENABLE_FAULTS !== "1") {
    throw new UserError("--fault deliberately breaks the analysis and exists only for negative evaluations.", "Drop --fault, or set CEBRA_MCP_ENABLE_FAULTS=1 when running a broken eval variant (docs/EVALS.md).", "bad_flag");
  }
  for (const name of names) {
    if (!(FAULTS as readonly string[]).includes(name)) throw new UserError(`--fault ${name} is not a known fault.`, `Pass one of: ${FAULTS.join(", ")}.`, "bad_flag");
    active.add(name as Fault);
  }
}

/** Whether a fault is on (always false unless `enableFaults` turned it on). */
export function faultActive(name: Fault): boolean {
  return active.size > 0 && active.has(name);
}

/** Turns every fault off (tests). */
export function clearFaults(): void {
  active.clear();
}
