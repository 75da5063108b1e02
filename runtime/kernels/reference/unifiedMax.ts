import { softmaxRow, type RowKernel } from './rows';

/** Parameters of FlashDecoding++'s asynchronized softmax (spec §4.1). */
export interface UnifiedMaxParams {
  /** The unified max φ (per layer, from calibration statistics of the pre-softmax logits). */
  phi: number;
  /** Guard window (ag, bg) on x − φ, strict: a row with any x − φ ≤ ag or ≥ bg is recomputed. */
  ag: number;
  bg: number;
  /** Keys per split; each split accumulates e^{x − φ} on its own, with no cross-split rescaling. */
  split: number;
}

/**
 * unified-max: w_j = e^{x_j − φ} / Σ_splits Σ_{j∈split} e^{x_j − φ}. Mathematically softmax for any φ;
 * rows that leave the guard window (or whose denominator under/overflows) are recomputed with the
 * synchronized softmax and counted. The reference sums the denominator split by split as the
 * kernel does; the numerator Σ_j w_j v_j over splits is the same sum in another order.
 */
export function unifiedMaxKernel(p: UnifiedMaxParams): RowKernel {
  return {
    proxy: false,
    weigh(scores, w) {
      let outside = false;
      for (const x of scores) {
        if (x === -Infinity) continue;
        const e = x - p.phi;
        if (!(e > p.ag && e < p.bg)) outside = true;
      }
      let den = 0;
      if (!outside) {
        for (let start = 0; start < scores.length; start += p.split) {
          let part = 0;
          const end = Math.min(start + p.split, scores.length);
          for (let j = start; j < end; j++) {
            w[j] = scores[j] === -Infinity ? 0 : Math.exp(scores[j] - p.phi);
            part += w[j];
          }
          den += part;
        }
      }
      if (outside || !(den > 0 && Number.isFinite(den))) {
        softmaxRow(scores, w);
        return true;
      }
      for (let j = 0; j < scores.length; j++) w[j] /= den;
      return false;
    },
  };
}
