import type { CoreRun } from '../engine/core-run';
import type { AttentionCore } from '../model/detect/core';

/** What the CLI reports per attention core: static facts, with shapes and causality from a run. */
export interface CoreFacts {
  layer: number;
  kind: AttentionCore['kind'];
  normalizer: AttentionCore['normalizer'];
  name: string;
  qHeads: number | null;
  kvHeads: number | null;
  headDim: number | null;
  causal: boolean | null;
}

export function coreFacts(core: AttentionCore, run?: CoreRun): CoreFacts {
  return {
    layer: core.layer, kind: core.kind, normalizer: core.normalizer, name: core.name,
    qHeads: run?.input.qHeads ?? core.qHeads ?? null,
    kvHeads: run?.kvHeads ?? core.kvHeads ?? null,
    headDim: run?.input.headDim ?? null,
    causal: run ? run.input.mask.causal : core.causal ?? null,
  };
}
