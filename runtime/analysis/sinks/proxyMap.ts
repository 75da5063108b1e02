/**
 * The proxy map of spec §1.1 (Gu et al.) for attention operators whose weights do not sum to 1:
 * each row is divided by the sum over its visible keys, of the weights (`nonneg`, eps 1e-8) or of
 * their absolute values (`abs`, for signed similarities). Rows are [tq, tk], hidden entries 0.
 */
export type ProxyKind = 'nonneg' | 'abs';

const PROXY_EPS = 1e-8;

export function proxyMap(weights: ArrayLike<number>, tq: number, tk: number, kind: ProxyKind): Float64Array {
  if (weights.length !== tq * tk) throw new Error(`proxy map: ${weights.length} weights, expected tq·tk = ${tq}·${tk}`);
  const out = new Float64Array(tq * tk);
  for (let i = 0; i < tq; i++) {
    let sum = 0;
    for (let j = 0; j < tk; j++) {
      const w = weights[i * tk + j];
      if (kind === 'nonneg' && w < 0) throw new Error(`proxy map: weight ${w} at row ${i}, key ${j} is negative; use the 'abs' proxy for signed similarities`);
      sum += Math.abs(w);
    }
    for (let j = 0; j < tk; j++) out[i * tk + j] = Math.abs(weights[i * tk + j]) / (kind === 'nonneg' ? sum + PROXY_EPS : sum || 1);
  }
  return out;
}
