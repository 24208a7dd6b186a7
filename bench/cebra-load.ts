/**
 * An exported model loads into CEBRA 0.6.1 and embeds as ours does (issue 14): for every fixed
 * architecture in models/, members of the three parametrised families, the supervised models and one
 * multi-session model, a small model (N = 12, H = 16, D = 6, STEPS training steps of batch 32 on a
 * synthetic ring recording, T = 120) is exported as the workspace stores it (`exportModel`'s files) with our
 * transform of the recording (`transformRecording`: replicate-padded as CEBRA's `pad_before_transform`) as
 * its embedding. bench/cebra_load.py then builds `cebra.models.init(...)`, loads the manifest's state_dict
 * from params.npy with `load_state_dict(strict=True)`, embeds the same recording as CEBRA's transform does
 * and compares. Contrastive models train with a learnable temperature, so params.npy ends with θ, which
 * is not a state_dict entry (the script reports it as the one extra parameter).
 *
 * Tolerance: max |Δz| ≤ 1e-4 · max(1, max |z|). Both sides compute in float32 (ε = 1.2e-7) with different
 * summation orders (ONNX Runtime's Conv/MatMul against PyTorch's), over up to 25 layers; rounding stays
 * orders of magnitude below 1e-4, while any layout error (a tensor in the wrong slot, transposed, or a
 * shared tensor read from the wrong offset) changes outputs by O(0.1). Unnormalised models are scaled
 * by their largest output.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/cebra-load.js --reference /work/.cebra-reference [--steps 3] [--all-families]
 *
 * --all-families adds every other member of the three parametrised families (all 121 names are then checked).
 *
 * Exits non-zero when a model does not load strictly or its embedding differs, or a control passes. About 10 s
 * on 2 cores (docs/MODELS.md, "Loading an exported model into CEBRA").
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeNpy } from "../src/data/formats/npy.js";
import { architectureFamilies, getArchitecture, isSupervised, listArchitectures } from "../src/engine/cebra/lookup.js";
import { ringRecording } from "../src/engine/synthetic.js";
import { exportModel } from "../src/engine/train/export.js";
import { runTrainingLoop } from "../src/engine/train/trainer.js";
import { createSession, f32 } from "../src/engine/runtime/sessions.js";
import { encoderOnnx, transformRecording } from "../src/engine/train/transform.js";
import { DEFAULT_TRAIN_CONFIG, type SessionData, type TrainConfig } from "../src/engine/types.js";
import { findReferenceEnv } from "./reference.js";

const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const STEPS = Number(arg("--steps") ?? 3);
const [T, N, H, D] = [120, 12, 16, 6];
const SCRIPT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "..", "bench", "cebra_load.py");

interface Case {
  architecture: string;
  /** Neurons per session (several: a multi-session model, checked on its last session). */
  neurons?: number[];
  /** Multiply the recording by this, so a clamped model's outputs reach its bounds. */
  scale?: number;
  note?: string;
  /** Z = the exported encoder.onnx run on the recording as is (no padding), instead of our transform. */
  unpadded?: boolean;
  /** A control: the manifest is damaged after export, so the check must fail. */
  damage?: "swap" | "drop";
}

const CASES: Case[] = [
  ...listArchitectures().map((a) => ({ architecture: a.name })),
  { architecture: "offset1-model-mse-clip-5-10", scale: 100, note: "recording ×100: outputs reach the clamp" },
  { architecture: "offset1-model-mse-clip-1-1", scale: 100, note: "recording ×100: outputs reach the clamp" },
  { architecture: "offset1-model-mse-v2-1layers" },
  { architecture: "offset1-model-mse-v2-3layers-tanh", note: "shared Linear under 3 keys" },
  { architecture: "offset1-model-mse-resnet-2layers", note: "N < H: shortcut padded" },
  { architecture: "offset1-model-mse-resnet-3layers-tanh", neurons: [24], note: "N > H: shortcut cut" },
  { architecture: "offset10-model", neurons: [12, 9], note: "multi-session, session 1" },
  { architecture: "offset10-model", unpadded: true, note: "Z: encoder.onnx on the recording unpadded" },
  { architecture: "offset40-model-4x-subsample", unpadded: true, note: "Z: encoder.onnx on the recording unpadded" },
  { architecture: "offset10-model", damage: "swap", note: "control: offsets of net.2's and net.3's conv weights swapped in model.json; must fail" },
  { architecture: "offset10-model", damage: "drop", note: "control: last state_dict entry removed from model.json; must fail" },
];

// --all-families: every other member of the three families too (121 names in all).
if (process.argv.includes("--all-families")) {
  const named = new Set(CASES.map((c) => c.architecture));
  for (const name of architectureFamilies().flatMap((f) => f.names)) if (!named.has(name)) CASES.splice(CASES.length - 2, 0, { architecture: name });
}

function sessionData(n: number, seed: number, scale: number): SessionData {
  const s = ringRecording({ T, N: n, seed }).session;
  return scale === 1 ? s : { ...s, neural: s.neural.map((v) => v * scale) };
}

/** The exported encoder (a fresh ONNX Runtime session) on X [T, n] as is. */
async function runEncoder(onnx: Uint8Array, X: Float32Array, n: number): Promise<Float32Array> {
  const { session } = await createSession(onnx, { device: "cpu", threads: 1 });
  const out = await session.run({ X: f32(X, [T, n]) });
  await session.release();
  return out.Z.data as Float32Array;
}

type Entry = { key: string; offset: number; shape: number[] };

/** A control's damage to the manifest's state_dict (`Case.damage`). */
function damage(entries: Entry[], kind: "swap" | "drop"): Entry[] {
  if (kind === "drop") return entries.slice(0, -1);
  const [a, b] = ["net.2.module.0.weight", "net.3.module.0.weight"].map((k) => entries.findIndex((e) => e.key === k));
  const out = entries.map((e) => ({ ...e }));
  [out[a].offset, out[b].offset] = [entries[b].offset, entries[a].offset];
  return out;
}

/** How many values of z sit exactly at a clip model's bounds (−a or b), or undefined for other models. */
function atBounds(architecture: string, z: Float32Array): number | undefined {
  const m = /-clip-(\d+)-(\d+)$/.exec(architecture);
  return m ? z.filter((v) => v === -Number(m[1]) || v === Number(m[2])).length : undefined;
}

/** Trains, exports and embeds one case into `dir`; returns the session the check reads and, for clip models, values at the bounds. */
async function prepare(c: Case, dir: string): Promise<{ session: number; clamped?: number }> {
  const arch = getArchitecture(c.architecture);
  const supervised = isSupervised(c.architecture);
  const data = (c.neurons ?? [N]).map((n, i) => sessionData(n, 1 + i, c.scale ?? 1));
  const cfg: TrainConfig = {
    ...DEFAULT_TRAIN_CONFIG, model_architecture: c.architecture, num_hidden_units: H, output_dimension: D, batch_size: 32,
    max_iterations: STEPS, device: "cpu", threads: 1, seed: 1,
    temperature_mode: supervised ? "constant" : "auto", distance: arch.normalize ? "cosine" : "euclidean",
  };
  const model = await runTrainingLoop(data, cfg);
  const s = data.length - 1;
  const z = c.unpadded
    ? await runEncoder(encoderOnnx(model, s), data[s].neural, data[s].n_neurons)
    : await transformRecording(model, data[s].neural, T, data[s].n_neurons, { session_id: s, device: "cpu", threads: 1 });
  const rows = z.length / D;
  const { files, manifest } = exportModel(model, {
    data: data.map((_, i) => ({ recording_id: `synthetic-ring-${i}`, sha256: "0".repeat(64) })),
    embeddings: [{ name: "check", data: z, rows, dim: D }],
  });
  fs.mkdirSync(dir, { recursive: true });
  for (const f of files) fs.writeFileSync(path.join(dir, f.name), f.data);
  if (c.damage) {
    manifest.sessions[s].state_dict = damage(manifest.sessions[s].state_dict, c.damage);
    fs.writeFileSync(path.join(dir, "model.json"), JSON.stringify(manifest, null, 2));
  }
  fs.writeFileSync(path.join(dir, "check_x.npy"), writeNpy({ dtype: "<f4", shape: [T, data[s].n_neurons], data: data[s].neural }));
  return { session: s, clamped: atBounds(c.architecture, z) };
}

interface Report {
  architecture?: string;
  class?: string;
  state_dict_keys?: number;
  strict_load: boolean;
  params_in_model?: number;
  extra_params?: number;
  padded?: boolean;
  rows?: number;
  max_abs_dz?: number;
  max_abs_z?: number;
  tol?: number;
  ok: boolean;
  error?: string;
}

/** One Python process for all cases (importing torch and CEBRA takes seconds): cebra_load.report on each. */
function runReference(envDir: string, jobs: Array<{ dir: string; session: number }>): Report[] {
  const driver = [
    "import json, sys, numpy as np, torch",
    `sys.path.insert(0, ${JSON.stringify(path.dirname(SCRIPT))})`,
    "import cebra_load",
    "torch.set_num_threads(1)",
    "for job in json.load(sys.stdin):",
    "    d = job['dir']",
    "    check = (np.load(d + '/check_x.npy'), np.load(d + '/embedding_check.npy'))",
    "    print(json.dumps(cebra_load.report(d, job['session'], check)), flush=True)",
  ].join("\n");
  const r = spawnSync("bash", ["-c", `. '${envDir}/env.sh' && exec "$PY" -c "$DRIVER"`], {
    input: JSON.stringify(jobs), encoding: "utf8", env: { ...process.env, DRIVER: driver }, timeout: 600_000,
  });
  if (r.status !== 0) throw new Error(`reference run failed: exit ${r.status}; ${(r.stderr ?? "").trim().split("\n").slice(-5).join(" | ")}`);
  return r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Report);
}

const env = findReferenceEnv(arg("--reference"));
if (typeof env === "string") {
  console.error(`cebra-load: ${env}`);
  process.exit(2);
}
const root = fs.mkdtempSync(path.join(os.tmpdir(), "cebra-load-"));
const t0 = performance.now();
const jobs: Array<{ dir: string; session: number }> = [];
const clamped: Array<number | undefined> = [];
for (const [i, c] of CASES.entries()) {
  const dir = path.join(root, `${String(i).padStart(2, "0")}-${c.architecture}`);
  const p = await prepare(c, dir);
  jobs.push({ dir, session: p.session });
  clamped.push(p.clamped);
}
const reports = runReference(env.env_dir, jobs);
fs.rmSync(root, { recursive: true });

const fmt = (x: number | undefined) => (x === undefined ? "—" : x.toExponential(1));
console.log(`CEBRA 0.6.1 loads cebra-mcp exports: N = ${N}, H = ${H}, D = ${D}, T = ${T}, ${STEPS} training steps; tolerance 1e-4 · max(1, max |z|)`);
console.log(`${new Date().toISOString().slice(0, 10)}, ${os.cpus()[0]?.model ?? "cpu"} × ${os.cpus().length}, Node ${process.versions.node}, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
console.log("| Architecture | CEBRA class | state_dict keys (strict load) | extra params.npy values | rows compared | max abs z | max abs Δz | pass | note |");
console.log("|---|---|---|---|---|---|---|---|---|");
let failed = 0;
for (const [i, c] of CASES.entries()) {
  const r = reports[i];
  // A control passes when the check catches its damage.
  const pass = c.damage ? !r.ok : r.ok;
  if (!pass) failed++;
  const load = r.strict_load ? `${r.state_dict_keys} (ok)` : "**failed**";
  const padding = getArchitecture(c.architecture).receptive_field === 1 ? "" : r.padded ? " (padded)" : " (unpadded)";
  const rows = r.rows === undefined ? "—" : `${r.rows}${padding}`;
  const bounds = clamped[i] === undefined ? undefined : `${clamped[i]} of ${(r.rows ?? 0) * D} values at the bounds`;
  const error = r.error?.replace(/\s+/g, " ").replace(/\|/g, "/").slice(0, 140);
  const note = [c.note, bounds, error].filter(Boolean).join("; ");
  const cls = r.class?.split("_offset")[0] ?? "—";
  console.log(`| \`${c.architecture}\` | ${cls} | ${load} | ${r.extra_params ?? "—"} | ${rows} | ${r.max_abs_z?.toFixed(3) ?? "—"} | ${fmt(r.max_abs_dz)} | ${pass ? "yes" : "**no**"} | ${note} |`);
}
const controls = CASES.filter((c) => c.damage).length;
console.log(`\n${CASES.length - controls} models and ${controls} damaged controls: ${failed ? `${failed} not as expected` : "every model loads strictly and embeds within tolerance, every control fails the check"}.`);
process.exit(failed ? 1 : 0);
