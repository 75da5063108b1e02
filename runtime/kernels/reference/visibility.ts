import type { AttentionInput } from '../types';

/**
 * The scaled, soft-capped, biased logit of query row i and key j of query head h, or -Infinity
 * when the mask hides the key, or NaN when Q·K is not finite (Inf/NaN inputs make the row invalid). Shared by every reference variant so masks stay orthogonal to them.
 */
export function logitAt(input: AttentionInput, h: number, i: number, j: number): number {
  if (!visible(input, h, i, j)) return -Infinity;
  const { q, k, headDim, tq, tk } = input;
  const kvh = kvHeadOf(input, h);
  const qo = (h * tq + i) * headDim;
  const ko = (kvh * tk + j) * headDim;
  let dot = 0;
  for (let c = 0; c < headDim; c++) dot += q[qo + c] * k[ko + c];
  let s = dot * input.scale;
  if (!Number.isFinite(s)) return NaN; // Inf/NaN in Q or K: an invalid row, never a hidden key
  if (input.softcap && input.softcap > 0) s = input.softcap * Math.tanh(s / input.softcap);
  return s + biasAt(input, h, i, j);
}

/** The additive mask bias of query row i and key j of query head h (0 when there is no bias). */
export function biasAt(input: AttentionInput, h: number, i: number, j: number): number {
  const { bias, biasHeads } = input.mask;
  if (!bias) return 0;
  const bh = biasHeads === 1 || biasHeads === undefined ? 0 : h;
  return bias[(bh * input.tq + i) * input.tk + j];
}

/** Key/value head read by query head h (GQA/MQA: consecutive query heads share one). */
export function kvHeadOf(input: AttentionInput, h: number): number {
  return Math.floor(h / (input.qHeads / input.kvHeads));
}

/** Whether the causal and streaming masks let query row i see key j (the bias may still hide it). */
export function visible(input: AttentionInput, _h: number, i: number, j: number): boolean {
  const { tq, tk, mask } = input;
  const pos = i + (tk - tq);
  if (mask.causal && j > pos) return false;
  if (mask.streaming) {
    const last = mask.causal ? pos : tk - 1;
    if (j >= mask.streaming.sinks && j <= last - mask.streaming.window) return false;
  }
  return true;
}
