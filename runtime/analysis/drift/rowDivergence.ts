/**
 * Divergence between two attention rows (or two next-token distributions) over the same keys.
 * Both rows are renormalised to sum 1 first, so proxy maps and rows that sum to slightly less than 1
 * (Shiftmax's 127/128) compare fairly. KL(p‖q) floors q at `KL_FLOOR` where p > 0 and q = 0 (an
 * integer path can round a small weight to 0); JS needs no floor and is bounded by ln 2.
 */
export type Divergence = 'kl' | 'js';

export const KL_FLOOR = 1e-10;

export function rowDivergence(p: ArrayLike<number>, q: ArrayLike<number>, kind: Divergence, start = 0, len = p.length - start): number {
  let sp = 0;
  let sq = 0;
  for (let j = start; j < start + len; j++) { sp += p[j]; sq += q[j]; }
  if (sp <= 0 || sq <= 0) return 0;
  let d = 0;
  for (let j = start; j < start + len; j++) {
    const a = p[j] / sp;
    const b = q[j] / sq;
    if (kind === 'kl') {
      if (a > 0) d += a * Math.log(a / Math.max(b, KL_FLOOR));
    } else {
      const m = (a + b) / 2;
      if (a > 0) d += 0.5 * a * Math.log(a / m);
      if (b > 0) d += 0.5 * b * Math.log(b / m);
    }
  }
  return Math.max(d, 0);
}

/** Softmax of a logit row into probabilities (float64), into `out` when given (its first `len` entries). */
export function softmaxRow(logits: ArrayLike<number>, start = 0, len = logits.length - start, out = new Float64Array(len)): Float64Array {
  let m = -Infinity;
  for (let j = 0; j < len; j++) m = Math.max(m, logits[start + j]);
  let s = 0;
  for (let j = 0; j < len; j++) { out[j] = Math.exp(logits[start + j] - m); s += out[j]; }
  for (let j = 0; j < len; j++) out[j] /= s;
  return out;
}
