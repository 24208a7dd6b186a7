/**
 * Reverse-mode automatic differentiation over the IR. Walking the nodes between the parameters and
 * the loss in reverse order, each op's registered gradient rule emits the backward ops into the same
 * graph; gradients of values used several times are summed. Regions built with `customGradient`
 * (fused GELU, L2 normalisation, channels-last convolution, ...) use their hand-written rule instead,
 * unless `customRules: false` asks for the generic per-op path (tests compare both).
 */
import { type GradRegion, type Node, type Value } from "./ir.js";
import { add, opDef } from "./ops/index.js";

interface GradientOptions {
  /** Use hand-written region rules (default true). */
  customRules?: boolean;
  /** Gradient of the loss to start from (default: ones, i.e. d loss / d loss = 1). */
  seed?: Value;
}

/**
 * Gradients of the scalar (or any-shaped, with `seed`) `loss` with respect to `wrt`, as new graph
 * values. A value the loss does not depend on gets null.
 */
export function gradients(loss: Value, wrt: readonly Value[], opts: GradientOptions = {}): (Value | null)[] {
  const g = loss.graph;
  const useCustom = opts.customRules ?? true;
  const relevant = dependsOn(g.nodes, wrt);
  if (!relevant.has(loss)) return wrt.map(() => null);

  const grads = new Map<Value, Value>();
  const accumulate = (v: Value, gv: Value | null): void => {
    if (!gv || !relevant.has(v)) return;
    if (gv.shape.length !== v.shape.length || gv.shape.some((d, i) => d !== v.shape[i] && d !== null && v.shape[i] !== null))
      throw new Error(`gradient shape [${gv.shape}] does not match value shape [${v.shape}] (v${v.id})`);
    const prev = grads.get(v);
    grads.set(v, prev ? add(prev, gv) : gv);
  };
  const seed = opts.seed ?? g.constant(new Array(loss.size()).fill(1), loss.staticShape());
  accumulate(loss, seed);

  // Only nodes built before the backward pass starts are differentiated.
  const forward = g.nodes.slice();
  const done = new Set<GradRegion>();
  for (let i = forward.length - 1; i >= 0; i--) {
    const node = forward[i];
    if (!node.outputs.some((o) => relevant.has(o))) continue;
    if (useCustom && node.region) {
      if (!done.has(node.region)) {
        done.add(node.region);
        applyRegion(node.region, forward, grads, relevant, accumulate);
      }
      continue;
    }
    applyNode(node, grads, relevant, accumulate);
  }
  return wrt.map((v) => grads.get(v) ?? null);
}

function applyNode(node: Node, grads: Map<Value, Value>, relevant: Set<Value>, accumulate: (v: Value, g: Value | null) => void): void {
  const gouts = node.outputs.map((o) => grads.get(o) ?? null);
  if (gouts.every((x) => x === null)) return;
  const def = opDef(node.op);
  if (!def.grad) throw new Error(`no gradient rule for ${node.op}`);
  const needs = node.inputs.map((v) => relevant.has(v));
  const gins = def.grad(node, gouts, needs);
  node.inputs.forEach((v, i) => accumulate(v, gins[i]));
}

function applyRegion(
  region: GradRegion,
  forward: readonly Node[],
  grads: Map<Value, Value>,
  relevant: Set<Value>,
  accumulate: (v: Value, g: Value | null) => void,
): void {
  const outs = new Set(region.outputs);
  for (const node of forward) {
    if (node.region !== region) continue;
    for (const o of node.outputs)
      if (!outs.has(o) && grads.has(o))
        throw new Error(`custom gradient region ${region.name}: internal value v${o.id} is used outside the region`);
  }
  const gouts = region.outputs.map((o) => grads.get(o) ?? null);
  if (gouts.every((x) => x === null)) return;
  const gins = region.grad(gouts, region.inputs.map((v) => relevant.has(v)));
  region.inputs.forEach((v, i) => accumulate(v, gins[i]));
}

/** Values that depend on any of `roots` (including the roots). */
function dependsOn(nodes: readonly Node[], roots: readonly Value[]): Set<Value> {
  const dep = new Set<Value>(roots);
  for (const n of nodes) if (n.inputs.some((v) => dep.has(v))) for (const o of n.outputs) dep.add(o);
  return dep;
}
