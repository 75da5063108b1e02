import type { RowKernel } from './rows';
import { softplus } from './lssa';

/** torch.nn.functional.softplus's default threshold: above it the function is the identity. */
export const SOFTPLUS_THRESHOLD = 20;

/** softplus as PyTorch computes it (beta 1, threshold 20): x above the threshold, ln(1 + e^x) below. */
export function torchSoftplus(x: number): number {
  return x > SOFTPLUS_THRESHOLD ? x : softplus(x);
}

/**
 * softplus-norm: the Softplus -> ReduceSum -> Div normalizer of models trained with it,
 *   w_j = softplus(s_j) / (Σ_k softplus(s_k) + eps),
 * over the scaled, softcapped, biased logits s_j (hidden keys 0). `eps` = 0 is what the exported
 * graphs compute (they add no epsilon). A row whose denominator is 0 (every visible softplus
 * underflowed with eps = 0) outputs 0 rather than 0/0. Rows sum to 1 (less eps), so no proxy map.
 */
export function softplusNormKernel(eps: number): RowKernel {
  return {
    proxy: false,
    weigh(scores, w) {
      let sum = 0;
      for (let j = 0; j < scores.length; j++) {
        w[j] = scores[j] === -Infinity ? 0 : torchSoftplus(scores[j]);
        sum += w[j];
      }
      const den = sum + eps;
      for (let j = 0; j < scores.length; j++) w[j] = den > 0 ? w[j] / den : 0;
      return false;
    },
  };
}
