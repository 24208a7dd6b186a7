/**
 * Strict tool inputs. A zod object silently drops keys it does not know, so a misspelt or misplaced
 * argument (`color_by` for `colour_by`, an option passed to the wrong tool) would run the tool with
 * its defaults and the model would never learn why. `strictInputSchema` wraps a tool's zod schema in
 * a Standard Schema that the SDK registers instead:
 *  - advertised: the zod JSON Schema with `additionalProperties: false` on every object with fixed
 *    properties (records and open objects are left as they are), made portable (portable-schema.ts);
 *  - validated: first every object in the arguments, at any depth (load options, movie source,
 *    training config), is checked against the properties the schema allows there; an unknown key is
 *    refused, naming it, the closest valid name and every valid one; then zod validates as before.
 * The SDK turns a refusal into an `isError` tool result.
 */
import type { StandardSchemaWithJSON } from "@modelcontextprotocol/server";
import type { z } from "zod";
import { portableSchema } from "./portable-schema.js";

type JsonSchema = Record<string, unknown>;
type Issue = { message: string; path: PropertyKey[] };

const TARGET = "draft-2020-12";

/** Options for the messages: the tool's name and, per top-level argument name, the other tools that take it. */
export interface StrictInputOptions {
  toolName: string;
  /** Other tools that have a top-level argument of this name (for "did you mean another tool"). */
  elsewhere?: (argument: string) => string[];
}

/** The tool's zod input schema as a strict Standard Schema for `registerTool`. */
export function strictInputSchema(schema: z.ZodObject, opts: StrictInputOptions): StandardSchemaWithJSON {
  const std = schema["~standard"];
  return {
    "~standard": {
      version: 1,
      vendor: "cebra-mcp",
      validate: (value, options) => {
        const issues = unknownKeyIssues(value, converted(schema).open, opts);
        return issues.length > 0 ? { issues } : std.validate(value, options);
      },
      jsonSchema: {
        input: (o) => (o.target === TARGET && !o.libraryOptions ? structuredClone(converted(schema).closed) : portableSchema(closeObjects(std.jsonSchema.input(o)))),
        output: (o) => std.jsonSchema.output(o),
      },
    },
  };
}

/**
 * The input JSON Schema of a zod schema as zod writes it and closed, converted once per schema: the
 * HTTP transport builds a server (and registers every tool) per request.
 */
const CONVERTED = new WeakMap<z.ZodObject, { open: JsonSchema; closed: JsonSchema }>();
function converted(schema: z.ZodObject): { open: JsonSchema; closed: JsonSchema } {
  let entry = CONVERTED.get(schema);
  if (!entry) {
    const open = schema["~standard"].jsonSchema.input({ target: TARGET });
    entry = { open, closed: portableSchema(closeObjects(open)) };
    CONVERTED.set(schema, entry);
  }
  return entry;
}

/** The top-level argument names of a tool's input schema. */
export function argumentNames(schema: z.ZodObject): string[] {
  return Object.keys(schema.shape);
}

/** Every unknown key in `value` (depth first), as Standard Schema issues with their paths. */
function unknownKeyIssues(value: unknown, root: JsonSchema, opts: StrictInputOptions): Issue[] {
  const issues: Issue[] = [];
  walk(value, [root], [], root, opts, issues);
  return issues;
}

function walk(value: unknown, schemas: JsonSchema[], path: PropertyKey[], root: JsonSchema, opts: StrictInputOptions, issues: Issue[]): void {
  const branches = schemas.flatMap((s) => expand(s, root));
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const itemSchemas = branches.flatMap((b) => {
        const prefix = Array.isArray(b.prefixItems) ? (b.prefixItems[i] as JsonSchema | undefined) : undefined;
        return prefix ? [prefix] : isSchema(b.items) ? [b.items] : [];
      });
      if (itemSchemas.length > 0) walk(item, itemSchemas, [...path, i], root, opts, issues);
    });
    return;
  }
  if (value === null || typeof value !== "object") return;
  const objects = branches.filter((b) => b.type === "object" || "properties" in b);
  if (objects.length === 0) return;
  const open = objects.some((b) => !isSchema(b.properties) || (b.additionalProperties !== undefined && b.additionalProperties !== false) || "patternProperties" in b);
  const known = new Set(objects.flatMap((b) => (isSchema(b.properties) ? Object.keys(b.properties) : [])));
  for (const [key, child] of Object.entries(value)) {
    if (!known.has(key)) {
      if (!open) issues.push({ message: unknownKeyMessage(key, [...known], path, opts), path: [...path, key] });
      continue;
    }
    const childSchemas = objects.flatMap((b) => (isSchema(b.properties) && isSchema(b.properties[key]) ? [b.properties[key]] : []));
    walk(child, childSchemas, [...path, key], root, opts, issues);
  }
}

/** A schema's alternatives, with local `$ref`s resolved and anyOf/oneOf/allOf flattened (depth-bounded). */
function expand(schema: JsonSchema, root: JsonSchema, depth = 0): JsonSchema[] {
  if (depth > 16) return [];
  const ref = typeof schema.$ref === "string" ? /^#\/(\$defs|definitions)\/(.+)$/.exec(schema.$ref) : null;
  const target = ref ? (root[ref[1]!] as Record<string, JsonSchema> | undefined)?.[decodeURIComponent(ref[2]!)] : undefined;
  const own = target ? expand(target, root, depth + 1) : [schema];
  const parts = (["anyOf", "oneOf", "allOf"] as const).flatMap((k) => (Array.isArray(schema[k]) ? (schema[k] as JsonSchema[]) : []));
  return [...own, ...parts.flatMap((p) => expand(p, root, depth + 1))];
}

function unknownKeyMessage(key: string, valid: string[], path: PropertyKey[], opts: StrictInputOptions): string {
  const where = path.length === 0 ? `tool ${opts.toolName}` : `'${path.map(String).join(".")}' of tool ${opts.toolName}`;
  const kind = path.length === 0 ? "argument" : "field";
  const near = closest(key, valid);
  const others = path.length === 0 ? (opts.elsewhere?.(key) ?? []) : [];
  const hints = [
    near ? `Did you mean '${near}'?` : "",
    others.length > 0 ? `'${key}' is an argument of ${others.join(", ")}.` : "",
    valid.length > 0 ? `Valid ${kind}s: ${[...valid].sort().join(", ")}.` : `It takes no ${kind}s.`,
  ];
  return `Unknown ${kind} '${key}' for ${where}. ${hints.filter(Boolean).join(" ")}`;
}

/**
 * The valid name nearest to `key`: within an edit distance of a third of its length, else an
 * abbreviation or extension of it (same first word, one a subsequence of the other: max_iters for
 * max_iterations).
 */
function closest(key: string, valid: string[]): string | undefined {
  const k = key.toLowerCase();
  const limit = Math.max(1, Math.floor(k.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const name of valid) {
    const d = editDistance(k, name.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best ?? valid.find((name) => abbreviates(k, name.toLowerCase()));
}

function abbreviates(a: string, b: string): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  if (short.length < 3 || short.length * 2 < long.length || short.split("_")[0] !== long.split("_")[0]) return false;
  let i = 0;
  for (const ch of long) if (ch === short[i]) i++;
  return i === short.length;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}

const SCHEMA_MAPS = ["properties", "$defs", "definitions", "patternProperties", "dependentSchemas"];
const SCHEMA_LISTS = ["anyOf", "oneOf", "allOf", "prefixItems"];
const SCHEMA_VALUES = ["items", "additionalProperties", "unevaluatedProperties", "propertyNames", "contains", "not", "if", "then", "else"];

/** A copy of a JSON Schema with `additionalProperties: false` on every object with fixed properties. */
function closeObjects(node: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...node };
  for (const k of SCHEMA_MAPS) if (isSchema(node[k])) out[k] = Object.fromEntries(Object.entries(node[k]).map(([name, s]) => [name, isSchema(s) ? closeObjects(s) : s]));
  for (const k of SCHEMA_LISTS) if (Array.isArray(node[k])) out[k] = (node[k] as unknown[]).map((s) => (isSchema(s) ? closeObjects(s) : s));
  for (const k of SCHEMA_VALUES) if (isSchema(node[k])) out[k] = closeObjects(node[k]);
  if (isSchema(node.properties) && node.additionalProperties === undefined && !("patternProperties" in node)) out.additionalProperties = false;
  return out;
}

function isSchema(v: unknown): v is JsonSchema {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
