/**
 * Conv: the ONNX convolution, forward only, in the form the inference graphs emit: input
 * [B, C, spatial…], weight [Co, C, kernel…] (PyTorch layout), optional bias [Co], `strides`; no padding,
 * dilation or groups (refused). It has no gradient rule on purpose: training graphs keep their GEMM
 * formulations (nn.ts, with hand-written backward rules), and autodiff reaching a Conv fails loudly.
 */
import { type Attrs, type Dim } from "../ir.js";
import { type OpDef, type Tensor, attrInts, registerOp, strides } from "./registry.js";

/** The strides of a convolution with `spatial` spatial axes after checking the attributes we support. */
function convStrides(attrs: Attrs, spatial: number, kernel: readonly Dim[]): number[] {
  for (const name of Object.keys(attrs)) {
    if (!["strides", "kernel_shape"].includes(name))
      throw new Error(`Conv: attribute ${name} is not supported (valid convolutions only: no pads, dilations, groups or auto_pad)`);
  }
  const ks = attrInts(attrs, "kernel_shape");
  if (ks && (ks.length !== spatial || ks.some((k, i) => kernel[i] !== null && k !== kernel[i])))
    throw new Error(`Conv: kernel_shape [${ks}] does not match the weight's kernel [${kernel}]`);
  const s = attrInts(attrs, "strides") ?? new Array<number>(spatial).fill(1);
  if (s.length !== spatial || s.some((x) => !Number.isInteger(x) || x < 1))
    throw new Error(`Conv: strides must be ${spatial} positive integers, got [${s}]`);
  return s;
}

/** Output length of a valid convolution along one axis (null when the input length is dynamic). */
function outLen(len: Dim, k: number, s: number): Dim {
  if (len === null) return null;
  const n = Math.floor((len - k) / s) + 1;
  if (n < 1) throw new Error(`Conv: an input of length ${len} is shorter than the kernel ${k}`);
  return n;
}

const CONV: OpDef = {
  type: "Conv",
  infer: ([x, w, b], attrs) => {
    if (x.dtype !== "float" || w.dtype !== "float" || (b && b.dtype !== "float")) throw new Error("Conv: float operands only");
    if (x.rank < 3 || w.rank !== x.rank) throw new Error(`Conv: input [B, C, spatial…] and weight [Co, C, kernel…] of the same rank ≥ 3, got ranks ${x.rank} and ${w.rank}`);
    const kernel = w.shape.slice(2);
    if (kernel.some((k) => k === null)) throw new Error("Conv: the kernel shape must be static");
    const [co, ci] = w.shape;
    if (x.shape[1] !== null && ci !== null && x.shape[1] !== ci) throw new Error(`Conv: the input has ${x.shape[1]} channels, the weight ${ci}`);
    if (b && (b.rank !== 1 || (b.shape[0] !== null && co !== null && b.shape[0] !== co))) throw new Error(`Conv: the bias must be [${co}], got [${b.shape}]`);
    const s = convStrides(attrs, x.rank - 2, kernel);
    return [{ dtype: "float", shape: [x.shape[0], co, ...x.shape.slice(2).map((len, i) => outLen(len, kernel[i] as number, s[i]))] }];
  },
  evaluate: ([x, w, b], attrs) => {
    const r = x.shape.length - 2;
    const [B, C] = x.shape;
    const [Co] = w.shape;
    const kernel = w.shape.slice(2);
    const s = convStrides(attrs, r, kernel);
    const outSpatial = x.shape.slice(2).map((len, i) => outLen(len, kernel[i], s[i]) as number);
    const shape = [B, Co, ...outSpatial];
    const data = new Float64Array(shape.reduce((a, v) => a * v, 1));
    const xs = strides(x.shape);
    const ws = strides(w.shape);
    const os = strides(shape);
    const nOut = outSpatial.reduce((a, v) => a * v, 1);
    const nK = kernel.reduce((a, v) => a * v, 1);
    // Multi-indices of the output positions and kernel offsets, spatial axes only.
    const unravel = (flat: number, dims: readonly number[]): number[] => {
      const idx = new Array<number>(dims.length);
      for (let i = dims.length - 1; i >= 0; i--) {
        idx[i] = flat % dims[i];
        flat = Math.floor(flat / dims[i]);
      }
      return idx;
    };
    for (let n = 0; n < B; n++)
      for (let o = 0; o < Co; o++)
        for (let p = 0; p < nOut; p++) {
          const pos = unravel(p, outSpatial);
          let acc = b ? b.data[o] : 0;
          for (let c = 0; c < C; c++)
            for (let q = 0; q < nK; q++) {
              const off = unravel(q, kernel);
              let xi = n * xs[0] + c * xs[1];
              let wi = o * ws[0] + c * ws[1];
              for (let a = 0; a < r; a++) {
                xi += (pos[a] * s[a] + off[a]) * xs[a + 2];
                wi += off[a] * ws[a + 2];
              }
              acc += x.data[xi] * w.data[wi];
            }
          let oi = n * os[0] + o * os[1];
          for (let a = 0; a < r; a++) oi += pos[a] * os[a + 2];
          data[oi] = acc;
        }
    return [{ shape, data } satisfies Tensor];
  },
};

registerOp(CONV);
