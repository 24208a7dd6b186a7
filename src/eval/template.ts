/**
 * `${...}` templates in scenario files: arguments, URIs and check values may refer to the run's
 * variables and to earlier steps' results, e.g. `"${steps.train.structured.model_id}"`,
 * `"decoding://${steps.decode.json.decoding_id}"`, `"${fixtures.track}"`, `"${dir}/missing.npz"`.
 *
 * A string that is exactly one template keeps the referenced value's type (a number stays a number,
 * an object stays an object); templates inside a longer string are interpolated as text. Templates
 * are resolved recursively through arrays and objects (keys are left alone).
 */
import { lookup } from "./paths.js";

/** Raised when a template refers to something that does not exist (e.g. a failed step's result). */
export class TemplateError extends Error {}

const WHOLE = /^\$\{([^{}]+)\}$/;
const ANY = /\$\{([^{}]+)\}/g;

/** Resolves every template in `value` against `context`. Throws TemplateError for a missing reference. */
export function resolveTemplates<T = unknown>(value: T, context: unknown): T {
  return resolveValue(value, context) as T;
}

function resolveValue(value: unknown, context: unknown): unknown {
  if (typeof value === "string") return resolveString(value, context);
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, context));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveValue(v, context)]));
  }
  return value;
}

function resolveString(s: string, context: unknown): unknown {
  const whole = WHOLE.exec(s);
  if (whole) return reference(whole[1]!, context);
  return s.replace(ANY, (_, expr: string) => asText(reference(expr, context)));
}

function reference(expr: string, context: unknown): unknown {
  const r = lookup(context, expr.trim());
  if (!r.found) throw new TemplateError(`\${${expr}} refers to nothing: ${r.reason}`);
  return r.value;
}

function asText(v: unknown): string {
  if (typeof v === "string") return v;
  return JSON.stringify(v) ?? String(v);
}

/** Ids of the steps a value's templates refer to (`${steps.<id>....}`), so dependants of a failed step can be skipped. */
export function referencedSteps(value: unknown): Set<string> {
  const out = new Set<string>();
  const text = JSON.stringify(value) ?? "";
  for (const m of text.matchAll(/\$\{\s*steps\.([^.[\]{}\s]+)/g)) out.add(m[1]!);
  return out;
}
