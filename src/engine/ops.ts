/**
 * All IR operators in one import. Importing this module registers every op definition (shape
 * inference, float64 evaluator, gradient rule); builders are plain functions of IR values, e.g.
 * `add(matmul(x, w), b)`. Numbers given as operands become float scalar constants.
 */
import "./ops-elementwise.js";
import "./ops-shape.js";
import "./ops-reduce.js";
import "./ops-linalg.js";

export * from "./ops-elementwise.js";
export * from "./ops-shape.js";
export * from "./ops-reduce.js";
export * from "./ops-linalg.js";
export { emit, emitMulti, opDef, registeredOps, type Tensor } from "./ops-registry.js";
