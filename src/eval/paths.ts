/**
 * Path expressions used by scenario files to point into results, e.g.
 *   `structured.recording_id`, `images[0]._meta["neuro/frameIndices"]`, `json.rows[0:12][*].predicted_frame`,
 *   `steps.train.structured.job_id`, `content[-1].type`, `tools[*].name`, `json.rows.length`.
 *
 * Segments: `name` (dot-separated; any characters but `.`, `[`, `]`), `["any key"]` (quoted, for keys
 * containing dots), `[n]` (array index, negative counts from the end), `[a:b]` (array slice, either
 * bound optional) and `[*]` (map the rest of the path over every element). `length` on an array or
 * string without an own `length` key gives its length.
 */

/** One parsed path segment. */
type PathSegment =
  | { kind: "key"; key: string }
  | { kind: "index"; index: number }
  | { kind: "slice"; start?: number; end?: number }
  | { kind: "each" };

/** Thrown for a path that cannot be parsed (a scenario-file mistake, reported as such). */
export class PathSyntaxError extends Error {}

const BRACKET = /^\[(?:(-?\d+)|(-?\d*):(-?\d*)|\*|"((?:[^"\\]|\\.)*)")\]/;

/** Parses a path expression into segments. */
export function parsePath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  let rest = path.trim();
  if (rest === "") return out;
  while (rest.length > 0) {
    if (rest.startsWith("[")) {
      const m = BRACKET.exec(rest);
      if (!m) throw new PathSyntaxError(`bad bracket segment at "${rest}" in path "${path}" (use [n], [a:b], [*] or ["key"])`);
      out.push(bracketSegment(m));
      rest = rest.slice(m[0].length);
    } else {
      const m = /^[^.[\]]+/.exec(rest);
      if (!m) throw new PathSyntaxError(`empty key at "${rest}" in path "${path}"`);
      out.push({ kind: "key", key: m[0] });
      rest = rest.slice(m[0].length);
    }
    if (rest.startsWith(".")) {
      rest = rest.slice(1);
      if (rest === "") throw new PathSyntaxError(`path "${path}" ends with a dot`);
    } else if (rest.length > 0 && !rest.startsWith("[")) {
      throw new PathSyntaxError(`unexpected "${rest[0]}" in path "${path}"`);
    }
  }
  return out;
}

function bracketSegment(m: RegExpExecArray): PathSegment {
  if (m[1] !== undefined) return { kind: "index", index: Number(m[1]) };
  if (m[2] !== undefined || m[3] !== undefined) {
    return { kind: "slice", ...(m[2] ? { start: Number(m[2]) } : {}), ...(m[3] ? { end: Number(m[3]) } : {}) };
  }
  if (m[4] !== undefined) return { kind: "key", key: JSON.parse(`"${m[4]}"`) as string };
  return { kind: "each" };
}

/** The result of looking a path up: found with a value, or not found with the reason. */
export type Lookup = { found: true; value: unknown } | { found: false; reason: string };

/** Looks `path` up in `root`. Never throws for missing data (only for a malformed path). */
export function lookup(root: unknown, path: string): Lookup {
  return walk(root, parsePath(path), "");
}

/** The value at `path`, or undefined when any part is missing. */
export function getPath(root: unknown, path: string): unknown {
  const r = lookup(root, path);
  return r.found ? r.value : undefined;
}

function walk(value: unknown, segments: PathSegment[], where: string): Lookup {
  if (segments.length === 0) return { found: true, value };
  const [seg, ...rest] = segments as [PathSegment, ...PathSegment[]];
  switch (seg.kind) {
    case "key":
      return walkKey(value, seg.key, rest, where);
    case "index": {
      if (!Array.isArray(value)) return notFound(where, `is ${describeType(value)}, not an array`);
      const i = seg.index < 0 ? value.length + seg.index : seg.index;
      if (i < 0 || i >= value.length) return notFound(where, `has ${value.length} elements; index ${seg.index} is out of range`);
      return walk(value[i], rest, `${where}[${seg.index}]`);
    }
    case "slice":
      if (!Array.isArray(value)) return notFound(where, `is ${describeType(value)}, not an array`);
      return walk(value.slice(seg.start, seg.end), rest, `${where}[${seg.start ?? ""}:${seg.end ?? ""}]`);
    case "each": {
      if (!Array.isArray(value)) return notFound(where, `is ${describeType(value)}, not an array`);
      const out: unknown[] = [];
      for (let i = 0; i < value.length; i++) {
        const r = walk(value[i], rest, `${where}[${i}]`);
        if (!r.found) return r;
        out.push(r.value);
      }
      return { found: true, value: out };
    }
  }
}

function walkKey(value: unknown, key: string, rest: PathSegment[], where: string): Lookup {
  const here = where ? `${where}.${key}` : key;
  if (value !== null && typeof value === "object" && Object.prototype.hasOwnProperty.call(value, key)) {
    return walk((value as Record<string, unknown>)[key], rest, here);
  }
  if (key === "length" && (Array.isArray(value) || typeof value === "string")) return walk(value.length, rest, here);
  if (value === null || typeof value !== "object") return notFound(where, `is ${describeType(value)}, so it has no "${key}"`);
  const keys = Object.keys(value).slice(0, 20);
  return notFound(where, `has no "${key}" (keys: ${keys.join(", ") || "none"}${Object.keys(value).length > keys.length ? ", …" : ""})`);
}

function notFound(where: string, why: string): Lookup {
  return { found: false, reason: `${where || "the value"} ${why}` };
}

/** "an array of 3", "a string", "null", ... for messages. */
export function describeType(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "missing";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === "object") return "an object";
  return `a ${typeof v}`;
}
