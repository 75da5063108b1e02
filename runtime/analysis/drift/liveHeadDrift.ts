import type { AttentionBackend, AttentionInput, AttentionResult } from '../../kernels/types';
import { referenceAttention } from '../../kernels/reference/dispatch';
import { resolveVariant } from '../../kernels/variants';
import { allHeads, type PromptTrace } from '../trace';
import { headDrift, mapOf, tokenDrift, type HeadDrift } from './headDrift';
import type { Divergence } from './rowDivergence';

/** Computes one core with the given heads' maps captured (e.g. the engine's backend, softmax), on `threads` kernel threads where it can. */
export type AsyncCoreComputer = (input: AttentionInput, captureHeads: number[], threads?: number) => Promise<AttentionResult>;

/**
 * Per-head drift computed core by core while run B executes, so B's maps are never recomputed and
 * only one core's maps are alive at a time: the wrapped backend captures every head of each B core,
 * recomputes the same core of the recorded run A, compares, and drops both maps.
 * `layerOfCall[i]` is the layer of the i-th core the engine runs (its segment plan order).
 */
export class LiveHeadDrift {
  private readonly heads: HeadDrift[] = [];
  private calls = 0;

  constructor(
    private readonly a: PromptTrace,
    private readonly layerOfCall: number[],
    private readonly recomputeA: AsyncCoreComputer,
    private readonly divergence: Divergence,
  ) {}

  wrap(inner: AttentionBackend): AttentionBackend {
    return {
      id: inner.id,
      variants: inner.variants,
      run: async (request) => {
        const layer = this.layerOfCall[this.calls++];
        const core = this.a.cores.find((c) => c.layer === layer);
        if (!core) throw new Error(`drift: run "${this.a.label}" has no attention core for layer ${layer}; compare runs of models with the same layers`);
        const { input } = request;
        const ia = core.input;
        if (ia.qHeads !== input.qHeads || ia.tq !== input.tq || ia.tk !== input.tk) {
          throw new Error(`drift: layer ${layer} differs in shape between the runs ([${ia.qHeads}, ${ia.tq}, ${ia.tk}] vs [${input.qHeads}, ${input.tq}, ${input.tk}]); compare the same prompt on models with the same attention layout`);
        }
        const heads = allHeads(input);
        const rb = await inner.run({ ...request, captureHeads: heads });
        // A backend may return only the maps it shows (display contract); the reference supplies the rest.
        const mapsB = rb.maps.length === heads.length ? rb : referenceAttention(input, resolveVariant(request.variant), heads);
        const ra = await this.recomputeA(ia, heads);
        const { tq, tk } = input;
        for (let h = 0; h < input.qHeads; h++) {
          this.heads.push(headDrift(
            { layer, head: h, tq, tk, weights: mapOf(ra, h), queryCount: ra.stats.keyQueryCount.subarray(h * tk, (h + 1) * tk), proxy: ra.stats.proxy },
            { layer, head: h, tq, tk, weights: mapOf(mapsB, h), proxy: rb.stats.proxy },
            this.divergence,
          ));
        }
        const wanted = new Set(request.captureHeads ?? []);
        return { ...rb, maps: rb.maps.filter((m) => wanted.has(m.head)) };
      },
    };
  }

  /** Heads ranked by divergence, largest first, and per-token Δ attention received (B − A). */
  result(): { heads: HeadDrift[]; tokens: Float64Array } {
    if (this.calls !== this.a.cores.length) throw new Error(`drift: run B computed ${this.calls} attention cores, run "${this.a.label}" ${this.a.cores.length}; compare runs of the same model`);
    const tokens = tokenDrift(this.heads);
    return { heads: [...this.heads].sort((x, y) => y.meanRowDivergence - x.meanRowDivergence), tokens };
  }
}

/**
 * Keeps run A's maps of every core as the engine computes them (wrap A's backend), so the drift need
 * not recompute them, while their total stays within `budgetBytes`; beyond it the maps are dropped
 * and `recompute` computes the core again when run B reaches it.
 */
export class CapturedMaps {
  private readonly byInput = new Map<AttentionInput, AttentionResult>();
  private bytes = 0;

  constructor(private readonly budgetBytes: number, private readonly recompute: AsyncCoreComputer) {}

  wrap(inner: AttentionBackend): AttentionBackend {
    return {
      id: inner.id,
      variants: inner.variants,
      run: async (request) => {
        const { input } = request;
        const size = input.qHeads * input.tq * input.tk * 4;
        if (this.bytes + size > this.budgetBytes) return inner.run(request);
        const heads = allHeads(input);
        const r = await inner.run({ ...request, captureHeads: heads });
        if (r.maps.length === heads.length) {
          this.byInput.set(input, r);
          this.bytes += size;
        }
        const wanted = new Set(request.captureHeads ?? []);
        return { ...r, maps: r.maps.filter((m) => wanted.has(m.head)) };
      },
    };
  }

  /** A's maps of a core: kept ones (then released), else recomputed. */
  readonly get: AsyncCoreComputer = async (input, heads) => {
    const kept = this.byInput.get(input);
    if (!kept) return this.recompute(input, heads);
    this.byInput.delete(input);
    return kept;
  };
}
