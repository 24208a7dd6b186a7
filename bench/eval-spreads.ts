/**
 * The spreads behind the eval scenarios' margins (docs/EVALS.md, "Margins"). For each seed, the
 * settings of evals/movie-decoding.json, evals/hypothesis-comparison.json and evals/position-decoding.json
 * are run through a real MCP client (stdio, a spawned `cebra-mcp serve`) with the recording's seed and
 * the training seed both set to that seed: the trained model (with its shuffled-label twin), the
 * untrained encoder (max_iterations 1, learning_rate 1e-9) and, for hypothesis-comparison, the
 * time-contrastive model. Prints one JSON line per run and a Markdown summary (mean ± sd, min, max).
 *
 *   npm run build && node dist/bench/eval-spreads.js [SEEDS=1,2,3,4,5] [SCENARIOS=movie,hypothesis,position]
 */
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Client } from "@modelcontextprotocol/client";
import { spawnConnector } from "../src/eval/connect.js";
import { FIXTURE_GENERATORS } from "../src/eval/fixtures.js";

const scenarioFile = (name: string) => path.join(process.cwd(), "evals", `${name}.json`);
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function stepArgs(scenario: string, id: string): Promise<Json> {
  const s = JSON.parse(await readFile(scenarioFile(scenario), "utf8")) as Json;
  return structuredClone((s.steps as Json[]).find((x) => x.id === id)!.args);
}

async function call(client: Client, name: string, args: Json): Promise<Json> {
  const r = (await client.callTool({ name, arguments: args }, { timeout: 600_000 })) as Json;
  if (r.isError) throw new Error(`${name}: ${JSON.stringify(r.content).slice(0, 400)}`);
  return r.structuredContent as Json;
}

async function trainAndWait(client: Client, args: Json): Promise<Json> {
  const started = await call(client, "train_embedding", { ...args, wait_seconds: 50 });
  let job = await call(client, "get_job", { job_id: started.job_id, wait_seconds: 50 });
  while (!["succeeded", "failed", "cancelled", "interrupted"].includes(job.status)) job = await call(client, "get_job", { job_id: started.job_id, wait_seconds: 50 });
  if (job.status !== "succeeded") throw new Error(`training ${job.status}`);
  return job.result as Json;
}

async function movie(client: Client, scenario: "movie-decoding" | "hypothesis-comparison", seed: number): Promise<Json[]> {
  const load = await stepArgs(scenario, "load");
  load.builtin.seed = seed;
  const rec = (await call(client, "load_recording", load)).recording_id;
  const train = await stepArgs(scenario, scenario === "movie-decoding" ? "train" : "train_behavior");
  const decode = await stepArgs(scenario, scenario === "movie-decoding" ? "decode" : "decode_behavior");
  const base = { ...train, recording_id: rec, seed };
  const real = await trainAndWait(client, { ...base, shuffled_control: true });
  const d = await call(client, "decode_video_frames", { ...decode, model_id: real.model_id, shuffled_control: true });
  const untrained = await trainAndWait(client, { ...base, shuffled_control: false, max_iterations: 1, learning_rate: 1e-9 });
  const u = await call(client, "decode_video_frames", { ...decode, model_id: untrained.model_id, shuffled_control: false });
  const out: Json[] = [
    { scenario, seed, run: "trained", score: d.accuracy, chance: d.chance.accuracy, gof: real.heldout_goodness_of_fit_bits },
    { scenario, seed, run: "shuffled labels", score: d.controls.shuffled_labels.scores.accuracy, chance: d.chance.accuracy, gof: real.shuffled_heldout_goodness_of_fit_bits },
    { scenario, seed, run: "untrained encoder", score: u.accuracy, chance: u.chance.accuracy, gof: untrained.heldout_goodness_of_fit_bits },
  ];
  if (scenario === "hypothesis-comparison") {
    const t = await trainAndWait(client, { ...(await stepArgs(scenario, "train_time")), recording_id: rec, seed });
    const td = await call(client, "decode_video_frames", { ...(await stepArgs(scenario, "decode_time")), model_id: t.model_id });
    out.push({ scenario, seed, run: "time model", score: td.accuracy, chance: td.chance.accuracy, gof: t.heldout_goodness_of_fit_bits });
  }
  return out;
}

async function position(client: Client, dir: string, seed: number): Promise<Json[]> {
  const s = JSON.parse(await readFile(scenarioFile("position-decoding"), "utf8")) as Json;
  const fixture = s.fixtures[0];
  const file = FIXTURE_GENERATORS[fixture.generator]!({ ...fixture.params, seed });
  const target = path.join(dir, `track_${seed}.npz`);
  await writeFile(target, file.bytes);
  const rec = (await call(client, "load_recording", { source: target })).recording_id;
  const base = { ...(await stepArgs("position-decoding", "train")), recording_id: rec, seed };
  const decode = await stepArgs("position-decoding", "decode_position");
  const real = await trainAndWait(client, { ...base, shuffled_control: true });
  const d = await call(client, "decode_labels", { ...decode, model_id: real.model_id, shuffled_control: true, skip_raw_controls: true });
  const untrained = await trainAndWait(client, { ...base, max_iterations: 1, learning_rate: 1e-9 });
  const u = await call(client, "decode_labels", { ...decode, model_id: untrained.model_id, skip_raw_controls: true });
  const scenario = "position-decoding";
  return [
    { scenario, seed, run: "trained", score: d.scores.r2_mean, chance: d.chance.r2_mean, gof: real.heldout_goodness_of_fit_bits },
    { scenario, seed, run: "shuffled labels", score: d.controls.shuffled_labels.scores.r2_mean, chance: d.chance.r2_mean, gof: real.shuffled_heldout_goodness_of_fit_bits },
    { scenario, seed, run: "untrained encoder", score: u.scores.r2_mean, chance: u.chance.r2_mean, gof: untrained.heldout_goodness_of_fit_bits },
  ];
}

const seeds = (process.argv[2] ?? "1,2,3,4,5").split(",").map(Number);
const which = (process.argv[3] ?? "movie,hypothesis,position").split(",");
const root = await mkdtemp(path.join(os.tmpdir(), "cebra-spreads-"));
const env = { root, dir: path.join(root, "run"), workspace: path.join(root, "run", "workspace"), outside: path.join(root, "outside") };
await mkdir(env.workspace, { recursive: true });
const conn = await spawnConnector("stdio", { era: "legacy" })(env);
const rows: Json[] = [];
try {
  for (const seed of seeds) {
    const got = [
      ...(which.includes("movie") ? await movie(conn.client, "movie-decoding", seed) : []),
      ...(which.includes("hypothesis") ? await movie(conn.client, "hypothesis-comparison", seed) : []),
      ...(which.includes("position") ? await position(conn.client, env.dir, seed) : []),
    ];
    for (const r of got) console.log(JSON.stringify(r));
    rows.push(...got);
  }
} finally {
  await conn.close();
  await rm(root, { recursive: true, force: true });
}

const fmt = (x: number) => x.toFixed(3);
const stats = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
  return `${fmt(m)} ± ${fmt(sd)} | ${fmt(Math.min(...xs))} | ${fmt(Math.max(...xs))}`;
};
console.log(`\nseeds ${seeds.join(", ")}\n\n| scenario | run | score mean ± sd | min | max | score − chance mean ± sd | min | max | trained − this, min over seeds | held-out GoF bits mean ± sd | min | max |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`);
for (const scenario of [...new Set(rows.map((r) => r.scenario))]) {
  const of = (run: string) => rows.filter((r) => r.scenario === scenario && r.run === run);
  for (const run of [...new Set(rows.filter((r) => r.scenario === scenario).map((r) => r.run))]) {
    const rs = of(run);
    const gaps = rs.map((r) => of("trained").find((t) => t.seed === r.seed)!.score - r.score);
    console.log(`| ${scenario} | ${run} | ${stats(rs.map((r) => r.score))} | ${stats(rs.map((r) => r.score - r.chance))} | ${run === "trained" ? "" : fmt(Math.min(...gaps))} | ${stats(rs.map((r) => r.gof))} |`);
  }
  const ch = of("trained").map((r) => r.chance);
  console.log(`| ${scenario} | chance | ${stats(ch)} | | | | | | | |`);
}
