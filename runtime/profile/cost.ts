import type { AttentionInput } from '../kernels/types';
import { biasAt, visible } from '../kernels/reference/visibility';

/**
 * The work of one attention core, counted from its shapes and mask (not measured).
 *
 * FLOPs are the useful ones of the two products over the visible (query, key) pairs:
 * 2·headDim for q·k plus 2·headDimV for w·v per pair, the same for every variant, so that GFLOP/s
 * compares variants on equal work (the weight function - exp, sigmoid, shifts - is not counted;
 * that is what a slower variant spends its extra time on). This is the count the kernel benchmark
 * uses (4·H·d·T(T+1)/2 for causal self-attention with headDim = headDimV = d).
 *
 * Bytes are the compulsory traffic: Q, K, V and the bias read once, O and the per-key statistics
 * ([qHeads, tk] sums and counts, [qHeads] entropies) written once, float32. Caches make the real
 * traffic of a tiled kernel close to this when K and V of a head fit in L2.
 */
export interface CoreCost {
  flops: number;
  bytes: number;
  /** Visible (query, key) pairs per query head. */
  pairsPerHead: number[];
}

/**
 * Visible pairs of query head h: causal limit, streaming window and -Infinity bias entries removed
 * (the reference kernels' own visibility rules; a plain causal or full mask is counted in closed form).
 */
export function visiblePairs(input: AttentionInput, head: number): number {
  const { tq, tk, mask } = input;
  let pairs = 0;
  for (let i = 0; i < tq; i++) {
    if (!mask.bias && !mask.streaming) {
      pairs += mask.causal ? Math.min(tk, i + (tk - tq) + 1) : tk;
      continue;
    }
    for (let j = 0; j < tk; j++) if (visible(input, head, i, j) && biasAt(input, head, i, j) !== -Infinity) pairs++;
  }
  return pairs;
}

/** FLOPs and bytes of one core call; `heads` restricts the count to a range of query heads. */
export function coreCost(input: AttentionInput, heads: { from: number; to: number } = { from: 0, to: input.qHeads }): CoreCost {
  const pairsPerHead: number[] = [];
  for (let h = heads.from; h < heads.to; h++) pairsPerHead.push(visiblePairs(input, h));
  const pairs = pairsPerHead.reduce((a, b) => a + b, 0);
  const flops = 2 * pairs * (input.headDim + input.headDimV);
  const n = heads.to - heads.from;
  const group = input.qHeads / input.kvHeads;
  const kvHeads = Math.floor((heads.to - 1) / group) - Math.floor(heads.from / group) + 1;
  const biasHeads = input.mask.bias ? (input.mask.biasHeads === 1 ? 1 : n) : 0;
  const floats = n * input.tq * input.headDim + kvHeads * input.tk * (input.headDim + input.headDimV)
    + biasHeads * input.tq * input.tk + n * input.tq * input.headDimV + n * (2 * input.tk + 1);
  return { flops, bytes: 4 * floats, pairsPerHead };
}
