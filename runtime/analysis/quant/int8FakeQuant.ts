import type { AttentionInput, AttentionResult } from '../../kernels/types';
import { softmaxReference } from '../../kernels/reference/softmax';
import { fakeQuantizeHeads, type QuantGranularity } from './symmetric';

/**
 * The plain int8 path: Q, K and V quantised and dequantised (symmetric, per tensor or per head),
 * float softmax. Against fp32 it isolates the input quantisation; against the I-ViT path, the
 * integer softmax.
 */
export function int8FakeQuantAttention(input: AttentionInput, granularity: QuantGranularity = 'tensor', captureHeads: number[] = [], bits = 8): AttentionResult {
  const { qHeads, kvHeads, tq, tk, headDim, headDimV } = input;
  return softmaxReference({
    ...input,
    q: fakeQuantizeHeads(input.q, qHeads, tq * headDim, bits, granularity),
    k: fakeQuantizeHeads(input.k, kvHeads, tk * headDim, bits, granularity),
    v: fakeQuantizeHeads(input.v, kvHeads, tk * headDimV, bits, granularity),
  }, captureHeads);
}
