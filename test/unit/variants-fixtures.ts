import assert from 'node:assert/strict';
import { referenceBackend, parseVariant } from '../../runtime/kernels/variants';
import type { AttentionInput, AttentionResult, MaskSpec } from '../../runtime/kernels/types';

/**
 * Spec tolerance for fp vectors: the spec prints 6 decimals (±5e-7) and the float32 inputs move the
 * logits by ≤ 1.5e-9, so 1e-6 separates a right answer from a wrong one at every printed digit.
 */
export const SPEC_TOL = 1e-6;

/** One head, one query, d = 1, q = 1 and k = the spec row, so the logits are exactly s (scale 1). */
export function rowInput(s: number[], v: number[] = [1, 2, 3, 4], mask: MaskSpec = { causal: false }): AttentionInput {
  const tk = s.length;
  return {
    q: Float32Array.from([1]), k: Float32Array.from(s), v: Float32Array.from(v.slice(0, tk)),
    qHeads: 1, kvHeads: 1, tq: 1, tk, headDim: 1, headDimV: 1, scale: 1, mask,
  };
}

/** Runs the reference backend on `variant` (parsed from the CLI form) capturing head 0. */
export async function run(input: AttentionInput, variant: string): Promise<AttentionResult> {
  return referenceBackend.run({ input, variant: parseVariant(variant), captureHeads: [0] });
}

export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let j = 0; j < want.length; j++) {
    assert.ok(Math.abs(got[j] - want[j]) <= tol, `${what}[${j}]: got ${got[j]}, want ${want[j]} (tol ${tol})`);
  }
}

/** A deterministic pseudo-random Float32Array in [-amp, amp) (xorshift; tests must be reproducible). */
export function randomArray(n: number, seed: number, amp = 1): Float32Array {
  let x = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let t = 0; t < n; t++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[t] = ((x / 2 ** 32) * 2 - 1) * amp;
  }
  return out;
}

/** A deterministic pseudo-random number generator (mulberry32) giving numbers in [-0.5, 0.5). */
export function mulberry(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

/** A random multi-head input: GQA when kvHeads < qHeads, past keys when tq < tk. */
export function randomInput(o: { qHeads: number; kvHeads: number; tq: number; tk: number; d: number; dv?: number; causal?: boolean; seed?: number }): AttentionInput {
  const dv = o.dv ?? o.d;
  const seed = o.seed ?? 7;
  return {
    q: randomArray(o.qHeads * o.tq * o.d, seed, 1.5), k: randomArray(o.kvHeads * o.tk * o.d, seed + 1, 1.5),
    v: randomArray(o.kvHeads * o.tk * dv, seed + 2), qHeads: o.qHeads, kvHeads: o.kvHeads, tq: o.tq, tk: o.tk,
    headDim: o.d, headDimV: dv, scale: 1 / Math.sqrt(o.d), mask: { causal: o.causal ?? true },
  };
}
