import type { AttentionInput, AttentionResult } from '../types';
import { runRows, softmaxRow, type RowKernel } from './rows';

/** softmax: w_j = e^{s_j − m} / Σ_k e^{s_k − m}, m = the row max (spec §7). */
export const softmaxKernel: RowKernel = {
  proxy: false,
  weigh(scores, w) {
    softmaxRow(scores, w);
    return false;
  },
};

/**
 * Reference softmax attention: plain, readable, slow. The oracle the native and WASM kernels are
 * checked against. A fully masked row (or one with NaN/Inf logits) outputs 0 and is reported.
 */
export function softmaxReference(input: AttentionInput, captureHeads: number[] = []): AttentionResult {
  return runRows(input, softmaxKernel, captureHeads);
}
