/**
 * Matrix products: MatMul (numpy batched semantics, rank ≥ 2) and Gemm (2-D, transA/transB/alpha/beta).
 * The MatMul rule for a 2-D right operand (every weight product in the engine) flattens the batch so
 * the weight gradient is one Gemm with transA instead of a batched product plus a reduction.
 */
import { type Dim, type Value } from "../ir.js";
import { type OpDef, type Tensor, attrNum, registerOp } from "./registry.js";
import { broadcastShapes, unbroadcast } from "./broadcast.js";
import { mul, reshape, transpose, matmul, gemm } from "./builders.js";

/** Swaps the last two axes. */
function transposeLast2(x: Value): Value {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return transpose(x, perm);
}

function matmulShape(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  if (a.length < 2 || b.length < 2) throw new Error("MatMul: operands must have rank >= 2");
  const k1 = a[a.length - 1];
  const k2 = b[b.length - 2];
  if (k1 !== null && k2 !== null && k1 !== k2) throw new Error(`MatMul: inner dimensions differ (${k1} vs ${k2})`);
  const batch = broadcastShapes([a.slice(0, -2), b.slice(0, -2)]);
  return [...batch, a[a.length - 2], b[b.length - 1]];
}

/** float64 batched matrix product with broadcast batch dimensions. */
function matmulEval(a: Tensor, b: Tensor): Tensor {
  const shape = matmulShape(a.shape, b.shape) as number[];
  const m = a.shape[a.shape.length - 2];
  const k = a.shape[a.shape.length - 1];
  const n = b.shape[b.shape.length - 1];
  const batchShape = shape.slice(0, -2);
  const nb = batchShape.reduce((x, y) => x * y, 1);
  const out = new Float64Array(nb * m * n);
  const batchOffset = (t: Tensor, bi: number, block: number): number => {
    const tb = t.shape.slice(0, -2);
    let off = 0;
    let stride = 1;
    let rem = bi;
    const idx = new Array<number>(batchShape.length);
    for (let i = batchShape.length - 1; i >= 0; i--) {
      idx[i] = rem % batchShape[i];
      rem = Math.floor(rem / batchShape[i]);
    }
    for (let i = tb.length - 1; i >= 0; i--) {
      const j = batchShape.length - tb.length + i;
      off += (tb[i] === 1 ? 0 : idx[j]) * stride;
      stride *= tb[i];
    }
    return off * block;
  };
  for (let bi = 0; bi < nb; bi++) {
    const ao = batchOffset(a, bi, m * k);
    const bo = batchOffset(b, bi, k * n);
    const oo = bi * m * n;
    for (let i = 0; i < m; i++) {
      for (let p = 0; p < k; p++) {
        const av = a.data[ao + i * k + p];
        if (av === 0) continue;
        const brow = bo + p * n;
        for (let j = 0; j < n; j++) out[oo + i * n + j] += av * b.data[brow + j];
      }
    }
  }
  return { shape, data: out };
}

function transpose2(t: Tensor): Tensor {
  const [r, c] = t.shape;
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
  return { shape: [c, r], data: out };
}

const DEFS: OpDef[] = [
  {
    type: "MatMul",
    infer: ([a, b]) => {
      if (a.dtype !== "float" || b.dtype !== "float") throw new Error("MatMul: float operands only");
      return [{ dtype: "float", shape: matmulShape(a.shape, b.shape) }];
    },
    evaluate: ([a, b]) => [matmulEval(a, b)],
    grad: (node, [g], needs) => {
      const [a, b] = node.inputs;
      if (!g) return [null, null];
      if (b.rank === 2) {
        const k = b.shape[0];
        const n = b.shape[1];
        if (k === null || n === null) throw new Error("MatMul gradient: weight shape must be static");
        const ga = needs[0] ? matmul(g, transpose(b, [1, 0])) : null;
        const gb = needs[1] ? gemm(reshape(a, [-1, k]), reshape(g, [-1, n]), { transA: true }) : null;
        return [ga, gb];
      }
      const ga = needs[0] ? unbroadcast(matmul(g, transposeLast2(b)), a.shape) : null;
      const gb = needs[1] ? unbroadcast(matmul(transposeLast2(a), g), b.shape) : null;
      return [ga, gb];
    },
  },
  {
    type: "Gemm",
    floatAttrs: ["alpha", "beta"],
    infer: ([a, b, c], attrs) => {
      if (a.rank !== 2 || b.rank !== 2) throw new Error("Gemm: operands must be 2-D");
      const ta = attrNum(attrs, "transA", 0) !== 0;
      const tb = attrNum(attrs, "transB", 0) !== 0;
      const m = ta ? a.shape[1] : a.shape[0];
      const ka = ta ? a.shape[0] : a.shape[1];
      const kb = tb ? b.shape[1] : b.shape[0];
      const n = tb ? b.shape[0] : b.shape[1];
      if (ka !== null && kb !== null && ka !== kb) throw new Error(`Gemm: inner dimensions differ (${ka} vs ${kb})`);
      if (c) broadcastShapes([c.shape, [m, n]]);
      return [{ dtype: "float", shape: [m, n] }];
    },
    evaluate: ([a, b, c], attrs) => {
      const A = attrNum(attrs, "transA", 0) ? transpose2(a) : a;
      const B = attrNum(attrs, "transB", 0) ? transpose2(b) : b;
      const alpha = attrNum(attrs, "alpha", 1);
      const beta = attrNum(attrs, "beta", 1);
      const y = matmulEval(A, B);
      for (let i = 0; i < y.data.length; i++) y.data[i] *= alpha;
      if (!c) return [y];
      const [m, n] = y.shape;
      const cm = c.shape.length === 2 ? c.shape[0] : 1;
      const cn = c.shape.length >= 1 ? c.shape[c.shape.length - 1] : 1;
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) y.data[i * n + j] += beta * c.data[(cm === 1 ? 0 : i) * cn + (cn === 1 ? 0 : j)];
      return [y];
    },
    grad: (node, [g], needs) => {
      const [a, b, c] = node.inputs;
      if (!g) return node.inputs.map(() => null);
      const ta = attrNum(node.attrs, "transA", 0) !== 0;
      const tb = attrNum(node.attrs, "transB", 0) !== 0;
      const alpha = attrNum(node.attrs, "alpha", 1);
      const beta = attrNum(node.attrs, "beta", 1);
      const ga = !needs[0] ? null : ta ? gemm(b, g, { transA: tb, transB: true, alpha }) : gemm(g, b, { transB: !tb, alpha });
      const gb = !needs[1] ? null : tb ? gemm(g, a, { transA: true, transB: ta, alpha }) : gemm(a, g, { transA: !ta, alpha });
      const out: (Value | null)[] = [ga, gb];
      if (c) out.push(needs[2] ? unbroadcast(beta === 1 ? g : mul(g, beta), c.shape) : null);
      return out;
    },
  },
];

for (const d of DEFS) registerOp(d);
