import type { AttentionBackend, AttentionInput, KernelTimeline, VariantSpec } from '../kernels/types';
import { coreCost, type CoreCost } from './cost';

/** Query heads [from, to) of a core. */
export interface HeadRange {
  from: number;
  to: number;
}

/** A head range computed as its own kernel call. */
export interface HeadRangeTiming extends HeadRange {
  callStart: number;
  callMs: number;
  kernelMs: number;
  /** When the kernel ran and which worker ran which rows (heads relative to the range). */
  timeline: KernelTimeline | null;
  cost: CoreCost;
}

/**
 * Splits the query heads into at most `parts` ranges that each hold whole GQA groups (the query
 * heads that share one key/value head), as evenly as the groups allow.
 */
export function headRanges(qHeads: number, kvHeads: number, parts: number): HeadRange[] {
  const n = Math.max(1, Math.min(parts, kvHeads));
  const group = qHeads / kvHeads;
  const out: HeadRange[] = [];
  for (let p = 0; p < n; p++) {
    const kvFrom = Math.floor((p * kvHeads) / n);
    const kvTo = Math.floor(((p + 1) * kvHeads) / n);
    out.push({ from: kvFrom * group, to: kvTo * group });
  }
  return out;
}

/** The kernel input of a head range: views of Q, K, V (and a per-head bias) for those heads, no copies. */
export function sliceHeads(input: AttentionInput, range: HeadRange): AttentionInput {
  const group = input.qHeads / input.kvHeads;
  const kvFrom = range.from / group;
  const kvTo = range.to / group;
  const { tq, tk, headDim, headDimV, mask } = input;
  const perHeadBias = mask.bias && (mask.biasHeads ?? 1) !== 1;
  return {
    ...input,
    q: input.q.subarray(range.from * tq * headDim, range.to * tq * headDim),
    k: input.k.subarray(kvFrom * tk * headDim, kvTo * tk * headDim),
    v: input.v.subarray(kvFrom * tk * headDimV, kvTo * tk * headDimV),
    qHeads: range.to - range.from,
    kvHeads: kvTo - kvFrom,
    mask: perHeadBias ? { ...mask, bias: mask.bias!.subarray(range.from * tq * tk, range.to * tq * tk), biasHeads: range.to - range.from } : mask,
  };
}

/**
 * Times each head range of a core as a separate kernel call on the same input (after the core's
 * own call, whose output the model uses). The sum of these calls is not the core's time: each call
 * pays the fixed cost of a call and uses fewer heads to fill the threads.
 */
export async function timeHeadRanges(backend: AttentionBackend, input: AttentionInput, variant: VariantSpec, threads: number | undefined, parts: number): Promise<HeadRangeTiming[]> {
  const out: HeadRangeTiming[] = [];
  for (const range of headRanges(input.qHeads, input.kvHeads, parts)) {
    const callStart = performance.now();
    const result = await backend.run({ input: sliceHeads(input, range), variant, threads, instrument: true, timeline: true });
    const callMs = performance.now() - callStart;
    out.push({ ...range, callStart, callMs, kernelMs: result.stats.wallMs, timeline: result.stats.timeline ?? null, cost: coreCost(input, range) });
  }
  return out;
}
