/**
 * I-ViT's integer-only exponential and softmax (spec §2.3), in exact integer arithmetic over JS
 * numbers (every intermediate stays below 2^53, so no float rounding enters). Two conventions:
 * 'qat' = the PyTorch QAT code (x0 = floor(−1/S), floor of the real r/2, Σ clamped to 2^31 − 1),
 * 'tvm' = the TVM deployment (x0 = trunc(−1/S − 1), arithmetic shifts, Σ not clamped).
 */
export type ShiftmaxConvention = 'qat' | 'tvm';

export interface ShiftmaxParams {
  /** Scale of the integer logits (real logit = S · I). */
  scale: number;
  /** Precision shift n (QAT 15, TVM 16). */
  n: number;
  /** Output width: 8 → O ∈ [0, 127] with scale 2^−7; 16 → scale 2^−15. */
  outBits: number;
  convention: ShiftmaxConvention;
}

const INT31 = 2 ** 31 - 1;

/** x0 ≈ −1/S, the integer that represents −1 at scale S (negative). */
export function shiftX0(scale: number, convention: ShiftmaxConvention): number {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`shiftmax: scale ${scale} must be a positive finite number`);
  return convention === 'qat' ? Math.floor(-1 / scale) : Math.trunc(-1 / scale - 1);
}

/** ShiftExp of a non-positive integer d: e^{S·d} with scale S / 2^n. */
export function shiftExp(d: number, scale: number, n: number, convention: ShiftmaxConvention): number {
  const x0 = shiftX0(scale, convention);
  let p = d + Math.floor(d / 2) - Math.floor(d / 16); // ≈ d · log2(e); floor = arithmetic shift
  p = Math.max(p, n * x0);
  const q = convention === 'qat' ? Math.floor(p / x0) : Math.trunc(p / x0);
  const r = p - q * x0;
  if (convention === 'qat') return Math.max(Math.floor(((r - 2 * x0) * 2 ** (n - q)) / 2), 0);
  return (Math.floor(r / 2) - x0) * 2 ** (n - q);
}

/**
 * Shiftmax over the visible entries of one row of integer logits (`visible[j]` false hides key j,
 * whose output is 0). Returns the integer weights O (real weight = O · 2^−(outBits−1)) and the
 * exponentials E, for inspection.
 */
export function shiftmaxRow(ints: ArrayLike<number>, visible: ArrayLike<boolean>, params: ShiftmaxParams): { out: Int32Array; exps: Float64Array } {
  const { scale, n, outBits, convention } = params;
  if (!Number.isInteger(outBits) || outBits < 2 || outBits > 31) throw new Error(`shiftmax: out_bits ${outBits} must be an integer in 2..31 (8 or 16 in I-ViT)`);
  const len = ints.length;
  const out = new Int32Array(len);
  const exps = new Float64Array(len);
  let m = -Infinity;
  for (let j = 0; j < len; j++) if (visible[j] && ints[j] > m) m = ints[j];
  if (m === -Infinity) return { out, exps };
  let sum = 0;
  for (let j = 0; j < len; j++) {
    if (!visible[j]) continue;
    exps[j] = shiftExp(ints[j] - m, scale, n, convention);
    sum += exps[j];
  }
  if (convention === 'qat') sum = Math.min(sum, INT31);
  const f = Math.floor(INT31 / sum);
  const shift = 2 ** (31 - (outBits - 1));
  for (let j = 0; j < len; j++) if (visible[j]) out[j] = Math.floor((exps[j] * f) / shift);
  return { out, exps };
}
