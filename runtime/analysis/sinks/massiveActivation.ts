/**
 * Massive-activation ratio of spec §1.2 / §6.5 at one layer boundary of the residual stream:
 * ‖h₁‖₂ / mean_{t≠1} ‖h_t‖₂, with hidden states laid out [t, d] (batch 1).
 * A first token far above 1 is the massive activation that comes with an attention sink.
 */
export function massiveActivationRatio(hidden: ArrayLike<number>, t: number, d: number, token = 0): number {
  if (hidden.length !== t * d) throw new Error(`massive activation: hidden state holds ${hidden.length} values, expected t·d = ${t}·${d}`);
  if (t < 2) throw new Error('massive activation: needs at least 2 tokens (the ratio compares one token against the others)');
  if (token < 0 || token >= t) throw new Error(`massive activation: token ${token} is outside 0..${t - 1}`);
  const norms = tokenNorms(hidden, t, d);
  let rest = 0;
  for (let i = 0; i < t; i++) if (i !== token) rest += norms[i];
  rest /= t - 1;
  return rest > 0 ? norms[token] / rest : Infinity;
}

/** L2 norm of every row of a [t, d] tensor that starts at `offset` in x. */
export function tokenNorms(x: ArrayLike<number>, t: number, d: number, offset = 0): Float64Array {
  const norms = new Float64Array(t);
  for (let i = 0; i < t; i++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += x[offset + i * d + c] ** 2;
    norms[i] = Math.sqrt(s);
  }
  return norms;
}
