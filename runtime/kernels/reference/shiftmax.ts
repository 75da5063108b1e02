import type { RowKernel } from './rows';

/**
 * I-ViT's integer-only Shiftmax (spec §2.3), in exact integer arithmetic on JS numbers: every value
 * stays below 2^53 for the allowed parameters (`div` ≤ 52), and every shift of a possibly negative
 * or wide value is written as Math.floor(x / 2^k) because `>>` in TS is int32 only.
 */
export interface ShiftmaxConfig {
  /** Precision shift n (QAT code 15, TVM code 16). */
  n: number;
  /** Output bits: 8 (paper / TVM, scale 2^-7) or 16 (QAT code, scale 2^-15). */
  bits: number;
  /** x0 convention: 0 = QAT floor(−1/S), 1 = TVM trunc(−1/S − 1). */
  x0: number;
  /** ShiftExp form: 0 = QAT floor((r/2 − x0)·2^(n−q)), 1 = TVM ((r >> 1) − x0) << (n − q). */
  exp: number;
  /** Bits M of the integer reciprocal f = ⌊(2^M − 1)/ΣE⌋; ΣE is clamped at 2^M − 1 (QAT: M = 31). */
  div: number;
}

/** The integer x0 ≈ −1/S of a logit scale S under the chosen convention. */
export function shiftX0(scale: number, convention: number): number {
  return convention === 0 ? Math.floor(-1 / scale) : Math.trunc(-1 / scale - 1);
}

/** ShiftExp of an integer d ≤ 0: E represents e^{S·d} with scale S / 2^n (spec §2.3). */
export function shiftExp(d: number, x0: number, cfg: Pick<ShiftmaxConfig, 'n' | 'exp'>): number {
  let p = d + Math.floor(d / 2) - Math.floor(d / 16);
  p = Math.max(p, cfg.n * x0);
  const q = Math.trunc(p / x0);
  const r = p - q * x0;
  if (cfg.exp === 1) return (Math.floor(r / 2) - x0) * 2 ** (cfg.n - q);
  return Math.max(Math.floor(((r - 2 * x0) * 2 ** (cfg.n - q)) / 2), 0);
}

/** Shiftmax of one row of integer logits; `hidden[j]` keys get E = O = 0. Returns E and the outputs. */
export function shiftmaxInts(ints: ArrayLike<number>, x0: number, cfg: ShiftmaxConfig, hidden?: ArrayLike<boolean>): { e: number[]; out: number[] } {
  const n = ints.length;
  let m = -Infinity;
  for (let j = 0; j < n; j++) if (!hidden?.[j] && ints[j] > m) m = ints[j];
  const e: number[] = [];
  let sum = 0;
  for (let j = 0; j < n; j++) {
    e.push(hidden?.[j] ? 0 : shiftExp(ints[j] - m, x0, cfg));
    sum += e[j];
  }
  const top = 2 ** cfg.div - 1;
  sum = Math.min(sum, top);
  const f = Math.floor(top / sum);
  const shift = 2 ** (cfg.div - (cfg.bits - 1));
  return { e, out: e.map((t) => Math.floor((t * f) / shift)) };
}

/** Round half to even, as torch.round in the QAT quantizer. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const frac = x - f;
  if (frac < 0.5) return f;
  if (frac > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** Smallest logit scale: float32 epsilon, as the I-ViT quantizer clamps S. */
export const MIN_LOGIT_SCALE = 2 ** -23;

/** The per-row logit scale when none is given: max |s| / 127 over the visible keys (≥ float32 eps). */
export function rowLogitScale(scores: Float64Array): number {
  let maxAbs = 0;
  for (const s of scores) if (s !== -Infinity) maxAbs = Math.max(maxAbs, Math.abs(s));
  return Math.max(maxAbs / 127, MIN_LOGIT_SCALE);
}

/**
 * shiftmax: the scaled, biased logits are quantized to int8 with scale S, I = clamp(round(s/S),
 * −128, 127) (round half to even), then Shiftmax gives integers O with scale 2^−(bits−1); the weights
 * are O · 2^−(bits−1) (Σ ≈ 1 but not exactly: the stats keep these dequantized weights, proxy false).
 * `scale` 0 derives S per row as max |s| / 127; a positive `scale` is one S for the whole tensor,
 * rounded to float32 (as the C kernels receive it) and at least float32 eps.
 */
export function shiftmaxKernel(cfg: ShiftmaxConfig, scale: number): RowKernel {
  const fixed = scale > 0 ? Math.max(Math.fround(scale), MIN_LOGIT_SCALE) : 0;
  return {
    proxy: false,
    weigh(scores, w) {
      const s = fixed || rowLogitScale(scores);
      const ints = new Int32Array(scores.length);
      const hidden = Array.from(scores, (x) => x === -Infinity);
      for (let j = 0; j < scores.length; j++) {
        if (!hidden[j]) ints[j] = Math.min(127, Math.max(-128, roundHalfEven(scores[j] / s)));
      }
      const { out } = shiftmaxInts(ints, shiftX0(s, cfg.x0), cfg, hidden);
      const unit = 2 ** -(cfg.bits - 1);
      for (let j = 0; j < scores.length; j++) w[j] = out[j] * unit;
      return false;
    },
  };
}
