/**
 * Float64 reference interpreter of the IR. It runs the exact graph that is written as ONNX, with each
 * op's float64 evaluator, so tests can check gradients by finite differences and compare ORT's
 * float32 results against a double-precision reference (ORT's CPU EP has no float64 Erf kernel).
 * It is meant for small test sizes, not for speed.
 */
import { type Graph, type Value } from "./ir.js";
import { type Tensor, opDef } from "./ops/index.js";

/** A feed: a tensor, or a flat array for an input whose shape is fully static. */
type Feed = Tensor | ArrayLike<number>;

function toTensor(v: Value, f: Feed): Tensor {
  if ("shape" in f && "data" in f) {
    const t = f as Tensor;
    if (t.shape.length !== v.rank || v.shape.some((d, i) => d !== null && d !== t.shape[i]))
      throw new Error(`feed "${v.inputName}": shape [${t.shape}] does not match [${v.shape}]`);
    return { shape: [...t.shape], data: Float64Array.from(t.data) };
  }
  const arr = f as ArrayLike<number>;
  const shape = v.staticShape();
  const n = shape.reduce((a, b) => a * b, 1);
  if (arr.length !== n) throw new Error(`feed "${v.inputName}": ${arr.length} values for shape [${shape}]`);
  return { shape, data: Float64Array.from(arr) };
}

/**
 * Evaluates `targets` (default: the graph outputs) given feeds for the graph inputs they depend on.
 * Returns every computed value's tensor.
 */
export function evaluate(g: Graph, feeds: Readonly<Record<string, Feed>>, targets?: readonly Value[]): Map<Value, Tensor> {
  const env = new Map<Value, Tensor>();
  for (const v of g.inputs) {
    const f = feeds[v.inputName!];
    if (f !== undefined) env.set(v, toTensor(v, f));
  }
  const want = targets ?? g.outputs.map((o) => o.value);
  for (const node of nodesFor(g, want)) {
    const ins = node.inputs.map((v) => {
      if (v.constData) return { shape: v.staticShape(), data: v.constData };
      const t = env.get(v);
      if (!t) throw new Error(`${node.op}: input ${v.inputName ?? `v${v.id}`} was not fed`);
      return t;
    });
    const outs = opDef(node.op).evaluate(ins, node.attrs);
    node.outputs.forEach((o, i) => env.set(o, outs[i]));
  }
  for (const v of want) if (v.constData) env.set(v, { shape: v.staticShape(), data: v.constData });
  return env;
}

/** Runs the graph and returns its named outputs. */
export function run(g: Graph, feeds: Readonly<Record<string, Feed>>): Record<string, Tensor> {
  const env = evaluate(g, feeds);
  const out: Record<string, Tensor> = {};
  for (const o of g.outputs) {
    const t = env.get(o.value);
    if (!t) throw new Error(`output "${o.name}" could not be computed (an input it needs was not fed)`);
    out[o.name] = t;
  }
  return out;
}

/** Nodes needed for `targets`, in graph order. */
function nodesFor(g: Graph, targets: readonly Value[]) {
  const need = new Set<Value>();
  const stack = [...targets];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (need.has(v)) continue;
    need.add(v);
    if (v.producer) stack.push(...v.producer.inputs);
  }
  return g.nodes.filter((n) => n.outputs.some((o) => need.has(o)));
}

/** Sum of all elements of `target` (a scalar for scalar values). */
function total(env: Map<Value, Tensor>, target: Value): number {
  const t = env.get(target);
  if (!t) throw new Error(`value v${target.id} was not computed`);
  return t.data.reduce((a, b) => a + b, 0);
}

/**
 * Central finite differences of Σ target with respect to elements of the graph input `input`
 * (all elements, or those listed in `indices`), evaluated in float64. For gradient checks.
 */
export function numericGradient(
  g: Graph,
  feeds: Readonly<Record<string, Feed>>,
  input: string,
  target: Value,
  opts: { h?: number; indices?: readonly number[] } = {},
): Float64Array {
  const h = opts.h ?? 1e-6;
  const v = g.getInput(input);
  const base = toTensor(v, feeds[input]);
  const indices = opts.indices ?? Array.from(base.data, (_, i) => i);
  const out = new Float64Array(indices.length);
  const at = (i: number, delta: number): number => {
    const data = base.data.slice();
    data[i] += delta;
    return total(evaluate(g, { ...feeds, [input]: { shape: base.shape, data } }, [target]), target);
  };
  indices.forEach((i, k) => (out[k] = (at(i, h) - at(i, -h)) / (2 * h)));
  return out;
}

/**
 * Central finite-difference directional derivative of Σ target along `direction` in input `input`.
 */
export function directionalDerivative(
  g: Graph,
  feeds: Readonly<Record<string, Feed>>,
  input: string,
  target: Value,
  direction: ArrayLike<number>,
  h = 1e-6,
): number {
  const v = g.getInput(input);
  const base = toTensor(v, feeds[input]);
  const at = (s: number): number => {
    const data = base.data.map((x, i) => x + s * direction[i]);
    return total(evaluate(g, { ...feeds, [input]: { shape: base.shape, data } }, [target]), target);
  };
  return (at(h) - at(-h)) / (2 * h);
}
