import type { AttentionInput } from '../types';

/**
 * Checks that an attention input is well formed: positive integer sizes, qHeads a multiple of
 * kvHeads, tq ≤ tk, buffer lengths that match the shapes, a bias of [1 or qHeads, tq, tk].
 * Throws a one-line error that names the field, what it should be, and what it is.
 */
export function checkInput(input: AttentionInput): void {
  const { qHeads, kvHeads, tq, tk, headDim, headDimV } = input;
  for (const [name, n] of Object.entries({ qHeads, kvHeads, tq, tk, headDim, headDimV })) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`attention input: ${name} must be a positive integer, got ${n}`);
  }
  if (qHeads % kvHeads !== 0) throw new Error(`attention input: qHeads (${qHeads}) must be a multiple of kvHeads (${kvHeads})`);
  if (tq > tk) throw new Error(`attention input: tq (${tq}) must not exceed tk (${tk}); queries sit at the last tq key positions`);
  const want = (name: string, got: number, n: number, shape: string): void => {
    if (got !== n) throw new Error(`attention input: ${name} has ${got} values, expected ${n} for ${shape}`);
  };
  want('q', input.q.length, qHeads * tq * headDim, `[${qHeads}, ${tq}, ${headDim}]`);
  want('k', input.k.length, kvHeads * tk * headDim, `[${kvHeads}, ${tk}, ${headDim}]`);
  want('v', input.v.length, kvHeads * tk * headDimV, `[${kvHeads}, ${tk}, ${headDimV}]`);
  if (!Number.isFinite(input.scale)) throw new Error(`attention input: scale must be finite, got ${input.scale}`);
  const { bias, biasHeads, streaming } = input.mask;
  if (bias) {
    const bh = biasHeads ?? 1;
    if (bh !== 1 && bh !== qHeads) throw new Error(`attention input: biasHeads must be 1 or qHeads (${qHeads}), got ${bh}`);
    want('mask.bias', bias.length, bh * tq * tk, `[${bh}, ${tq}, ${tk}]`);
  }
  if (streaming && !(Number.isInteger(streaming.sinks) && streaming.sinks >= 0 && Number.isInteger(streaming.window) && streaming.window >= 1)) {
    throw new Error(`attention input: streaming needs integer sinks ≥ 0 and window ≥ 1, got sinks=${streaming.sinks}, window=${streaming.window}`);
  }
}
