import type { AttentionInput } from '../types';
import type { RowKernel } from './rows';
import { NORM_EPS } from './elementwise';
import { biasAt, kvHeadOf, visible } from './visibility';

/** Parameters of softplus attention (spec §5). */
export interface LssaParams {
  /** d of the length scale λ = ln d · ln N (the head dimension by default). */
  d: number;
  /** LSSAR: apply the re-weighting stage (false = plain LSSA). */
  reweight: boolean;
  /** Re-weighting power p of LSSAR. */
  p: number;
  /** LSSAR: rows at sequence positions 0..warm−1 (0-based) use the offset O = 0, later rows O = 1. */
  warm: number;
}

/** softplus(x) = ln(1 + e^x), in the form that does not overflow for large x. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** Cosine of query row i of head h and key j (0 when either is zero), -Infinity if hidden, NaN if not finite. */
function cosineAt(input: AttentionInput, h: number, i: number, j: number): number {
  if (!visible(input, h, i, j) || biasAt(input, h, i, j) === -Infinity) return -Infinity;
  const { q, k, headDim, tq, tk } = input;
  const qo = (h * tq + i) * headDim;
  const ko = (kvHeadOf(input, h) * tk + j) * headDim;
  let dot = 0;
  let qq = 0;
  let kk = 0;
  for (let c = 0; c < headDim; c++) {
    dot += q[qo + c] * k[ko + c];
    qq += q[qo + c] * q[qo + c];
    kk += k[ko + c] * k[ko + c];
  }
  if (!Number.isFinite(dot) || !Number.isFinite(qq) || !Number.isFinite(kk)) return NaN; // invalid row
  return qq > 0 && kk > 0 ? dot / Math.sqrt(qq * kk) : 0;
}

/**
 * LSSA and LSSAR (`reweight`), spec §5:
 *   a_j = softplus(λ · cos(q, k_j) + bias_j),  λ = ln d · ln N  (N = keys the row sees),
 *   A_j = a_j / (Σ a + 1e-8);
 *   LSSAR: u_j = relu(A_j N − O) / max_k relu(A_k N − O),  w_j = u_j^p / Σ u^p   (overflow-safe form
 *   of relu(A N − O)^p / Σ; a row with every A_j N ≤ O gets all-zero weights and outputs 0).
 * The scale and softcap of the input do not apply (the cosine replaces 1/√d); a finite additive
 * bias is added to the softplus argument, so ALiBi and padding stay orthogonal.
 */
export function lssaKernel(input: AttentionInput, p: LssaParams): RowKernel {
  const lnD = Math.log(p.d);
  return {
    proxy: false,
    score: (h, i, j) => cosineAt(input, h, i, j),
    weigh(scores, w, place) {
      const lambda = lnD * Math.log(place.visible);
      let sum = 0;
      for (let j = 0; j < scores.length; j++) {
        if (scores[j] === -Infinity) continue;
        w[j] = softplus(lambda * scores[j] + biasAt(input, place.h, place.i, j));
        sum += w[j];
      }
      for (let j = 0; j < scores.length; j++) w[j] /= sum + NORM_EPS;
      if (p.reweight) reweight(w, place.visible, place.pos < p.warm ? 0 : 1, p.p);
      return false;
    },
  };
}

/** LSSAR's second stage in place, overflow-safe: divide by the largest relu term before the power. */
export function reweight(w: Float64Array, n: number, offset: number, power: number): void {
  let max = 0;
  for (let j = 0; j < w.length; j++) {
    w[j] = Math.max(w[j] * n - offset, 0);
    if (w[j] > max) max = w[j];
  }
  let sum = 0;
  for (let j = 0; j < w.length; j++) {
    w[j] = w[j] > 0 ? (w[j] / max) ** power : 0; // keys the ReLU cut stay 0, even for p = 0
    sum += w[j];
  }
  if (sum > 0) for (let j = 0; j < w.length; j++) w[j] /= sum;
}
