/**
 * numpy broadcasting: the broadcast shape of operands, float64 evaluation over broadcast tensors (the
 * interpreter), and its adjoint for gradients (`unbroadcast`).
 */
import type { Dim, Value } from "../ir.js";
import { reduceSum, reshape } from "./builders.js";
import { type Tensor, strides } from "./registry.js";


/** numpy broadcast of static-or-dynamic shapes. */
export function broadcastShapes(shapes: readonly (readonly Dim[])[]): Dim[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      if (k < 0) continue;
      const e = s[k];
      if (e === 1) continue;
      if (d === 1) d = e;
      else if (e !== null && d !== null && e !== d) throw new Error(`cannot broadcast shapes ${shapes.map((x) => `[${x}]`).join(", ")}`);
      else if (d === null) d = e;
    }
    out.push(d);
  }
  return out;
}

/** Applies `f` element-wise over broadcast float64 tensors. */
export function broadcastEval(ts: readonly Tensor[], f: (...xs: number[]) => number): Tensor {
  const shape = broadcastShapes(ts.map((t) => t.shape)) as number[];
  const rank = shape.length;
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  // Per input: strides aligned to the output rank, 0 on broadcast axes.
  const bstr = ts.map((t) => {
    const s = strides(t.shape);
    return shape.map((_, i) => {
      const k = t.shape.length - rank + i;
      return k < 0 || t.shape[k] === 1 ? 0 : s[k];
    });
  });
  const idx = new Array<number>(rank).fill(0);
  const offs = new Array<number>(ts.length).fill(0);
  const args = new Array<number>(ts.length);
  for (let o = 0; o < n; o++) {
    for (let j = 0; j < ts.length; j++) args[j] = ts[j].data[offs[j]];
    out[o] = f(...args);
    for (let ax = rank - 1; ax >= 0; ax--) {
      idx[ax]++;
      for (let j = 0; j < ts.length; j++) offs[j] += bstr[j][ax];
      if (idx[ax] < shape[ax]) break;
      for (let j = 0; j < ts.length; j++) offs[j] -= bstr[j][ax] * shape[ax];
      idx[ax] = 0;
    }
  }
  return { shape, data: out };
}

/**
 * Sums a gradient of broadcast shape back to an operand's shape (the adjoint of broadcasting).
 */
export function unbroadcast(g: Value, shape: readonly Dim[]): Value {
  const gs = g.shape;
  if (gs.length === shape.length && gs.every((d, i) => d === shape[i])) return g;
  const lead = gs.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < gs.length; i++) {
    if (i < lead) axes.push(i);
    else if (shape[i - lead] === 1 && gs[i] !== 1) axes.push(i);
  }
  const summed = axes.length > 0 ? reduceSum(g, axes, true) : g;
  return reshape(summed, shape.map((d) => {
    if (d === null) throw new Error("unbroadcast needs a static operand shape");
    return d;
  }));
}
