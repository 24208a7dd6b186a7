/**
 * ONNX writer: the protobuf decodes to the expected ModelProto (IR 8, opset 17, negative int64
 * varints, float attributes, dynamic dims, dead nodes dropped), and ORT runs written graphs with the
 * same results as the float64 interpreter, in float32 and in float64.
 */
import test from "node:test";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { Graph } from "../../src/engine/graph/ir.js";
import { run } from "../../src/engine/graph/interp.js";
import { IR_VERSION, OPSET, writeOnnx } from "../../src/engine/graph/onnx.js";
import * as op from "../../src/engine/graph/ops/index.js";
import { Rng } from "../../src/util/rng.js";

/** A decoded protobuf message: field number → values (numbers for varints/fixed32, bytes otherwise). */
type Msg = Map<number, (bigint | number | Uint8Array)[]>;

function decode(buf: Uint8Array): Msg {
  const msg: Msg = new Map();
  let i = 0;
  const varint = (): bigint => {
    let shift = 0n;
    let v = 0n;
    for (;;) {
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    let value: bigint | number | Uint8Array;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const len = Number(varint());
      value = buf.subarray(i, i + len);
      i += len;
    } else if (wire === 5) {
      value = new DataView(buf.buffer, buf.byteOffset + i, 4).getFloat32(0, true);
      i += 4;
    } else throw new Error(`unexpected wire type ${wire}`);
    msg.set(field, [...(msg.get(field) ?? []), value]);
  }
  return msg;
}

const text = (b: unknown) => new TextDecoder().decode(b as Uint8Array);
const sub = (m: Msg, f: number) => (m.get(f) ?? []).map((b) => decode(b as Uint8Array));
const int64 = (v: unknown) => BigInt.asIntN(64, v as bigint);

test("written ModelProto decodes with IR 8, opset 17, graph inputs/outputs, attributes and int64 initializers", () => {
  const g = new Graph("demo");
  const x = g.input("X", "float", [null, 4]);
  const w = g.input("W", "float", [4, 3]);
  const y = op.slice(op.gemm(x, w, { alpha: 0.25, transB: false }), [1], [0], [-1]);
  op.exp(x); // dead node: must not be written
  g.output("Y", y);
  g.output("Xcopy", x); // an input as output needs an Identity
  const model = decode(writeOnnx(g));
  assert.equal(Number(model.get(1)![0]), IR_VERSION);
  const opset = sub(model, 8)[0];
  assert.equal(text(opset.get(1)![0]), "");
  assert.equal(Number(opset.get(2)![0]), OPSET);
  const graph = sub(model, 7)[0];
  assert.equal(text(graph.get(2)![0]), "demo");
  const nodes = sub(graph, 1);
  assert.deepEqual(nodes.map((n) => text(n.get(4)![0])), ["Gemm", "Slice", "Identity"]);
  const gemm = nodes[0];
  const alpha = sub(gemm, 5).find((a) => text(a.get(1)![0]) === "alpha")!;
  assert.equal(alpha.get(2)![0], 0.25);
  assert.equal(Number(alpha.get(20)![0]), 1); // AttributeProto.FLOAT
  assert.equal(text(nodes[1].get(2)![0]), "Y"); // the output takes over the producing value's name
  const inits = sub(graph, 5);
  const ends = inits.find((t) => text(t.get(8)![0]) === text(nodes[1].get(1)![2]))!;
  assert.equal(Number(ends.get(2)![0]), 7); // INT64
  const raw = ends.get(9)![0] as Uint8Array;
  assert.equal(new DataView(raw.buffer, raw.byteOffset, 8).getBigInt64(0, true), -1n);
  const inputs = sub(graph, 11);
  assert.deepEqual(inputs.map((v) => text(v.get(1)![0])), ["X", "W"]);
  const dims = sub(sub(sub(sub(inputs[0], 2)[0], 1)[0], 2)[0], 1);
  assert.equal(text(dims[0].get(2)![0]), "X_dim0"); // dynamic → dim_param
  assert.equal(Number(dims[1].get(1)![0]), 4);
  assert.deepEqual(sub(graph, 12).map((v) => text(v.get(1)![0])), ["Y", "Xcopy"]);
});

test("negative integer attributes are written as 64-bit two's complement varints", () => {
  const g = new Graph();
  const x = g.input("x", "float", [2, 3]);
  g.output("y", op.softmax(x, -1));
  const node = sub(sub(decode(writeOnnx(g)), 7)[0], 1)[0];
  const axis = sub(node, 5)[0];
  assert.equal(int64(axis.get(3)![0]), -1n);
});

/** A graph exercising most ops, run by ORT and by the interpreter. */
function mixedGraph(): Graph {
  const g = new Graph("mixed");
  const a = g.input("a", "float", [3, 4]);
  const b = g.input("b", "float", [4, 5]);
  const m = op.matmul(a, b);
  const t = op.transpose(op.reshape(m, [3, 5, 1]), [2, 0, 1]);
  const s = op.slice(op.pad(op.squeeze(t, [0]), [1, 0, 0, 2]), [0, 1], [0, 1], [4, 7], [1, 2]);
  const e = op.div(op.exp(op.neg(op.mul(s, s))), op.add(op.sqrt(op.reduceSum(op.mul(s, s), [1], true)), 1));
  const c = op.concat([e, op.reduceMean(s, [0], true), op.reduceMax(s, [0], true)], 0);
  const sm = op.softmax(op.log(op.add(op.expand(op.unsqueeze(op.reduceSum(c, [0]), [0]), [2, 3]), 5)), 1);
  const gathered = op.gather(c, g.constant([0, 2, 2], [3], "int64"), 0);
  const clipped = op.clip(op.sub(gathered, 0.1), -0.2, 0.3);
  const w = op.where(op.less(clipped, 0), op.minimum(clipped, -0.05), op.maximum(op.tanh(clipped), op.erf(clipped)));
  const sum = op.sum([w, op.reciprocal(op.add(op.mul(w, w), 1)), op.cast(op.greaterOrEqual(w, 0), "float")]);
  const gem = op.gemm(sum, op.transpose(sm, [1, 0]), { transA: true, alpha: 0.5, c: g.constant([1, 2], [2]), beta: 2 });
  const sc = op.emit("ScatterND", [gem, g.constant([2, 0], [2, 1], "int64"), g.constant([1, 1, 1, 1], [2, 2])], { reduction: "add" });
  g.output("y", op.identity(sc));
  g.output("lse", op.reduceLogSumExp(m, [1]));
  return g;
}

test("ORT float32 runs a mixed-op graph with the interpreter's results", async () => {
  const g = mixedGraph();
  const rng = new Rng(3);
  const a = Float32Array.from({ length: 12 }, () => rng.normal());
  const b = Float32Array.from({ length: 20 }, () => rng.normal());
  const ref = run(g, { a, b });
  const session = await ort.InferenceSession.create(writeOnnx(g));
  const out = await session.run({ a: new ort.Tensor("float32", a, [3, 4]), b: new ort.Tensor("float32", b, [4, 5]) });
  for (const k of ["y", "lse"]) {
    assert.deepEqual(out[k].dims, ref[k].shape, k);
    (out[k].data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - ref[k].data[i]) < 2e-5 * (1 + Math.abs(ref[k].data[i])), `${k}[${i}] ${v} vs ${ref[k].data[i]}`));
  }
});

test("graphs can be written in float64 (ops with double kernels match the interpreter to 1e-12)", async () => {
  const g = new Graph();
  const a = g.input("a", "float", [3, 4]);
  const b = g.input("b", "float", [4, 2]);
  const y = op.softmax(op.add(op.matmul(op.exp(a), b), op.reduceSum(a, [1], true)), 1);
  g.output("y", op.div(y, g.scalar(3)));
  const rng = new Rng(1);
  const av = Float64Array.from({ length: 12 }, () => rng.normal());
  const bv = Float64Array.from({ length: 8 }, () => rng.normal());
  const ref = run(g, { a: av, b: bv });
  const session = await ort.InferenceSession.create(writeOnnx(g, { floatType: "float64" }));
  const out = await session.run({ a: new ort.Tensor("float64", av, [3, 4]), b: new ort.Tensor("float64", bv, [4, 2]) });
  assert.equal(out.y.type, "float64");
  (out.y.data as Float64Array).forEach((v, i) => assert.ok(Math.abs(v - ref.y.data[i]) < 1e-12));
});

test("zerosLike (ConstantOfShape of Shape) gives zeros of a dynamic shape in ORT float32 and float64, as the interpreter", async () => {
  const g = new Graph();
  const h = g.input("h", "float", [null, 3]);
  const rows = g.input("rows", "int64", [null]);
  const u = g.input("u", "float", [null, 3]);
  const z = op.zerosLike(h);
  assert.deepEqual(z.shape, [null, 3]);
  g.output("y", op.scatterAddRows(z, rows, u));
  const hv = Float64Array.from({ length: 12 }, (_, i) => i + 1);
  const uv = Float64Array.from({ length: 9 }, (_, i) => 0.5 * i - 1);
  const ref = run(g, { h: { shape: [4, 3], data: hv }, rows: { shape: [3], data: Float64Array.from([3, 0, 3]) }, u: { shape: [3, 3], data: uv } });
  assert.deepEqual(ref.y.shape, [4, 3]);
  assert.deepEqual(Array.from(ref.y.data.slice(3, 6)), [0, 0, 0]); // row 1: no update, and nothing of h
  for (const [ft, Arr] of [["float32", Float32Array], ["float64", Float64Array]] as const) {
    const session = await ort.InferenceSession.create(writeOnnx(g, { floatType: ft }));
    const out = await session.run({ h: new ort.Tensor(ft, Arr.from(hv), [4, 3]), rows: new ort.Tensor("int64", BigInt64Array.from([3n, 0n, 3n]), [3]), u: new ort.Tensor(ft, Arr.from(uv), [3, 3]) });
    assert.equal(out.y.type, ft);
    assert.deepEqual(Array.from(out.y.data as ArrayLike<number>), Array.from(ref.y.data), ft);
  }
});
