/**
 * Turns the declarative architecture specs in models/ into parameter layouts and IR forward graphs.
 *
 * Activations are channels-last [batch, time, channels]. Parameters are stored exactly as PyTorch
 * stores them (Conv1d weight [Co, Ci, k], Linear weight [out, in], bias [out]) and concatenated in
 * CEBRA's state-dict order (layer by layer, weight then bias) into one flat vector, so a flat vector
 * maps one-to-one onto a CEBRA `state_dict`; graphs re-lay weights out in-graph as the GEMM
 * formulations need (tiny transposes).
 */
import { ARCHITECTURES, FAMILIES, type ArchitectureSpec, type LayerSpec, type SizeExpr } from "../../../models/index.js";
import { UserError } from "../../util/errors.js";
import { Value } from "../graph/ir.js";
import { add, concat, greater, less, mul, pad, slice, tanh, where } from "../graph/ops/index.js";
import {
  GELU_PRESCALE,
  type RecordingWindows,
  conv1d,
  conv1dRecording,
  convOutLength,
  gelu,
  geluPrescaled,
  l2normalize,
  linear,
  residualConvGelu,
  timeSlice,
} from "../graph/nn.js";
import type { ArchitectureInfo } from "../types.js";

/** Sizes a spec's expressions refer to. */
export interface ModelDims {
  /** Input neurons. */
  N: number;
  /** num_hidden_units. */
  H: number;
  /** output_dimension. */
  D: number;
  /** Outputs of a classifier head (label_num, `ArchitectureSpec.head`); without it the layout is the net's alone (inference). */
  C?: number;
}

/** One parameter tensor of a model. */
export interface ParamInfo {
  /** PyTorch state-dict name in CEBRA's model (e.g. "net.2.module.0.weight"). */
  torch_name: string;
  kind: "conv_weight" | "linear_weight" | "bias";
  /** PyTorch shape: [Co, Ci, k] conv weight, [out, in] linear weight, [out] bias. */
  shape: number[];
  /** PyTorch fan_in (in_channels·kernel); init is U(±1/√fan_in). */
  fan_in: number;
  /** Offset in the flat parameter vector. */
  offset: number;
  size: number;
  /**
   * The tensor's other state-dict keys, when one module is repeated (`LayerSpec` "repeat" with
   * `shared`): CEBRA's `state_dict()` lists it under each key, `parameters()` once, as here.
   */
  aliases?: string[];
}

/** A spec layer with sizes and parameters resolved. */
type Resolved =
  | { type: "conv"; ci: number; co: number; kernel: number; stride: number; linear: boolean; w: ParamInfo; b: ParamInfo }
  | { type: "gelu" }
  | { type: "tanh" }
  | { type: "flatten" }
  | { type: "dropout"; site: DropoutSite }
  | { type: "skip"; crop: [number, number]; body: Resolved[] }
  | { type: "mean_and_conv"; conv: Resolved & { type: "conv" } }
  | { type: "clip"; min: number; max: number }
  | { type: "skip_linear"; linear: Resolved & { type: "conv" } };

/** One Dropout1d layer of a model: its index in layer order (0, 1, …), p, and the channels it masks. */
export interface DropoutSite {
  index: number;
  p: number;
  channels: number;
}

/**
 * The mask of dropout site `site` for this graph, [rows, 1, channels] (1 or 0 per window and channel,
 * kept ones already scaled by 1/(1 − p)), or null for the identity (inference, held-out loss).
 */
export type DropoutSource = (site: DropoutSite, rows: number) => Value | null;

/**
 * Looks up a spec by name or alias, or a member of a parametrised family by its CEBRA name; UserError
 * naming the valid architectures and families otherwise.
 */
export function findSpec(name: string): ArchitectureSpec {
  const spec = ARCHITECTURES.find((a) => a.name === name || a.aliases?.includes(name));
  if (spec) return spec;
  for (const f of FAMILIES) {
    const member = f.spec(name);
    if (member) return member;
  }
  const near = FAMILIES.find((f) => name.startsWith(f.pattern.slice(0, f.pattern.indexOf("{"))));
  throw new UserError(
    near ? `Unknown model architecture "${name}": CEBRA's ${near.pattern} models have ${near.values}.` : `Unknown model architecture "${name}".`,
    `Use one of: ${ARCHITECTURES.map((a) => a.name).join(", ")}; or a CEBRA family: ${FAMILIES.map((f) => `${f.pattern} (${f.values})`).join(", ")}.`,
    "unknown_architecture",
  );
}

/** Static facts about a spec (window, normalisation, resampling). */
export function architectureInfo(spec: ArchitectureSpec): ArchitectureInfo {
  const [left, right] = spec.offset;
  return {
    name: spec.name,
    left,
    right,
    receptive_field: left + right,
    normalize: spec.normalize,
    resample_factor: spec.resample_factor,
    description: spec.description,
  };
}

/** Evaluates a size expression: integers, N/H/D, and one level of `a*b`, `a//b`, `a+b`. */
function evalSize(expr: SizeExpr, dims: ModelDims): number {
  if (typeof expr === "number") return expr;
  const e = expr.replace(/\s+/g, "");
  for (const [op, f] of [
    ["+", (a: number, b: number) => a + b],
    ["*", (a: number, b: number) => a * b],
    ["//", (a: number, b: number) => Math.floor(a / b)],
  ] as const) {
    const i = e.indexOf(op);
    if (i > 0) return f(evalSize(e.slice(0, i), dims), evalSize(e.slice(i + op.length), dims));
  }
  if (/^\d+$/.test(e)) return Number(e);
  if (e === "N" || e === "H" || e === "D") return dims[e];
  throw new Error(`bad size expression "${expr}"`);
}

/** Resolves a spec against concrete sizes: layer tree plus flat parameter layout. */
export function resolveModel(spec: ArchitectureSpec, dims: ModelDims): { layers: Resolved[]; params: ParamInfo[]; dropout: DropoutSite[] } {
  const params: ParamInfo[] = [];
  const dropout: DropoutSite[] = [];
  let channels = dims.N;
  let offset = 0;
  // While a shared repetition is resolved: the first repetition's tensors, handed out again in order.
  let reuse: { params: ParamInfo[]; next: number } | null = null;
  const param = (torch_name: string, kind: ParamInfo["kind"], shape: number[], fan_in: number): ParamInfo => {
    if (reuse) {
      const p = reuse.params[reuse.next++];
      if (!p || p.kind !== kind || p.shape.join() !== shape.join()) throw new Error(`${spec.name}: shared layer ${torch_name} does not match its first use`);
      (p.aliases ??= []).push(torch_name);
      return p;
    }
    const size = shape.reduce((a, b) => a * b, 1);
    const p: ParamInfo = { torch_name, kind, shape, fan_in, offset, size };
    offset += size;
    params.push(p);
    return p;
  };
  const convOf = (prefix: string, ci: number, co: number, kernel: number, stride: number, linear: boolean): Resolved & { type: "conv" } => {
    const w = linear
      ? param(`${prefix}.weight`, "linear_weight", [co, ci], ci)
      : param(`${prefix}.weight`, "conv_weight", [co, ci, kernel], ci * kernel);
    const b = param(`${prefix}.bias`, "bias", [co], ci * kernel);
    return { type: "conv", ci, co, kernel, stride, linear, w, b };
  };
  const walk = (layers: readonly LayerSpec[], prefix: string, startIndex: number): { out: Resolved[]; next: number } => {
    // `channels` tracks the activations' channel count (a skip branch ends where it began).
    const out: Resolved[] = [];
    let idx = startIndex;
    for (const l of layers) {
      if (l.type === "clip") {
        // CEBRA's `self.clamp`, outside `net`: no index.
        out.push({ type: "clip", min: l.min, max: l.max });
        continue;
      }
      if (l.type === "repeat") {
        // Python list multiplication spliced into the Sequential: each repetition takes the next indices.
        if (reuse) throw new Error(`${spec.name}: a repeat inside a shared repetition is not supported`);
        const first = params.length;
        let own: ParamInfo[] = [];
        for (let r = 0; r < l.times; r++) {
          if (l.shared && r > 0) reuse = { params: own, next: 0 };
          const body = walk(l.layers, prefix, idx);
          if (reuse && reuse.next !== own.length) throw new Error(`${spec.name}: shared repetition uses fewer tensors than its first`);
          reuse = null;
          if (r === 0) own = params.slice(first);
          out.push(...body.out);
          idx = body.next;
        }
        continue;
      }
      const repeat = l.type === "skip" ? (l.repeat ?? 1) : 1;
      for (let r = 0; r < repeat; r++, idx++) {
        const name = `${prefix}.${idx}`;
        switch (l.type) {
          case "conv":
            out.push(convOf(name, evalSize(l.in, dims), evalSize(l.out, dims), l.kernel, l.stride ?? 1, false));
            channels = evalSize(l.out, dims);
            break;
          case "linear":
            out.push(convOf(name, evalSize(l.in, dims), evalSize(l.out, dims), 1, 1, true));
            channels = evalSize(l.out, dims);
            break;
          case "dropout": {
            if (!(l.p >= 0 && l.p < 1)) throw new Error(`${spec.name}: dropout p must be in [0, 1), got ${l.p}`);
            const site: DropoutSite = { index: dropout.length, p: l.p, channels };
            dropout.push(site);
            out.push({ type: "dropout", site });
            break;
          }
          case "gelu":
          case "tanh":
          case "flatten":
            out.push({ type: l.type });
            break;
          case "skip": {
            const before = channels;
            out.push({ type: "skip", crop: l.crop, body: walk(l.layers, `${name}.module`, 0).out });
            channels = before;
            break;
          }
          case "mean_and_conv":
            out.push({ type: "mean_and_conv", conv: convOf(`${name}.layer`, evalSize(l.in, dims), evalSize(l.out, dims), l.kernel, l.stride, false) });
            channels = evalSize(l.in, dims) + evalSize(l.out, dims);
            break;
          case "skip_linear":
            out.push({ type: "skip_linear", linear: convOf(`${name}.module`, evalSize(l.in, dims), evalSize(l.out, dims), 1, 1, true) });
            channels = evalSize(l.out, dims);
            break;
        }
      }
    }
    return { out, next: idx };
  };
  const layers = walk(spec.layers, "net", 0).out;
  if (dims.C !== undefined) {
    if (spec.head !== "classifier") throw new Error(`${spec.name} has no classifier head`);
    // CEBRA's set_output_num: nn.Linear(num_output, label_num), created after the net.
    param("classifier.weight", "linear_weight", [dims.C, dims.D], dims.D);
    param("classifier.bias", "bias", [dims.C], dims.D);
  }
  return { layers, params, dropout };
}

/** Number of model parameters (without the learnable temperature; with a classifier head when dims.C is given). */
export function modelParamCount(spec: ArchitectureSpec, dims: ModelDims): number {
  const { params } = resolveModel(spec, dims);
  return params.reduce((s, p) => s + p.size, 0);
}

/** Provides the graph value of each parameter tensor (slices of a flat input, or constants). */
type ParamSource = (p: ParamInfo) => Value;

/**
 * What the encoder reads: windows X [batch, L, N] (L may be dynamic for the fully convolutional
 * inference graph), or windows given as row indices into the whole recording (`RecordingWindows`;
 * only for models whose first layer `readsRecording` accepts).
 */
export type EncoderInput = Value | RecordingWindows;

/**
 * Builds the encoder forward pass on `x` (see `EncoderInput`); the result is [batch, L_out, D],
 * L2-normalised if the spec says so. Dropout layers multiply by `dropout`'s masks (training); without
 * `dropout` they are left out (model.eval()), so the graph is that of the model without them.
 */
export function buildEncoder(spec: ArchitectureSpec, dims: ModelDims, x: EncoderInput, source: ParamSource, dropout?: DropoutSource): Value {
  const { layers } = resolveModel(spec, dims);
  if (!(x instanceof Value) && !readsRecording(spec, dims)) throw new Error(`${spec.name}: the first layer cannot read windows from the recording`);
  const rows = (x instanceof Value ? x : x.rows).shape[0];
  if (dropout && rows === null) throw new Error(`${spec.name}: dropout masks need a static batch`);
  const masks = (site: DropoutSite): Value | null => (dropout ? dropout(site, rows!) : null);
  // One value per tensor, however often a shared tensor is used (a constant source would copy it per use).
  const values = new Map<ParamInfo, Value>();
  const once: ParamSource = (p) => values.get(p) ?? values.set(p, source(p)).get(p)!;
  const y = applyLayers(withoutIdentityDropout(layers, masks), x, once);
  if (spec.head === "classifier") return relu(y);
  return spec.normalize ? l2normalize(y) : y;
}

/**
 * Whether the model's first layer can read its windows straight from the recording (`conv1dRecording`):
 * a stride-1 convolution over the time axis (the offset conv models). MLPs (single-step windows,
 * where T always exceeds the batch's rows) and the resampling models read copied windows.
 */
export function readsRecording(spec: ArchitectureSpec, dims: ModelDims): boolean {
  const first = resolveModel(spec, dims).layers[0];
  return first.type === "conv" && !first.linear && first.stride === 1;
}

/** Width k·Co of the first layer's tap products (what `conv1dRecording` computes per recording row). */
export function firstLayerTapWidth(spec: ArchitectureSpec, dims: ModelDims): number {
  const first = resolveModel(spec, dims).layers[0];
  if (first.type !== "conv") throw new Error(`${spec.name}: the first layer is not a convolution`);
  return first.kernel * first.co;
}

/** A resolved layer with each dropout either given its mask or removed (identity). */
type Built = Exclude<Resolved, { type: "dropout" } | { type: "skip" }> | { type: "dropout"; mask: Value } | { type: "skip"; crop: [number, number]; body: Built[] };

function withoutIdentityDropout(layers: readonly Resolved[], masks: (site: DropoutSite) => Value | null): Built[] {
  const out: Built[] = [];
  for (const l of layers) {
    if (l.type === "dropout") {
      const mask = masks(l.site);
      if (mask) out.push({ type: "dropout", mask });
    } else if (l.type === "skip") out.push({ type: "skip", crop: l.crop, body: withoutIdentityDropout(l.body, masks) });
    else out.push(l);
  }
  return out;
}

function applyLayers(layers: readonly Built[], x: EncoderInput, source: ParamSource): Value {
  let h = x;
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    if (l.type === "conv" && layers[i + 1]?.type === "gelu") {
      // A layer feeding a GELU outputs a/√2 directly (weights scaled in-graph); see GELU_PRESCALE.
      h = geluPrescaled(applyConv(l, h, prescaled(source)));
      i++;
    } else if (l.type === "conv") h = applyConv(l, h, source);
    else h = applyLayer(l, windowValues(h), source);
  }
  return windowValues(h);
}

/** The input as a value; recording windows reach only the first layer (`readsRecording` checked). */
function windowValues(x: EncoderInput): Value {
  if (x instanceof Value) return x;
  throw new Error("only a stride-1 convolution can read windows from the recording");
}

/** The parameter source with every tensor multiplied by GELU_PRESCALE. */
function prescaled(source: ParamSource): ParamSource {
  return (p) => mul(source(p), GELU_PRESCALE);
}

function applyConv(l: Resolved & { type: "conv" }, x: EncoderInput, source: ParamSource): Value {
  const spec = { kernel: l.kernel, stride: l.stride, out: l.co };
  if (!(x instanceof Value)) return conv1dRecording(x, source(l.w), source(l.b), spec);
  if (l.linear) return linear(x, source(l.w), source(l.b));
  return conv1d(x, source(l.w), source(l.b), spec);
}

function applyLayer(l: Built, x: Value, source: ParamSource): Value {
  switch (l.type) {
    case "conv":
      return applyConv(l, x, source);
    case "gelu":
      return gelu(x);
    case "tanh":
      return tanh(x);
    case "dropout":
      return mul(x, l.mask);
    case "flatten":
      if (x.shape[1] !== null && x.shape[1] !== 1) throw new Error(`flatten needs windows of length 1, got ${x.shape[1]}`);
      return x;
    case "skip": {
      const fused = fusedResidual(l, x);
      if (fused) {
        const s = prescaled(source);
        return residualConvGelu(x, s(fused.w), s(fused.b), fused.kernel, l.crop[0]);
      }
      const branch = applyLayers(l.body, x, source);
      const len = branch.shape[1];
      const [cl, cr] = l.crop;
      return add(timeSlice(x, cl, 1, len, cr), branch);
    }
    case "clip":
      return hardtanh(x, l.min, l.max);
    case "skip_linear": {
      // _SkipLinear: F.pad(x, (0, out − in)) + Linear(x); a negative pad cuts x to its first `out` features.
      const { ci, co } = l.linear;
      const shortcut = co > ci ? pad(x, [0, 0, 0, 0, 0, co - ci]) : co < ci ? slice(x, [2], [0], [co]) : x;
      return add(shortcut, applyConv(l.linear, x, source));
    }
    case "mean_and_conv": {
      const c = l.conv;
      const conv = applyConv(c, x, source);
      const sub = timeSlice(x, 0, c.stride, conv.shape[1], c.kernel - 1);
      return concat([conv, sub], 2);
    }
  }
}

/**
 * The conv of a `Skip(Conv1d(C, C, k), GELU)` block whose crop matches the kernel, if `x` has a static
 * length: such blocks (every skip block of CEBRA's offset models) run as one fused region.
 */
function fusedResidual(l: Built & { type: "skip" }, x: Value): (Resolved & { type: "conv" }) | null {
  const [conv, act] = l.body;
  if (l.body.length !== 2 || conv.type !== "conv" || act.type !== "gelu") return null;
  const ok = !conv.linear && conv.stride === 1 && conv.ci === conv.co && l.crop[0] + l.crop[1] === conv.kernel - 1 && x.shape[1] !== null;
  return ok ? conv : null;
}

/**
 * nn.Hardtanh(lo, hi): x clamped to [lo, hi], its gradient 1 where lo < x < hi and 0 elsewhere, bounds
 * included, as PyTorch's hardtanh_backward (the Clip op's gradient passes at the bounds, clamp's rule).
 */
export function hardtanh(x: Value, lo: number, hi: number): Value {
  return where(greater(x, lo), where(less(x, hi), x, hi), lo);
}

/** torch.relu (gradient 0 at 0, as PyTorch's). */
export function relu(x: Value): Value {
  return where(greater(x, 0), x, 0);
}

/** Output length of the encoder for an input window of `len` steps (throws if too short). */
export function outputLength(spec: ArchitectureSpec, dims: ModelDims, len: number): number {
  const walk = (layers: readonly Resolved[], n: number): number => {
    for (const l of layers) {
      if (l.type === "conv") n = convOutLength(n, l.kernel, l.stride)!;
      else if (l.type === "mean_and_conv") n = convOutLength(n, l.conv.kernel, l.conv.stride)!;
      else if (l.type === "skip") {
        const m = walk(l.body, n);
        if (m !== n - l.crop[0] - l.crop[1]) throw new Error(`${spec.name}: skip block crop does not match its branch`);
        n = m;
      }
    }
    return n;
  };
  return walk(resolveModel(spec, dims).layers, len);
}
