/**
 * Embedding a recording with a trained model (CEBRA's `transform`).
 *
 * Padding rule (CEBRA `pad_before_transform=True`, replicate mode): the sequence is padded with `left`
 * copies of the first row before and `right − 1` copies of the last row after, so a model with window
 * [i − left, i + right) gives exactly one output row per sample and row t is the embedding of the
 * training window of index t. MLP models (window 1) need no padding and run row-wise.
 *
 * Batching: for long recordings the output rows are computed in chunks of `batch_size`; each chunk is
 * given its window context (`left` rows before, `right − 1` after) from the padded sequence, so only the
 * first and last chunks see padding and the result equals the unbatched one. A trailing partial chunk is
 * merged into the previous one, as CEBRA does. Within a chunk, the rows whose windows lie inside the
 * recording are encoded from a view of the caller's array (ORT reads CPU inputs in place); only the
 * few edge rows whose windows reach into the padding are copied (`paddedRows`).
 *
 * Resample models (`resample_factor` > 1, e.g. offset40-model-4x-subsample) run over the whole padded
 * sequence at once, as CEBRA does (it never batches them); they return about T / resample_factor rows.
 */
import type * as ort from "onnxruntime-node";
import { UserError } from "../../util/errors.js";
import { buildInferenceGraph } from "../cebra/inference.js";
import { configInitParams } from "../cebra/init.js";
import type { Device } from "../runtime/devices.js";
import { SessionCache, type SessionCacheStats, valuesHash } from "../runtime/session-cache.js";
import { createSession, f32 } from "../runtime/sessions.js";
import type { ArchitectureInfo, TrainedModel } from "../types.js";

interface TransformOptions {
  /** Which session's encoder (multi-session models); default 0. */
  session_id?: number;
  /** Output rows per ORT run; default `DEFAULT_TRANSFORM_BATCH`. */
  batch_size?: number;
  /** Default: the model's configured device. */
  device?: Device;
  threads?: number;
}

/** Output rows per run unless the caller chooses: bounds memory for long recordings. */
const DEFAULT_TRANSFORM_BATCH = 8192;

/**
 * Encoder sessions of the last few models transformed in this process: a transform after the first
 * skips building the graph and creating its session. Bounded: at most this many sessions are held.
 */
const ENCODER_SESSIONS = new SessionCache(4);

/** What the encoder session cache holds and did (tests, benchmarks). */
export function encoderSessionStats(): SessionCacheStats {
  return ENCODER_SESSIONS.stats();
}

/** Release every cached encoder session. */
export function clearEncoderSessions(): Promise<void> {
  return ENCODER_SESSIONS.clear();
}

/** The self-contained inference encoder (parameters embedded) for one session of a model. */
export function encoderOnnx(model: TrainedModel, sessionId = 0): Uint8Array {
  const cfg = model.config;
  return buildInferenceGraph({
    architecture: cfg.model_architecture,
    n_neurons: model.n_neurons[sessionId],
    num_hidden_units: cfg.num_hidden_units,
    output_dimension: cfg.output_dimension,
    params: model.params[sessionId],
  }).onnx;
}

/**
 * The same model at its initialisation, before any training step: the parameters the trainer started
 * from (same architecture, sizes and seed), with no optimiser state or log. Transformed like the trained
 * model, it is the untrained-encoder control: what the architecture's window and random features give.
 * Single-session models only (a multi-session model's encoders are seeded per session).
 */
export function untrainedModel(model: TrainedModel): TrainedModel {
  if (model.n_neurons.length !== 1) {
    throw new UserError(`The model has ${model.n_neurons.length} session encoders; the untrained encoder is built for single-session models only.`, "Use a single-session model.");
  }
  const params = configInitParams(model.config, model.n_neurons[0]);
  const zeros = new Float32Array(params.length);
  return {
    ...model,
    params: [params],
    optimizer: [{ step: 0, m: zeros, v: zeros.slice() }],
    log: { total: [], align: [], uniform: [], temperature: [] },
    wall_time_s: 0,
    steps_done: 0,
    cancelled: false,
  };
}

/** Output-row chunks [start, end) covering [0, T): `batch` rows each, a trailing partial chunk merged into the last full one. */
export function chunkBounds(T: number, batch: number): Array<[number, number]> {
  const n = Math.max(1, Math.floor(T / batch));
  return Array.from({ length: n }, (_, k): [number, number] => [k * batch, k === n - 1 ? T : (k + 1) * batch]);
}

/**
 * Rows [start, end) of the replicate-padded sequence (padded row p is original row clamp(p − left, 0, T − 1)),
 * copied into a new `[end − start, N]` array.
 */
export function paddedRows(neural: Float32Array, T: number, N: number, left: number, start: number, end: number): Float32Array {
  const out = new Float32Array((end - start) * N);
  const lo = Math.min(Math.max(start - left, 0), T);
  const hi = Math.min(Math.max(end - left, 0), T);
  const firstRow = neural.subarray(0, N);
  const lastRow = neural.subarray((T - 1) * N, T * N);
  let r = 0;
  for (let p = start; p < Math.min(end, left); p++, r++) out.set(firstRow, r * N);
  if (hi > lo) {
    out.set(neural.subarray(lo * N, hi * N), r * N);
    r += hi - lo;
  }
  for (; r < end - start; r++) out.set(lastRow, r * N);
  return out;
}

function checkInput(model: TrainedModel, neural: Float32Array, T: number, N: number, sessionId: number): void {
  const S = model.params.length;
  if (!Number.isInteger(sessionId) || sessionId < 0 || sessionId >= S) {
    throw new UserError(`session_id ${sessionId} is out of range: the model has ${S} session encoder(s).`, `Pass a session_id from 0 to ${S - 1}.`);
  }
  const want = model.n_neurons[sessionId];
  if (N !== want) {
    throw new UserError(`The recording has ${N} neurons but the model's encoder expects ${want}.`, "Transform a recording with the same units (same selection and order) as the training data.");
  }
  if (neural.length !== T * N) throw new Error(`neural has ${neural.length} values, expected T·N = ${T}·${N}.`);
  if (T < 1) throw new UserError("The recording has no samples.", "Pass a recording with at least one sample.");
}

async function runEncoder(session: ort.InferenceSession, X: Float32Array, rows: number, N: number): Promise<{ Z: Float32Array; rows: number }> {
  const out = await session.run({ X: f32(X, [rows, N]) });
  const z = out.Z;
  if (!z || !(z.data instanceof Float32Array)) throw new Error('Inference graph output "Z" missing or not float32.');
  return { Z: z.data, rows: z.dims[0] };
}

/**
 * Embed `neural` `[T, N]` with the model's encoder: one `[D]` row per sample (T rows; about
 * T / resample_factor rows for resample models), returned as a flat `[rows, D]` Float32Array.
 */
export async function transformRecording(model: TrainedModel, neural: Float32Array, T: number, N: number, opts: TransformOptions = {}): Promise<Float32Array> {
  const sessionId = opts.session_id ?? 0;
  checkInput(model, neural, T, N, sessionId);
  const batch = opts.batch_size ?? DEFAULT_TRANSFORM_BATCH;
  if (!Number.isInteger(batch) || batch < 1) throw new UserError(`batch_size must be a positive integer, got ${batch}.`, "Pass e.g. batch_size = 8192, or leave it unset.");
  const arch = model.architecture;
  const cfg = model.config;
  const device = opts.device ?? cfg.device;
  const params = model.params[sessionId];
  const key = [cfg.model_architecture, N, cfg.num_hidden_units, cfg.output_dimension, device, opts.threads ?? "default", valuesHash(params)].join("|");
  const create = async () => (await createSession(encoderOnnx(model, sessionId), { device, threads: opts.threads })).session;
  return ENCODER_SESSIONS.use(key, params, create, (session) =>
    arch.resample_factor > 1
      ? transformWhole(session, arch, neural, T, N)
      : transformChunked(session, arch, neural, T, N, batch, cfg.output_dimension));
}

async function transformChunked(session: ort.InferenceSession, arch: ArchitectureInfo, neural: Float32Array, T: number, N: number, batch: number, D: number): Promise<Float32Array> {
  const out = new Float32Array(T * D);
  for (const [s, e] of chunkBounds(T, batch)) {
    // Output rows in [left, T − right] have windows inside the recording: they read it in place.
    const a = Math.min(Math.max(arch.left, s), e);
    const b = Math.min(Math.max(T - arch.right + 1, a), e);
    await encodeRows(session, arch, neural, T, N, D, s, a, out, true);
    await encodeRows(session, arch, neural, T, N, D, a, b, out, false);
    await encodeRows(session, arch, neural, T, N, D, b, e, out, true);
  }
  return out;
}

/**
 * Output rows [s, e) into `out`: their windows are padded rows [s, e + L − 1), original rows
 * [s − left, e + right − 1); passed zero-copy (a view of `neural`) unless they reach into the padding.
 */
async function encodeRows(session: ort.InferenceSession, arch: ArchitectureInfo, neural: Float32Array, T: number, N: number, D: number, s: number, e: number, out: Float32Array, padded: boolean): Promise<void> {
  if (e <= s) return;
  const rows = e - s + arch.left + arch.right - 1;
  const X = padded ? paddedRows(neural, T, N, arch.left, s, s + rows) : neural.subarray((s - arch.left) * N, (s - arch.left + rows) * N);
  const { Z, rows: got } = await runEncoder(session, X, rows, N);
  if (got !== e - s) throw new Error(`Encoder returned ${got} rows for a chunk of ${e - s} samples.`);
  out.set(Z, s * D);
}

async function transformWhole(session: ort.InferenceSession, arch: ArchitectureInfo, neural: Float32Array, T: number, N: number): Promise<Float32Array> {
  const rows = T + arch.left + arch.right - 1;
  return (await runEncoder(session, paddedRows(neural, T, N, arch.left, 0, rows), rows, N)).Z;
}
