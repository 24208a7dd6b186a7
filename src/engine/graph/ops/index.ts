/**
 * All IR operators in one import. Importing this module registers every op definition (shape
 * inference, float64 evaluator, gradient rule); builders are plain functions of IR values, e.g.
 * `add(matmul(x, w), b)`. Numbers given as operands become float scalar constants.
 */
import "./elementwise.js";
import "./shape.js";
import "./reduce.js";
import "./linalg.js";
import "./conv.js";

export * from "./builders.js";
export * from "./broadcast.js";
export { erf64 } from "./elementwise.js";
export { resolveSlice } from "./shape.js";
export { emit, emitMulti, opDef, registeredOps, type Tensor } from "./registry.js";
