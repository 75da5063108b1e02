import type { RowKernel } from './rows';

/** Added to Σ before dividing, as in Gu et al.'s code for the normalized forms (spec §1.3). */
export const NORM_EPS = 1e-8;

/** Logistic function, written to stay finite for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** elu(x) + 1: x + 1 for x > 0, e^x otherwise. */
export function elu1(x: number): number {
  return x > 0 ? x + 1 : Math.exp(x);
}

/**
 * Elementwise weight f(s_j + b), hidden keys 0, optionally divided by Σ_j f + 1e-8.
 * sigmoid (spec §6.3, b = −ln n by default, b = 0 as Gu et al.), sigmoid-norm (Gu #3), elu1 (Gu #4/#5).
 * `bias(tk)` gives b for a row of tk keys. Unnormalized weights use the proxy map in the stats.
 */
export function elementwiseKernel(f: (x: number) => number, normalize: boolean, bias: (tk: number) => number): RowKernel {
  return {
    proxy: !normalize,
    weigh(scores, w) {
      const b = bias(scores.length);
      let sum = 0;
      for (let j = 0; j < scores.length; j++) {
        w[j] = scores[j] === -Infinity ? 0 : f(scores[j] + b);
        sum += w[j];
      }
      if (normalize) for (let j = 0; j < scores.length; j++) w[j] /= sum + NORM_EPS;
      return false;
    },
  };
}
