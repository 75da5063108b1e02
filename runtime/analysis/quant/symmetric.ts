import { roundHalf } from './rounding';

/** float32 machine epsilon: the smallest scale the I-ViT quantiser allows (spec §2.1). */
const MIN_SCALE = 1.1920928955078125e-7;

/**
 * Symmetric uniform quantisation of spec §2.1: S = max|R| / (2^{b−1} − 1) (at least float32 eps),
 * I = clamp(round_half_even(R / S), −2^{b−1}, 2^{b−1} − 1).
 */
export function symmetricScale(values: ArrayLike<number>, bits: number, start = 0, end = values.length): number {
  let max = 0;
  for (let i = start; i < end; i++) {
    const a = Math.abs(values[i]);
    if (!Number.isFinite(a)) throw new Error(`quantise: value ${values[i]} at index ${i} is not finite; the fp32 run already overflowed`);
    if (a > max) max = a;
  }
  return Math.max(max / (2 ** (bits - 1) - 1), MIN_SCALE);
}

/** Quantise values[start, end) with scale S into out (same indices). */
export function quantizeSymmetric(values: ArrayLike<number>, scale: number, bits: number, out: Int32Array, start = 0, end = values.length): void {
  const lo = -(2 ** (bits - 1));
  const hi = 2 ** (bits - 1) - 1;
  for (let i = start; i < end; i++) out[i] = Math.min(hi, Math.max(lo, roundHalf(values[i] / scale, 'half-even')));
}

/** Per-tensor or per-head symmetric scales (one scale per head, or one shared by all). */
export type QuantGranularity = 'tensor' | 'head';

export interface QuantizedTensor {
  ints: Int32Array;
  /** One scale per head (all equal for per-tensor quantisation). */
  scales: Float64Array;
}

/** Quantise a [heads, …] tensor whose heads are contiguous blocks of `perHead` values. */
export function quantizeHeads(values: ArrayLike<number>, heads: number, perHead: number, bits: number, granularity: QuantGranularity): QuantizedTensor {
  if (values.length !== heads * perHead) throw new Error(`quantise: ${values.length} values, expected heads·perHead = ${heads}·${perHead}`);
  const ints = new Int32Array(values.length);
  const scales = new Float64Array(heads);
  const shared = granularity === 'tensor' ? symmetricScale(values, bits) : 0;
  for (let h = 0; h < heads; h++) {
    scales[h] = granularity === 'tensor' ? shared : symmetricScale(values, bits, h * perHead, (h + 1) * perHead);
    quantizeSymmetric(values, scales[h], bits, ints, h * perHead, (h + 1) * perHead);
  }
  return { ints, scales };
}

/** Quantise then dequantise (fake quantisation): the float values an int8 path actually computes with. */
export function fakeQuantizeHeads(values: ArrayLike<number>, heads: number, perHead: number, bits: number, granularity: QuantGranularity): Float32Array {
  const { ints, scales } = quantizeHeads(values, heads, perHead, bits, granularity);
  const out = new Float32Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = ints[i] * scales[Math.floor(i / perHead)];
  return out;
}
