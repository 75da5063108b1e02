// Shared by the parity tests: the normalized error they bound, and the padding + ALiBi bias input.
import type { AttentionInput } from '../../runtime/kernels/types';

/** max|a - b| / max(1, max|a|): the error every parity tolerance is stated against. */
export function normalizedError(a: Float32Array, b: Float32Array): number {
  let err = 0;
  let scale = 1;
  for (let t = 0; t < a.length; t++) {
    err = Math.max(err, Math.abs(a[t] - b[t]));
    scale = Math.max(scale, Math.abs(a[t]));
  }
  return err / scale;
}

/** Where the bias masks keys, how steep its ALiBi slopes are, and which row of head 1 it masks fully. */
export interface BiasShape {
  /** Key j is masked (padding) where j % padEvery === padAt. */
  padEvery: number;
  padAt: number;
  /** Head h's ALiBi slope is -slope * (h + 1). */
  slope: number;
  /** This row of head 1 has every key masked. */
  maskedRow: number;
  causal: boolean;
}

/** The input with a per-head padding + ALiBi bias (one fully masked row in head 1) as its mask. */
export function withBias(input: AttentionInput, shape: BiasShape): AttentionInput {
  const { qHeads, tq, tk } = input;
  const { padEvery, padAt, slope, maskedRow, causal } = shape;
  const bias = new Float32Array(qHeads * tq * tk);
  for (let h = 0; h < qHeads; h++) {
    for (let i = 0; i < tq; i++) {
      for (let j = 0; j < tk; j++) bias[(h * tq + i) * tk + j] = j % padEvery === padAt ? -Infinity : -slope * (h + 1) * Math.abs(i + tk - tq - j);
    }
  }
  bias.fill(-Infinity, (1 * tq + maskedRow) * tk, (1 * tq + maskedRow + 1) * tk); // head 1, row maskedRow: fully masked
  return { ...input, mask: { causal, bias, biasHeads: qHeads } };
}
