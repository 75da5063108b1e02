import { allHeads, type CoreComputer, type PromptTrace } from '../trace';
import { headDrift, mapOf, tokenDrift, type HeadDrift } from './headDrift';
import type { Divergence } from './rowDivergence';

/**
 * Per-head drift between two runs of one prompt: each core's maps are recomputed for every head
 * from the run's own recorded inputs (A with `computeA`, B with `computeB`), compared, and dropped
 * before the next core, so memory stays one core's maps. Returns heads ranked by divergence.
 */
export function runHeadDrift(a: PromptTrace, b: PromptTrace, computeA: CoreComputer, computeB: CoreComputer, divergence: Divergence): { heads: HeadDrift[]; tokens: Float64Array } {
  if (a.cores.length !== b.cores.length) throw new Error(`drift: run "${a.label}" has ${a.cores.length} attention cores, "${b.label}" has ${b.cores.length}; compare runs of the same model`);
  const heads: HeadDrift[] = [];
  a.cores.forEach((ca, i) => {
    const cb = b.cores[i];
    if (ca.input.qHeads !== cb.input.qHeads || ca.input.tq !== cb.input.tq || ca.input.tk !== cb.input.tk) {
      throw new Error(`drift: core ${i} differs in shape between "${a.label}" and "${b.label}"; compare the same prompt on models with the same attention layout`);
    }
    const ra = computeA(ca.input, allHeads(ca.input));
    const rb = computeB(cb.input, allHeads(cb.input));
    const { tq, tk } = ca.input;
    for (let h = 0; h < ca.input.qHeads; h++) {
      heads.push(headDrift(
        { layer: ca.layer, head: h, tq, tk, weights: mapOf(ra, h), queryCount: ra.stats.keyQueryCount.subarray(h * tk, (h + 1) * tk), proxy: ra.stats.proxy },
        { layer: cb.layer, head: h, tq, tk, weights: mapOf(rb, h), proxy: rb.stats.proxy },
        divergence,
      ));
    }
  });
  const tokens = tokenDrift(heads);
  heads.sort((x, y) => y.meanRowDivergence - x.meanRowDivergence);
  return { heads, tokens };
}
