/**
 * Judging broken variants (docs/EVALS.md, "Broken variants"). A broken variant is a scenario run that
 * must FAIL: it is caught only when a check of one of its `caught_by` steps fails on a value (a number
 * below its margin, a value outside its band). A run that fails only because a request errored, a
 * value is missing, or the server would not start proves nothing about the checks, so it does not count.
 */
import type { ScenarioRun } from "./runner.js";
import type { BrokenVariant, TransportName } from "./scenario.js";

/** The verdict on one broken run. */
export interface BrokenVerdict {
  scenario: string;
  variant: string;
  transport: TransportName;
  /** True when a value check of a `caught_by` step failed (what the negative test requires). */
  caught: boolean;
  /** The checks that caught it: `step: check description: reason`. */
  caught_by: string[];
  /** Other failures (errors, missing values, steps outside caught_by), for the reader. */
  other_failures: string[];
  duration_s: number;
}

/** Whether `run` (a broken variant's run) failed where it should. */
export function judgeBroken(scenario: string, b: BrokenVariant, run: ScenarioRun): BrokenVerdict {
  const caught: string[] = [];
  const other: string[] = [];
  if (run.error) other.push(`run: ${run.error}`);
  for (const step of run.steps) {
    if (step.status === "skipped") continue;
    for (const c of step.checks.filter((x) => !x.passed)) {
      const line = `${step.id}: ${c.description}: ${c.reason ?? ""}`;
      if (b.caught_by.includes(step.id) && isValueFailure(c.description, c.reason)) caught.push(line);
      else other.push(line);
    }
    if (step.status === "failed" && step.checks.length === 0) other.push(`${step.id}: ${step.reason ?? "failed"}`);
  }
  return { scenario, variant: b.name, transport: run.transport, caught: caught.length > 0, caught_by: caught, other_failures: other, duration_s: run.duration_s };
}

/** A failed check that judged a value: not the implicit "succeeds", not a missing path or reference. */
function isValueFailure(description: string, reason: string | undefined): boolean {
  if (description === "succeeds" || description.startsWith("repeat until")) return false;
  return reason !== undefined && !/ is missing: |refers to nothing|not a finite number/.test(reason);
}
