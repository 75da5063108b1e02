import type { AttentionStats } from '../../kernels/types';

/**
 * Key importance α_k of spec §1.1 for one attention core: the mean attention key k receives from
 * the queries that see it, per head. Laid out [qHeads, tk] like the kernel's instrumentation.
 */
export interface KeyImportance {
  qHeads: number;
  tk: number;
  /** [qHeads, tk]; 0 where no query sees the key. */
  alpha: Float64Array;
  /** [qHeads, tk]: how many queries saw each key (α of a key seen by few queries is noisy). */
  queryCount: Float64Array;
  /** The weights did not sum to 1 and the proxy map of spec §1.1 was used. */
  proxy: boolean;
}

/** α_k = keyAttentionSum / keyQueryCount, exactly as the kernels measured it while computing the core. */
export function keyImportanceFromStats(stats: AttentionStats, qHeads: number, tk: number): KeyImportance {
  const n = qHeads * tk;
  if (stats.keyAttentionSum.length !== n || stats.keyQueryCount.length !== n) {
    throw new Error(`key importance: stats hold ${stats.keyAttentionSum.length} entries, expected qHeads·tk = ${qHeads}·${tk}; pass the core's own head count and key length`);
  }
  const alpha = new Float64Array(n);
  const queryCount = new Float64Array(n);
  for (let x = 0; x < n; x++) {
    const c = stats.keyQueryCount[x];
    queryCount[x] = c;
    alpha[x] = c > 0 ? stats.keyAttentionSum[x] / c : 0;
  }
  return { qHeads, tk, alpha, queryCount, proxy: stats.proxy };
}

/**
 * α_k from full causal maps, one [t, t] map per head (rows = queries): the spec's definition
 * α_k = (1/(T−k+1)) Σ_{t≥k} A_{t,k}. Used where whole maps are at hand (tests, recomputed heads).
 */
export function keyImportanceFromCausalMaps(maps: ArrayLike<number>[][], proxy = false): KeyImportance {
  const qHeads = maps.length;
  const tk = qHeads ? maps[0].length : 0;
  const alpha = new Float64Array(qHeads * tk);
  const queryCount = new Float64Array(qHeads * tk);
  maps.forEach((rows, h) => {
    if (rows.length !== tk) throw new Error(`key importance: head ${h} has ${rows.length} rows, head 0 has ${tk}; every head's map must be [T, T]`);
    for (let k = 0; k < tk; k++) {
      let sum = 0;
      for (let t = k; t < tk; t++) sum += rows[t][k];
      alpha[h * tk + k] = sum / (tk - k);
      queryCount[h * tk + k] = tk - k;
    }
  });
  return { qHeads, tk, alpha, queryCount, proxy };
}
