/**
 * Running one scenario against one server: prepare a temp environment (working directory, workspace,
 * an outside-the-roots directory, fixtures), connect, perform each step (repeating polling steps),
 * evaluate its checks, and collect per-step latency, outcome and reasons. A step that refers to a
 * failed step's result is skipped (its reason names the dependency) so one failure is reported once.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { CallToolResult, Client } from "@modelcontextprotocol/client";
import { roundTo } from "../util/stats.js";
import { errorExpectation, evaluateCheck, type CheckResult } from "./checks.js";
import type { Connector, EvalEnvironment, ServerConnection } from "./connect.js";
import { FIXTURE_GENERATORS } from "./fixtures.js";
import { stepAction, type Check, type FixtureSpec, type Scenario, type Step, type TransportName } from "./scenario.js";
import { referencedSteps, resolveTemplates, TemplateError } from "./template.js";
import { callView, completeView, errorView, listView, promptView, readView, type ProgressEvent, type StepView } from "./view.js";

/** Outcome of one step. */
export interface StepResult {
  id: string;
  title?: string;
  /** call / read / list / prompt / complete. */
  action: string;
  /** Tool name, URI, list kind or prompt name (after templating). */
  target: string;
  status: "passed" | "failed" | "skipped";
  /** Wall time of the step (all attempts and pauses of a repeated step). */
  latency_ms: number;
  attempts: number;
  checks: CheckResult[];
  /** Why it failed or was skipped: the failed checks' reasons, or the setup problem. */
  reason?: string;
  /** The first 300 characters of the result text, for the report. */
  excerpt?: string;
}

/** Outcome of one scenario over one transport. */
export interface ScenarioRun {
  scenario: string;
  file?: string;
  description?: string;
  transport: TransportName;
  passed: boolean;
  started_at: string;
  duration_s: number;
  steps: StepResult[];
  /** A failure outside any step (fixtures, server start, connection). */
  error?: string;
  /** The end of the server's log, kept when the run failed. */
  server_log_tail?: string;
  /** Kept temp directory (with --keep). */
  kept_dir?: string;
}

interface RunOptions {
  transport: TransportName;
  /** Keep the temp directory (workspace, fixtures) for inspection. */
  keep?: boolean;
  /** Called after each step (for live progress output). */
  onStep?: (step: StepResult, run: { scenario: string; transport: TransportName }) => void;
  /** Default request timeout (ms) for steps without `timeout_s`. */
  requestTimeoutMs?: number;
  /** Parent directory for temp environments (default os.tmpdir()). */
  tmpRoot?: string;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
const LOG_TAIL_CHARS = 4000;

/** Runs `scenario` against the server `connect` starts. Never throws for scenario failures. */
export async function runScenario(scenario: Scenario, connect: Connector, opts: RunOptions): Promise<ScenarioRun> {
  const started = Date.now();
  const run: ScenarioRun = {
    scenario: scenario.name,
    ...(scenario.file ? { file: scenario.file } : {}),
    ...(scenario.description ? { description: scenario.description } : {}),
    transport: opts.transport,
    passed: false,
    started_at: new Date(started).toISOString(),
    duration_s: 0,
    steps: [],
  };
  const env = await makeEnvironment(scenario.name, opts.tmpRoot ?? os.tmpdir());
  let conn: ServerConnection | undefined;
  try {
    const fixtures = await writeFixtures(scenario.fixtures, env);
    conn = await connect(env);
    const context = runContext(env, fixtures, opts.transport);
    await runSteps(scenario, conn.client, context, run, opts, started);
    run.passed = run.steps.every((s) => s.status === "passed");
  } catch (e) {
    run.error = (e as Error).message;
  } finally {
    if (conn) {
      await conn.close().catch((e: Error) => (run.error ??= `closing the connection failed: ${e.message}`));
      if (!run.passed) run.server_log_tail = conn.stderr().slice(-LOG_TAIL_CHARS);
    }
    if (opts.keep) run.kept_dir = env.root;
    else await rm(env.root, { recursive: true, force: true });
    run.duration_s = roundTo((Date.now() - started) / 1000, 1);
  }
  return run;
}

/** Variables templates may use besides `steps`: dir, workspace, outside, transport, fixtures.<name>. */
type RunContext = { steps: Record<string, StepView> } & Record<string, unknown>;

function runContext(env: EvalEnvironment, fixtures: Record<string, string>, transport: TransportName): RunContext {
  return { steps: {}, dir: env.dir, workspace: env.workspace, outside: env.outside, transport, fixtures };
}

async function runSteps(scenario: Scenario, client: Client, context: RunContext, run: ScenarioRun, opts: RunOptions, started: number): Promise<void> {
  const broken = new Set<string>();
  const deadline = started + scenario.timeout_s * 1000;
  const offered = await offeredTools(client);
  for (const step of scenario.steps) {
    const result = await runStep(step, { client, context, broken, deadline, offered, opts });
    run.steps.push(result);
    if (result.status !== "passed") broken.add(step.id!);
    opts.onStep?.(result, { scenario: scenario.name, transport: opts.transport });
  }
}

interface StepEnv {
  client: Client;
  context: RunContext;
  /** Ids of steps that failed or were skipped. */
  broken: Set<string>;
  deadline: number;
  /** Tool names from tools/list (for clearer reasons when a tool is missing). */
  offered: Set<string>;
  opts: RunOptions;
}

async function runStep(step: Step, env: StepEnv): Promise<StepResult> {
  const dependsOn = [...referencedSteps(requestPart(step))].filter((id) => env.broken.has(id));
  if (dependsOn.length) return notRun(step, "skipped", `depends on step${dependsOn.length > 1 ? "s" : ""} ${dependsOn.join(", ")}, which did not pass`);
  if (Date.now() >= env.deadline) return notRun(step, "failed", "scenario time limit (timeout_s) reached before this step");
  let request: ResolvedRequest;
  try {
    request = resolveTemplates(requestPart(step), env.context) as ResolvedRequest;
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    return notRun(step, "failed", `cannot build the request: ${e.message}`);
  }
  const target = targetOf(request);
  const t0 = Date.now();
  const { repeatFailure, ...view } = await perform(step, request, env);
  const latency = Date.now() - t0;
  env.context.steps[step.id!] = view;
  const checks = [errorExpectation(view, step.expect_error), ...(view.is_error && !step.expect_error ? [] : evaluateAll(step.expect, view, env.context)), ...repeatFailure];
  const failed = checks.filter((c) => !c.passed);
  const missingTool = request.call !== undefined && !env.offered.has(request.call) && failed.length > 0 ? `the server offers no tool "${request.call}" (it offers: ${[...env.offered].join(", ")}). ` : "";
  return {
    ...stepHead(step),
    target,
    status: failed.length === 0 ? "passed" : "failed",
    latency_ms: latency,
    attempts: view.attempts,
    checks,
    ...(failed.length ? { reason: missingTool + failed.map((c) => `${c.description}: ${c.reason}`).join(" | ") } : {}),
    ...(view.text ? { excerpt: view.text.slice(0, 300) } : {}),
  };
}

function stepHead(step: Step): Pick<StepResult, "id" | "title" | "action"> {
  return { id: step.id!, ...(step.title ? { title: step.title } : {}), action: stepAction(step) };
}

/** The result of a step whose request was never made. */
function notRun(step: Step, status: "failed" | "skipped", reason: string): StepResult {
  return { ...stepHead(step), target: targetOf(requestPart(step)), status, latency_ms: 0, attempts: 0, checks: [], reason };
}

/** The part of a step that is templated before the request is made. */
type ResolvedRequest = Pick<Step, "call" | "args" | "read" | "list" | "prompt" | "complete">;

function requestPart(step: Step): ResolvedRequest {
  const { call, args, read, list, prompt, complete } = step;
  return { call, args, read, list, prompt, complete };
}

function targetOf(r: ResolvedRequest): string {
  if (r.call !== undefined) return r.call;
  if (r.read !== undefined) return r.read;
  if (r.list !== undefined) return `${r.list}/list`;
  if (r.prompt !== undefined) return r.prompt;
  return `${r.complete!.prompt ?? r.complete!.template}:${r.complete!.argument}`;
}

/** A view plus the failure of a repeat loop that ran out of time (empty when none). */
type PerformedView = StepView & { repeatFailure: CheckResult[] };

/** Performs the request once, or repeatedly until the `repeat.until` checks pass. */
async function perform(step: Step, request: ResolvedRequest, env: StepEnv): Promise<PerformedView> {
  if (!step.repeat) return { ...(await requestOnce(step, request, env.client, env.opts)), repeatFailure: [] };
  const { until, max_seconds, interval_s } = step.repeat;
  const ownLimit = Date.now() + max_seconds * 1000;
  const stop = Math.min(ownLimit, env.deadline);
  const t0 = Date.now();
  for (let attempt = 1; ; attempt++) {
    const view = { ...(await requestOnce(step, request, env.client, env.opts)), attempts: attempt };
    const results = evaluateAll(until, view, env.context);
    if (view.is_error || results.every((r) => r.passed)) return { ...view, latency_ms: Date.now() - t0, repeatFailure: [] };
    if (Date.now() >= stop) {
      const why = results.filter((r) => !r.passed).map((r) => `${r.description}: ${r.reason}`).join("; ");
      const limit = `limit ${max_seconds} s${env.deadline < ownLimit ? ", cut short by the scenario's timeout_s" : ""}`;
      const failure = { description: `repeat until ${results.map((r) => r.description).join(" and ")}`, passed: false, reason: `not reached after ${attempt} attempt(s) in ${roundTo((Date.now() - t0) / 1000, 1)} s (${limit}); last: ${why}` };
      return { ...view, latency_ms: Date.now() - t0, repeatFailure: [failure] };
    }
    await sleep(Math.min(interval_s * 1000, stop - Date.now()));
  }
}

function evaluateAll(checks: Check[], view: StepView, context: RunContext): CheckResult[] {
  return checks.map((c) => evaluateCheck(c, { view, context }));
}

/** Makes one MCP request; protocol errors and transport failures become error views. */
async function requestOnce(step: Step, r: ResolvedRequest, client: Client, opts: RunOptions): Promise<StepView> {
  const timeout = step.timeout_s !== undefined ? step.timeout_s * 1000 : (opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  const t0 = performance.now();
  const timing = () => ({ latency_ms: performance.now() - t0 });
  try {
    if (r.call !== undefined) {
      const progress: ProgressEvent[] = [];
      const onprogress = (p: ProgressEvent) => progress.push({ progress: p.progress, ...(p.total !== undefined ? { total: p.total } : {}), ...(p.message !== undefined ? { message: p.message } : {}) });
      const result = (await client.callTool({ name: r.call, arguments: r.args ?? {} }, { timeout, ...(step.progress ? { onprogress, resetTimeoutOnProgress: true } : {}) })) as CallToolResult;
      return await callView(result, timing(), progress);
    }
    if (r.read !== undefined) return readView(await client.readResource({ uri: r.read }, { timeout }), timing());
    if (r.list !== undefined) {
      const items = await listAll(client, r.list, timeout);
      return listView(items, { items }, timing());
    }
    if (r.prompt !== undefined) return promptView(await client.getPrompt({ name: r.prompt, arguments: stringArgs(r.args) }, { timeout }), timing());
    const c = r.complete!;
    const ref = c.prompt !== undefined ? { type: "ref/prompt" as const, name: c.prompt } : { type: "ref/resource" as const, uri: c.template! };
    const result = await client.complete({ ref, argument: { name: c.argument, value: c.value }, ...(c.context ? { context: { arguments: c.context } } : {}) }, { timeout });
    return completeView(result, timing());
  } catch (e) {
    return errorView(e, timing());
  }
}

type Listed = { name?: string; uri?: string; uriTemplate?: string };

/** Every item of a paginated list request. */
async function listAll(client: Client, kind: NonNullable<Step["list"]>, timeout: number): Promise<Listed[]> {
  const out: Listed[] = [];
  let cursor: string | undefined;
  do {
    const params = cursor ? { cursor } : undefined;
    const page =
      kind === "tools" ? await client.listTools(params, { timeout }).then((p) => ({ items: p.tools, next: p.nextCursor }))
      : kind === "resources" ? await client.listResources(params, { timeout }).then((p) => ({ items: p.resources, next: p.nextCursor }))
      : kind === "resource_templates" ? await client.listResourceTemplates(params, { timeout }).then((p) => ({ items: p.resourceTemplates, next: p.nextCursor }))
      : await client.listPrompts(params, { timeout }).then((p) => ({ items: p.prompts, next: p.nextCursor }));
    out.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return out;
}

/** Prompt arguments are strings on the wire. */
function stringArgs(args: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(args ?? {}).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

async function offeredTools(client: Client): Promise<Set<string>> {
  try {
    return new Set((await listAll(client, "tools", DEFAULT_REQUEST_TIMEOUT_MS)).map((t) => t.name ?? ""));
  } catch {
    return new Set();
  }
}

/** Creates `<tmp>/cebra-eval-<name>-XXXX/{run/workspace, outside}`. */
async function makeEnvironment(name: string, tmpRoot: string): Promise<EvalEnvironment> {
  const root = await mkdtemp(path.join(tmpRoot, `cebra-eval-${name.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 40)}-`));
  const dir = path.join(root, "run");
  const env = { root, dir, workspace: path.join(dir, "workspace"), outside: path.join(root, "outside") };
  await mkdir(env.workspace, { recursive: true });
  await mkdir(env.outside, { recursive: true });
  return env;
}

/** Writes the scenario's fixtures; returns name → absolute path. */
async function writeFixtures(specs: FixtureSpec[], env: EvalEnvironment): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const spec of specs) {
    let file;
    try {
      file = FIXTURE_GENERATORS[spec.generator]!(spec.params);
    } catch (e) {
      throw new Error(`fixture "${spec.name}" (${spec.generator}): ${(e as Error).message}`);
    }
    const target = path.join(spec.location === "outside" ? env.outside : env.dir, spec.file ?? `${spec.name}.${file.ext}`);
    await writeFile(target, file.bytes);
    out[spec.name] = target;
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
