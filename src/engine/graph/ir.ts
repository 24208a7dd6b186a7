/**
 * Graph IR for the training engine: a small static-single-assignment graph of ONNX-style nodes.
 *
 * Everything the engine runs (forward passes, losses, backward passes, Adam updates) is built as an
 * IR graph, then either written as ONNX protobuf (onnx.ts, executed by onnxruntime-node) or evaluated
 * in float64 by the reference interpreter (interp.ts). Values carry their element type and a static
 * shape (`null` marks a dimension only known at run time, e.g. the sequence length of the inference
 * graph). Nodes are appended in creation order, which is always a valid topological order.
 *
 * Operators are not known here: op definitions (shape inference, float64 evaluation, gradient rule)
 * live in ops/*.ts and are looked up through the registry in ops/registry.ts.
 */

/** Element types used by the engine. "float" is float32 in ONNX (or float64 when the writer is asked). */
export type DType = "float" | "int64" | "bool";

/** A dimension: a number, or null when it is only known at run time. */
export type Dim = number | null;

/** Attribute values (the op definition says which numeric attributes are floats). */
type AttrValue = number | number[] | string;
export type Attrs = Readonly<Record<string, AttrValue>>;

/** One tensor-valued edge of the graph. */
export class Value {
  /** Producer node, or null for graph inputs and constants. */
  producer: Node | null = null;
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly dtype: DType,
    readonly shape: readonly Dim[],
    /** Constant payload (row-major), only for constants. Integers are stored exactly in float64. */
    readonly constData: Float64Array | null = null,
    /** Graph-input name, only for inputs. */
    readonly inputName: string | null = null,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  /** Static shape; throws if a dimension is dynamic (used where a concrete size is required). */
  staticShape(): number[] {
    return this.shape.map((d, i) => {
      if (d === null) throw new Error(`value v${this.id}: dimension ${i} is dynamic where a static size is required`);
      return d;
    });
  }

  /** Number of elements (static shapes only). */
  size(): number {
    return this.staticShape().reduce((a, b) => a * b, 1);
  }
}

/** A region of nodes whose gradient is given by a hand-written rule instead of per-node rules. */
export interface GradRegion {
  readonly name: string;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  /** Returns one gradient (or null) per region input; `needs[i]` says whether input i needs one. */
  readonly grad: (gouts: readonly (Value | null)[], needs: readonly boolean[]) => (Value | null)[];
}

/** One operator application. */
export class Node {
  /** Set when the node belongs to a custom-gradient region (see `customGradient`). */
  region: GradRegion | null = null;
  constructor(
    readonly op: string,
    readonly inputs: readonly Value[],
    readonly outputs: readonly Value[],
    readonly attrs: Attrs,
  ) {}
}

/** A graph output: a value under a public name. */
interface GraphOutput {
  readonly name: string;
  readonly value: Value;
}

/** The graph: values, nodes in topological order, named inputs and outputs. */
export class Graph {
  readonly values: Value[] = [];
  readonly nodes: Node[] = [];
  readonly inputs: Value[] = [];
  readonly outputs: GraphOutput[] = [];

  constructor(readonly name = "graph") {}

  /** Declares a graph input. */
  input(name: string, dtype: DType, shape: readonly Dim[]): Value {
    if (this.inputs.some((v) => v.inputName === name)) throw new Error(`duplicate graph input "${name}"`);
    const v = new Value(this, this.values.length, dtype, [...shape], null, name);
    this.values.push(v);
    this.inputs.push(v);
    return v;
  }

  /** A constant tensor (an initializer in ONNX). `data` is row-major and must match `shape`. */
  constant(data: ArrayLike<number>, shape: readonly number[], dtype: DType = "float"): Value {
    const n = shape.reduce((a, b) => a * b, 1);
    if (data.length !== n) throw new Error(`constant: ${data.length} values for shape [${shape}]`);
    const v = new Value(this, this.values.length, dtype, [...shape], Float64Array.from(data));
    this.values.push(v);
    return v;
  }

  /** A float scalar constant (rank 0). */
  scalar(x: number): Value {
    return this.constant([x], []);
  }

  /** An int64 vector constant (axes, shapes, slice bounds, pads). */
  ints(xs: readonly number[]): Value {
    return this.constant(xs, [xs.length], "int64");
  }

  /** Appends a node with already-inferred output types (use `emit` from ops-registry.ts instead). */
  addNode(op: string, inputs: readonly Value[], attrs: Attrs, outTypes: readonly { dtype: DType; shape: readonly Dim[] }[]): Node {
    for (const v of inputs) if (v.graph !== this) throw new Error(`${op}: input v${v.id} belongs to another graph`);
    const outputs = outTypes.map((t) => {
      const v = new Value(this, this.values.length, t.dtype, [...t.shape]);
      this.values.push(v);
      return v;
    });
    const node = new Node(op, [...inputs], outputs, attrs);
    for (const o of outputs) o.producer = node;
    this.nodes.push(node);
    return node;
  }

  /** Marks `value` as a graph output called `name`. */
  output(name: string, value: Value): void {
    if (value.graph !== this) throw new Error(`output "${name}" belongs to another graph`);
    if (this.outputs.some((o) => o.name === name)) throw new Error(`duplicate graph output "${name}"`);
    if (this.inputs.some((v) => v.inputName === name)) throw new Error(`output "${name}" clashes with an input name`);
    this.outputs.push({ name, value });
  }

  /** Looks up an input by name. */
  getInput(name: string): Value {
    const v = this.inputs.find((x) => x.inputName === name);
    if (!v) throw new Error(`graph has no input "${name}"`);
    return v;
  }

  /**
   * Nodes needed to compute the graph outputs, in topological order (dead-code elimination).
   * Builders freely create nodes that end up unused (e.g. forward values only a gradient would need).
   */
  liveNodes(): Node[] {
    const live = new Set<Node>();
    const stack = this.outputs.map((o) => o.value);
    const seen = new Set<Value>();
    while (stack.length > 0) {
      const v = stack.pop()!;
      if (seen.has(v)) continue;
      seen.add(v);
      const p = v.producer;
      if (p && !live.has(p)) {
        live.add(p);
        for (const i of p.inputs) stack.push(i);
      }
    }
    return this.nodes.filter((n) => live.has(n));
  }
}

/**
 * Builds `build()` as a region whose gradient is `grad` (a fused or hand-tuned backward rule) rather
 * than the composition of its nodes' rules. `autodiff.gradients(..., { customRules: false })` ignores
 * regions, so every custom rule can be checked against the generic path. Regions may nest; the
 * outermost wins. Values created inside must not be used outside except through `outputs`.
 */
export function customGradient(
  name: string,
  inputs: readonly Value[],
  build: () => Value[],
  grad: GradRegion["grad"],
): Value[] {
  if (inputs.length === 0) throw new Error(`customGradient ${name}: no inputs`);
  const g = inputs[0].graph;
  const first = g.nodes.length;
  const outputs = build();
  const region: GradRegion = { name, inputs: [...inputs], outputs: [...outputs], grad };
  for (let i = first; i < g.nodes.length; i++) g.nodes[i].region = region;
  return outputs;
}

/** Normalises a possibly negative axis against a rank. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} out of range for rank ${rank}`);
  return a;
}
