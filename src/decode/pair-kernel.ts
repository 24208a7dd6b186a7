/**
 * The inner loop of the exact kNN search: dot products or squared Euclidean distances between a quad of
 * query rows and a run of reference rows, as a small WebAssembly SIMD module (f32x4 lanes).
 *
 * Why WebAssembly: the raw-activity controls search 900 queries × 8,100 references at N = 1,000 neurons
 * (7.3 G multiply-adds) several times per decode. Plain JS loops reach about 2 G multiply-adds/s on one
 * core; this kernel reaches about 14–17 G/s, so a raw control takes about a second instead of many.
 * The module is assembled here from named opcodes (no build step, no binary blob); it is the moral
 * equivalent of the following WAT, shown for `dots` (`sqdists` replaces `q*x` by `(q−x)*(q−x)`):
 *
 * ```wat
 * (func $dots (param $q i32) (param $r i32) (param $nr i32) (param $rowBytes i32) (param $out i32)
 *   ;; for j in 0, 2, 4 … < nr: for the query rows q0..q3 (q + i·rowBytes) and reference rows
 *   ;; a = r + j·rowBytes, b = a + rowBytes: acc[i][a] += q_i[d:d+4] * a[d:d+4] (f32x4) over d,
 *   ;; then out[(j)·4 + i] = Σ lanes acc[i][a]; out[(j+1)·4 + i] = Σ lanes acc[i][b]  (f32)
 * )
 * ```
 *
 * Contract (checked by the caller, `knn.ts`): rows are `rowBytes` apart, `rowBytes` is a multiple of 16
 * (dimension zero-padded to a multiple of 4, which changes neither dots nor distances), `nr` is even
 * (the reference block is padded with a zero row), and all addresses lie inside `memory`.
 * Sums are accumulated in float32 in 4 lanes (the same precision as sklearn on float32 inputs).
 */

/**
 * The slice of the WebAssembly JS API used here. Node provides the global at run time; the project's
 * TypeScript libs (ES2022, no DOM) do not declare it, so it is declared for this module only.
 */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => WebAssemblyModule;
  Instance: new (module: WebAssemblyModule, imports: object) => { exports: Record<string, unknown> };
};
interface WebAssemblyModule {
  readonly __brand?: "WebAssembly.Module";
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** The two kernels and the memory they read and write. */
export interface PairKernel {
  readonly memory: WasmMemory;
  /** out[j·4 + i] = ⟨q_i, r_j⟩ for i < 4, j < nr (byte addresses; see module doc). */
  dots(q: number, r: number, nr: number, rowBytes: number, out: number): void;
  /** out[j·4 + i] = ‖q_i − r_j‖² for i < 4, j < nr. */
  sqdists(q: number, r: number, nr: number, rowBytes: number, out: number): void;
  /** Grows `memory` so that it holds at least `bytes` bytes. */
  ensureBytes(bytes: number): void;
}

/** Creates a fresh kernel instance with its own memory (the compiled module is shared). */
export function createPairKernel(): PairKernel {
  const instance = new WebAssembly.Instance(compiledModule(), {});
  const exports = instance.exports as unknown as {
    memory: WasmMemory;
    dots: PairKernel["dots"];
    sqdists: PairKernel["sqdists"];
  };
  const memory = exports.memory;
  return {
    memory,
    dots: exports.dots,
    sqdists: exports.sqdists,
    ensureBytes(bytes: number): void {
      const have = memory.buffer.byteLength;
      if (bytes > have) memory.grow(Math.ceil((bytes - have) / WASM_PAGE_BYTES));
    },
  };
}

const WASM_PAGE_BYTES = 65536;

let cachedModule: WebAssemblyModule | null = null;

function compiledModule(): WebAssemblyModule {
  cachedModule ??= new WebAssembly.Module(assembleModule());
  return cachedModule;
}

// ---------------------------------------------------------------------------------------------
// A minimal WebAssembly assembler: just the opcodes the two kernels use.

type Bytes = number[];

/** Unsigned LEB128. */
function uleb(n: number): Bytes {
  const out: Bytes = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (for i32.const). */
function sleb(n: number): Bytes {
  const out: Bytes = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const TYPE_I32 = 0x7f;
const TYPE_V128 = 0x7b;
const SIMD = 0xfd;

const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, depth],
  brIf: (depth: number) => [0x0d, depth],
  localGet: (i: number) => [0x20, ...uleb(i)],
  localSet: (i: number) => [0x21, ...uleb(i)],
  localTee: (i: number) => [0x22, ...uleb(i)],
  i32Const: (n: number) => [0x41, ...sleb(n)],
  i32Eqz: [0x45],
  i32LtU: [0x49],
  i32Add: [0x6a],
  i32Mul: [0x6c],
  f32Add: [0x92],
  /** f32.store with 4-byte alignment and a constant byte offset. */
  f32Store: (offset: number) => [0x38, 0x02, ...uleb(offset)],
  /** v128.load with 16-byte alignment hint. */
  v128Load: [SIMD, 0x00, 0x04, 0x00],
  v128Zero: [SIMD, 0x0c, ...new Array<number>(16).fill(0)],
  f32x4ExtractLane: (lane: number) => [SIMD, 0x1f, lane],
  f32x4Add: [SIMD, ...uleb(0xe4)],
  f32x4Sub: [SIMD, ...uleb(0xe5)],
  f32x4Mul: [SIMD, ...uleb(0xe6)],
};

// Parameters and locals of both kernels.
const P_Q = 0;
const P_R = 1;
const P_NR = 2;
const P_ROW_BYTES = 3;
const P_OUT = 4;
const L_J = 5; // reference index within the run (steps of 2)
const L_D = 6; // byte offset within a row (steps of 16)
const L_RA = 7; // address of reference row j
const L_RB = 8; // address of reference row j + 1
const L_Q1 = 9; // addresses of query rows 1..3 (row 0 is P_Q)
const N_I32_LOCALS = 7;
const L_ACC = 12; // 8 accumulators: ACC + i for row a, ACC + 4 + i for row b
const L_X = 20; // 4 lanes of reference row a
const L_Y = 21; // 4 lanes of reference row b
const L_QV = 22; // 4 lanes of query row i
const L_TMP = 23; // q − x for sqdists
const N_V128_LOCALS = 12;

type PairOp = "dot" | "sqdist";

function queryRowAddress(i: number): Bytes {
  return i === 0 ? op.localGet(P_Q) : op.localGet(L_Q1 + i - 1);
}

/** acc += f(qv, ref) where f is q·x or (q−x)² lane-wise. */
function accumulate(kind: PairOp, acc: number, ref: number): Bytes {
  if (kind === "dot") {
    return [...op.localGet(acc), ...op.localGet(L_QV), ...op.localGet(ref), ...op.f32x4Mul, ...op.f32x4Add, ...op.localSet(acc)];
  }
  return [
    ...op.localGet(acc),
    ...op.localGet(L_QV), ...op.localGet(ref), ...op.f32x4Sub, ...op.localTee(L_TMP), ...op.localGet(L_TMP), ...op.f32x4Mul,
    ...op.f32x4Add, ...op.localSet(acc),
  ];
}

/** out[(j + refOffset)·4 + i] = lane sum of accumulator `acc`. */
function storeLaneSum(acc: number, refOffset: number, i: number): Bytes {
  return [
    ...op.localGet(P_OUT), ...op.localGet(L_J), ...op.i32Const(16), ...op.i32Mul, ...op.i32Add,
    ...op.localGet(acc), ...op.f32x4ExtractLane(0), ...op.localGet(acc), ...op.f32x4ExtractLane(1), ...op.f32Add,
    ...op.localGet(acc), ...op.f32x4ExtractLane(2), ...op.localGet(acc), ...op.f32x4ExtractLane(3), ...op.f32Add,
    ...op.f32Add,
    ...op.f32Store(refOffset * 16 + i * 4),
  ];
}

/** Body of one kernel (see the WAT in the module doc). */
function kernelBody(kind: PairOp): Bytes {
  const c: Bytes = [];
  const emit = (...parts: Bytes[]) => {
    for (const p of parts) c.push(...p);
  };
  // Query row addresses q1..q3.
  for (let i = 1; i < 4; i++) {
    emit(op.localGet(P_Q), op.localGet(P_ROW_BYTES), op.i32Const(i), op.i32Mul, op.i32Add, op.localSet(L_Q1 + i - 1));
  }
  emit(op.i32Const(0), op.localSet(L_J));
  emit(op.block, op.loop); // for (j = 0; j < nr; j += 2)
  emit(op.localGet(L_J), op.localGet(P_NR), op.i32LtU, op.i32Eqz, op.brIf(1));
  emit(op.localGet(P_R), op.localGet(L_J), op.localGet(P_ROW_BYTES), op.i32Mul, op.i32Add, op.localTee(L_RA));
  emit(op.localGet(P_ROW_BYTES), op.i32Add, op.localSet(L_RB));
  for (let a = 0; a < 8; a++) emit(op.v128Zero, op.localSet(L_ACC + a));
  emit(op.i32Const(0), op.localSet(L_D));
  emit(op.block, op.loop); // for (d = 0; d < rowBytes; d += 16)
  emit(op.localGet(L_D), op.localGet(P_ROW_BYTES), op.i32LtU, op.i32Eqz, op.brIf(1));
  emit(op.localGet(L_RA), op.localGet(L_D), op.i32Add, op.v128Load, op.localSet(L_X));
  emit(op.localGet(L_RB), op.localGet(L_D), op.i32Add, op.v128Load, op.localSet(L_Y));
  for (let i = 0; i < 4; i++) {
    emit(queryRowAddress(i), op.localGet(L_D), op.i32Add, op.v128Load, op.localSet(L_QV));
    emit(accumulate(kind, L_ACC + i, L_X), accumulate(kind, L_ACC + 4 + i, L_Y));
  }
  emit(op.localGet(L_D), op.i32Const(16), op.i32Add, op.localSet(L_D), op.br(0));
  emit(op.end, op.end);
  for (let i = 0; i < 4; i++) emit(storeLaneSum(L_ACC + i, 0, i), storeLaneSum(L_ACC + 4 + i, 1, i));
  emit(op.localGet(L_J), op.i32Const(2), op.i32Add, op.localSet(L_J), op.br(0));
  emit(op.end, op.end, op.end);
  return c;
}

function vector(items: Bytes[]): Bytes {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, content: Bytes): Bytes {
  return [id, ...uleb(content.length), ...content];
}

function name(s: string): Bytes {
  const bytes = [...Buffer.from(s, "utf8")];
  return [...uleb(bytes.length), ...bytes];
}

function functionCode(body: Bytes): Bytes {
  const locals = vector([
    [...uleb(N_I32_LOCALS), TYPE_I32],
    [...uleb(N_V128_LOCALS), TYPE_V128],
  ]);
  const code = [...locals, ...body];
  return [...uleb(code.length), ...code];
}

/** The module: one memory (exported as "memory") and the functions "dots" and "sqdists". */
function assembleModule(): Uint8Array {
  const kernelType = [0x60, ...vector([[TYPE_I32], [TYPE_I32], [TYPE_I32], [TYPE_I32], [TYPE_I32]]), ...vector([])];
  const EXPORT_FUNC = 0x00;
  const EXPORT_MEMORY = 0x02;
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, vector([kernelType])), // types
    ...section(3, vector([[0x00], [0x00]])), // two functions of type 0
    ...section(5, vector([[0x00, ...uleb(1)]])), // memory, min 1 page, no max
    ...section(7, vector([
      [...name("memory"), EXPORT_MEMORY, 0x00],
      [...name("dots"), EXPORT_FUNC, 0x00],
      [...name("sqdists"), EXPORT_FUNC, 0x01],
    ])),
    ...section(10, vector([functionCode(kernelBody("dot")), functionCode(kernelBody("sqdist"))])),
  ];
  return new Uint8Array(bytes);
}
