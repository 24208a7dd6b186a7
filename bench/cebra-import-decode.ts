/**
 * A model trained by CEBRA 0.6.1 in Python decodes the built-in movie recording through cebra-mcp, next
 * to the same configuration trained by cebra-mcp itself (docs/MODELS.md, "From CEBRA (Python) to
 * cebra-mcp"). The user's path, end to end:
 *
 *  1. the built-in recording (`builtin:allen-like`, default parameters) and its training split and labels
 *     as train_embedding prepares them (`prepareTraining`, behavior mode: frame features; every repeat but
 *     the last) are written as X.npy / y.npy;
 *  2. the reference CEBRA fits `cebra.CEBRA(...)` on them with the tool's defaults (offset10-model, 32
 *     hidden units, 8 outputs, batch 512, learning rate 3e-4, temperature 1, time_delta, cosine) for
 *     `--steps` iterations (torch and numpy seeded with each of `--ref-seeds`) and saves each with
 *     `cebra_model.save("model-<seed>.pt")`;
 *  3. a cebra-mcp server (stdio, real MCP client) loads the same recording, imports the file with
 *     `train_embedding(resume_from: "model-<seed>.pt", max_iterations: 0)` and decodes the held-out repeat with
 *     `decode_video_frames`; then trains the same configuration itself (`max_iterations: --steps`, seeds
 *     `--seeds`, each positive-tie rule of `--ties`: `first` is CEBRA's rule, `random` the tool's default)
 *     and decodes it the same way.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/cebra-import-decode.js --reference /work/.cebra-reference [--steps 2000] [--seeds 0,1] [--ref-seeds 0,1] [--ties random,first]
 *
 * Prints one Markdown row per model (accuracy within 1 s, raw-activity and shuffled/untrained controls,
 * chance) and the seconds each side trained. Exits non-zero when a call fails.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { Client, type CallToolResult } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { writeNpy } from "../src/data/formats/npy.js";
import { DEFAULT_INTAKE_LIMITS, loadRecording } from "../src/data/load.js";
import { prepareTraining } from "../src/engine/train/prepare.js";
import { AllowedRoots } from "../src/store/roots.js";
import { findReferenceEnv } from "./reference.js";

const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const STEPS = Number(arg("--steps") ?? 2000);
const SEEDS = (arg("--seeds") ?? "0").split(",").map(Number);
const REF_SEEDS = (arg("--ref-seeds") ?? "0").split(",").map(Number);
/** cebra-mcp's positive-tie rules to train with: `first` is CEBRA's (torch.argmin), `random` the tool's default (docs/FAITHFULNESS.md). */
const TIES = (arg("--ties") ?? "random,first").split(",");
const MAIN_JS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/cli/main.js");

const env = findReferenceEnv(arg("--reference"));
if (typeof env === "string") {
  console.error(`cebra-import-decode: ${env}`);
  process.exit(2);
}
const root = fs.mkdtempSync(path.join(os.tmpdir(), "cebra-import-decode-"));
const t0 = performance.now();

// 1. The recording and its training data, as train_embedding prepares them.
const rec = await loadRecording("builtin:allen-like", {}, AllowedRoots.create([root], root).loadContext(path.join(root, "cache"), DEFAULT_INTAKE_LIMITS));
const prep = prepareTraining(rec, { mode: "behavior" });
const s = prep.session;
if (!s.continuous) throw new Error("the built-in recording's frame features are missing");
fs.writeFileSync(path.join(root, "X.npy"), writeNpy({ dtype: "<f4", shape: [s.n_samples, s.n_neurons], data: s.neural }));
fs.writeFileSync(path.join(root, "y.npy"), writeNpy({ dtype: "<f4", shape: [s.n_samples, s.continuous.dim], data: s.continuous.data }));

// 2. CEBRA 0.6.1 fits and saves, once per reference seed (torch and numpy seeded).
const driver = [
  "import json, sys, time, numpy as np, torch, cebra",
  "torch.set_num_threads(1)",
  "d, steps, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])",
  "X, y = np.load(d + '/X.npy'), np.load(d + '/y.npy')",
  "torch.manual_seed(seed); np.random.seed(seed)",
  "m = cebra.CEBRA(model_architecture='offset10-model', num_hidden_units=32, output_dimension=8, batch_size=512,",
  "                learning_rate=3e-4, temperature=1.0, conditional='time_delta', time_offsets=1, distance='cosine',",
  "                max_iterations=steps, device='cpu', verbose=False)",
  "t = time.time(); m.fit(X, y); fit_s = time.time() - t",
  "m.save(d + f'/model-{seed}.pt')",
  "print(json.dumps({'cebra': cebra.__version__, 'torch': torch.__version__, 'fit_s': fit_s}))",
].join("\n");
const refs = REF_SEEDS.map((seed) => {
  const py = spawnSync("bash", ["-c", `. '${env.env_dir}/env.sh' && exec "$PY" -c "$DRIVER" '${root}' ${STEPS} ${seed}`], {
    encoding: "utf8", env: { ...process.env, DRIVER: driver }, timeout: 30 * 60_000,
  });
  if (py.status !== 0) throw new Error(`the reference fit failed: exit ${py.status}; ${(py.stderr ?? "").trim().split("\n").slice(-5).join(" | ")}`);
  return { seed, ...(JSON.parse(py.stdout.trim().split("\n").pop()!) as { cebra: string; torch: string; fit_s: number }) };
});

// 3. cebra-mcp imports and decodes it, then trains the same configuration itself.
const transport = new StdioClientTransport({
  command: process.execPath,
  args: [MAIN_JS, "serve", "--workspace", path.join(root, "ws")],
  cwd: root,
  env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
  stderr: "pipe",
});
const client = new Client({ name: "cebra-import-decode", version: "0.0.0" });
await client.connect(transport);
const call = async <T>(name: string, args: Record<string, unknown>): Promise<T> => {
  const r = (await client.callTool({ name, arguments: args }, { timeout: 30 * 60_000 })) as CallToolResult;
  if (r.isError) throw new Error(`${name} failed: ${r.content.map((c) => (c.type === "text" ? c.text : "")).join(" ")}`);
  return r.structuredContent as T;
};
type Train = { model_id: string; steps_done: number; status: string; job_id?: string };
const train = async (args: Record<string, unknown>): Promise<Train & { seconds: number }> => {
  const t = performance.now();
  let r = await call<Train>("train_embedding", { ...args, wait_seconds: 55 });
  while (r.status !== "succeeded") {
    if (r.status === "failed" || r.status === "cancelled" || !r.job_id) throw new Error(`training ended ${r.status}`);
    r = await call<Train>("get_job", { job_id: r.job_id, wait_seconds: 55 });
    const result = (r as unknown as { result?: Train }).result;
    if (result?.model_id) r = { ...result, status: r.status };
  }
  return { ...r, seconds: (performance.now() - t) / 1000 };
};
type Decoding = { accuracy: number; chance: { accuracy: number }; controls: Record<string, { scores?: { accuracy?: unknown } } | undefined> };
const ctl = (d: Decoding, name: string) => (typeof d.controls[name]?.scores?.accuracy === "number" ? (d.controls[name]!.scores!.accuracy as number) : undefined);
const decode = (model_id: string) => call<Decoding>("decode_video_frames", { model_id, shuffled_control: true });

const recordingId = (await call<{ recording_id: string; n_neurons: number }>("load_recording", { source: "builtin:allen-like" })).recording_id;
const rows: string[][] = [];
const pct = (x: number | undefined) => (x === undefined ? "—" : `${(x * 100).toFixed(1)} %`);
const row = (what: string, d: Decoding, steps: number, seconds: string) => [
  what, String(steps), pct(d.accuracy), pct(ctl(d, "raw_per_sample")), pct(ctl(d, "raw_window_averaged")),
  pct(ctl(d, "untrained_encoder")), pct(ctl(d, "shuffled_labels")), pct(d.chance.accuracy), seconds,
];
for (const ref of refs) {
  const imported = await train({ recording_id: recordingId, resume_from: `model-${ref.seed}.pt`, max_iterations: 0, device: "cpu" });
  rows.push(row(`CEBRA ${ref.cebra} (torch ${ref.torch}), seed ${ref.seed}, imported`, await decode(imported.model_id), imported.steps_done, `${ref.fit_s.toFixed(0)} s (CEBRA, 1 thread)`));
}
for (const ties of TIES) {
  for (const seed of SEEDS) {
    const own = await train({ recording_id: recordingId, max_iterations: STEPS, seed, positive_ties: ties, device: "cpu" });
    rows.push(row(`cebra-mcp, positive_ties ${ties}, seed ${seed}`, await decode(own.model_id), own.steps_done, `${own.seconds.toFixed(0)} s (tool call)`));
  }
}
await client.close();
fs.rmSync(root, { recursive: true });

console.log(`builtin:allen-like (defaults), ${s.n_neurons} neurons, ${s.n_samples} training samples; offset10-model, behavior (frame features), ${STEPS} steps`);
console.log(`${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${os.cpus()[0]?.model ?? "cpu"} × ${os.cpus().length}, Node ${process.versions.node}, ${((performance.now() - t0) / 1000).toFixed(0)} s in all\n`);
console.log("| Model | Steps | Within 1 s | Raw per sample | Raw window | Untrained encoder | Shuffled labels | Chance | Training |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
