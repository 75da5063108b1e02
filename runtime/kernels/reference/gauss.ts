import type { AttentionInput } from '../types';
import type { RowKernel } from './rows';
import { biasAt, kvHeadOf, visible } from './visibility';

/** −‖a − b‖² / (2√d) for two d-vectors at offsets ao, bo (the exact difference, not |a|²+|b|²−2ab). */
export function gaussExponent(a: Float32Array | Float64Array, ao: number, b: Float32Array | Float64Array, bo: number, d: number): number {
  let sq = 0;
  for (let c = 0; c < d; c++) {
    const t = a[ao + c] - b[bo + c];
    sq += t * t;
  }
  return -sq / (2 * Math.sqrt(d));
}

/** The soft-gauss score of query row i of head h and key j: the Gaussian exponent plus the bias. */
export function gaussScoreAt(input: AttentionInput, h: number, i: number, j: number): number {
  if (!visible(input, h, i, j)) return -Infinity;
  const { q, k, headDim, tq, tk } = input;
  const e = gaussExponent(q, (h * tq + i) * headDim, k, (kvHeadOf(input, h) * tk + j) * headDim, headDim);
  return Number.isFinite(e) ? e + biasAt(input, h, i, j) : NaN;
}

/**
 * soft-gauss (SOFT, spec §3.1): w_j = exp(−‖q − k_j‖² / (2√d)) on Q and K as the model gives them
 * (SOFT ties K = Q; we do not), unnormalized, so the stats use the proxy map. The input's scale and
 * softcap do not apply; a finite additive bias multiplies the weight by e^bias.
 */
export function softGaussKernel(input: AttentionInput): RowKernel {
  return {
    proxy: true,
    score: (h, i, j) => gaussScoreAt(input, h, i, j),
    weigh(scores, w) {
      for (let j = 0; j < scores.length; j++) w[j] = Math.exp(scores[j]);
      return false;
    },
  };
}
