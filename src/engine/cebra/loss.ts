/**
 * CEBRA's InfoNCE criterion (cebra/models/criterions.py) as IR.
 *
 * Similarities: cosine/dot (`ref·pos`, `ref·negᵀ`) or negated squared Euclidean distance; both scaled
 * by 1/τ (constant temperature) or by β = min(exp θ, 1/min_temperature) (learnable, "auto"). Every
 * reference is contrasted with all B negatives of the batch; the positive is not in the denominator.
 * loss = mean(−pos) + mean(logsumexp_j neg_ij); logsumexp is stabilised by the row maximum, whose
 * shift cancels in the loss and its gradient exactly as CEBRA's detached shift does.
 */
import type { Distance } from "../types.js";
import { type Value } from "../graph/ir.js";
import { add, clip, exp, gemm, mul, neg, reciprocal, reduceMean, reduceSum, reshape, slice, sub } from "../graph/ops/index.js";
import { logSumExp } from "../graph/nn.js";

/** The scale applied to similarities: 1/τ as a constant, or the learnable inverse temperature β. */
export type SimilarityScale = { kind: "constant"; temperature: number } | { kind: "learnable"; beta: Value };

export interface InfoNCE {
  /** align + uniform (scalar). */
  loss: Value;
  /** mean(−pos) (CEBRA's uncorrected alignment). */
  align: Value;
  /** mean(logsumexp(neg)) (CEBRA's uncorrected uniformity). */
  uniform: Value;
}

/** Scaled similarities: pos [B] and neg [B, B], for ref, pos, neg [B, D]. */
export function similarities(ref: Value, pos: Value, negs: Value, distance: Distance, scale: SimilarityScale): { pos: Value; neg: Value } {
  const alpha = scale.kind === "constant" ? 1 / scale.temperature : 1;
  const dotPos = reduceSum(mul(ref, pos), [1]);
  let p: Value;
  let n: Value;
  if (distance === "cosine") {
    p = alpha === 1 ? dotPos : mul(dotPos, alpha);
    n = gemm(ref, negs, { transB: true, alpha });
  } else {
    // −‖x − y‖² = 2x·y − ‖x‖² − ‖y‖², as CEBRA's euclidean_similarity.
    const refSq = reduceSum(mul(ref, ref), [1]);
    const posSq = reduceSum(mul(pos, pos), [1]);
    const negSq = reduceSum(mul(negs, negs), [1]);
    p = mul(sub(sub(mul(dotPos, 2), refSq), posSq), alpha);
    const cross = gemm(ref, negs, { transB: true, alpha: 2 * alpha });
    n = sub(sub(cross, mul(reshape(refSq, [-1, 1]), alpha)), mul(negSq, alpha));
  }
  if (scale.kind === "learnable") {
    p = mul(p, scale.beta);
    n = mul(n, scale.beta);
  }
  return { pos: p, neg: n };
}

/** InfoNCE from scaled similarities. */
function infonceFromSimilarities(pos: Value, negSim: Value): InfoNCE {
  const align = reduceMean(neg(pos), [0]);
  const uniform = reduceMean(logSumExp(negSim, 1), [0]);
  return { loss: add(align, uniform), align, uniform };
}

/** InfoNCE of embeddings ref, pos, neg [B, D]. */
export function infonce(ref: Value, pos: Value, negs: Value, distance: Distance, scale: SimilarityScale): InfoNCE {
  const s = similarities(ref, pos, negs, distance, scale);
  return infonceFromSimilarities(s.pos, s.neg);
}

/** Sum of two InfoNCE terms (hybrid training: behaviour + time objective). */
export function sumInfonce(a: InfoNCE, b: InfoNCE): InfoNCE {
  return { loss: add(a.loss, b.loss), align: add(a.align, b.align), uniform: add(a.uniform, b.uniform) };
}

/**
 * Learnable inverse temperature from θ (the last parameter): β = clamp(exp θ, max = 1/min_temperature)
 * (min_temperature ≤ 0 means no clamp). Returns β and the reported temperature 1/β.
 */
export function learnableTemperature(theta: Value, minTemperature: number): { beta: Value; temperature: Value } {
  const e = exp(theta);
  const beta = minTemperature > 0 ? clip(e, null, 1 / minTemperature) : e;
  return { beta, temperature: reciprocal(beta) };
}

/** The first `d` columns of an embedding [B, D]. */
export function leadingDims(z: Value, d: number): Value {
  return slice(z, [1], [0], [d]);
}
