/**
 * Shape and data-movement operators: Reshape, Transpose, Unsqueeze, Squeeze, Expand, Slice, Pad,
 * Concat, Gather, ScatterND, and Shape / ConstantOfShape (float zeros of another value's dynamic shape). Gradients of these are other data-movement ops (Slice ↔ Pad, Concat →
 * Slice, Gather → ScatterND with add).
 */
import { type Dim, type Value, normAxis } from "../ir.js";
import { type OpDef, type Tensor, attrNum, constInts, registerOp, strides } from "./registry.js";
import { broadcastShapes, broadcastEval, unbroadcast } from "./broadcast.js";
import { reshape, transpose, unsqueeze, squeeze, gather, scatterAddRows, slice, pad, zeros, scatterAxis } from "./builders.js";

// ---------------------------------------------------------------------------------------------------
// Slice semantics (shared by inference, evaluation and the gradient)

interface AxisSlice {
  start: number;
  step: number;
  count: number;
}

/** Resolves one axis of an ONNX Slice against a concrete dimension (negative bounds, clamping). */
export function resolveSlice(dim: number, start: number, end: number, step: number): AxisSlice {
  if (step === 0) throw new Error("Slice: step 0");
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
  } else {
    s = Math.min(Math.max(s, 0), dim - 1);
    e = Math.min(Math.max(e, -1), dim - 1);
  }
  const count = Math.max(0, Math.ceil((e - s) / step));
  return { start: s, step, count };
}

interface SliceSpec {
  axes: number[];
  starts: number[];
  ends: number[];
  steps: number[];
}

function sliceSpec(inputs: readonly Value[]): SliceSpec {
  const r = inputs[0].rank;
  const starts = constInts(inputs[1], "Slice starts");
  const ends = constInts(inputs[2], "Slice ends");
  const axes = inputs[3] ? constInts(inputs[3], "Slice axes").map((a) => normAxis(a, r)) : starts.map((_, i) => i);
  const steps = inputs[4] ? constInts(inputs[4], "Slice steps") : starts.map(() => 1);
  return { axes, starts, ends, steps };
}

/** Resolved per-axis slices for a concrete input shape (unsliced axes take everything). */
function resolveAll(shape: readonly number[], spec: SliceSpec): AxisSlice[] {
  const res: AxisSlice[] = shape.map((d) => ({ start: 0, step: 1, count: d }));
  spec.axes.forEach((a, i) => (res[a] = resolveSlice(shape[a], spec.starts[i], spec.ends[i], spec.steps[i])));
  return res;
}

/** Copies a strided sub-block: out[i] = x[start + i·step] per axis. */
function gatherBlock(x: Tensor, sl: readonly AxisSlice[]): Tensor {
  const shape = sl.map((s) => s.count);
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  const xs = strides(x.shape);
  const r = shape.length;
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < n; o++) {
    let off = 0;
    for (let a = 0; a < r; a++) off += (sl[a].start + idx[a] * sl[a].step) * xs[a];
    out[o] = x.data[off];
    for (let a = r - 1; a >= 0; a--) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
  return { shape, data: out };
}

// ---------------------------------------------------------------------------------------------------
// Definitions

function reshapeTarget(inShape: readonly Dim[], target: readonly number[]): Dim[] {
  const out: Dim[] = target.map((t, i) => (t === 0 ? inShape[i] : t === -1 ? -1 : t));
  const inf = out.indexOf(-1);
  if (inf >= 0) {
    if (inShape.some((d) => d === null) || out.some((d) => d === null)) out[inf] = null;
    else {
      const total = (inShape as number[]).reduce((a, b) => a * b, 1);
      const known = (out as number[]).reduce((a, b, i) => (i === inf ? a : a * b), 1);
      if (total % known !== 0) throw new Error(`Reshape: cannot reshape [${inShape}] to [${target}]`);
      out[inf] = total / known;
    }
  } else if (!inShape.some((d) => d === null) && !out.some((d) => d === null)) {
    const a = (inShape as number[]).reduce((x, y) => x * y, 1);
    const b = (out as number[]).reduce((x, y) => x * y, 1);
    if (a !== b) throw new Error(`Reshape: cannot reshape [${inShape}] to [${target}]`);
  }
  return out;
}

function transposeEval(x: Tensor, perm: readonly number[]): Tensor {
  const shape = perm.map((p) => x.shape[p]);
  const xs = strides(x.shape);
  const ps = perm.map((p) => xs[p]);
  const n = x.data.length;
  const out = new Float64Array(n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < n; o++) {
    let off = 0;
    for (let a = 0; a < shape.length; a++) off += idx[a] * ps[a];
    out[o] = x.data[off];
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
  return { shape, data: out };
}

function padEval(x: Tensor, pads: readonly number[]): Tensor {
  const r = x.shape.length;
  const shape = x.shape.map((d, a) => d + pads[a] + pads[r + a]);
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  const os = strides(shape);
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < x.data.length; i++) {
    let off = 0;
    let inside = true;
    for (let a = 0; a < r; a++) {
      const p = idx[a] + pads[a];
      if (p < 0 || p >= shape[a]) inside = false;
      off += p * os[a];
    }
    if (inside) out[off] = x.data[i];
    for (let a = r - 1; a >= 0; a--) {
      if (++idx[a] < x.shape[a]) break;
      idx[a] = 0;
    }
  }
  return { shape, data: out };
}

function concatEval(ts: readonly Tensor[], axis: number): Tensor {
  const shape = [...ts[0].shape];
  shape[axis] = ts.reduce((s, t) => s + t.shape[axis], 0);
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float64Array(shape.reduce((a, b) => a * b, 1));
  let off = 0;
  for (let o = 0; o < outer; o++) {
    for (const t of ts) {
      const len = t.shape[axis] * inner;
      out.set(t.data.subarray(o * len, (o + 1) * len), off);
      off += len;
    }
  }
  return { shape, data: out };
}

function gatherEval(x: Tensor, idx: Tensor, axis: number): Tensor {
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const dim = x.shape[axis];
  const shape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
  const out = new Float64Array(outer * idx.data.length * inner);
  let off = 0;
  for (let o = 0; o < outer; o++) {
    for (const raw of idx.data) {
      const k = raw < 0 ? raw + dim : raw;
      if (k < 0 || k >= dim) throw new Error(`Gather: index ${raw} out of range [0, ${dim})`);
      out.set(x.data.subarray((o * dim + k) * inner, (o * dim + k + 1) * inner), off);
      off += inner;
    }
  }
  return { shape, data: out };
}

function scatterNDEval(data: Tensor, indices: Tensor, updates: Tensor, reduction: string): Tensor {
  const k = indices.shape[indices.shape.length - 1];
  const ds = strides(data.shape);
  const inner = data.shape.slice(k).reduce((a, b) => a * b, 1);
  const count = indices.data.length / k;
  const out = data.data.slice();
  for (let i = 0; i < count; i++) {
    let off = 0;
    for (let j = 0; j < k; j++) off += indices.data[i * k + j] * ds[j];
    for (let e = 0; e < inner; e++) {
      const u = updates.data[i * inner + e];
      out[off + e] = reduction === "add" ? out[off + e] + u : u;
    }
  }
  return { shape: [...data.shape], data: out };
}

const DEFS: OpDef[] = [
  {
    type: "Shape",
    infer: ([x]) => [{ dtype: "int64", shape: [x.rank] }],
    evaluate: ([x]) => [{ shape: [x.shape.length], data: Float64Array.from(x.shape) }],
  },
  {
    // No `value` attribute: float32 zeros (ONNX's default). The shape comes from a Shape node (its
    // input's dimensions, dynamic ones included) or a constant.
    type: "ConstantOfShape",
    infer: ([s]) => {
      const src = s.producer?.op === "Shape" ? s.producer.inputs[0].shape : constInts(s, "ConstantOfShape shape");
      return [{ dtype: "float", shape: [...src] }];
    },
    evaluate: ([s]) => {
      const shape = Array.from(s.data);
      return [{ shape, data: new Float64Array(shape.reduce((a, b) => a * b, 1)) }];
    },
  },
  {
    type: "Reshape",
    infer: ([x, s]) => [{ dtype: x.dtype, shape: reshapeTarget(x.shape, constInts(s, "Reshape shape")) }],
    evaluate: ([x, s]) => [{ shape: reshapeTarget(x.shape, Array.from(s.data)) as number[], data: x.data }],
    grad: (node, [g]) => [g ? reshape(g, node.inputs[0].staticShape()) : null, null],
  },
  {
    type: "Transpose",
    infer: ([x], attrs) => [{ dtype: x.dtype, shape: (attrs.perm as number[]).map((p) => x.shape[p]) }],
    evaluate: ([x], attrs) => [transposeEval(x, attrs.perm as number[])],
    grad: (node, [g]) => {
      const perm = node.attrs.perm as number[];
      const inv = perm.map((_, i) => perm.indexOf(i));
      return [g ? transpose(g, inv) : null];
    },
  },
  {
    type: "Unsqueeze",
    infer: ([x, ax]) => {
      const axes = constInts(ax, "Unsqueeze axes");
      const r = x.rank + axes.length;
      const set = new Set(axes.map((a) => normAxis(a, r)));
      const out: Dim[] = [];
      let k = 0;
      for (let i = 0; i < r; i++) out.push(set.has(i) ? 1 : x.shape[k++]);
      return [{ dtype: x.dtype, shape: out }];
    },
    evaluate: ([x, ax]) => {
      const r = x.shape.length + ax.data.length;
      const set = new Set(Array.from(ax.data, (a) => normAxis(a, r)));
      const shape: number[] = [];
      let k = 0;
      for (let i = 0; i < r; i++) shape.push(set.has(i) ? 1 : x.shape[k++]);
      return [{ shape, data: x.data }];
    },
    grad: (node, [g]) => [g ? squeeze(g, constInts(node.inputs[1], "axes")) : null, null],
  },
  {
    type: "Squeeze",
    infer: ([x, ax]) => {
      const set = new Set(constInts(ax, "Squeeze axes").map((a) => normAxis(a, x.rank)));
      for (const a of set) if (x.shape[a] !== 1 && x.shape[a] !== null) throw new Error(`Squeeze: axis ${a} has size ${x.shape[a]}`);
      return [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !set.has(i)) }];
    },
    evaluate: ([x, ax]) => {
      const set = new Set(Array.from(ax.data, (a) => normAxis(a, x.shape.length)));
      return [{ shape: x.shape.filter((_, i) => !set.has(i)), data: x.data }];
    },
    grad: (node, [g]) => [g ? unsqueeze(g, constInts(node.inputs[1], "axes")) : null, null],
  },
  {
    type: "Expand",
    infer: ([x, s]) => [{ dtype: x.dtype, shape: broadcastShapes([x.shape, constInts(s, "Expand shape")]) }],
    evaluate: ([x, s]) => {
      const shape = broadcastShapes([x.shape, Array.from(s.data)]) as number[];
      const target: Tensor = { shape, data: new Float64Array(shape.reduce((a, b) => a * b, 1)) };
      return [broadcastEval([x, target], (v) => v)];
    },
    grad: (node, [g]) => [g ? unbroadcast(g, node.inputs[0].shape) : null, null],
  },
  {
    type: "Slice",
    infer: (inputs) => {
      const x = inputs[0];
      const spec = sliceSpec(inputs);
      const shape = [...x.shape];
      spec.axes.forEach((a, i) => {
        const d = x.shape[a];
        shape[a] = d === null ? null : resolveSlice(d, spec.starts[i], spec.ends[i], spec.steps[i]).count;
      });
      return [{ dtype: x.dtype, shape }];
    },
    evaluate: (ts) => {
      const [x, st, en, ax, sp] = ts;
      const r = x.shape.length;
      const spec: SliceSpec = {
        starts: Array.from(st.data),
        ends: Array.from(en.data),
        axes: ax ? Array.from(ax.data, (a) => normAxis(a, r)) : Array.from(st.data, (_, i) => i),
        steps: sp ? Array.from(sp.data) : Array.from(st.data, () => 1),
      };
      return [gatherBlock(x, resolveAll(x.shape, spec))];
    },
    grad: (node, [g]) => {
      const none = node.inputs.map(() => null);
      if (!g) return none;
      const x = node.inputs[0];
      const shape = x.staticShape();
      const spec = sliceSpec(node.inputs);
      let y = g;
      spec.axes.forEach((a, i) => {
        const s = resolveSlice(shape[a], spec.starts[i], spec.ends[i], spec.steps[i]);
        if (s.step < 0) throw new Error("Slice gradient: negative steps are not supported");
        y = scatterAxis(y, a, s.start, s.step, shape[a]);
      });
      return [y, ...none.slice(1)];
    },
  },
  {
    type: "Pad",
    infer: ([x, p]) => {
      const pads = constInts(p, "Pad pads");
      const r = x.rank;
      return [{ dtype: x.dtype, shape: x.shape.map((d, a) => (d === null ? null : d + pads[a] + pads[r + a])) }];
    },
    evaluate: ([x, p, c]) => {
      if (c && c.data[0] !== 0) throw new Error("Pad: only zero padding is implemented");
      return [padEval(x, Array.from(p.data))];
    },
    grad: (node, [g]) => {
      const [x, p] = node.inputs;
      const nulls = node.inputs.slice(1).map(() => null);
      if (!g) return [null, ...nulls];
      const pads = constInts(p, "Pad pads");
      const shape = x.staticShape();
      const r = shape.length;
      if (pads.some((v) => v < 0)) return [pad(g, pads.map((v) => -v)), ...nulls];
      const axes = shape.map((_, a) => a).filter((a) => pads[a] !== 0 || pads[r + a] !== 0);
      const gx = axes.length === 0 ? g : slice(g, axes, axes.map((a) => pads[a]), axes.map((a) => pads[a] + shape[a]));
      return [gx, ...nulls];
    },
  },
  {
    type: "Concat",
    infer: (xs, attrs) => {
      const r = xs[0].rank;
      const axis = normAxis(attrNum(attrs, "axis", 0), r);
      const shape = [...xs[0].shape];
      let total: Dim = 0;
      for (const x of xs) {
        if (x.rank !== r) throw new Error("Concat: rank mismatch");
        const d = x.shape[axis];
        total = total === null || d === null ? null : total + d;
      }
      shape[axis] = total;
      return [{ dtype: xs[0].dtype, shape }];
    },
    evaluate: (ts, attrs) => [concatEval(ts, normAxis(attrNum(attrs, "axis", 0), ts[0].shape.length))],
    grad: (node, [g]) => {
      if (!g) return node.inputs.map(() => null);
      const axis = normAxis(attrNum(node.attrs, "axis", 0), g.rank);
      let off = 0;
      return node.inputs.map((x) => {
        const d = x.staticShape()[axis];
        const piece = slice(g, [axis], [off], [off + d]);
        off += d;
        return piece;
      });
    },
  },
  {
    type: "Gather",
    infer: ([x, idx], attrs) => {
      const axis = normAxis(attrNum(attrs, "axis", 0), x.rank);
      if (idx.dtype !== "int64") throw new Error("Gather: indices must be int64");
      return [{ dtype: x.dtype, shape: [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)] }];
    },
    evaluate: ([x, idx], attrs) => [gatherEval(x, idx, normAxis(attrNum(attrs, "axis", 0), x.shape.length))],
    // Adjoint: scatter-add the gathered slices back (repeated indices accumulate). Other axes are
    // moved to the front first, so the scatter works on leading indices.
    grad: (node, [g]) => {
      const [x, idx] = node.inputs;
      if (!g) return [null, null];
      const a = normAxis(attrNum(node.attrs, "axis", 0), x.rank);
      const shape = x.staticShape();
      const ri = idx.rank;
      const front = [...Array.from({ length: ri }, (_, i) => a + i), ...Array.from({ length: a }, (_, i) => i), ...Array.from({ length: x.rank - a - 1 }, (_, i) => a + ri + i)];
      const gFront = a === 0 ? g : transpose(g, front);
      const dataShape = [shape[a], ...shape.slice(0, a), ...shape.slice(a + 1)];
      const scattered = scatterAddRows(zeros(x.graph, dataShape), idx, gFront);
      const back = [...Array.from({ length: a }, (_, i) => i + 1), 0, ...Array.from({ length: x.rank - a - 1 }, (_, i) => a + 1 + i)];
      return [a === 0 ? scattered : transpose(scattered, back), null];
    },
  },
  {
    type: "ScatterND",
    infer: ([data]) => [{ dtype: data.dtype, shape: data.shape }],
    evaluate: ([data, indices, updates], attrs) => [scatterNDEval(data, indices, updates, (attrs.reduction as string) ?? "none")],
    grad: (node, [g]) => {
      const [, indices, updates] = node.inputs;
      if (!g) return [null, null, null];
      if (node.attrs.reduction !== "add") throw new Error("ScatterND gradient: only reduction add is supported");
      // d/d data = g; d/d updates = g gathered at the indices.
      const k = indices.staticShape()[indices.rank - 1];
      if (k !== 1) throw new Error("ScatterND gradient: only row indices (last dim 1) are supported");
      const rows = squeeze(indices, [-1]);
      const gu = gather(g, rows, 0);
      return [g, null, reshape(gu, updates.staticShape())];
    },
  },
];

for (const d of DEFS) registerOp(d);
