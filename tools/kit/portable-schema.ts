/**
 * Portable tool schemas. zod writes JSON Schema that is legal but that some clients map badly onto
 * their own dialect (the Inspector's `--strict` check lists these as portability warnings):
 *  - `type` as an array (`["string","null"]`, zod's spelling of a nullable or a simple union): a
 *    client with a single-`type` dialect (e.g. Gemini's OpenAPI subset) rejects the tool or drops the
 *    constraint → written as `anyOf` branches with one `type` each;
 *  - a schema with no validation keyword at all (`{}`, zod's `z.unknown()`, e.g. the values of a
 *    free-form record) → the explicit "any JSON value" `anyOf`, which accepts exactly the same values.
 * It also drops what carries no information for a client and only costs context: `$schema` (the
 * dialect is fixed by the protocol, 2020-12) and `propertyNames: {type: "string"}` (object keys are
 * always strings). Applied to every advertised input schema (strict-input.ts); output schemas are not
 * advertised (define.ts).
 */
type JsonSchema = Record<string, unknown>;

const SCHEMA_MAPS = ["properties", "$defs", "definitions", "patternProperties", "dependentSchemas"];
const SCHEMA_LISTS = ["anyOf", "oneOf", "allOf", "prefixItems"];
const SCHEMA_VALUES = ["items", "additionalProperties", "unevaluatedProperties", "propertyNames", "contains", "not", "if", "then", "else"];
/** Keywords that say nothing about which values are valid. */
const ANNOTATIONS = new Set(["description", "title", "default", "examples", "deprecated", "readOnly", "writeOnly", "$comment"]);

/** Any JSON value, spelled with one `type` per branch. */
export const ANY_JSON_VALUE: JsonSchema = {
  anyOf: ["string", "number", "boolean", "object", "array", "null"].map((type) => ({ type })),
};

/** A portable copy of a JSON Schema (see the file comment); `root` marks the top-level schema. */
export function portableSchema(node: JsonSchema, root = true): JsonSchema {
  let out: JsonSchema = { ...node };
  if (root) delete out.$schema;
  for (const k of SCHEMA_MAPS) if (isSchema(node[k])) out[k] = Object.fromEntries(Object.entries(node[k]).map(([name, s]) => [name, isSchema(s) ? portableSchema(s, false) : s]));
  for (const k of SCHEMA_LISTS) if (Array.isArray(node[k])) out[k] = (node[k] as unknown[]).map((s) => (isSchema(s) ? portableSchema(s, false) : s));
  for (const k of SCHEMA_VALUES) if (isSchema(node[k])) out[k] = portableSchema(node[k], false);
  if (isSchema(out.propertyNames) && Object.keys(out.propertyNames).length === 1 && out.propertyNames.type === "string") delete out.propertyNames;
  if (Array.isArray(out.type)) out = splitType(out);
  if (!root && Object.keys(out).every((k) => ANNOTATIONS.has(k))) out = { ...out, ...structuredClone(ANY_JSON_VALUE) };
  return out;
}

/**
 * `{type: [a, b], …rest}` → `{anyOf: [{type: a, …rest for a}, {type: b, …}]}`: type-specific keywords
 * (minLength, minimum, items …) go with their branch; annotations stay on the outside.
 */
function splitType(node: JsonSchema): JsonSchema {
  const { type, ...rest } = node;
  const outer: JsonSchema = {};
  const inner: JsonSchema = {};
  for (const [k, v] of Object.entries(rest)) (ANNOTATIONS.has(k) ? outer : inner)[k] = v;
  const branches = (type as string[]).map((t) => ({ type: t, ...pick(inner, t) }));
  return { ...outer, anyOf: branches };
}

const KEYWORDS_OF: Record<string, string[]> = {
  string: ["minLength", "maxLength", "pattern", "format", "enum", "const"],
  number: ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "enum", "const"],
  integer: ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "enum", "const"],
  array: ["items", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains"],
  object: ["properties", "required", "additionalProperties", "patternProperties", "propertyNames", "minProperties", "maxProperties"],
  boolean: ["enum", "const"],
  null: [],
};

function pick(inner: JsonSchema, type: string): JsonSchema {
  const own = KEYWORDS_OF[type] ?? [];
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(inner)) {
    if (!own.includes(k)) continue;
    // An enum shared by several types keeps only this type's values.
    out[k] = k === "enum" && Array.isArray(v) ? v.filter((x) => typeOfValue(x) === type || (type === "number" && typeOfValue(x) === "integer")) : v;
  }
  return out;
}

function typeOfValue(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "array";
  if (typeof x === "number") return Number.isInteger(x) ? "integer" : "number";
  return typeof x;
}

function isSchema(v: unknown): v is JsonSchema {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

