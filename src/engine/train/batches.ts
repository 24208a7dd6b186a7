/**
 * What a training step feeds its graph, for single- and multi-session training alike (a `TrainingProblem`):
 * the step graph, the batch inputs drawn fresh every step (sampler → windows → tensors), the initial
 * parameters, and how the graph's one flat parameter vector maps to the per-session encoders a
 * TrainedModel stores.
 *
 * Single session: input "X" `[ref+pos+neg, L, N]` (rows stacked ref, pos, neg), or, where that is
 * cheaper (`chooseStepInput`), the whole recording "data" `[T, N]` (zero-copy, the same buffer every
 * step) plus the windows' recording rows "rows" (int64 `[ref+pos+neg, L]`), or (form "touched") the
 * distinct rows the windows touch, "touched" (int64 `[U]`), and each window step's position in them as
 * "rows", so the first layer runs on those rows only; or (form "positions", the offset conv models) the
 * index inputs that run every layer once per distinct time position (`PositionsAssembler`). Multi-session (one
 * encoder per session, CEBRA §3.4): inputs "X0"…"X{S−1}" `[3B, L, N_s]` and "pos_index" (int64, which
 * stacked positive pairs with each stacked reference); the flat vector holds the encoders in session
 * order, then θ when the temperature is learnable.
 *
 * Architectures with Dropout1d also take one channel mask per dropout site and step ("dropout_i", or
 * "dropout{s}_i" per session), drawn here from their own stream seeded by the run's seed: part of
 * `nextBatch`, so a resumed run (which replays `nextBatch`) draws the same masks.
 */
import * as ort from "onnxruntime-node";
import { Rng } from "../../util/rng.js";
import type { DropoutSite } from "../cebra/architectures.js";
import { chooseStepInput } from "../cebra/cost.js";
import { configInitParams } from "../cebra/init.js";
import { buildMultiSessionStepGraph, initMultiSessionParams } from "../cebra/multisession-step.js";
import { type StepGraph, type StepGraphOptions, type StepInput, buildStepGraph } from "../cebra/step.js";
import type { StepGraphOptionsBase } from "../cebra/step-common.js";
import { createMultiSessionSampler, createSampler, type BatchIndices } from "../cebra/sampling/index.js";
import { fillWindowRows, fillWindows, windowStart } from "../cebra/windows.js";
import { positionKernels } from "../cebra/positions.js";
import { checkModel } from "../cebra/lookup.js";
import { f32 } from "../runtime/sessions.js";
import type { ArchitectureInfo, SessionData, TrainConfig } from "../types.js";

/** Loss, batch and Adam options of a TrainConfig, as the graph builders take them. */
function graphBase(cfg: TrainConfig, mode: "step" | "loss"): StepGraphOptionsBase {
  return {
    distance: cfg.distance,
    temperature: cfg.temperature,
    temperature_mode: cfg.temperature_mode,
    min_temperature: cfg.min_temperature,
    batch_size: cfg.batch_size,
    beta1: cfg.beta1,
    beta2: cfg.beta2,
    eps: cfg.eps,
    mode,
  };
}

/** The single-session graph options a TrainConfig implies for a session with `nNeurons` inputs. */
export function stepGraphOptions(cfg: TrainConfig, nNeurons: number, mode: "step" | "loss"): StepGraphOptions {
  return {
    ...graphBase(cfg, mode),
    architecture: cfg.model_architecture,
    n_neurons: nNeurons,
    num_hidden_units: cfg.num_hidden_units,
    output_dimension: cfg.output_dimension,
    hybrid: cfg.hybrid,
  };
}

/** Fills a step graph's window inputs from a batch of sample indices (rows stacked ref, pos, neg). */
interface WindowFeeder {
  /** Fill the inputs with the windows of `batch`; throws if the sampler's batch does not match the graph's rows. */
  fill(batch: BatchIndices): void;
  /** The filled inputs as ORT tensors, by graph input name (zero-copy). */
  feeds(): Record<string, ort.Tensor>;
}

/** Calls `put(indices, firstRow)` for ref, pos and neg in stacking order, after checking their counts. */
function forEachPart(batch: BatchIndices, rows: StepGraph["rows"], put: (idx: Int32Array, rowOffset: number) => void): void {
  checkRows("reference", batch.ref.length, rows.ref);
  checkRows("positive", batch.pos.length, rows.pos);
  checkRows("negative", batch.neg.length, rows.neg);
  put(batch.ref, 0);
  put(batch.pos, rows.ref);
  put(batch.neg, rows.ref + rows.pos);
}

/**
 * Copies the windows of a batch of sample indices into one reusable input array
 * `[ref + pos + neg, L, N]` (rows stacked in that order, as the step graphs expect): input "X".
 */
export class BatchAssembler implements WindowFeeder {
  readonly X: Float32Array;
  readonly dims: readonly [number, number, number];

  constructor(
    private readonly data: SessionData,
    private readonly arch: ArchitectureInfo,
    private readonly rows: StepGraph["rows"],
  ) {
    const L = arch.left + arch.right;
    this.dims = [rows.ref + rows.pos + rows.neg, L, data.n_neurons];
    this.X = new Float32Array(this.dims[0] * L * data.n_neurons);
  }

  fill(batch: BatchIndices): void {
    const d = this.data;
    forEachPart(batch, this.rows, (idx, rowOffset) => fillWindows(d.neural, d.n_samples, d.n_neurons, idx, this.arch.left, this.arch.right, this.X, rowOffset));
  }

  /** X as an ORT tensor (zero-copy). */
  tensor(): ort.Tensor {
    return f32(this.X, this.dims);
  }

  feeds(): Record<string, ort.Tensor> {
    return { X: this.tensor() };
  }
}

/**
 * Writes only the recording rows of a batch's windows (int64 `[ref + pos + neg, L]`): inputs "rows" and
 * "data", the whole recording `[T, N]`, which ORT reads in place, so no window is copied.
 */
class WindowRowsAssembler implements WindowFeeder {
  readonly rowIndex: BigInt64Array;
  private readonly data: ort.Tensor;
  protected readonly dims: readonly [number, number];

  constructor(
    protected readonly session: SessionData,
    private readonly arch: ArchitectureInfo,
    private readonly rows: StepGraph["rows"],
  ) {
    const L = arch.left + arch.right;
    this.dims = [rows.ref + rows.pos + rows.neg, L];
    this.rowIndex = new BigInt64Array(this.dims[0] * L);
    this.data = f32(session.neural, [session.n_samples, session.n_neurons]);
  }

  fill(batch: BatchIndices): void {
    forEachPart(batch, this.rows, (idx, rowOffset) => fillWindowRows(this.session.n_samples, idx, this.arch.left, this.arch.right, this.rowIndex, rowOffset));
  }

  feeds(): Record<string, ort.Tensor> {
    return { data: this.data, rows: new ort.Tensor("int64", this.rowIndex, this.dims) };
  }
}

/**
 * As WindowRowsAssembler, plus input "touched": the distinct recording rows the batch's windows touch,
 * ascending (int64 [U]), with "rows" holding each window step's position in "touched" instead of its
 * recording row. A window's L rows are consecutive recording rows, all touched, so its positions are
 * consecutive too. O(T + rows·L) per step: a mark per recording row, then one pass numbering the marked rows.
 */
class TouchedRowsAssembler extends WindowRowsAssembler {
  private readonly words: Int32Array;
  private readonly position: Int32Array;
  private readonly touched: BigInt64Array;
  private readonly touchedWords: Int32Array;
  private count = 0;

  constructor(session: SessionData, arch: ArchitectureInfo, rows: StepGraph["rows"]) {
    super(session, arch, rows);
    this.words = new Int32Array(this.rowIndex.buffer);
    this.position = new Int32Array(session.n_samples);
    this.touched = new BigInt64Array(session.n_samples);
    this.touchedWords = new Int32Array(this.touched.buffer);
  }

  override fill(batch: BatchIndices): void {
    super.fill(batch);
    const T = this.session.n_samples;
    const pos = this.position.fill(0);
    const w = this.words;
    const L = this.dims[1];
    // Mark every row a window starts on; a window covers its start and the L − 1 rows after it.
    for (let i = 0; i < w.length; i += 2 * L) pos[w[i]] = 1;
    let n = 0;
    let reach = -1; // last row covered by a window started so far
    for (let r = 0; r < T; r++) {
      if (pos[r]) reach = r + L - 1;
      if (r <= reach) {
        pos[r] = n;
        this.touchedWords[2 * n] = r;
        this.touchedWords[2 * n + 1] = 0;
        n++;
      }
    }
    for (let i = 0; i < w.length; i += 2) w[i] = pos[w[i]];
    this.count = n;
  }

  override feeds(): Record<string, ort.Tensor> {
    return { ...super.feeds(), touched: new ort.Tensor("int64", this.touched.slice(0, this.count), [this.count]) };
  }
}

/**
 * Inputs of form "positions" (cebra/positions.ts): "data" (the recording, in place), "touched" (int64
 * [U]), per positional stage s "taps_s" (int64 [P_s, k_s]) and "out_index" (int64 [M]). The window
 * starts, sorted and deduplicated, are the last stage's positions. Each stage's input positions are the
 * union of p … p + k − 1 over its ascending output positions p, merged in order; p's k inputs are
 * consecutive integers, all present, so they sit at consecutive indices base_p … base_p + k − 1. Per
 * step O(M log M + Σ P_s·k_s), into buffers allocated once.
 */
class PositionsAssembler implements WindowFeeder {
  private readonly data: ort.Tensor;
  private readonly starts: Int32Array;
  private readonly sorted: Int32Array;
  /** Per recording row: the index of a window start in the last stage's positions (read only at window starts). */
  private readonly id: Int32Array;
  private readonly positions: [Int32Array, Int32Array];
  private readonly taps: BigInt64Array[];
  private readonly outIndex: BigInt64Array;
  private readonly counts: number[];
  private readonly touched: BigInt64Array;
  private touchedCount = 0;

  constructor(
    private readonly session: SessionData,
    private readonly arch: ArchitectureInfo,
    private readonly rows: StepGraph["rows"],
    private readonly kernels: readonly number[],
  ) {
    const T = session.n_samples;
    const M = rows.ref + rows.pos + rows.neg;
    // No stage has more positions than the batch's window rows (M·L) or the recording's rows (T):
    // buffers of that size, so a long recording costs O(T) only in the per-row `id` map.
    const most = Math.min(T, M * (arch.left + arch.right));
    this.data = f32(session.neural, [T, session.n_neurons]);
    this.starts = new Int32Array(M);
    this.sorted = new Int32Array(M);
    this.id = new Int32Array(T);
    this.positions = [new Int32Array(most), new Int32Array(most)];
    this.taps = kernels.map((k) => new BigInt64Array(most * k));
    this.outIndex = new BigInt64Array(M);
    this.counts = kernels.map(() => 0);
    this.touched = new BigInt64Array(most);
  }

  fill(batch: BatchIndices): void {
    const { left, right } = this.arch;
    const T = this.session.n_samples;
    const starts = this.starts;
    forEachPart(batch, this.rows, (idx, off) => {
      for (let i = 0; i < idx.length; i++) starts[off + i] = windowStart(idx[i], T, left, right);
    });
    // The last stage's positions: the distinct window starts, ascending; out_index maps each window to its start's index.
    const sorted = this.sorted;
    sorted.set(starts);
    sorted.sort();
    let cur = this.positions[0];
    let n = 0;
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) cur[n++] = sorted[i];
    for (let i = 0; i < n; i++) this.id[cur[i]] = i;
    const out = new Int32Array(this.outIndex.buffer);
    for (let m = 0; m < starts.length; m++) {
      out[2 * m] = this.id[starts[m]];
      out[2 * m + 1] = 0;
    }
    for (let s = this.kernels.length - 1; s >= 0; s--) {
      const k = this.kernels[s];
      const words = new Int32Array(this.taps[s].buffer);
      const prev = this.positions[(this.kernels.length - s) % 2];
      let count = 0;
      for (let i = 0, w = 0; i < n; i++) {
        const p = cur[i];
        const last = count > 0 ? prev[count - 1] : -1; // the largest input position so far: all of p … last are present
        const base = last >= p ? count - 1 - (last - p) : count;
        for (let v = Math.max(p, last + 1); v < p + k; v++) prev[count++] = v;
        for (let j = 0; j < k; j++, w += 2) {
          words[w] = base + j;
          words[w + 1] = 0;
        }
      }
      this.counts[s] = n;
      if (s === 0) {
        const tw = new Int32Array(this.touched.buffer);
        for (let i = 0; i < count; i++) {
          tw[2 * i] = prev[i];
          tw[2 * i + 1] = 0;
        }
        this.touchedCount = count;
      }
      cur = prev;
      n = count;
    }
  }

  feeds(): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = { data: this.data, out_index: new ort.Tensor("int64", this.outIndex, [this.outIndex.length]) };
    feeds.touched = new ort.Tensor("int64", this.touched.subarray(0, this.touchedCount), [this.touchedCount]);
    this.kernels.forEach((k, s) => (feeds[`taps_${s + 1}`] = new ort.Tensor("int64", this.taps[s].subarray(0, this.counts[s] * k), [this.counts[s], k])));
    return feeds;
  }
}

/** Seed of the dropout-mask stream: derived from the run's seed, distinct from the sampler's stream. */
export function dropoutSeed(seed: number): number {
  return (seed ^ 0x5d0d0e71) >>> 0;
}

/**
 * Draws Dropout1d channel masks each step: per site, per window row and channel, 0 with probability p,
 * else 1/(1 − p) (PyTorch's training-mode scaling); inputs `${prefix}${site.index}` [rows, 1, channels].
 */
export class DropoutMasks {
  private readonly masks: { name: string; p: number; data: Float32Array; dims: number[] }[];

  constructor(
    sites: readonly DropoutSite[],
    rows: number,
    prefix: string,
    private readonly rng: Rng,
  ) {
    this.masks = sites.map((s) => ({ name: `${prefix}${s.index}`, p: s.p, data: new Float32Array(rows * s.channels), dims: [rows, 1, s.channels] }));
  }

  /** Draws fresh masks into `feeds` (new tensors over reused buffers). */
  draw(feeds: Record<string, ort.Tensor>): Record<string, ort.Tensor> {
    for (const m of this.masks) {
      const keep = 1 / (1 - m.p);
      const zeroBelow = Math.round(m.p * 2 ** 32); // one 32-bit draw per entry: P(zero) = p to within 2^-32
      for (let i = 0; i < m.data.length; i++) m.data[i] = this.rng.nextU32() < zeroBelow ? 0 : keep;
      feeds[m.name] = f32(m.data, m.dims);
    }
    return feeds;
  }
}

function checkRows(what: string, got: number, want: number): void {
  if (got !== want) throw new Error(`Sampler returned ${got} ${what} indices; the step graph expects ${want}.`);
}

/** A step graph together with everything that changes between single- and multi-session training. */
export interface TrainingProblem {
  onnx: Uint8Array;
  /** Length of the flat params / m / v vectors. */
  param_count: number;
  /** The initial flat parameter vector (PyTorch default init, seeded by cfg.seed). */
  initParams(): Float32Array;
  /** Draw the next batch and return the graph's batch inputs. */
  nextBatch(): Record<string, ort.Tensor>;
  /** Per-session vectors of a flat vector (encoder s, plus θ last when learnable): what TrainedModel stores. */
  split(flat: Float32Array): Float32Array[];
  /** Inverse of `split`. */
  join(parts: Float32Array[]): Float32Array;
}

/**
 * Single-session training (or, with mode "loss", held-out evaluation) of `data`. The graph's window
 * input form is `chooseStepInput`'s choice for this recording unless `input` forces one (tests compare both).
 */
export function singleSessionProblem(
  data: SessionData,
  cfg: TrainConfig,
  arch: ArchitectureInfo,
  mode: "step" | "loss" = "step",
  seed = cfg.seed,
  input: StepInput = chooseStepInput(stepGraphOptions(cfg, data.n_neurons, mode), data.n_samples),
): TrainingProblem {
  const graph = buildStepGraph({ ...stepGraphOptions(cfg, data.n_neurons, mode), input, recording_samples: data.n_samples });
  const sampler = createSampler(data, { ...cfg, seed });
  const feeder = windowFeeder(graph, data, cfg, arch);
  const masks = new DropoutMasks(graph.dropout, graph.rows.ref + graph.rows.pos + graph.rows.neg, "dropout_", new Rng(dropoutSeed(seed)));
  return {
    onnx: graph.onnx,
    param_count: graph.param_count,
    initParams: () => configInitParams(cfg, data.n_neurons),
    nextBatch: () => {
      feeder.fill(sampler.sample());
      return masks.draw(feeder.feeds());
    },
    split: (flat) => [flat],
    join: (parts) => parts[0],
  };
}

/** The batch assembler for the graph's window input form. */
function windowFeeder(graph: StepGraph, data: SessionData, cfg: TrainConfig, arch: ArchitectureInfo): WindowFeeder {
  switch (graph.input) {
    case "recording":
      return new WindowRowsAssembler(data, arch, graph.rows);
    case "touched":
      return new TouchedRowsAssembler(data, arch, graph.rows);
    case "positions": {
      const { spec, dims } = checkModel(stepGraphOptions(cfg, data.n_neurons, "step"));
      return new PositionsAssembler(data, arch, graph.rows, positionKernels(spec, dims)!);
    }
    default:
      return new BatchAssembler(data, arch, graph.rows);
  }
}

/** Multi-session training: one encoder per session, positives searched across sessions. */
function multiSessionProblem(sessions: SessionData[], cfg: TrainConfig, arch: ArchitectureInfo): TrainingProblem {
  const shape = { architecture: cfg.model_architecture, n_neurons: sessions.map((s) => s.n_neurons), num_hidden_units: cfg.num_hidden_units, output_dimension: cfg.output_dimension };
  const graph = buildMultiSessionStepGraph({ ...graphBase(cfg, "step"), ...shape });
  const sampler = createMultiSessionSampler(sessions, cfg);
  const rows = { ref: graph.rows.ref, pos: graph.rows.pos, neg: graph.rows.neg };
  const batches = sessions.map((s) => new BatchAssembler(s, arch, rows));
  const posIndex = new BigInt64Array(sessions.length * cfg.batch_size);
  const maskRng = new Rng(dropoutSeed(cfg.seed));
  const masks = graph.dropout.map((sites, s) => new DropoutMasks(sites, 3 * cfg.batch_size, `dropout${s}_`, maskRng));
  const theta = cfg.temperature_mode === "auto" ? 1 : 0;
  const encoders = graph.param_offsets.map((o, s) => [o, o + graph.session_param_counts[s]] as const);
  return {
    onnx: graph.onnx,
    param_count: graph.param_count,
    initParams: () => initMultiSessionParams({ ...shape, temperature: cfg.temperature, temperature_mode: cfg.temperature_mode }, cfg.seed),
    nextBatch: () => {
      const b = sampler.sample();
      const feeds: Record<string, ort.Tensor> = {};
      batches.forEach((assembler, s) => {
        assembler.fill({ ref: b.ref[s], pos: b.pos[s], neg: b.neg[s] });
        feeds[`X${s}`] = assembler.tensor();
      });
      b.pos_order.forEach((j, r) => (posIndex[r] = BigInt(j)));
      feeds.pos_index = new ort.Tensor("int64", posIndex, [posIndex.length]);
      for (const m of masks) m.draw(feeds);
      return feeds;
    },
    split: (flat) => encoders.map(([lo, hi]) => concatF32(flat.subarray(lo, hi), flat.subarray(flat.length - theta))),
    join: (parts) => concatF32(...parts.map((p, s) => p.subarray(0, encoders[s][1] - encoders[s][0])), parts[0].subarray(parts[0].length - theta)),
  };
}

function concatF32(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * The training problem for `sessions`: single-session for one, multi-session for several. `input`
 * forces a single-session window input form (benchmarks compare them); default: `chooseStepInput`.
 * Multi-session graphs always read copied windows.
 */
export function createTrainingProblem(sessions: SessionData[], cfg: TrainConfig, arch: ArchitectureInfo, input?: StepInput): TrainingProblem {
  return sessions.length === 1 ? singleSessionProblem(sessions[0], cfg, arch, "step", cfg.seed, input) : multiSessionProblem(sessions, cfg, arch);
}
