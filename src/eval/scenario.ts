/**
 * The scenario file format (JSON; documented in docs/EVALS.md) and its loader. A scenario is a
 * named sequence of MCP requests (tool calls, resource reads, list/prompt/complete requests) with
 * checks on their results. Files are validated strictly so a typo in a key is an error, not a
 * silently ignored check. Every object may carry a `"$comment"` string.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { FAULTS } from "../util/faults.js";
import { FIXTURE_GENERATORS } from "./fixtures.js";

/** Check keys that assert something (a check needs at least one). */
const OPERATORS = ["exists", "equals", "not_equals", "in", "matches", "not_matches", "contains", "min", "max", "gt", "lt", "exceeds", "near", "length", "same_as", "join", "images", "max_result_bytes"] as const;

/** Step keys naming the request a step makes (a step has exactly one). */
const ACTIONS = ["call", "read", "list", "prompt", "complete"] as const;

const COMMENT = { $comment: z.string().optional() };
/** A number, or a `${...}` template resolving to one. */
const NUMBER_OR_TEMPLATE = z.union([z.number(), z.string()]);

const IMAGE_BUDGET = z.strictObject({
  ...COMMENT,
  min_count: z.number().int().min(0).optional().describe("At least this many image blocks."),
  max_count: z.number().int().min(0).optional().describe("At most this many image blocks."),
  max_long_side: z.number().positive().optional().describe("Longest side of every image, px (client guidance: 1568)."),
  max_megapixels: z.number().positive().optional().describe("Area of every image (client guidance: 1.15 MP)."),
  min_short_side: z.number().positive().optional().describe("Shortest side of every image, px (below ~200 px models see little)."),
  mime_types: z.array(z.string()).optional().describe("Allowed mime types."),
  max_bytes: z.number().positive().optional().describe("Decoded bytes of every image."),
});

const JOIN = z.strictObject({
  ...COMMENT,
  left: z.string().describe("Path to an array of objects (e.g. what an image says it shows)."),
  right: z.string().describe("Path to an array of objects (e.g. the decoding's per-sample table)."),
  on: z.string().describe("Key both sides share (e.g. sample)."),
  fields: z.array(z.string()).min(1).describe("Fields that must be equal for every left item."),
  min_matches: z.number().int().min(1).optional().describe("At least this many left items (default 1)."),
});

const EXCEEDS = z.strictObject({
  ...COMMENT,
  path: z.string().describe("Path of the number this value must exceed (steps.<id>… or relative to this step)."),
  by: z.number().min(0).describe("By at least this much: value − other ≥ by."),
});

const NEAR = z
  .strictObject({
    ...COMMENT,
    path: z.string().optional().describe("Path of the reference number…"),
    value: NUMBER_OR_TEMPLATE.optional().describe("…or the reference itself (a number or a ${…} template)."),
    tol: z.number().min(0).describe("|value − reference| ≤ tol."),
  })
  .refine((n) => (n.path === undefined) !== (n.value === undefined), { message: "near needs exactly one of path, value" });

/** One check. Every operator present must hold; `path` (if given) selects the value they apply to. */
export const CHECK = z
  .strictObject({
    ...COMMENT,
    path: z.string().optional().describe("Where the value is: relative to this step's result, or steps.<id>...."),
    description: z.string().optional(),
    exists: z.boolean().optional(),
    equals: z.unknown().optional(),
    not_equals: z.unknown().optional(),
    in: z.array(z.unknown()).optional(),
    matches: z.string().optional().describe("Regular expression the value (text, or JSON for non-strings) must match."),
    not_matches: z.string().optional(),
    contains: z.unknown().optional().describe("Array element or substring the value must contain."),
    min: NUMBER_OR_TEMPLATE.optional(),
    max: NUMBER_OR_TEMPLATE.optional(),
    gt: NUMBER_OR_TEMPLATE.optional(),
    lt: NUMBER_OR_TEMPLATE.optional(),
    exceeds: EXCEEDS.optional().describe("The value is at least `by` above the number at `path` (margins over controls)."),
    near: NEAR.optional().describe("The value lies within ±tol of the number at `path` (or of `value`)."),
    length: z.union([z.number().int().min(0), z.strictObject({ min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() })]).optional(),
    same_as: z.string().optional().describe("Path whose value must be deep-equal to this one."),
    as_set: z.boolean().optional().describe("With same_as: compare arrays ignoring order and duplicates."),
    join: JOIN.optional(),
    images: IMAGE_BUDGET.optional(),
    max_result_bytes: z.number().positive().optional().describe("Whole result, serialised as JSON, at most this many bytes."),
  })
  .refine((c) => OPERATORS.some((k) => c[k] !== undefined), { message: `a check needs at least one of: ${OPERATORS.join(", ")}` });

export type Check = z.output<typeof CHECK>;

const REPEAT = z.strictObject({
  ...COMMENT,
  until: z.array(CHECK).min(1).describe("Repeat the request until these checks pass."),
  max_seconds: z.number().positive().max(3600).describe("Give up (step fails) after this long."),
  interval_s: z.number().min(0).max(60).default(0.5).describe("Pause between attempts."),
});

const COMPLETE = z.strictObject({
  ...COMMENT,
  prompt: z.string().optional().describe("Complete an argument of this prompt…"),
  template: z.string().optional().describe("…or a variable of this resource template (URI template)."),
  argument: z.string(),
  value: z.string(),
  context: z.record(z.string(), z.string()).optional().describe("Other arguments already given."),
});

const STEP = z
  .strictObject({
    ...COMMENT,
    id: z.string().regex(/^[A-Za-z0-9_-]+$/, "step ids are letters, digits, _ and -").optional(),
    title: z.string().optional(),
    call: z.string().optional().describe("Tool to call."),
    args: z.record(z.string(), z.unknown()).optional().describe("Tool or prompt arguments (templated)."),
    read: z.string().optional().describe("Resource URI to read (templated)."),
    list: z.enum(["tools", "resources", "resource_templates", "prompts"]).optional(),
    prompt: z.string().optional().describe("Prompt to get (prompts/get)."),
    complete: COMPLETE.optional(),
    expect: z.array(CHECK).default([]),
    expect_error: z.union([z.boolean(), z.string()]).optional().describe("true, or a regex the error text must match: the request must fail."),
    repeat: REPEAT.optional(),
    progress: z.boolean().optional().describe("Ask for progress notifications (they appear as `progress` in the result)."),
    timeout_s: z.number().positive().max(3600).optional().describe("Request timeout (default 120 s)."),
  })
  .refine((s) => ACTIONS.filter((k) => s[k] !== undefined).length === 1, { message: `a step needs exactly one of: ${ACTIONS.join(", ")}` })
  .refine((s) => s.args === undefined || s.call !== undefined || s.prompt !== undefined, { message: "args only go with call or prompt" });

export type Step = z.output<typeof STEP>;
type StepAction = (typeof ACTIONS)[number];

/** The action a step performs. */
export function stepAction(step: Step): StepAction {
  return ACTIONS.find((k) => step[k] !== undefined)!;
}

export const TRANSPORTS = ["stdio", "http"] as const;
export type TransportName = (typeof TRANSPORTS)[number];

const FIXTURE = z.strictObject({
  ...COMMENT,
  name: z.string().regex(/^[A-Za-z0-9_-]+$/).describe("Referenced as ${fixtures.<name>} (absolute path)."),
  generator: z.enum(Object.keys(FIXTURE_GENERATORS) as [string, ...string[]]),
  file: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/).optional().describe("File name (default <name>.<generator's extension>)."),
  location: z.enum(["cwd", "outside"]).default("cwd").describe("cwd: the server's working directory (an allowed root); outside: a directory the server may not read."),
  params: z.record(z.string(), z.unknown()).default({}),
});

export type FixtureSpec = z.output<typeof FIXTURE>;

/**
 * A deliberately broken run of the scenario (docs/EVALS.md, "Broken variants"): the same steps with some
 * arguments overridden and/or a server fault; `cebra-mcp eval --broken` requires every variant to FAIL,
 * at a value check of one of the `caught_by` steps.
 */
const BROKEN = z.strictObject({
  ...COMMENT,
  name: z.string().regex(/^[A-Za-z0-9_-]+$/),
  description: z.string().optional(),
  args: z.record(z.string(), z.record(z.string(), z.unknown())).default({}).describe("Step id → arguments merged over that step's args (templated like them)."),
  fault: z.enum(FAULTS).optional().describe("Start the server with --fault <this> (CEBRA_MCP_ENABLE_FAULTS=1)."),
  caught_by: z.array(z.string()).min(1).describe("Step ids whose checks must catch the breakage."),
});

export type BrokenVariant = z.output<typeof BROKEN>;

export const SCENARIO = z.strictObject({
  ...COMMENT,
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/),
  description: z.string().optional(),
  transports: z.array(z.enum(TRANSPORTS)).min(1).optional().describe("Run only over these (default: every transport the run uses)."),
  timeout_s: z.number().positive().max(7200).default(600).describe("Whole-scenario limit; remaining steps fail when it is exceeded."),
  fixtures: z.array(FIXTURE).default([]),
  steps: z.array(STEP).min(1),
  broken: z.array(BROKEN).default([]).describe("Broken variants that must fail (run by eval --broken)."),
});

export type Scenario = z.output<typeof SCENARIO> & { /** Source file, for reports. */ file?: string };

/** Validates parsed JSON as a scenario; the message lists every problem with its location. */
export function parseScenario(json: unknown, file = "<inline>"): Scenario {
  const r = SCENARIO.safeParse(json);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `  ${i.path.join(".") || "(top)"}: ${i.message}`).join("\n");
    throw new ScenarioFileError(`${file} is not a valid scenario:\n${problems}`);
  }
  const scenario: Scenario = { ...r.data, file };
  assignStepIds(scenario);
  checkBrokenVariants(scenario);
  return scenario;
}

/** Reads and validates a scenario file. */
export async function loadScenario(file: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new ScenarioFileError(`Cannot read scenario ${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ScenarioFileError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parseScenario(json, path.relative(process.cwd(), file) || file);
}

/** A scenario file that cannot be used (unreadable, not JSON, or not matching the format). */
export class ScenarioFileError extends Error {}

function assignStepIds(s: Scenario): void {
  const seen = new Set<string>();
  s.steps.forEach((step, i) => {
    step.id ??= `step${i + 1}`;
    if (seen.has(step.id)) throw new ScenarioFileError(`${s.file}: step id "${step.id}" is used twice.`);
    seen.add(step.id);
  });
}

/** Broken variants name steps that exist, and each name once. */
function checkBrokenVariants(s: Scenario): void {
  const ids = new Set(s.steps.map((step) => step.id!));
  const names = new Set<string>();
  for (const b of s.broken) {
    if (names.has(b.name)) throw new ScenarioFileError(`${s.file}: broken variant "${b.name}" is defined twice.`);
    names.add(b.name);
    for (const id of [...Object.keys(b.args), ...b.caught_by]) {
      if (!ids.has(id)) throw new ScenarioFileError(`${s.file}: broken variant "${b.name}" names step "${id}", which the scenario does not have (steps: ${[...ids].join(", ")}).`);
    }
    for (const id of Object.keys(b.args)) {
      if (s.steps.find((step) => step.id === id)!.args === undefined) throw new ScenarioFileError(`${s.file}: broken variant "${b.name}" overrides the arguments of step "${id}", which takes none.`);
    }
    if (Object.keys(b.args).length === 0 && b.fault === undefined) throw new ScenarioFileError(`${s.file}: broken variant "${b.name}" changes nothing (give args or fault).`);
  }
}

/** The scenario with a broken variant's argument overrides applied (named `<scenario>~<variant>`). */
export function applyBrokenVariant(s: Scenario, b: BrokenVariant): Scenario {
  const steps = s.steps.map((step) => (b.args[step.id!] ? { ...step, args: { ...step.args, ...b.args[step.id!] } } : step));
  return { ...s, name: `${s.name}~${b.name}`, steps, broken: [] };
}
