import type { AttentionInput, AttentionResult } from '../../kernels/types';
import { softmaxReference } from '../../kernels/reference/softmax';
import { fakeQuantizeHeads, type QuantGranularity } from './symmetric';

/** The input with Q, K and V quantised and dequantised (symmetric, per tensor or per head). */
export function int8FakeQuantInput(input: AttentionInput, granularity: QuantGranularity = 'tensor', bits = 8): AttentionInput {
  const { qHeads, kvHeads, tq, tk, headDim, headDimV } = input;
  return {
    ...input,
    q: fakeQuantizeHeads(input.q, qHeads, tq * headDim, bits, granularity),
    k: fakeQuantizeHeads(input.k, kvHeads, tk * headDim, bits, granularity),
    v: fakeQuantizeHeads(input.v, kvHeads, tk * headDimV, bits, granularity),
  };
}

/**
 * The plain int8 path: Q, K and V quantised and dequantised (symmetric, per tensor or per head),
 * float softmax. Against fp32 it isolates the input quantisation; against the I-ViT path, the
 * integer softmax. (On a compiled backend quantKernel runs the backend's softmax on the same input.)
 */
export function int8FakeQuantAttention(input: AttentionInput, granularity: QuantGranularity = 'tensor', captureHeads: number[] = [], bits = 8): AttentionResult {
  return softmaxReference(int8FakeQuantInput(input, granularity, bits), captureHeads);
}
