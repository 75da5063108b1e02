import type { AttentionInput, AttentionRequest, VariantSpec } from '../kernels/types';
import type { HeadInput } from '../protocol/headInput';
import { tensor } from '../protocol/tensor';
import { relativeBias } from '../protocol/relativeBias';

/**
 * The slices of a core's kernel input that query head `head` reads (copies: only this head crosses);
 * the bias by offset and key where that is exact (ALiBi, padding: relativeBias.ts), else its [tq, tk] slice.
 */
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
    bias: bias ? headBias(bias.subarray(bh * tq * tk, (bh + 1) * tq * tk), tq, tk, input.mask.causal) : null,
    variant,
  };
}

function headBias(b: Float32Array, tq: number, tk: number, causal: boolean): HeadInput['bias'] {
  return relativeBias(b, tq, tk, causal) ?? tensor(b.slice(), [tq, tk]);
}

/**
 * The kernel call for query head `head` alone (its kv head, its bias; a per-head parameter such as
 * sink-logit's `logit.H` becomes the head's own): the other heads of the core are not recomputed
 * (a 4,096-token head of a 4-head core: ~4x less kernel time than capturing it from the whole core).
 */
export function oneHead(input: AttentionInput, head: number, variant: VariantSpec): AttentionRequest {
  const kv = Math.floor(head / (input.qHeads / input.kvHeads));
  const { tq, tk, headDim: d, headDimV: dv } = input;
  const bias = input.mask.bias;
  const bh = (input.mask.biasHeads ?? 1) === 1 ? 0 : head;
  const params: Record<string, number> = {};
  for (const [key, value] of Object.entries(variant.params)) if (!/\.\d+$/.test(key)) params[key] = value;
  for (const [key, value] of Object.entries(variant.params)) {
    const m = /^(.+)\.(\d+)$/.exec(key);
    if (m && Number(m[2]) === head) params[m[1]] = value;
  }
  return {
    input: {
      q: input.q.subarray(head * tq * d, (head + 1) * tq * d), k: input.k.subarray(kv * tk * d, (kv + 1) * tk * d), v: input.v.subarray(kv * tk * dv, (kv + 1) * tk * dv),
      qHeads: 1, kvHeads: 1, tq, tk, headDim: d, headDimV: dv, scale: input.scale, softcap: input.softcap,
      mask: { causal: input.mask.causal, ...(input.mask.streaming ? { streaming: input.mask.streaming } : {}), ...(bias ? { bias: bias.subarray(bh * tq * tk, (bh + 1) * tq * tk), biasHeads: 1 } : {}) },
    },
    variant: { ...variant, params },
    captureHeads: [0],
  };
}
