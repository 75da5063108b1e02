import type { KeyImportance } from './keyImportance';

/** ε of spec §1.1: a head treats key k as a sink when α_k > ε (strict). */
export const DEFAULT_SINK_EPSILON = 0.3;

/**
 * Sink_k^ε of spec §1.1 as a fraction in [0, 1] (the paper reports ×100):
 * (1/L) Σ_l (1/H_l) Σ_h 1[α_k^{l,h} > ε], for every key position k of one prompt.
 * `layers` holds one KeyImportance per attention core, all over the same tk keys.
 */
export function sinkRate(layers: KeyImportance[], epsilon = DEFAULT_SINK_EPSILON): Float64Array {
  const tk = checkLayers(layers);
  const rate = new Float64Array(tk);
  for (const l of layers) {
    for (let h = 0; h < l.qHeads; h++) {
      for (let k = 0; k < tk; k++) if (l.alpha[h * tk + k] > epsilon) rate[k] += 1 / l.qHeads;
    }
  }
  for (let k = 0; k < tk; k++) rate[k] /= layers.length;
  return rate;
}

/** Per token, what the editor overlay paints. */
export interface TokenSinkScore {
  /** Share of (layer, head) pairs where the token is a sink (= Sink_k^ε as a fraction). */
  share: number;
  /** Mean α_k over layers and heads. */
  meanAlpha: number;
}

/** Per-token sink score for every key position: the share of heads where it is a sink, and mean α. */
export function tokenSinkScores(layers: KeyImportance[], epsilon = DEFAULT_SINK_EPSILON): TokenSinkScore[] {
  const tk = checkLayers(layers);
  const share = sinkRate(layers, epsilon);
  const scores: TokenSinkScore[] = [];
  for (let k = 0; k < tk; k++) {
    let sum = 0;
    for (const l of layers) {
      let s = 0;
      for (let h = 0; h < l.qHeads; h++) s += l.alpha[h * tk + k];
      sum += s / l.qHeads;
    }
    scores.push({ share: share[k], meanAlpha: sum / layers.length });
  }
  return scores;
}

export interface SecondarySinkOptions {
  /** A token is a sink when its share of sink heads exceeds this (default 0.1). */
  threshold?: number;
  /**
   * Keys seen by fewer queries than this are left out: α of the last keys averages over one or a
   * few queries (spec §1.1: α_T = A_{T,T}), so it says nothing about sinks (default 8).
   */
  minQueries?: number;
}

/** Sink tokens beyond the first (delimiters, newlines …): positions k ≥ 1 whose share exceeds the threshold. */
export function secondarySinks(layers: KeyImportance[], scores: TokenSinkScore[], options: SecondarySinkOptions = {}): number[] {
  const threshold = options.threshold ?? 0.1;
  const minQueries = options.minQueries ?? 8;
  const tk = checkLayers(layers);
  const out: number[] = [];
  for (let k = 1; k < tk; k++) {
    let seen = Infinity;
    for (const l of layers) for (let h = 0; h < l.qHeads; h++) seen = Math.min(seen, l.queryCount[h * tk + k]);
    if (seen >= minQueries && scores[k].share > threshold) out.push(k);
  }
  return out;
}

function checkLayers(layers: KeyImportance[]): number {
  if (!layers.length) throw new Error('sink rate: no attention cores given; run the prompt through at least one core first');
  const tk = layers[0].tk;
  layers.forEach((l, i) => {
    if (l.tk !== tk) throw new Error(`sink rate: core ${i} has ${l.tk} keys, core 0 has ${tk}; all cores of one prompt must see the same keys`);
  });
  return tk;
}
