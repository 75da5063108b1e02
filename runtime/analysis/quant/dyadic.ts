import { type HalfRounding } from './rounding';

/**
 * Dyadic requantisation of spec §2.2: a real ratio S_in/S_out as M / 2^k with a 31-bit integer M,
 * so that integer-only hardware rescales with one multiply and one shift.
 */
export interface Dyadic {
  /** 31-bit multiplier, round_half_up(mant · 2^31) with mant ∈ [0.5, 1). */
  m: number;
  /** Right shift, 31 − exp. */
  k: number;
}

/** (mant, exp) with x = mant · 2^exp and mant ∈ [0.5, 1), as C's frexp. */
export function frexp(x: number): { mant: number; exp: number } {
  if (!(x > 0) || !Number.isFinite(x)) throw new Error(`frexp: ${x} is not a positive finite number`);
  let exp = Math.floor(Math.log2(x)) + 1;
  let mant = x / 2 ** exp;
  if (mant >= 1) { mant /= 2; exp += 1; }
  if (mant < 0.5) { mant *= 2; exp -= 1; }
  return { mant, exp };
}

export function dyadicFromRatio(ratio: number, maxBit = 31): Dyadic {
  if (!(ratio > 0) || !Number.isFinite(ratio)) throw new Error(`dyadic: scale ratio ${ratio} must be a positive finite number; check both scales`);
  const { mant, exp } = frexp(ratio);
  let m = Math.floor(mant * 2 ** maxBit + 0.5);
  let k = maxBit - exp;
  if (m === 2 ** maxBit) { m /= 2; k -= 1; }
  return { m, k };
}

/**
 * round(z · M / 2^k) exactly, ties by `rounding` (spec §2.2: the QAT code rounds half to even, a
 * shift-based kernel half up). Exact for any integer z: doubles while z·M fits 53 bits, BigInt beyond.
 */
export function requantize(z: number, d: Dyadic, rounding: HalfRounding): number {
  const p = z * d.m;
  if (Math.abs(p) < 2 ** 53 && d.k < 1000) return roundShift(p, d.k, rounding);
  return Number(roundShiftBig(BigInt(z) * BigInt(d.m), BigInt(d.k), rounding));
}

function roundShift(p: number, k: number, rounding: HalfRounding): number {
  if (k <= 0) return p * 2 ** -k;
  const unit = 2 ** k;
  const q = Math.floor(p / unit);
  const r = p - q * unit;
  const half = unit / 2;
  if (r > half) return q + 1;
  if (r < half) return q;
  return rounding === 'half-up' || q % 2 !== 0 ? q + 1 : q;
}

function roundShiftBig(p: bigint, k: bigint, rounding: HalfRounding): bigint {
  if (k <= 0n) return p << -k;
  const unit = 1n << k;
  let q = p / unit;
  if (p < 0n && q * unit !== p) q -= 1n; // floor, BigInt division truncates
  const r = p - q * unit;
  const half = unit >> 1n;
  if (r > half) return q + 1n;
  if (r < half) return q;
  return rounding === 'half-up' || q % 2n !== 0n ? q + 1n : q;
}
