import type { CoreRun } from '../engine/core-run';

/** Gu et al.'s threshold ε for Sink₁^ε (spec/variants.md §1.1). */
export const SINK_EPSILON = 0.3;

export interface SinkSummary {
  epsilon: number;
  /** Sink₁^ε in percent: share of (layer, head) with α₁ > ε (strict). */
  rate: number;
  /** alpha[layer][head] = α₁: mean weight the first token receives from the queries that see it. */
  alpha: number[][];
}

/** α₁ per layer and head from the kernel's own statistics, and the sink rate over them. */
export function sinkSummary(cores: CoreRun[], epsilon = SINK_EPSILON): SinkSummary {
  const alpha = cores.map(({ input, stats }) =>
    Array.from({ length: input.qHeads }, (_, h) => {
      const count = stats.keyQueryCount[h * input.tk];
      return count > 0 ? stats.keyAttentionSum[h * input.tk] / count : 0;
    }));
  const all = alpha.flat();
  const rate = all.length ? (100 * all.filter((a) => a > epsilon).length) / all.length : 0;
  return { epsilon, rate, alpha };
}
