/**
 * Evaluating scenario checks against step views. A check selects a value with `path` (relative to
 * the current step's view, or absolute when it starts with `steps.`) and applies every operator it
 * carries; all must hold. Results say what was checked and, on failure, why, in words a reader of
 * the report can act on (the actual value, the bound, the missing key).
 */
import { isDeepStrictEqual } from "node:util";
import type { Check } from "./scenario.js";
import { describeType, lookup, PathSyntaxError, type Lookup } from "./paths.js";
import { resolveTemplates, TemplateError } from "./template.js";
import type { ImageInfo, StepView } from "./view.js";

/** The outcome of one check. */
export interface CheckResult {
  description: string;
  passed: boolean;
  /** Why it failed (absent when it passed). */
  reason?: string;
}

/** Where paths are looked up: the current step's view, and the run context (`steps`, variables). */
export interface CheckScope {
  view: StepView;
  context: { steps: Record<string, StepView> } & Record<string, unknown>;
}

/** Evaluates one check (templates in it are resolved first). */
export function evaluateCheck(raw: Check, scope: CheckScope): CheckResult {
  const description = raw.description ?? describeCheck(raw);
  let check: Check;
  try {
    check = resolveTemplates(raw, scope.context);
  } catch (e) {
    if (e instanceof TemplateError) return { description, passed: false, reason: e.message };
    throw e;
  }
  try {
    const failures = operatorFailures(check, scope);
    return failures.length === 0 ? { description, passed: true } : { description, passed: false, reason: failures.join("; ") };
  } catch (e) {
    if (e instanceof PathSyntaxError || e instanceof SyntaxError) return { description, passed: false, reason: `bad check: ${e.message}` };
    throw e;
  }
}

/** The implicit check of every step: the request succeeded, or (with `expect_error`) failed as expected. */
export function errorExpectation(view: StepView, expectError: boolean | string | undefined): CheckResult {
  if (expectError === undefined || expectError === false) {
    return view.is_error
      ? { description: "succeeds", passed: false, reason: `returned an error: ${clip(view.error?.message ?? view.text, 600)}` }
      : { description: "succeeds", passed: true };
  }
  const description = typeof expectError === "string" ? `fails with an error matching ${expectError}` : "fails with an error";
  if (!view.is_error) return { description, passed: false, reason: `succeeded, but an error was expected; result text: ${clip(view.text, 300)}` };
  if (typeof expectError === "string" && !toRegExp(expectError).test(view.error?.message ?? view.text)) {
    return { description, passed: false, reason: `error text does not match ${expectError}: ${clip(view.error?.message ?? view.text, 600)}` };
  }
  return { description, passed: true };
}

/** Resolves a check path: `steps.…` against the run context, anything else against the current view. */
function resolvePath(path: string, scope: CheckScope): Lookup {
  return path.startsWith("steps.") || path === "steps" ? lookup(scope.context, path) : lookup(scope.view, path);
}

function operatorFailures(c: Check, scope: CheckScope): string[] {
  const at = c.path ?? "(result)";
  const target: Lookup = c.path !== undefined ? resolvePath(c.path, scope) : { found: true, value: scope.view };
  const failures: string[] = [];
  const fail = (msg: string) => failures.push(msg);

  if (c.exists !== undefined) {
    if (c.exists && !target.found) fail(`${at} is missing: ${target.reason}`);
    if (!c.exists && target.found) fail(`${at} exists (${preview(target.value)}) but should not`);
  }
  if (c.join !== undefined) failures.push(...joinFailures(c.join, scope));
  const needsValue = Object.keys(c).some((k) => !["path", "description", "$comment", "exists", "join"].includes(k));
  if (!needsValue) return failures;
  if (!target.found) return [...failures, `${at} is missing: ${target.reason}`];
  const v = target.value;

  if (c.equals !== undefined && !isDeepStrictEqual(v, c.equals)) fail(`${at} is ${preview(v)}, expected ${preview(c.equals)}`);
  if (c.not_equals !== undefined && isDeepStrictEqual(v, c.not_equals)) fail(`${at} is ${preview(v)}, which it must not be`);
  if (c.in !== undefined && !c.in.some((x) => isDeepStrictEqual(v, x))) fail(`${at} is ${preview(v)}, expected one of ${preview(c.in)}`);
  if (c.matches !== undefined && !toRegExp(c.matches).test(asText(v))) fail(`${at} (${preview(v)}) does not match ${c.matches}`);
  if (c.not_matches !== undefined && toRegExp(c.not_matches).test(asText(v))) fail(`${at} (${preview(v)}) matches ${c.not_matches}`);
  if (c.contains !== undefined && !containsValue(v, c.contains)) fail(`${at} (${preview(v)}) does not contain ${preview(c.contains)}`);
  failures.push(...boundFailures(c, v, at));
  if (c.exceeds !== undefined) failures.push(...exceedsFailures(c.exceeds, v, at, scope));
  if (c.near !== undefined) failures.push(...nearFailures(c.near, v, at, scope));
  if (c.length !== undefined) failures.push(...lengthFailures(c.length, v, at));
  if (c.same_as !== undefined) failures.push(...sameAsFailures(v, c.same_as, c.as_set === true, at, scope));
  if (c.images !== undefined) failures.push(...imageFailures(c.images, v, at));
  if (c.max_result_bytes !== undefined) {
    const bytes = typeof v === "number" ? v : (v as StepView).bytes;
    if (!(bytes <= c.max_result_bytes)) fail(`result is ${bytes} bytes, over the budget of ${c.max_result_bytes}`);
  }
  return failures;
}

/** min/max/gt/lt on a number, or on every element of an array of numbers. */
function boundFailures(c: Check, v: unknown, at: string): string[] {
  const bounds = (["min", "max", "gt", "lt"] as const).filter((k) => c[k] !== undefined);
  if (bounds.length === 0) return [];
  const values = Array.isArray(v) ? v : [v];
  if (values.length === 0) return [`${at} is an empty array; nothing to compare`];
  const out: string[] = [];
  for (const k of bounds) {
    const bound = Number(c[k]);
    if (!Number.isFinite(bound)) {
      out.push(`bound ${k} = ${preview(c[k])} is not a number`);
      continue;
    }
    for (const [i, x] of values.entries()) {
      const where = Array.isArray(v) ? `${at}[${i}]` : at;
      if (typeof x !== "number" || !Number.isFinite(x)) {
        out.push(`${where} is ${preview(x)}, not a finite number`);
        break;
      }
      const ok = k === "min" ? x >= bound : k === "max" ? x <= bound : k === "gt" ? x > bound : x < bound;
      if (!ok) {
        out.push(`${where} = ${x} is not ${SYMBOLS[k]} ${bound}`);
        break;
      }
    }
  }
  return out;
}

/** A reference number for exceeds/near: found at `path`, finite. */
function referenceNumber(path: string, scope: CheckScope): { value: number } | { problem: string } {
  const ref = resolvePath(path, scope);
  if (!ref.found) return { problem: `${path} is missing: ${ref.reason}` };
  if (typeof ref.value !== "number" || !Number.isFinite(ref.value)) return { problem: `${path} is ${preview(ref.value)}, not a finite number` };
  return { value: ref.value };
}

/** `exceeds: {path, by}`: value − other ≥ by. */
function exceedsFailures(spec: NonNullable<Check["exceeds"]>, v: unknown, at: string, scope: CheckScope): string[] {
  if (typeof v !== "number" || !Number.isFinite(v)) return [`${at} is ${preview(v)}, not a finite number`];
  const ref = referenceNumber(spec.path, scope);
  if ("problem" in ref) return [ref.problem];
  const gap = v - ref.value;
  return gap >= spec.by ? [] : [`${at} = ${round(v)} exceeds ${spec.path} = ${round(ref.value)} by ${round(gap)}, less than the required ${spec.by}`];
}

/** `near: {path | value, tol}`: |value − reference| ≤ tol. */
function nearFailures(spec: NonNullable<Check["near"]>, v: unknown, at: string, scope: CheckScope): string[] {
  if (typeof v !== "number" || !Number.isFinite(v)) return [`${at} is ${preview(v)}, not a finite number`];
  let reference: number;
  let name: string;
  if (spec.path !== undefined) {
    const ref = referenceNumber(spec.path, scope);
    if ("problem" in ref) return [ref.problem];
    reference = ref.value;
    name = `${spec.path} = ${round(reference)}`;
  } else {
    reference = Number(spec.value);
    if (!Number.isFinite(reference)) return [`near value ${preview(spec.value)} is not a number`];
    name = String(round(reference));
  }
  const d = Math.abs(v - reference);
  return d <= spec.tol ? [] : [`${at} = ${round(v)} is ${round(d)} away from ${name}, more than ±${spec.tol}`];
}

/** A number shortened for messages (4 significant digits). */
function round(x: number): number {
  return Number(x.toPrecision(4));
}

const SYMBOLS = { min: "≥", max: "≤", gt: ">", lt: "<" } as const;

function lengthFailures(spec: NonNullable<Check["length"]>, v: unknown, at: string): string[] {
  if (!Array.isArray(v) && typeof v !== "string") return [`${at} is ${describeType(v)}; it has no length`];
  const n = v.length;
  if (typeof spec === "number") return n === spec ? [] : [`${at} has length ${n}, expected ${spec}`];
  const out: string[] = [];
  if (spec.min !== undefined && n < spec.min) out.push(`${at} has length ${n}, expected at least ${spec.min}`);
  if (spec.max !== undefined && n > spec.max) out.push(`${at} has length ${n}, expected at most ${spec.max}`);
  return out;
}

function sameAsFailures(v: unknown, otherPath: string, asSet: boolean, at: string, scope: CheckScope): string[] {
  const other = resolvePath(otherPath, scope);
  if (!other.found) return [`${otherPath} is missing: ${other.reason}`];
  const equal = asSet ? setEqual(v, other.value) : isDeepStrictEqual(v, other.value);
  return equal ? [] : [`${at} (${preview(v)}) differs from ${otherPath} (${preview(other.value)})${asSet ? " as a set" : ""}`];
}

function setEqual(a: unknown, b: unknown): boolean {
  if (!Array.isArray(a) || !Array.isArray(b)) return isDeepStrictEqual(a, b);
  const key = (x: unknown) => JSON.stringify(x);
  const sa = new Set(a.map(key));
  const sb = new Set(b.map(key));
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/** Every left item must have a right item with the same `on` value and equal `fields`. */
function joinFailures(j: NonNullable<Check["join"]>, scope: CheckScope): string[] {
  const left = resolvePath(j.left, scope);
  const right = resolvePath(j.right, scope);
  if (!left.found) return [`${j.left} is missing: ${left.reason}`];
  if (!right.found) return [`${j.right} is missing: ${right.reason}`];
  if (!Array.isArray(left.value) || !Array.isArray(right.value)) return [`join needs two arrays; ${j.left} is ${describeType(left.value)}, ${j.right} is ${describeType(right.value)}`];
  const min = j.min_matches ?? 1;
  if (left.value.length < min) return [`${j.left} has ${left.value.length} items, expected at least ${min}`];
  const index = new Map<string, Record<string, unknown>>();
  for (const row of right.value) {
    if (row !== null && typeof row === "object") index.set(JSON.stringify((row as Record<string, unknown>)[j.on]), row as Record<string, unknown>);
  }
  const problems: string[] = [];
  for (const item of left.value as Record<string, unknown>[]) {
    const key = item?.[j.on];
    const match = index.get(JSON.stringify(key));
    if (!match) {
      problems.push(`${j.on}=${preview(key)} is not in ${j.right}`);
    } else {
      for (const f of j.fields) {
        if (!isDeepStrictEqual(item[f], match[f])) problems.push(`${j.on}=${preview(key)}: ${f} is ${preview(item[f])} in ${j.left} but ${preview(match[f])} in ${j.right}`);
      }
    }
    if (problems.length >= 5) break;
  }
  return problems.length ? [`${problems.join("; ")}${problems.length >= 5 ? "; …" : ""}`] : [];
}

function imageFailures(budget: NonNullable<Check["images"]>, v: unknown, at: string): string[] {
  const images = (Array.isArray(v) ? v : (v as StepView)?.images) as ImageInfo[] | undefined;
  if (!Array.isArray(images)) return [`${at} has no images`];
  const out: string[] = [];
  if (budget.min_count !== undefined && images.length < budget.min_count) out.push(`${images.length} image(s), expected at least ${budget.min_count}`);
  if (budget.max_count !== undefined && images.length > budget.max_count) out.push(`${images.length} image(s), expected at most ${budget.max_count}`);
  for (const img of images) {
    const name = `image #${img.index} (${img.mime_type})`;
    if (img.decode_error) {
      out.push(`${name} cannot be decoded: ${img.decode_error}`);
      continue;
    }
    if (budget.mime_types && !budget.mime_types.includes(img.mime_type)) out.push(`${name} has mime type ${img.mime_type}, allowed: ${budget.mime_types.join(", ")}`);
    if (img.format && !img.mime_type.includes(img.format === "jpeg" ? "jpeg" : img.format)) out.push(`${name} declares ${img.mime_type} but contains ${img.format}`);
    if (budget.max_long_side !== undefined && img.long_side! > budget.max_long_side) out.push(`${name} is ${img.width}×${img.height} px, long side over ${budget.max_long_side}`);
    if (budget.max_megapixels !== undefined && img.megapixels! > budget.max_megapixels) out.push(`${name} is ${img.megapixels} MP, over ${budget.max_megapixels}`);
    if (budget.min_short_side !== undefined && Math.min(img.width!, img.height!) < budget.min_short_side) out.push(`${name} is ${img.width}×${img.height} px, short side under ${budget.min_short_side}`);
    if (budget.max_bytes !== undefined && img.bytes > budget.max_bytes) out.push(`${name} is ${img.bytes} bytes, over ${budget.max_bytes}`);
  }
  return out;
}

function containsValue(v: unknown, needle: unknown): boolean {
  if (Array.isArray(v)) return v.some((x) => isDeepStrictEqual(x, needle));
  if (typeof v === "string") return v.includes(asText(needle));
  return false;
}

/** A regex from `pattern`, or from `/pattern/flags` when written that way. */
export function toRegExp(pattern: string): RegExp {
  const m = /^\/([\s\S]*)\/([dgimsuvy]*)$/.exec(pattern);
  return m ? new RegExp(m[1]!, m[2]) : new RegExp(pattern);
}

function asText(v: unknown): string {
  return typeof v === "string" ? v : (JSON.stringify(v) ?? String(v));
}

/** A short rendering of a value for messages. */
export function preview(v: unknown, max = 160): string {
  if (v === undefined) return "missing";
  return clip(JSON.stringify(v) ?? String(v), max);
}

function clip(s: string, max: number): string {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** A one-line description of what a check asserts, for reports. */
function describeCheck(c: Check): string {
  const at = c.path ?? "result";
  const parts: string[] = [];
  if (c.exists !== undefined) parts.push(c.exists ? `${at} exists` : `${at} is absent`);
  if (c.equals !== undefined) parts.push(`${at} = ${preview(c.equals, 60)}`);
  if (c.not_equals !== undefined) parts.push(`${at} ≠ ${preview(c.not_equals, 60)}`);
  if (c.in !== undefined) parts.push(`${at} in ${preview(c.in, 60)}`);
  if (c.matches !== undefined) parts.push(`${at} ~ ${c.matches}`);
  if (c.not_matches !== undefined) parts.push(`${at} !~ ${c.not_matches}`);
  if (c.contains !== undefined) parts.push(`${at} contains ${preview(c.contains, 60)}`);
  for (const k of ["min", "max", "gt", "lt"] as const) if (c[k] !== undefined) parts.push(`${at} ${SYMBOLS[k]} ${c[k]}`);
  if (c.exceeds !== undefined) parts.push(`${at} ≥ ${c.exceeds.path} + ${c.exceeds.by}`);
  if (c.near !== undefined) parts.push(`${at} within ±${c.near.tol} of ${c.near.path ?? c.near.value}`);
  if (c.length !== undefined) parts.push(`${at} length ${typeof c.length === "number" ? `= ${c.length}` : `in [${c.length.min ?? 0}, ${c.length.max ?? "∞"}]`}`);
  if (c.same_as !== undefined) parts.push(`${at} ${c.as_set ? "≡ (as set)" : "="} ${c.same_as}`);
  if (c.join !== undefined) parts.push(`${c.join.left} agrees with ${c.join.right} on ${c.join.fields.join(", ")} (by ${c.join.on})`);
  if (c.images !== undefined) parts.push(`images within budget ${preview(c.images, 100)}`);
  if (c.max_result_bytes !== undefined) parts.push(`result ≤ ${c.max_result_bytes} bytes`);
  return parts.join(" and ");
}
