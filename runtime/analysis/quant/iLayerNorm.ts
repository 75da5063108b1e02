/**
 * I-ViT's integer-only LayerNorm (spec §2.5), as the released QAT code computes it: integer mean
 * (round half to even), Σ of squared deviations (a sum, not a mean), the integer square root by 10
 * Newton steps from the fixed start 2^16, one integer reciprocal, and a per-channel integer bias.
 * Exact integer arithmetic on JS numbers (BigInt where a sum of squares may pass 2^53).
 */

/** ⌊√var⌋ as the code computes it: k = 2^16, then 10 times k = ⌊(k + ⌊var/k⌋) / 2⌋ (spec §2.5 lists where it is off). */
export function isqrtNewton(variance: number, iterations = 10, start = 2 ** 16): number {
  if (!Number.isInteger(variance) || variance < 0) throw new Error(`I-LayerNorm: variance ${variance} must be a non-negative integer`);
  let k = start;
  for (let i = 0; i < iterations; i++) k = Math.floor((k + Math.floor(variance / k)) / 2);
  return k;
}

export interface ILayerNormResult {
  /** Integer outputs, real value = out[c] · scale[c]. */
  out: number[];
  /** Per-channel output scale γ_c · √C / 2^30. */
  scale: number[];
  mean: number;
  /** Σ (I − mean)² over the channels. */
  variance: number;
  std: number;
}

/**
 * The offline per-channel constants of C channels: bias_int[c] = ⌊(β_c/γ_c) / (√C/2^30)⌋ and the
 * output scale γ_c·√C/2^30. Every backend adds the same bias_int; a γ of 0 or a β/γ so large that
 * bias_int passes 2^52 (beyond exact integers once added) is an error.
 */
export function iLayerNormConstants(gamma: ArrayLike<number>, beta: ArrayLike<number>): { bias: Float64Array; scale: Float64Array } {
  const c = gamma.length;
  if (!c || beta.length !== c) throw new Error(`I-LayerNorm: ${c} γ and ${beta.length} β; give one of each per channel`);
  const unit = Math.sqrt(c) / 2 ** 30;
  const bias = new Float64Array(c);
  const scale = new Float64Array(c);
  for (let i = 0; i < c; i++) {
    const b = Math.floor(beta[i] / gamma[i] / unit);
    if (!(Math.abs(b) <= 2 ** 52)) throw new Error(`I-LayerNorm: channel ${i} has γ ${gamma[i]}, β ${beta[i]}: bias_int ${b} is not an integer within ±2^52`);
    bias[i] = b === 0 ? 0 : b; // no −0
    scale[i] = gamma[i] * unit;
  }
  return { bias, scale };
}

/** I-LayerNorm of one row of integer activations with float γ, β (folded into the integer bias). */
export function iLayerNorm(ints: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>): ILayerNormResult {
  const c = ints.length;
  if (!c || gamma.length !== c || beta.length !== c) throw new Error(`I-LayerNorm: ${c} channels but ${gamma.length} γ and ${beta.length} β; give one of each per channel`);
  const { bias, scale } = iLayerNormConstants(gamma, beta);
  return iLayerNormInts(ints, bias, scale);
}

/** I-LayerNorm of one row with the offline bias_int and output scales already made (iLayerNormConstants). */
export function iLayerNormInts(ints: ArrayLike<number>, bias: ArrayLike<number>, scale: ArrayLike<number>): ILayerNormResult {
  const c = ints.length;
  let sum = 0;
  for (let i = 0; i < c; i++) sum += ints[i];
  const mean = roundHalfEvenRatio(sum, c);
  const y = Array.from(ints, (x) => x - mean);
  const varBig = y.reduce((s, t) => s + BigInt(t) * BigInt(t), 0n);
  if (varBig > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('I-LayerNorm: the sum of squared deviations passes 2^53; the 16-bit residual inputs I-ViT feeds it stay far below');
  const variance = Number(varBig);
  const std = isqrtNewton(variance); // never 0: the fixed start 2^16 halves to at least 64
  const f = Math.floor((2 ** 31 - 1) / std);
  const out = y.map((t, i) => Math.floor((t * f) / 2) + bias[i]);
  return { out, scale: Array.from(scale), mean, variance, std };
}

/** round(a / b) with ties to even (torch.round), for integers a and b > 0. */
function roundHalfEvenRatio(a: number, b: number): number {
  const q = Math.floor(a / b);
  const r = a - q * b;
  if (2 * r > b) return q + 1;
  if (2 * r < b) return q;
  return q % 2 === 0 ? q : q + 1;
}
