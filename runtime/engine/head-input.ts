import type { AttentionInput } from '../kernels/types';
import type { HeadInput } from '../protocol/headInput';
import { tensor } from '../protocol/tensor';

/** The slices of a core's kernel input that query head `head` reads (copies: only this head crosses). */
export function headInput(input: AttentionInput, head: number, variant: string): HeadInput {
  const { tq, tk, headDim: d, headDimV: dv } = input;
  const kv = Math.floor(head / (input.qHeads / input.kvHeads));
  const bias = input.mask.bias;
  const bh = (input.mask.biasHeads ?? 1) === 1 ? 0 : head;
  return {
    q: tensor(input.q.slice(head * tq * d, (head + 1) * tq * d), [tq, d]),
    k: tensor(input.k.slice(kv * tk * d, (kv + 1) * tk * d), [tk, d]),
    v: tensor(input.v.slice(kv * tk * dv, (kv + 1) * tk * dv), [tk, dv]),
    scale: input.scale, softcap: input.softcap ?? 0, causal: input.mask.causal,
    bias: bias ? tensor(bias.slice(bh * tq * tk, (bh + 1) * tq * tk), [tq, tk]) : null,
    variant,
  };
}
