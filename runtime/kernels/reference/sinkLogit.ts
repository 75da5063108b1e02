import type { RowKernel } from './rows';

/**
 * Softmax over the row plus one extra sink logit σ that is dropped after normalization (gpt-oss
 * learned sinks, spec §6.4): w_j = e^{s_j − m} / (e^{σ − m} + Σ_k e^{s_k − m}), m = max(σ, max s).
 * Including σ in the max keeps e^{σ − m} finite when every logit is ≪ σ. The weights sum to < 1.
 * softmax1 (off-by-one, spec §6.2) is this kernel with σ = 0 for every head.
 *
 * `sinkFor(h)` gives the sink logit of query head h (not multiplied by the softmax scale).
 * The stats use these weights as they are (proxy: false): they are a probability distribution over
 * the keys plus the dropped sink slot, so a row's missing mass is the sink's share, which is what
 * this variant is inspected for; renormalizing it away would hide it.
 */
export function sinkLogitKernel(sinkFor: (h: number) => number): RowKernel {
  return {
    proxy: false,
    weigh(scores, w, place) {
      const sink = sinkFor(place.h);
      let m = sink;
      for (const s of scores) if (s > m) m = s;
      let z = Math.exp(sink - m);
      for (let j = 0; j < scores.length; j++) {
        w[j] = scores[j] === -Infinity ? 0 : Math.exp(scores[j] - m);
        z += w[j];
      }
      for (let j = 0; j < scores.length; j++) w[j] /= z;
      return false;
    },
  };
}

/** softmax1: the off-by-one softmax, an implicit extra key with logit 0 and value 0. */
export const softmax1Kernel: RowKernel = sinkLogitKernel(() => 0);
